"""The apps under measurement: floors, wsgicors, and peers, each for every scenario.

Every contender wraps the same minimal hello app (or, for framework peers, the same route in
that framework, measured with and without its CORS layer). A scenario is a request (an
environ) plus the policy the CORS layers are configured with.
"""

from __future__ import annotations

import asyncio
import io
import re
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from wsgicors import CORSMiddleware, Rule

App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ORIGIN = "https://app.example.com"


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


# --- floors ---------------------------------------------------------------------------------


def closure_passthrough(app: App) -> App:
    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return app(environ, start_response)

    return middleware


class ClassPassthrough:
    def __init__(self, app: App) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.app(environ, start_response)


class MinimalRewrite:
    """The least a header-adding middleware can do: wrap start_response, append two headers."""

    def __init__(self, app: App) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        def wrapped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(
                status,
                [*headers, ("Access-Control-Allow-Origin", ORIGIN), ("Vary", "Origin")],
                exc_info,
            )

        return self.app(environ, wrapped)


# --- scenarios ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    environ: dict[str, Any]
    rules: list[Rule] = field(default_factory=list)
    #: origins in peers' configuration (None: the peer cannot express the scenario)
    peer_origins: list[str] | None = None
    peer_regexes: list[str] = field(default_factory=list)
    #: a fresh Origin for every request (adversarial)
    unique_origins: bool = False


def base_rule(**extra: Any) -> Rule:
    options: dict[str, Any] = {
        "allow_origins": [ORIGIN],
        "allow_methods": ["PUT"],
        "allow_headers": ["X-Token", "Content-Type"],
        "max_age": 600,
    }
    options.update(extra)
    return Rule("/api/*", **options)


def request(method: str = "GET", path: str = "/api/items", **headers: str) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input": io.BytesIO(b""),  # no request reads a body here
        "wsgi.errors": sys.stderr,
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper()] = value
    return environ


PREFLIGHT = {
    "ORIGIN": ORIGIN,
    "ACCESS_CONTROL_REQUEST_METHOD": "PUT",
    "ACCESS_CONTROL_REQUEST_HEADERS": "x-token,content-type",
}
MANY_ORIGINS = [f"https://app{n}.example.com" for n in range(99)] + [ORIGIN]
MANY_REGEXES = [rf"https://[a-z]+\.tenant{n}\.example\.com" for n in range(99)] + [
    r"https://[a-z]+\.example\.com"
]
MANY_PATHS = [Rule(f"/section{n}/*", allow_origins=[ORIGIN]) for n in range(999)]
BIG = "a" * (64 * 1024)

SCENARIOS = [
    Scenario("uncovered", "a path no rule covers", request(path="/static/app.js", ORIGIN=ORIGIN),
             [base_rule()], [ORIGIN]),
    Scenario("no-origin", "covered path, no Origin", request(), [base_rule()], [ORIGIN]),
    Scenario("allowed", "allowed actual GET", request(ORIGIN=ORIGIN), [base_rule()], [ORIGIN]),
    Scenario("disallowed", "disallowed Origin", request(ORIGIN="https://evil.example"),
             [base_rule()], [ORIGIN]),
    Scenario("preflight", "preflight with method and headers",
             request("OPTIONS", **PREFLIGHT), [base_rule()], [ORIGIN]),
    Scenario("100-origins", "allowed GET, 100 exact origins", request(ORIGIN=ORIGIN),
             [base_rule(allow_origins=MANY_ORIGINS)], MANY_ORIGINS),
    Scenario("100-regexes", "allowed GET, 100 regex origins",
             request(ORIGIN="https://shop.example.com"),
             [base_rule(allow_origins=[], allow_origin_regex=MANY_REGEXES)], [], MANY_REGEXES),
    Scenario("1000-paths", "allowed GET, 1000 path rules (last matches)", request(ORIGIN=ORIGIN),
             [*MANY_PATHS, base_rule()], None),
    Scenario("64k-origin", "64 KiB Origin", request(ORIGIN="https://" + BIG), [base_rule()],
             [ORIGIN]),
    Scenario("64k-request-headers", "preflight with 64 KiB Access-Control-Request-Headers",
             request("OPTIONS", ORIGIN=ORIGIN, ACCESS_CONTROL_REQUEST_METHOD="PUT",
                     ACCESS_CONTROL_REQUEST_HEADERS=("x-token," * 8192)), [base_rule()], [ORIGIN]),
    Scenario("unique-origins", "a new allowed Origin every request (glob)", request(),
             [base_rule(allow_origins=["https://*.example.com"])], None, [r"https://.*\.example\.com"],
             unique_origins=True),
]  # fmt: skip


