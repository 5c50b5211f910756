"""A PasteDeploy app factory for the pipeline tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def app_factory(global_conf: dict[str, str], **local_conf: str) -> WSGIApplication:
    greeting = local_conf.get("greeting", "hello").encode()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["paste_app.called"] = True
        start_response(
            "200 OK",
            [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "*")],
        )
        return [greeting]

    return app
