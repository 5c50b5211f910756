"""The apps under measurement: floors, wsgicors, wsgicors 0.7 and peers, for every scenario.

Every contender wraps the same minimal hello app (or, for framework peers, the same route in
that framework, measured with and without its CORS layer). A scenario is a request (an
environ) plus the policy the CORS layers are configured with, and what a correct CORS layer
answers to it (checked once before anything is timed).

The requests are the size a real server makes them: :func:`request` builds the ~35 keys
gunicorn puts in the environ of a browser's request. Size matters for a middleware that adds a
key (``wsgicors.decision``): a dict copied from one at its capacity edge (21 or 42 keys)
resizes on the first key added, which charges that write ~100 ns a real environ does not pay.
:class:`Scenario` refuses such an environ.
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
    """A do-nothing class middleware: the least any class entry point costs."""

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


# --- requests -------------------------------------------------------------------------------

#: What Chromium sends with a cross-origin fetch (besides Origin and the preflight headers).
BROWSER_HEADERS = {
    "HOST": "api.example.com",
    "USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "ACCEPT": "*/*",
    "ACCEPT_LANGUAGE": "en-GB,en;q=0.9",
    "ACCEPT_ENCODING": "gzip, deflate, br, zstd",
    "REFERER": ORIGIN + "/",
    "CONNECTION": "keep-alive",
    "SEC_FETCH_DEST": "empty",
    "SEC_FETCH_MODE": "cors",
    "SEC_FETCH_SITE": "same-site",
    "SEC_CH_UA": '"Chromium";v="126", "Not.A/Brand";v="24"',
    "SEC_CH_UA_MOBILE": "?0",
    "SEC_CH_UA_PLATFORM": '"Linux"',
    "PRIORITY": "u=1, i",
}


def request(method: str = "GET", path: str = "/api/items", **headers: str) -> dict[str, Any]:
    """An environ as gunicorn builds it for a browser's request: ~35 keys.

    *headers* are added (or replace the browser's) as ``HTTP_<NAME>`` keys.
    """
    environ: dict[str, Any] = {
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": object,
        "wsgi.input_terminated": True,
        "SERVER_SOFTWARE": "gunicorn/23.0.0",
        "wsgi.input": io.BytesIO(b""),  # no request reads a body here
        "gunicorn.socket": None,
        "REQUEST_METHOD": method,
        "QUERY_STRING": "",
        "RAW_URI": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    for name, value in {**BROWSER_HEADERS, **headers}.items():
        environ["HTTP_" + name.upper()] = value
    environ.update(
        {
            "wsgi.url_scheme": "http",
            "REMOTE_ADDR": "10.0.0.7",
            "REMOTE_PORT": "53124",
            "SERVER_NAME": "0.0.0.0",  # noqa: S104 (a value in a dict, not a bind)
            "SERVER_PORT": "8000",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
        }
    )
    return environ


def check_environ_size(environ: dict[str, Any]) -> None:
    """Refuse an environ that is unlike a server's, or whose copy resizes when a middleware
    and the app add a few keys (the capacity-edge trap described above)."""
    if not 30 <= len(environ) <= 40:
        raise ValueError(f"a server's environ has about 35 keys, this one {len(environ)}")
    probe = environ.copy()
    size = sys.getsizeof(probe)
    probe.update({"wsgicors.decision": None, "app.key.1": None, "app.key.2": None})
    if sys.getsizeof(probe) != size:
        raise ValueError(f"a copy of this {len(environ)}-key environ resizes on a new key")


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
    #: wsgicors 0.7's keyword configuration (None: 0.7 cannot express the scenario)
    legacy: dict[str, str] | None = None
    #: whether a correct CORS layer sends Access-Control-Allow-Origin (None: not checked)
    allows: bool | None = None
    #: a fresh Origin for every request (adversarial)
    unique_origins: bool = False

    def __post_init__(self) -> None:
        if self.environ:
            check_environ_size(self.environ)

    def request_environ(self, number: int) -> dict[str, Any]:
        """The environ of request *number*: a fresh copy, as a server builds one per request."""
        environ = self.environ.copy()
        if self.unique_origins:
            environ["HTTP_ORIGIN"] = f"https://u{number}.example.com"
        return environ


def base_rule(**extra: Any) -> Rule:
    options: dict[str, Any] = {
        "allow_origins": [ORIGIN],
        "allow_methods": ["PUT"],
        "allow_headers": ["X-Token", "Content-Type"],
        "max_age": 600,
    }
    options.update(extra)
    return Rule("/api/*", **options)


def legacy_policy(origin: str = ORIGIN) -> dict[str, str]:
    """The base rule in wsgicors 0.7's keys (no paths: its policy covers every path)."""
    return {
        "policy": "api",
        "api_origin": origin,
        "api_methods": "PUT",
        "api_headers": "X-Token, Content-Type",
        "api_maxage": "600",
    }


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
    Scenario("uncovered", "a path no rule covers", request(path="/assets/app.js", ORIGIN=ORIGIN),
             [base_rule()], [ORIGIN], allows=False),
    # Not checked: flask-cors sends Access-Control-Allow-Origin without an Origin by default.
    Scenario("no-origin", "covered path, no Origin", request(), [base_rule()], [ORIGIN],
             legacy=legacy_policy()),
    Scenario("allowed", "allowed actual GET", request(ORIGIN=ORIGIN), [base_rule()], [ORIGIN],
             legacy=legacy_policy(), allows=True),
    Scenario("disallowed", "disallowed Origin", request(ORIGIN="https://evil.example"),
             [base_rule()], [ORIGIN], legacy=legacy_policy(), allows=False),
    Scenario("preflight", "preflight with method and headers", request("OPTIONS", **PREFLIGHT),
             [base_rule()], [ORIGIN], legacy=legacy_policy(), allows=True),
    Scenario("100-origins", "allowed GET, 100 exact origins", request(ORIGIN=ORIGIN),
             [base_rule(allow_origins=MANY_ORIGINS)], MANY_ORIGINS,
             legacy=legacy_policy(" ".join(MANY_ORIGINS)), allows=True),
    Scenario("100-regexes", "allowed GET, 100 regex origins",
             request(ORIGIN="https://shop.example.com"),
             [base_rule(allow_origins=[], allow_origin_regex=MANY_REGEXES)], [], MANY_REGEXES,
             allows=True),
    Scenario("1000-paths", "allowed GET, 1000 path rules (last matches)", request(ORIGIN=ORIGIN),
             [*MANY_PATHS, base_rule()], None, allows=True),
    Scenario("64k-origin", "64 KiB Origin", request(ORIGIN="https://" + BIG), [base_rule()],
             [ORIGIN], legacy=legacy_policy(), allows=False),
    Scenario("64k-request-headers", "preflight with 64 KiB Access-Control-Request-Headers",
             request("OPTIONS", ORIGIN=ORIGIN, ACCESS_CONTROL_REQUEST_METHOD="PUT",
                     ACCESS_CONTROL_REQUEST_HEADERS=("x-token," * 8192)), [base_rule()], [ORIGIN],
             legacy=legacy_policy()),
    Scenario("unique-origins", "a new allowed Origin every request (glob)", request(),
             [base_rule(allow_origins=["https://*.example.com"])], None, [r"https://.*\.example\.com"],
             legacy=legacy_policy("https://*.example.com"), allows=True, unique_origins=True),
]  # fmt: skip
SCENARIO_NAMES = [scenario.name for scenario in SCENARIOS]


# --- contenders ------------------------------------------------------------------------------


def build_wsgicors(app: App, scenario: Scenario) -> App:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CORSMiddleware(app, scenario.rules)


def build_wsgicors_07(app: App, scenario: Scenario) -> App | None:
    """wsgicors 0.7.0 configured as the scenario asks (None: it cannot express it)."""
    if scenario.legacy is None:
        return None
    from benchmarks.legacy import load

    return load().CORS(app, **scenario.legacy)  # type: ignore[no-any-return]


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
    cors: Any = falcon.CORSMiddleware(allow_origins=scenario.peer_origins)
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


class AsgiCaller:
    """Run one ASGI HTTP request per call, with the environ's method, path and headers; the
    response's status and headers are kept, to check the answer."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.status = 0
        self.headers: list[tuple[str, str]] = []

    def __call__(self, environ: dict[str, Any]) -> None:
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
        self.loop.run_until_complete(self.app(scope, self._receive, self._send))

    async def _receive(self) -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in message.get("headers", [])
            ]
