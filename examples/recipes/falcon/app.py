"""A Falcon JSON API behind wsgicors. Run: gunicorn app:app"""

import falcon

from wsgicors import CORSMiddleware

ITEMS: list[dict[str, object]] = []


class Items:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"items": ITEMS}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        item = req.get_media()
        ITEMS.append(item)
        resp.media = item
        resp.status = falcon.HTTP_201


# Falcon's own CORS support (cors_enable) stays off: wsgicors answers preflights before
# Falcon sees them and owns the Access-Control-* headers on the paths it covers.
api = falcon.App()
api.add_route("/api/items", Items())

app = CORSMiddleware(
    api,
    allow_origins=["https://app.example.com"],
    allow_headers=["content-type"],
    max_age=600,
)
