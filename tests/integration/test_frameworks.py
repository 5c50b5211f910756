"""Real Django, Flask, Pyramid, Bottle and Falcon apps behind the middleware."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.frameworks import FRAMEWORKS
from tests.support import request
from wsgicors import CORSMiddleware, Rule

pytestmark = [pytest.mark.frameworks]

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

APP = "https://app.example.com"
PREFLIGHT_VARY = ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")


class Counting:
    """Counts the requests that reach the framework."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.calls = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.calls += 1
        return self.app(environ, start_response)


@pytest.fixture(params=sorted(FRAMEWORKS))
def stack(request: pytest.FixtureRequest) -> tuple[CORSMiddleware, Counting]:
    framework = Counting(FRAMEWORKS[request.param]())
    rules = [
        Rule(
            "/api/*",
            allow_origins=[APP],
            allow_methods=["PUT"],
            allow_headers=["Content-Type", "X-Token"],
            expose_headers=["X-Total"],
            allow_credentials=True,
            max_age=60,
        ),
        Rule("*", allow_origins=[APP]),
    ]
    return CORSMiddleware(framework, rules), framework


def cors(result: Any) -> list[tuple[str, str]]:
    """The CORS and Vary headers, names in canonical case (Falcon sends lower-case names)."""
    canonical = {"vary": "Vary"}
    return [(canonical.get(name, name), value) for name, value in result.cors_headers()]


def test_allowed_get_merges_the_frameworks_vary(stack: tuple[CORSMiddleware, Counting]) -> None:
    app, framework = stack
    result = request(app, "GET", "/api/items", {"Origin": APP, "Cookie": "session=1"})
    assert result.status_code == 200
    assert json.loads(result.body) == {"items": [1, 2, 3]}
    assert cors(result) == [
        ("Vary", "Cookie, Origin"),
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "x-total"),
    ]
    assert framework.calls == 1


def test_refused_origin(stack: tuple[CORSMiddleware, Counting]) -> None:
    app, framework = stack
    result = request(app, "GET", "/api/items", {"Origin": "https://evil.example"})
    assert result.status_code == 200
    assert cors(result) == [("Vary", "Cookie, Origin")]
    assert framework.calls == 1


def test_preflight_never_reaches_the_framework(stack: tuple[CORSMiddleware, Counting]) -> None:
    app, framework = stack
    headers = {
        "Origin": APP,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-token",
    }
    result = request(app, "OPTIONS", "/api/items", headers)
    assert result.status == "204 No Content"
    assert cors(result) == [
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "PUT"),
        ("Access-Control-Allow-Headers", "content-type, x-token"),
        ("Access-Control-Max-Age", "60"),
        PREFLIGHT_VARY,
    ]
    refused = request(app, "OPTIONS", "/api/items", {**headers, "Origin": "https://evil.example"})
    assert refused.status == "403 Forbidden"
    assert cors(refused) == [PREFLIGHT_VARY]
    assert framework.calls == 0
    put = request(app, "PUT", "/api/items", {"Origin": APP, "X-Token": "t"})
    assert put.status_code == 200
    assert ("Access-Control-Allow-Origin", APP) in cors(put)
    assert framework.calls == 1


@pytest.mark.parametrize(("path", "statuses"), [
    ("/api/missing", {404}),
    ("/api/error", {500}),
    ("/api/redirect", {302}),
])  # fmt: skip
def test_framework_responses_carry_cors(
    stack: tuple[CORSMiddleware, Counting], path: str, statuses: set[int]
) -> None:
    app, _ = stack
    result = request(app, "GET", path, {"Origin": APP})
    assert result.status_code in statuses
    headers = dict(cors(result))
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert "origin" in headers["Vary"].lower()
    assert len(result.get_all("Access-Control-Allow-Origin")) == 1
