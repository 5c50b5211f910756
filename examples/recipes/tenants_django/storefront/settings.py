"""Settings of storefront: an API that tenants call from their own domains."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "development-only-change-me")
DEBUG = False
ALLOWED_HOSTS = ["api.example.com", "localhost", "127.0.0.1"]
ROOT_URLCONF = "storefront.urls"
WSGI_APPLICATION = "storefront.wsgi.application"
INSTALLED_APPS = ["tenants"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

# The platform's own front end: a fixed origin, never looked up.
FRONTEND_ORIGINS = ["https://app.example.com"]
# How long each gunicorn worker reuses wsgicors' answer about a tenant's origin, in seconds:
# the longest a new tenant waits, and the longest a removed one keeps access.
CORS_TENANT_TTL = 60
