"""PEP 3333 behaviour, concurrency, bounded memory, decisions and logging."""

from __future__ import annotations

import gc
import logging
import sys
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest
import webtest

from tests.cases import preflight as preflight_headers
from tests.support import SpyApp, make_environ, request, run
from wsgicors import DECISION_KEY, ConfigError, CORSMiddleware, Decision, Rule

if TYPE_CHECKING:
    from collections.abc import Iterator

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

APP = "https://app.example.com"


class ClosingBody:
    """A response body that records whether the server closed it."""

    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield b"body"

    def close(self) -> None:
        self.closed = True


def test_body_iterable_is_returned_untouched() -> None:
    body = ClosingBody()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> ClosingBody:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    middleware = CORSMiddleware(app, allow_origins=[APP])
    environ = make_environ(headers={"Origin": APP})
    result = middleware(environ, lambda status, headers, exc_info=None: lambda data: None)
    assert result is body
    run(middleware, make_environ(headers={"Origin": APP}))
    assert body.closed


def test_write_callable_is_returned() -> None:
    seen: dict[str, Any] = {}

    def write(data: bytes) -> None:
        seen.setdefault("written", []).append(data)

    def server_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):  # type: ignore[no-untyped-def]
        seen["headers"] = headers
        return write

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])(b"early")
        return []

    middleware = CORSMiddleware(app, allow_origins=[APP])
    assert middleware(make_environ(headers={"Origin": APP}), server_start_response) == []
    assert seen["written"] == [b"early"]
    assert seen["headers"] == [
        ("Content-Type", "text/plain"),
        ("Vary", "Origin"),
        ("Access-Control-Allow-Origin", APP),
    ]


def test_exc_info_is_passed_through_with_headers_rewritten() -> None:
    calls: list[tuple[str, list[tuple[str, str]], Any]] = []

    def server_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):  # type: ignore[no-untyped-def]
        calls.append((status, headers, exc_info))
        return lambda data: None

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            start_response(
                "500 Internal Server Error",
                [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "*")],
                sys.exc_info(),
            )
        return [b"error"]

    middleware = CORSMiddleware(app, allow_origins=[APP], allow_credentials=True)
    assert middleware(make_environ(headers={"Origin": APP}), server_start_response) == [b"error"]
    ((status, headers, exc_info),) = calls
    assert status == "500 Internal Server Error"
    assert headers == [
        ("Content-Type", "text/plain"),
        ("Vary", "Origin"),
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
    ]
    assert exc_info[0] is RuntimeError


def test_lazy_start_response_in_a_generator_app() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Cookie")])
        yield b"a"
        yield b"b"

    result = request(CORSMiddleware(app, allow_origins=[APP]), headers={"Origin": APP})
    assert result.body == b"ab"
    assert result.headers == [
        ("Content-Type", "text/plain"),
        ("Vary", "Cookie, Origin"),
        ("Access-Control-Allow-Origin", APP),
    ]


def test_preflight_headers_are_a_fresh_list_each_time() -> None:
    """Servers may append to the header list; a memoised answer must not change."""
    middleware = CORSMiddleware(SpyApp(), allow_origins=[APP], allow_methods=["PUT"])
    seen: list[list[tuple[str, str]]] = []

    def server_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):  # type: ignore[no-untyped-def]
        seen.append(headers)
        headers.append(("Date", "now"))
        return lambda data: None

    for _ in range(2):
        environ = make_environ(
            "OPTIONS", "/", {"Origin": APP, "Access-Control-Request-Method": "PUT"}
        )
        assert list(middleware(environ, server_start_response)) == []
    assert seen[0] is not seen[1]
    assert seen[1] == [
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Methods", "PUT"),
        ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        ("Date", "now"),
    ]


def test_many_threads_never_cross_talk() -> None:
    rules = [
        Rule("/exact/*", allow_origins=[f"https://o{n}.example.com" for n in range(50)]),
        Rule("/glob/*", allow_origins=["https://*.example.com"], expose_headers=["x-total"]),
    ]
    middleware = CORSMiddleware(SpyApp(), rules)
    barrier = threading.Barrier(8)

    def worker(thread: int) -> int:
        barrier.wait()
        checked = 0
        for number in range(300):
            origin = f"https://o{(thread * 7 + number) % 60}.example.com"
            path = "/exact/x" if number % 2 else "/glob/x"
            result = request(middleware, "GET", path, {"Origin": origin})
            allowed = path == "/glob/x" or int(origin[9:].split(".", maxsplit=1)[0]) < 50
            expected = [origin] if allowed else []
            assert result.get_all("Access-Control-Allow-Origin") == expected
            assert result.decision.allowed is allowed
            checked += 1
        return checked

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(worker, range(8))) == 2400


