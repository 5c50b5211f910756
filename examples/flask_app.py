"""A Flask app behind wsgicors. Run: flask --app examples/flask_app.py run"""

from __future__ import annotations

from flask import Flask

from wsgicors import CORSMiddleware, Rule

app = Flask(__name__)


@app.get("/api/items")
def items() -> dict[str, list[int]]:
    return {"items": [1, 2, 3]}


@app.put("/api/items/<int:item>")
def update(item: int) -> dict[str, int]:
    return {"updated": item}


app.wsgi_app = CORSMiddleware(  # type: ignore[method-assign]
    app.wsgi_app,
    rules=[
        Rule(
            "/api/*",
            allow_origins=["https://app.example.com", "http://localhost:*"],
            allow_methods=["PUT"],
            allow_headers=["Content-Type"],
            max_age=600,
        )
    ],
)