# --- contenders ------------------------------------------------------------------------------


def build_wsgicors(app: App, scenario: Scenario) -> App:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CORSMiddleware(app, scenario.rules)


def build_wsgi_cors_middleware(app: App, scenario: Scenario) -> App | None:
    from wsgi_cors_middleware import CorsMiddleware

    if scenario.peer_origins != [ORIGIN]:
        return None  # one fixed origin only
    return CorsMiddleware(  # type: ignore[no-any-return]
        app, origin=ORIGIN, headers=["X-Token", "Content-Type"], methods=["PUT"]
    )


def flask_pair(scenario: Scenario) -> tuple[App, App | None]:
    from flask import Flask
    from flask_cors import CORS

    def make() -> Any:
        app = Flask(f"bench_{scenario.name}")

        @app.route("/<path:path>", methods=["GET", "PUT"])
        def hello_route(path: str) -> str:
            return "hello"

        return app

    bare = make()
    wrapped = None
    if scenario.peer_origins is not None:
        wrapped = make()
        origins: list[Any] = [*scenario.peer_origins]
        origins += [re.compile(pattern) for pattern in scenario.peer_regexes]
        CORS(wrapped, resources={r"/api/*": {"origins": origins}}, methods=["PUT"],
             allow_headers=["X-Token", "Content-Type"], max_age=600)  # fmt: skip
    return bare.wsgi_app, (wrapped.wsgi_app if wrapped else None)


def django_pair(scenario: Scenario) -> tuple[App, App | None]:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            ALLOWED_HOSTS=["*"],
            ROOT_URLCONF="benchmarks.django_urls",
            MIDDLEWARE=[],
            INSTALLED_APPS=["corsheaders"],
            SECRET_KEY="benchmark-only",  # noqa: S106
            CORS_URLS_REGEX=r"^/api/.*$",
            CORS_ALLOW_METHODS=["PUT"],
            CORS_ALLOW_HEADERS=["x-token", "content-type"],
            CORS_PREFLIGHT_MAX_AGE=600,
        )
        django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    bare = WSGIHandler()
    if scenario.peer_origins is None:
        return bare, None
    settings.MIDDLEWARE = ["corsheaders.middleware.CorsMiddleware"]
    settings.CORS_ALLOWED_ORIGINS = scenario.peer_origins
    settings.CORS_ALLOWED_ORIGIN_REGEXES = scenario.peer_regexes
    wrapped = WSGIHandler()
    settings.MIDDLEWARE = []
    return bare, wrapped


def falcon_pair(scenario: Scenario) -> tuple[App, App | None]:
    import falcon

    class Hello:
        def on_get(self, req: Any, resp: Any, path: str) -> None:
            resp.text = "hello"

        on_put = on_get

    def make(middleware: list[Any]) -> Any:
        app = falcon.App(middleware=middleware)
        app.add_route("/{path:path}", Hello())
        return app

    if scenario.peer_origins is None or scenario.peer_regexes:
        return make([]), None
    cors = falcon.CORSMiddleware(allow_origins=scenario.peer_origins)
    return make([]), make([cors])


def starlette_pair(scenario: Scenario) -> tuple[Any, Any | None]:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware as StarletteCORS
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello_route(request: Any) -> PlainTextResponse:
        return PlainTextResponse("hello")

    routes = [Route("/{path:path}", hello_route, methods=["GET", "PUT"])]
    bare = Starlette(routes=routes)
    if scenario.peer_origins is None:
        return bare, None
    regex = "|".join(scenario.peer_regexes) or None
    middleware = [Middleware(StarletteCORS, allow_origins=scenario.peer_origins,
                             allow_origin_regex=regex, allow_methods=["PUT"],
                             allow_headers=["X-Token", "Content-Type"], max_age=600)]  # fmt: skip
    return bare, Starlette(routes=routes, middleware=middleware)


def asgi_caller(app: Any, environ: dict[str, Any]) -> Callable[[], None]:
    """Run one ASGI HTTP request per call, with the environ's method, path and headers."""
    headers = [
        (key[5:].replace("_", "-").lower().encode("latin-1"), value.encode("latin-1"))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": environ["REQUEST_METHOD"], "scheme": "http", "path": environ["PATH_INFO"],
        "raw_path": environ["PATH_INFO"].encode(), "query_string": b"", "root_path": "",
        "headers": headers, "client": ("127.0.0.1", 1234), "server": ("localhost", 80),
    }  # fmt: skip
    loop = asyncio.new_event_loop()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    def call() -> None:
        loop.run_until_complete(app(dict(scope), receive, send))

    return call
