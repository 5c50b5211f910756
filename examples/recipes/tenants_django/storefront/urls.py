"""URLs of storefront: the product list every tenant's storefront shows."""

from django.http import HttpRequest, JsonResponse
from django.urls import path


def products(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"products": ["tea", "cups"]})


urlpatterns = [path("api/products", products)]
