"""URLconf for the Django benchmark app: one view answering every path."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import re_path


def hello(request: Any) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [re_path(r"^.*$", hello)]
