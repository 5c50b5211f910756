"""Any WSGI app, unchanged; its CORS policy is the file cors.toml, reloaded when it changes.

Serve it from this folder, either way:

    gunicorn --threads 4 'wsgicors.serve:wrap("app:app", "cors.toml", reload=True)'
    gunicorn --threads 4 --paste paste.ini
"""

import json
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = json.dumps({"path": environ["PATH_INFO"]}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def make_app(global_conf: dict[str, str], **settings: str) -> WSGIApp:
    """The PasteDeploy app factory paste.ini names."""
    return app