def test_memory_stays_bounded_under_unique_origins_and_paths() -> None:
    rule = Rule(
        "/api/*",
        allow_origins=["https://*.example.com"],
        allow_origin_regex=r"https://[a-z0-9]+\.example\.net",
        allow_methods=["PUT"],
    )

    def hello(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    middleware = CORSMiddleware(hello, [rule])

    def flood(start: int, count: int) -> None:
        for number in range(start, start + count):
            origin = f"https://u{number}.example.com"
            environ = make_environ("GET", f"/api/{number}", {"Origin": origin})
            middleware(environ, lambda status, headers, exc_info=None: lambda data: None)
            environ = make_environ(
                "OPTIONS",
                f"/api/{number}",
                {"Origin": origin, "Access-Control-Request-Method": "PUT"},
            )
            middleware(environ, lambda status, headers, exc_info=None: lambda data: None)

    tracemalloc.start()
    flood(0, 5_000)
    gc.collect()
    before = tracemalloc.take_snapshot()
    flood(5_000, 10_000)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    growth = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert middleware.policy.memo_entries() == 4096
    # 10,000 more unique origins and paths after the caches filled: the caches only churn.
    # Replacing entries with slightly longer keys costs a few hundred KiB once; unbounded
    # caches would hold about 5 MiB more here.
    assert growth < 1024 * 1024


def test_long_paths_and_header_lists_are_not_memoised() -> None:
    middleware = CORSMiddleware(SpyApp(), allow_origins=[APP], allow_headers=["x"])
    long_list = ",".join(["x"] * 600)
    result = request(
        middleware,
        "OPTIONS",
        "/" + "p" * 2000,
        preflight_headers(APP, "GET", long_list),
    )
    assert result.status == "204 No Content"
    assert result.get_all("Access-Control-Allow-Headers") == ["x"]
    assert middleware.policy.memo_entries() == 0
    request(middleware, "GET", "/short", {"Origin": APP})
    assert middleware.policy.memo_entries() == 2  # the route of /short, and the answer to APP
    assert middleware.policy.routes == {"/short": middleware.policy.rules[0].answers}
    assert list(middleware.policy.rules[0].answers) == [APP]


def test_glob_paths_do_not_backtrack() -> None:
    """Regression (ReDoS class): a glob with several stars on a long hostile path.

    As a regex, "/a*b*c*d" on "/a" + "b" * 20000 backtracks for minutes; no timing is
    asserted, but such a regression would stall the suite.
    """
    rules = [Rule("/a*b*c*d", allow_origins=[APP]), Rule("/a*b", allow_origins=["*"])]
    middleware = CORSMiddleware(SpyApp(), rules)
    result = request(middleware, "GET", "/a" + "b" * 20000, {"Origin": APP})
    assert result.decision == Decision(
        "rules[1]", "actual", True, "any-origin", "'*' rule: any origin may read"
    )
    assert request(middleware, "GET", "/a" + "b" * 20000 + "c", {"Origin": APP}).decision.kind == (
        "pass-through"
    )


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("/api/*", "/api/", True),
        ("/api/*", "/api", False),
        ("*", "", True),
        ("/a*b", "/ab", True),
        ("/a*b", "/axbxb", True),
        ("/a*b", "/axbx", False),
        ("/a*b*b", "/ab", False),
        ("/a*b*b", "/abb", True),
        ("/x*y*z", "/xzyz", True),
        ("/x*y*z", "/xzzy", False),
        ("/**", "/", True),
        ("*.json", "/a/b.json", True),
    ],
)
def test_glob_semantics(glob: str, path: str, matches: bool) -> None:
    middleware = CORSMiddleware(SpyApp(), [Rule(glob, allow_origins=[APP])])
    kind = request(middleware, "GET", path, {"Origin": APP}).decision.kind
    assert (kind == "actual") is matches


def test_comma_flood_is_refused_before_parsing() -> None:
    middleware = CORSMiddleware(SpyApp(), allow_origins=[APP], allow_headers=["x"])
    flood = "," * (1024 * 1024)
    result = request(
        middleware,
        "OPTIONS",
        "/",
        preflight_headers(APP, "GET", flood),
    )
    assert result.status == "403 Forbidden"
    assert result.decision.reason == "Access-Control-Request-Headers is longer than 4096"
    # Only the route of "/" is memoised; the megabyte of commas is not kept.
    assert middleware.policy.memo_entries() == 1
    assert middleware.policy.preflight_answers == {}


