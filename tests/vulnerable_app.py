"""A deliberately vulnerable control app (not using wsgicors): it reflects any Origin and
allows credentials. The scanner tests require both scanners to flag it, so a silent scanner
cannot pass them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    headers = [("Content-Type", "text/plain")]
    origin = environ.get("HTTP_ORIGIN")
    if origin:
        headers += [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        ]
    start_response("200 OK", headers)
    return [b"account data"]
