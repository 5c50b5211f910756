"""Servers and helpers for the Chromium end-to-end suite.

The API runs behind the middleware on ``http://api.example.test:PORT``; pages are served on
other names (``app.example.test``, ``x.sub.example.test``, ``pr-7.preview.example.test``,
``evil.test``), all mapped to 127.0.0.1 by Chromium's ``--host-resolver-rules``. A recorder
outside the middleware logs every request the API server received.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from wsgicors import CORSMiddleware, Rule

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HOST_RULES = "MAP *.example.test 127.0.0.1, MAP evil.test 127.0.0.1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
    f"--host-resolver-rules={HOST_RULES}",
]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@dataclass
class Seen:
    """One request as the API server received it (before the middleware)."""

    method: str
    path: str
    origin: str | None
    cookie: str | None
    request_method: str | None
    request_headers: str | None


@dataclass
class RequestLog:
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.seen.clear()

    def calls(self, path_prefix: str) -> list[tuple[str, str]]:
        with self.lock:
            return [(s.method, s.path) for s in self.seen if s.path.startswith(path_prefix)]

    def last(self, method: str, path: str) -> Seen:
        with self.lock:
            return [s for s in self.seen if (s.method, s.path) == (method, path)][-1]


def api_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The API the pages call. It knows nothing about CORS (but sets a stray ACAO of its own)."""
    path = environ["PATH_INFO"]
    if path.startswith("/api/redirect/"):
        start_response("302 Found", [("Location", "/api/items/after-redirect")])
        return [b""]
    if path.startswith("/api/error"):
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"boom"]
    body = json.dumps(
        {"method": environ["REQUEST_METHOD"], "path": path, "cookie": environ.get("HTTP_COOKIE")}
    )
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/json"),
            ("X-Total", "3"),
            ("X-Internal", "secret"),
            ("Access-Control-Allow-Origin", "*"),  # wsgicors owns this header: it is replaced
        ],
    )
    return [body.encode()]


def rules() -> list[Rule]:
    app = "http://app.example.test:*"
    put = {"allow_methods": ["PUT"]}
    return [
        Rule("/api/admin/*", deny=True),
        Rule("/api/public/*", allow_origins=["*"]),
        Rule("/api/cached/*", allow_origins=[app], allow_headers=["x-token"], max_age=60, **put),
        Rule("/api/uncached/*", allow_origins=[app], allow_headers=["x-token"], max_age=0, **put),
        Rule("/api/star/*", allow_origins=[app], allow_headers=["*"], **put),
        Rule("/api/auth/*", allow_origins=[app], allow_headers=["*", "Authorization"], **put),
        Rule(
            "/api/creds/*",
            allow_origins=[app],
            allow_credentials=True,
            allow_insecure_origins=True,  # the test hosts are plain http
        ),
        Rule(
            "/api/*",
            allow_origins=[app, "http://*.sub.example.test:*"],
            allow_origin_regex=r"http://pr-[0-9]+\.preview\.example\.test:[0-9]+",
            allow_headers=["x-token"],
            expose_headers=["X-Total"],
            **put,
        ),
    ]


PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>page</title></head>
<body><p>test page</p></body></html>"""

SANDBOX = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<iframe sandbox="allow-scripts" srcdoc="<script>
fetch('__URL__').then(r => r.text()).then(
  b => parent.postMessage({ok: true, body: b}, '*'),
  e => parent.postMessage({ok: false, error: String(e)}, '*'));
</script>"></iframe>
<script>
window.result = new Promise(resolve => addEventListener('message', e => resolve(e.data)));
</script></body></html>"""


def page_app(api_base: str) -> WSGIApplication:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        if environ["PATH_INFO"] == "/sandbox":
            return [SANDBOX.replace("__URL__", api_base + "/api/items/from-null").encode()]
        return [PAGE]

    return app


@dataclass
class Servers:
    api_port: int
    page_port: int
    log: RequestLog

    @property
    def api(self) -> str:
        return f"http://api.example.test:{self.api_port}"

    def page(self, host: str) -> str:
        return f"http://{host}:{self.page_port}"


def start_servers() -> tuple[Servers, list[WSGIServer]]:
    log = RequestLog()
    api_server = make_server("127.0.0.1", 0, api_app, _Server, _Quiet)
    page_server = make_server("127.0.0.1", 0, page_app(""), _Server, _Quiet)
    servers = Servers(api_server.server_port, page_server.server_port, log)
    middleware = CORSMiddleware(api_app, rules())

    def recorder(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with log.lock:
            log.seen.append(
                Seen(
                    environ["REQUEST_METHOD"],
                    environ["PATH_INFO"],
                    environ.get("HTTP_ORIGIN"),
                    environ.get("HTTP_COOKIE"),
                    environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
                    environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
                )
            )
        return middleware(environ, start_response)

    api_server.set_app(recorder)
    page_server.set_app(page_app(servers.api))
    for server in (api_server, page_server):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return servers, [api_server, page_server]


FETCH_JS = """async ({url, init}) => {
  try {
    const response = await fetch(url, init);
    const headers = {};
    for (const [name, value] of response.headers) headers[name] = value;
    return {ok: true, status: response.status, body: await response.text(), headers,
            redirected: response.redirected};
  } catch (error) {
    return {ok: false, error: String(error)};
  }
}"""


def rule_for(path: str) -> Rule:
    """The first rule whose path matches (the rules here are globs)."""
    return next(
        rule
        for rule in rules()
        if re.fullmatch(re.escape(str(rule.path)).replace(r"\*", ".*"), path)
    )


def describe(rule: Rule) -> str:
    """A rule as Python, leaving out options at their defaults."""
    defaults = Rule(rule.path)
    options = [
        f"{key}={value!r}"
        for key, value in vars(rule).items()
        if key != "path" and value != getattr(defaults, key)
    ]
    return f"Rule({', '.join([repr(rule.path), *options])})"
