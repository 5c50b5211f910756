"""A Pyramid JSON API behind wsgicors. Run: gunicorn app:app"""

from pyramid.config import Configurator
from pyramid.request import Request

from wsgicors import CORSMiddleware

ITEMS: list[dict[str, object]] = []


def list_items(request: Request) -> dict[str, object]:
    return {"items": ITEMS}


def add_item(request: Request) -> dict[str, object]:
    item: dict[str, object] = request.json_body
    ITEMS.append(item)
    request.response.status_code = 201
    return item


with Configurator() as config:
    config.add_route("items", "/api/items")
    config.add_view(list_items, route_name="items", request_method="GET", renderer="json")
    config.add_view(add_item, route_name="items", request_method="POST", renderer="json")
    pyramid_app = config.make_wsgi_app()

app = CORSMiddleware(
    pyramid_app,
    allow_origins=["https://app.example.com"],
    allow_headers=["content-type"],
    max_age=600,
)
