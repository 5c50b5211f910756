"""Test helpers: a spy app, a request runner under ``wsgiref.validate``, and the case type."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from wsgiref import validate
from wsgiref.validate import validator

from werkzeug.test import EnvironBuilder

from wsgicors import CORSMiddleware, Decision, Rule

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Headers = list[tuple[str, str]]


class SpyApp:
    """A WSGI app that records its calls and answers with a configurable response."""

    def __init__(
        self,
        status: str = "200 OK",
        headers: Sequence[tuple[str, str]] = (("Content-Type", "text/plain"),),
        body: bytes = b"hello",
    ) -> None:
        self.status = status
        self.headers = list(headers)
        self.body = body
        self.calls: list[WSGIEnvironment] = []

    @property
    def called(self) -> bool:
        return bool(self.calls)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.calls.append(environ)
        start_response(self.status, list(self.headers))
        return [self.body]


@dataclass
class Result:
    status: str
    headers: Headers
    body: bytes
    environ: dict[str, Any]

    @property
    def status_code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    def cors_headers(self) -> Headers:
        """The Access-Control-* and Vary headers, in order, exactly as sent."""
        return [
            (name, value)
            for name, value in self.headers
            if name.lower().startswith("access-control-") or name.lower() == "vary"
        ]

    def get_all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def decision(self) -> Decision:
        decision = self.environ["wsgicors.decision"]
        assert isinstance(decision, Decision)
        return decision


def make_environ(
    method: str = "GET",
    path: str = "/",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    environ = EnvironBuilder(method=method, path="/", headers=dict(headers or {})).get_environ()
    # Set PATH_INFO directly: it is what the server hands over, already percent-decoded once.
    environ["PATH_INFO"] = path
    environ.update(extra)
    return environ


def run(app: Any, environ: dict[str, Any]) -> Result:
    """Call *app* under ``wsgiref.validate.validator`` and collect the whole response."""
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> Any:
        captured["status"] = status
        captured["headers"] = headers
        return lambda data: None

    with warnings.catch_warnings():
        # wsgiref.validate reports PEP 3333 violations as WSGIWarning: make them errors.
        warnings.simplefilter("error")
        # ...except its opinion that methods other than the usual eight are odd: they are legal.
        warnings.filterwarnings("ignore", "Unknown REQUEST_METHOD", validate.WSGIWarning)
        iterable = validator(app)(environ, start_response)
        try:
            body = b"".join(iterable)
        finally:
            iterable.close()  # type: ignore[attr-defined]
    return Result(captured["status"], list(captured["headers"]), body, environ)


def request(
    middleware: Any,
    method: str = "GET",
    path: str = "/",
    headers: Mapping[str, str] | None = None,
) -> Result:
    return run(middleware, make_environ(method, path, headers))


PREFLIGHT_VARY = ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")


@dataclass
class Case:
    """One row of the behaviour table: a configuration, a request, the exact outcome."""

    id: str
    rules: Sequence[Rule] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    method: str = "GET"
    path: str = "/api/items"
    headers: dict[str, str] = field(default_factory=dict)
    app_headers: Sequence[tuple[str, str]] = (("Content-Type", "text/plain"),)
    app_status: str = "200 OK"
    # Expected:
    status: int = 200
    cors: Headers = field(default_factory=list)
    app_called: bool = True
    kind: str = "actual"
    allowed: bool | None = True
    # The decision's code (wsgicors.DECISION_CODES); checked when given.
    code: str | None = None
    preflight_status: int = 204

    def build(self) -> tuple[CORSMiddleware, SpyApp]:
        app = SpyApp(status=self.app_status, headers=self.app_headers)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            middleware = CORSMiddleware(
                app, self.rules, preflight_status=self.preflight_status, **self.options
            )
        return middleware, app
