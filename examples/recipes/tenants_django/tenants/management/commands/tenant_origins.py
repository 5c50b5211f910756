"""python manage.py tenant_origins add|remove|list [ORIGIN ...] [--name NAME]"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Tenant


class Command(BaseCommand):
    help = "Add, remove or list the origins of tenants' storefronts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["add", "remove", "list"])
        parser.add_argument("origins", nargs="*")
        parser.add_argument("--name", default="tenant", help="the tenant's name, for add")

    def handle(
        self, *args: Any, action: str, origins: list[str], name: str, **options: Any
    ) -> None:
        for origin in origins:
            if action == "add":
                tenant = Tenant(name=name, origin=origin)
                try:
                    tenant.full_clean()  # the origin's validator, as a form or the admin runs it
                except ValidationError as error:
                    raise CommandError(f"{origin}: {error.messages[0]}") from None
                tenant.save()
            elif action == "remove":
                Tenant.objects.filter(origin=origin).delete()
        for tenant in Tenant.objects.order_by("origin"):
            self.stdout.write(str(tenant))
