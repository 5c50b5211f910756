"""Real Django, Flask, Pyramid, Bottle and Falcon apps behind the middleware."""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Any

import pytest

from tests.cases import CASES, ORIGIN_VARY
from tests.frameworks import FRAMEWORKS
from tests.support import Case, request
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


# --- The behaviour table, with each framework in place of the spy app ----------------------

_SPY = Case("the spy app's defaults")


def framework_stands_in(case: Case) -> bool:
    """Whether a table row's expectations hold with a real framework in place of the spy app.

    A row whose request never reaches the app (a covered preflight) holds for any app. A row
    whose request does must expect the spy's plain answer (200, no header of its own but
    Content-Type) to a request every framework here answers with 200: GET or PUT /api/items.
    Rows about app-set Access-Control-* or Vary headers, redirects and errors describe the
    spy's own response; those cases are covered above with each framework's real redirect
    and error.
    """
    if not case.app_called:
        return True
    return (
        case.path == "/api/items"
        and case.method in {"GET", "PUT"}
        and case.app_status == _SPY.app_status
        and tuple(case.app_headers) == tuple(_SPY.app_headers)
    )


def with_framework_vary(case: Case) -> list[tuple[str, str]]:
    """The row's CORS and Vary headers once the app is a framework whose /api/items response
    varies on Cookie: Origin is merged into that one Vary header (docs/contract.md, section 4)."""
    if not case.app_called:
        return case.cors
    if case.cors[:1] == [ORIGIN_VARY]:
        return [("Vary", "Cookie, Origin"), *case.cors[1:]]
    return [("Vary", "Cookie"), *case.cors]


@pytest.fixture(scope="module", params=sorted(FRAMEWORKS))
def framework_app(request: pytest.FixtureRequest) -> WSGIApplication:
    """Each framework's app, built once for all the rows."""
    return FRAMEWORKS[request.param]()


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case.id) for case in CASES if framework_stands_in(case)]
)
def test_table_row(framework_app: WSGIApplication, case: Case) -> None:
    framework = Counting(framework_app)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # risky rows warn by design; test_rules.py checks that
        middleware = CORSMiddleware(
            framework, case.rules, preflight_status=case.preflight_status, **case.options
        )
    result = request(middleware, case.method, case.path, case.headers)

    assert result.status_code == case.status
    assert cors(result) == with_framework_vary(case)
    assert framework.calls == (1 if case.app_called else 0)
    assert result.decision.kind == case.kind
    assert result.decision.allowed is case.allowed
    if case.code is not None:
        assert result.decision.code == case.code
