"""A PasteDeploy app factory: the app paste.ini puts behind the cors filter."""

import json
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def make_app(global_conf: dict[str, str], **settings: str) -> WSGIApp:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = json.dumps({"path": environ["PATH_INFO"]}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return app
