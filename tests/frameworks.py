"""The same small API written in Django, Flask, Pyramid, Bottle and Falcon.

Routes: ``GET/PUT /api/items`` (sets ``Vary: Cookie`` the framework's own way),
``/api/redirect`` (the framework's redirect), ``/api/error`` (the framework's 500), and any
other path (the framework's 404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

ITEMS = '{"items": [1, 2, 3]}'


def django_app() -> WSGIApplication:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            ALLOWED_HOSTS=["*"],
            ROOT_URLCONF=__name__,
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
            SECRET_KEY="test-only",  # noqa: S106 (a test settings module)
            LOGGING_CONFIG=None,
        )
        django.setup()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def _django_urls() -> list[Any]:
    from django.http import HttpResponse, HttpResponseRedirect
    from django.urls import path
    from django.views.decorators.vary import vary_on_cookie

    @vary_on_cookie
    def items(request: Any) -> HttpResponse:
        return HttpResponse(ITEMS, content_type="application/json")

    def redirect(request: Any) -> HttpResponse:
        return HttpResponseRedirect("/api/items")

    def error(request: Any) -> HttpResponse:
        raise RuntimeError("boom")

    return [
        path("api/items", items),
        path("api/redirect", redirect),
        path("api/error", error),
    ]


def __getattr__(name: str) -> Any:
    # Django reads ROOT_URLCONF's urlpatterns lazily; build them only when asked.
    if name == "urlpatterns":
        return _django_urls()
    raise AttributeError(name)


def flask_app() -> WSGIApplication:
    from flask import Flask, Response, abort, redirect

    app = Flask("flask_api")

    @app.route("/api/items", methods=["GET", "PUT"])
    def items() -> Response:
        response = Response(ITEMS, content_type="application/json")
        response.vary.add("Cookie")
        return response

    @app.route("/api/redirect")
    def go() -> Response:
        return redirect("/api/items")  # type: ignore[return-value]

    @app.route("/api/error")
    def error() -> Response:
        abort(500)

    return app.wsgi_app


def pyramid_app() -> WSGIApplication:
    from pyramid.config import Configurator
    from pyramid.httpexceptions import HTTPFound, HTTPInternalServerError
    from pyramid.response import Response

    def items(request: Any) -> Response:
        response = Response(body=ITEMS.encode(), content_type="application/json")
        response.vary = ("Cookie",)
        return response

    def redirect(request: Any) -> Response:
        return HTTPFound(location="/api/items")

    def error(request: Any) -> Response:
        return HTTPInternalServerError()

    with Configurator() as config:
        config.add_route("items", "/api/items")
        config.add_view(items, route_name="items", request_method=("GET", "PUT"))
        config.add_route("redirect", "/api/redirect")
        config.add_view(redirect, route_name="redirect")
        config.add_route("error", "/api/error")
        config.add_view(error, route_name="error")
        return config.make_wsgi_app()


def bottle_app() -> WSGIApplication:
    import bottle

    app = bottle.Bottle()

    @app.route("/api/items", method=["GET", "PUT"])
    def items() -> str:
        bottle.response.content_type = "application/json"
        bottle.response.set_header("Vary", "Cookie")
        return ITEMS

    @app.route("/api/redirect")
    def go() -> None:
        bottle.redirect("/api/items", 302)

    @app.route("/api/error")
    def error() -> None:
        bottle.abort(500, "boom")

    return app


def falcon_app() -> WSGIApplication:
    import falcon

    class Items:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.content_type = "application/json"
            resp.text = ITEMS
            resp.vary = ("Cookie",)

        on_put = on_get

    class Redirect:
        def on_get(self, req: Any, resp: Any) -> None:
            raise falcon.HTTPFound("/api/items")

    class Error:
        def on_get(self, req: Any, resp: Any) -> None:
            raise falcon.HTTPInternalServerError()

    app = falcon.App()
    app.add_route("/api/items", Items())
    app.add_route("/api/redirect", Redirect())
    app.add_route("/api/error", Error())
    return app


FRAMEWORKS = {
    "django": django_app,
    "flask": flask_app,
    "pyramid": pyramid_app,
    "bottle": bottle_app,
    "falcon": falcon_app,
}
