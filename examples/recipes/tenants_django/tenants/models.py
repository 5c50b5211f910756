"""A tenant of the platform, and the origin its storefront runs on."""

from django.core.validators import RegexValidator
from django.db import models

# The form browsers send in the Origin header, and so the only form that can ever match:
# lowercase, scheme and host (and a port other than the default), nothing after.
serialized_origin = RegexValidator(
    r"\Ahttps?://[a-z0-9.-]+(:[0-9]{1,5})?\Z",
    "Write it as browsers send it: https://shop.example.net (no path, no trailing slash).",
)


class Tenant(models.Model):
    name = models.CharField(max_length=100)
    origin = models.CharField(max_length=300, unique=True, validators=[serialized_origin])

    def __str__(self) -> str:
        return f"{self.name} ({self.origin})"
