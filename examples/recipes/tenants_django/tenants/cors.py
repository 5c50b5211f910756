"""The question wsgicors asks about origins it does not know: is it a tenant's?"""

from django.db import close_old_connections

from tenants.models import Tenant


def is_tenant_origin(origin: str) -> bool:
    """The allow_origin_func of storefront/wsgi.py."""
    try:
        return Tenant.objects.filter(origin=origin).exists()
    finally:
        # wsgicors asks before Django handles the request (for a preflight, instead of it), so
        # outside the request cycle that closes connections: close this one as Django would.
        close_old_connections()
