"""A Bottle JSON API behind wsgicors. Run: gunicorn app:app"""

import bottle

from wsgicors import CORSMiddleware

ITEMS: list[dict[str, object]] = []
api = bottle.Bottle()


@api.get("/api/items")
def list_items() -> dict[str, object]:
    return {"items": ITEMS}


@api.post("/api/items")
def add_item() -> dict[str, object]:
    item: dict[str, object] = bottle.request.json
    ITEMS.append(item)
    bottle.response.status = 201
    return item


app = CORSMiddleware(
    api,
    allow_origins=["https://app.example.com"],
    allow_headers=["content-type"],
    max_age=600,
)