REASONS = [
    (
        {"Origin": "https://evil.example"},
        "GET",
        "origin-not-allowed",
        "origin 'https://evil.example' not allowed by this rule",
    ),
    ({"Origin": "https://a\r\nb"}, "GET", "origin-malformed", "Origin is not a serialized origin"),
    ({"Origin": "https://" + "a" * 300}, "GET", "origin-malformed", "Origin is longer than 300"),
    (
        {"Origin": APP},
        "DE LETE",
        "method-invalid",
        "Access-Control-Request-Method 'DE LETE' is not a method",
    ),
    (
        {"Origin": APP},
        "X" * 65,
        "method-invalid",
        "Access-Control-Request-Method " + repr("X" * 65) + " is not a method",
    ),
    ({"Origin": APP}, "PATCH", "method-not-allowed", "method 'PATCH' not in allow_methods"),
    (
        {"Origin": APP, "Access-Control-Request-Headers": "x-a,x-b"},
        "PUT",
        "header-not-allowed",
        "request header 'x-b' not in allow_headers",
    ),
    (
        {"Origin": APP, "Access-Control-Request-Headers": "x-a,x\x00"},
        "PUT",
        "request-headers-invalid",
        "request header name 'x\\x00' is not a valid token",
    ),
    (
        {"Origin": APP, "Access-Control-Request-Headers": ",".join(f"x-{n}" for n in range(65))},
        "PUT",
        "request-headers-invalid",
        "Access-Control-Request-Headers names more than 64",
    ),
    (
        {"Origin": APP, "Access-Control-Request-Private-Network": "true"},
        "PUT",
        "private-network-not-allowed",
        "private network access asked for, allow_private_network is off",
    ),
]


@pytest.mark.parametrize(("headers", "method", "code", "reason"), REASONS)
def test_preflight_refusal_reasons(
    headers: dict[str, str], method: str, code: str, reason: str
) -> None:
    middleware = CORSMiddleware(
        SpyApp(), allow_origins=[APP], allow_methods=["PUT"], allow_headers=["x-a"]
    )
    environ = make_environ("OPTIONS", "/x")
    for name, value in {**headers, "Access-Control-Request-Method": method}.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    result = run(middleware, environ)
    assert result.status == "403 Forbidden"
    assert result.decision == Decision("rules[0]", "preflight", False, code, reason)


def test_wildcard_header_refusal_explains_authorization() -> None:
    middleware = CORSMiddleware(SpyApp(), allow_origins=[APP], allow_headers=["*"])
    result = request(
        middleware,
        "OPTIONS",
        "/",
        preflight_headers(APP, "GET", "Authorization"),
    )
    assert result.decision.reason == (
        "request header 'authorization' not in allow_headers ('*' never covers authorization)"
    )


def test_decisions_name_the_rule() -> None:
    rules = [
        Rule("/admin/*", deny=True, name="admin"),
        Rule("/api/*", allow_origins=[APP]),
        Rule("/pub/*", allow_origins=["*"]),
    ]
    middleware = CORSMiddleware(SpyApp(), rules)
    deny = "deny rule: CORS is disabled on this path"
    cases = [
        ("/admin/x", {"Origin": APP}, Decision("admin", "actual", False, "deny-rule", deny)),
        ("/admin/x", {}, Decision("admin", "non-cors", None, "deny-rule", deny)),
        (
            "/api/x",
            {"Origin": APP},
            Decision("rules[1]", "actual", True, "origin-allowed", "origin allowed"),
        ),
        (
            "/api/x",
            {"Origin": "https://b.example"},
            Decision(
                "rules[1]", "actual", False, "origin-not-allowed", "origin not allowed by this rule"
            ),
        ),
        (
            "/api/x",
            {"Origin": "bad"},
            Decision(
                "rules[1]", "actual", False, "origin-malformed", "Origin is not a serialized origin"
            ),
        ),
        ("/api/x", {}, Decision("rules[1]", "non-cors", None, "no-origin", "no Origin header")),
        (
            "/pub/x",
            {"Origin": APP},
            Decision("rules[2]", "actual", True, "any-origin", "'*' rule: any origin may read"),
        ),
        (
            "/pub/x",
            {},
            Decision("rules[2]", "non-cors", True, "any-origin", "'*' rule: sent to everyone"),
        ),
        ("/else", {}, Decision(None, "pass-through", None, "no-rule", "no rule matches this path")),
        (
            "/api/../x",
            {},
            Decision(
                None,
                "pass-through",
                None,
                "path-not-routable",
                "path has a '.' or '..' segment or a control character",
            ),
        ),
    ]
    for path, headers, expected in cases:
        result = request(middleware, "GET", path, headers)
        assert result.environ[DECISION_KEY] == expected, path


def test_debug_log_escapes_control_characters(caplog: pytest.LogCaptureFixture) -> None:
    middleware = CORSMiddleware(SpyApp(), allow_origins=[APP])
    caplog.set_level(logging.DEBUG, logger="wsgicors")
    # \x85 (NEL) is a legal byte of PATH_INFO, but a line break to some log viewers.
    environ = make_environ("GET", "/p\x85q")
    environ["HTTP_ORIGIN"] = "https://x.example\r\nINFO forged line\x00"
    run(middleware, environ)
    (record,) = caplog.records
    message = record.getMessage()
    assert message == (
        "actual 'GET' '/p\\x85q' origin='https://x.example\\r\\nINFO forged line\\x00' "
        "rule=rules[0] allowed=False code=origin-malformed reason=Origin is not a serialized origin"
    )


