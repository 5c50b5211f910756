"""A Flask JSON API behind wsgicors. Run: flask --app app run, or gunicorn app:app"""

from flask import Flask, request

from wsgicors import CORSMiddleware, Rule

app = Flask(__name__)
ITEMS: list[dict[str, object]] = []


@app.get("/api/items")
def list_items() -> dict[str, object]:
    return {"items": ITEMS}


@app.post("/api/items")
def add_item() -> tuple[dict[str, object], int]:
    item = request.get_json()
    ITEMS.append(item)
    return item, 201


# Wrap app.wsgi_app, not app: `flask run` and gunicorn keep using the Flask object.
app.wsgi_app = CORSMiddleware(  # type: ignore[method-assign]
    app.wsgi_app,
    rules=[
        Rule(
            "/api/*",
            allow_origins=["https://app.example.com", "http://localhost:5173"],
            # fetch() with a JSON body sends "Content-Type: application/json", which is not
            # one of the three simple content types: the browser asks first, and the header
            # must be allowed. There are no allowed headers by default.
            allow_headers=["content-type"],
            # Let browsers reuse the preflight answer for 10 minutes (the default is none:
            # browsers then cache it for 5 seconds).
            max_age=600,
        )
    ],
)
