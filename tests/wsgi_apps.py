"""Plain WSGI apps that the server and CLI tests import by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def hello(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Answers every request, echoing its Origin in the body (for cross-talk checks)."""
    origin = environ.get("HTTP_ORIGIN", "-")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
    return [f"hello {environ['REQUEST_METHOD']} {origin}".encode()]


not_callable = 42
