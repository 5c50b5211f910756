"""WSGI entry point of mysite, with wsgicors in front of Django.

Serve it from the folder that holds the mysite package: gunicorn mysite.wsgi
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from wsgicors import CORSMiddleware

# Django reads its settings when the application is built: name them first, as
# `django-admin startproject` does. Without this line gunicorn stops with ImproperlyConfigured.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

django_app = get_wsgi_application()

application = CORSMiddleware(
    django_app,
    # The same list feeds CSRF_TRUSTED_ORIGINS in settings.py.
    allow_origins=settings.FRONTEND_ORIGINS,
    allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    # JSON bodies and Django's CSRF token header.
    allow_headers=["content-type", "x-csrftoken"],
    # The front end sends the session and CSRF cookies.
    allow_credentials=True,
    max_age=600,
)
