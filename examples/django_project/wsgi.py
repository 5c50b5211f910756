"""WSGI entry point of the example Django project, wrapped by wsgicors.

Run from this folder: gunicorn wsgi:application
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from wsgicors import CORSMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

application = CORSMiddleware(
    get_wsgi_application(),
    allow_origins=["https://app.example.com"],
    allow_methods=["GET", "POST", "PUT", "DELETE"],
    allow_headers=["Content-Type", "X-CSRFToken"],
    allow_credentials=True,
)
