"""URLs of the example project: one JSON view that varies on the session cookie."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.vary import vary_on_cookie


@vary_on_cookie
def items(request: Any) -> JsonResponse:
    return JsonResponse({"items": [1, 2, 3]})


urlpatterns = [path("api/items", items)]