def test_no_log_below_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wsgicors")
    request(CORSMiddleware(SpyApp(), allow_origins=[APP]), headers={"Origin": APP})
    assert caplog.records == []


def test_pass_through_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="wsgicors")
    long_path = "/" + "x" * 500
    request(CORSMiddleware(SpyApp(), [Rule("/api/*", allow_origins=[APP])]), "GET", long_path)
    (record,) = caplog.records
    assert record.getMessage() == (
        f"pass-through 'GET' '/{'x' * 199}'...(501 chars) origin=- rule=- allowed=None "
        "code=no-rule reason=no rule matches this path"
    )


def test_http_level_view_with_webtest() -> None:
    """The same behaviour seen through WebTest (which lints the WSGI exchange too)."""
    app = SpyApp(headers=[("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
    middleware = CORSMiddleware(
        app,
        allow_origins=[APP],
        allow_methods=["PUT"],
        allow_headers=["X-Token"],
        max_age=300,
    )
    client = webtest.TestApp(middleware)
    preflight = client.options(
        "/items/1",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-token",
        },
        status=204,
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == APP
    assert preflight.headers["Access-Control-Allow-Methods"] == "PUT"
    assert preflight.headers["Access-Control-Allow-Headers"] == "x-token"
    assert preflight.headers["Access-Control-Max-Age"] == "300"
    assert not app.called

    response = client.put("/items/1", headers={"Origin": APP, "X-Token": "t"}, status=200)
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Vary"] == "Accept-Encoding, Origin"
    assert "Access-Control-Max-Age" not in response.headers
    assert response.text == "hello"

    refused = client.get("/items/1", headers={"Origin": "https://evil.example"}, status=200)
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert refused.headers["Vary"] == "Accept-Encoding, Origin"


def test_policy_and_rules_are_exclusive() -> None:
    policy = CORSMiddleware(SpyApp(), allow_origins=[APP]).policy
    with pytest.raises(TypeError, match="not both"):
        CORSMiddleware(SpyApp(), [Rule("*", allow_origins=[APP])], policy=policy)
    with pytest.raises(TypeError, match="not both"):
        CORSMiddleware(SpyApp(), policy=policy, allow_origins=[APP])
    shared = CORSMiddleware(SpyApp(), policy=policy)
    assert shared.policy is policy


def test_reconfigure_swaps_the_policy_or_keeps_the_old_one() -> None:
    middleware = CORSMiddleware(SpyApp(), allow_origins=[APP])
    old = middleware.policy
    with pytest.raises(ConfigError):
        middleware.reconfigure(allow_origins=["*"], allow_credentials=True)
    assert middleware.policy is old
    assert request(middleware, headers={"Origin": APP}).decision.allowed is True
    middleware.reconfigure([Rule("/api/*", allow_origins=["https://b.example"])])
    assert request(middleware, "GET", "/api/x", {"Origin": APP}).decision.allowed is False
    assert request(middleware, "GET", "/x", {"Origin": APP}).decision.code == "no-rule"


def test_preflight_decisions_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="wsgicors")
    middleware = CORSMiddleware(SpyApp(), allow_origins=[APP], allow_methods=["PUT"])
    request(middleware, "OPTIONS", "/x", preflight_headers(APP, "PUT"))
    (record,) = caplog.records
    assert record.getMessage() == (
        f"preflight 'OPTIONS' '/x' origin='{APP}' rule=rules[0] allowed=True "
        "code=preflight-allowed reason=preflight allowed"
    )


def test_turning_debug_on_at_run_time_is_seen_by_the_next_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    middleware = CORSMiddleware(SpyApp(), allow_origins=[APP])
    caplog.set_level(logging.INFO, logger="wsgicors")
    request(middleware, headers={"Origin": APP})
    assert caplog.records == []
    caplog.set_level(logging.DEBUG, logger="wsgicors")
    request(middleware, headers={"Origin": APP})
    assert [record.getMessage().split(" code=")[1] for record in caplog.records] == [
        "origin-allowed reason=origin allowed"
    ]


@pytest.mark.parametrize("memo_size", [None, "10", 7, -1, True, 4.5])
def test_memo_size_is_a_whole_number_of_entries(memo_size: object) -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), allow_origins=[APP], memo_size=memo_size)
    assert [(p.location, p.code) for p in caught.value.problems] == [("memo_size", "memo-size")]
    assert CORSMiddleware(SpyApp(), allow_origins=[APP], memo_size=8).policy.memo_size == 8
