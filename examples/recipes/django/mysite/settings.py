"""Settings of mysite: an API called with cookies from a front end on another origin."""

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "development-only-change-me")
DEBUG = False
ALLOWED_HOSTS = ["api.example.com", "localhost", "127.0.0.1"]
ROOT_URLCONF = "mysite.urls"
# manage.py runserver serves this too, so development and production share the CORS setup.
WSGI_APPLICATION = "mysite.wsgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]

# The origins of the front ends that call this API with cookies. wsgi.py gives them to
# wsgicors; Django's CSRF check needs them too.
FRONTEND_ORIGINS = ["https://app.example.com"]

# A cross-origin POST, PUT, PATCH or DELETE carries an Origin header that is not this site's
# own, so CsrfViewMiddleware refuses it ("Origin checking failed") unless the origin is
# trusted here. CORS decides who may read responses; this decides who may send unsafe requests.
CSRF_TRUSTED_ORIGINS = FRONTEND_ORIGINS

# Cookies over HTTPS only. If the front end is on another site (another registrable domain,
# not just another subdomain), browsers send these cookies cross-site only with
# SameSite=None, which itself requires Secure: uncomment the two lines below.
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_SECURE = True
# CSRF_COOKIE_SAMESITE = "None"
# SESSION_COOKIE_SAMESITE = "None"
