"""WSGI entry point of storefront, with wsgicors in front of Django.

Serve it from the folder that holds manage.py: gunicorn --workers 4 storefront.wsgi
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from wsgicors import CORSMiddleware, Rule

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")

django_app = get_wsgi_application()

# Models can be imported only once Django is set up, which get_wsgi_application() does.
from tenants.cors import is_tenant_origin  # noqa: E402

application = CORSMiddleware(
    django_app,
    [
        Rule(
            "/api/*",
            allow_origins=settings.FRONTEND_ORIGINS,
            # Any other well-formed origin is looked up in the Tenant table, and each worker
            # reuses the answer (yes or no) for CORS_TENANT_TTL seconds.
            allow_origin_func=is_tenant_origin,
            allow_origin_func_ttl=settings.CORS_TENANT_TTL,
            allow_headers=["content-type"],
            max_age=600,
        )
    ],
)
