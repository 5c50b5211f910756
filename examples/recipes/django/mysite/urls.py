"""URLs of mysite: a CSRF token for the front end, and an items API."""

import json

from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.views.decorators.http import require_http_methods

ITEMS: list[dict[str, object]] = []


def csrf(request: HttpRequest) -> JsonResponse:
    """Hand the CSRF token to the front end: it cannot read this site's cookies itself."""
    return JsonResponse({"csrfToken": get_token(request)})


@require_http_methods(["GET", "POST"])
def items(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        item = json.loads(request.body)
        ITEMS.append(item)
        return JsonResponse(item, status=201)
    return JsonResponse({"items": ITEMS})


urlpatterns = [
    path("api/csrf", csrf),
    path("api/items", items),
]
