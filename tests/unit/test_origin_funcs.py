"""allow_origin_func: asked only when needed, cached for its TTL, one call per origin at a time,
a bounded number of calls under a flood, and failures that refuse without breaking."""

from __future__ import annotations

import logging
import threading
import warnings
from typing import TYPE_CHECKING

import pytest

from tests.cases import preflight
from tests.support import SpyApp, request
from wsgicors import ConfigError, CORSMiddleware, Rule
from wsgicors.origin_funcs import MAX_CALLS_PER_SECOND, OriginFuncAnswers
from wsgicors.policy import DynamicOriginsPolicy, Policy

if TYPE_CHECKING:
    from pathlib import Path

APP = "https://app.example.com"
TENANT = "https://shop.tenant.test"


class Tenants:
    """A stand-in for a table of tenants' origins that records every question."""

    def __init__(self, *origins: str) -> None:
        self.origins = set(origins)
        self.asked: list[str] = []

    def __call__(self, origin: str) -> bool:
        self.asked.append(origin)
        return origin in self.origins


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def middleware_for(func: object, **options: object) -> CORSMiddleware:
    rule = Rule("/api/*", allow_origins=[APP], allow_origin_func=func, **options)  # type: ignore[arg-type]
    return CORSMiddleware(SpyApp(), [rule])


def test_asked_only_about_parsed_origins_that_nothing_static_allows() -> None:
    tenants = Tenants(TENANT)
    middleware = middleware_for(tenants, allow_credentials=True)
    assert isinstance(middleware.policy, DynamicOriginsPolicy)
    for origin in (APP, "https://a b", "null", TENANT, "https://other.test"):
        request(middleware, "GET", "/api/x", {"Origin": origin})
    request(middleware, "GET", "/api/x")
    request(middleware, "GET", "/elsewhere", {"Origin": "https://third.test"})
    assert tenants.asked == [TENANT, "https://other.test"]


def test_allowed_and_refused_answers_carry_exact_headers() -> None:
    middleware = middleware_for(Tenants(TENANT), allow_credentials=True, expose_headers=["x-n"])
    allowed = request(middleware, "GET", "/api/x", {"Origin": TENANT})
    assert allowed.cors_headers() == [
        ("Vary", "Origin"),
        ("Access-Control-Allow-Origin", TENANT),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "x-n"),
    ]
    assert (allowed.decision.code, allowed.decision.allowed) == ("origin-allowed", True)
    refused = request(middleware, "GET", "/api/x", {"Origin": "https://other.test"})
    assert refused.cors_headers() == [("Vary", "Origin")]
    assert refused.decision.code == "origin-not-allowed"
    assert refused.decision.reason == "allow_origin_func said no"
    ok = request(middleware, "OPTIONS", "/api/x", preflight(TENANT, "GET"))
    assert ok.status == "204 No Content"
    assert ok.cors_headers()[:2] == [
        ("Access-Control-Allow-Origin", TENANT),
        ("Access-Control-Allow-Credentials", "true"),
    ]
    no = request(middleware, "OPTIONS", "/api/x", preflight("https://other.test", "GET"))
    assert (no.status, no.decision.code) == ("403 Forbidden", "origin-not-allowed")


def test_answers_are_cached_for_the_ttl_then_asked_again() -> None:
    clock = Clock()
    tenants = Tenants()
    answers = OriginFuncAnswers(16, clock)
    assert answers.ask("r", tenants, 60, TENANT) is False
    tenants.origins.add(TENANT)
    clock.now += 59
    assert answers.ask("r", tenants, 60, TENANT) is False  # still the cached "no"
    clock.now += 2
    assert answers.ask("r", tenants, 60, TENANT) is True
    assert tenants.asked == [TENANT, TENANT]


def test_ttl_zero_asks_every_time() -> None:
    tenants = Tenants(TENANT)
    middleware = middleware_for(tenants, allow_origin_func_ttl=0)
    for _ in range(3):
        assert request(middleware, "GET", "/api/x", {"Origin": TENANT}).decision.allowed
    assert tenants.asked == [TENANT] * 3
    assert middleware.policy.memo_entries() == 1  # the route; no answer is kept


def test_cache_is_bounded_and_least_recently_used_goes_first() -> None:
    clock = Clock()
    tenants = Tenants()
    answers = OriginFuncAnswers(2, clock)
    for origin in ("https://a.test", "https://b.test", "https://a.test", "https://c.test"):
        answers.ask("r", tenants, 60, origin)
    assert len(answers) == 2
    answers.ask("r", tenants, 60, "https://a.test")  # kept: used more recently than b
    answers.ask("r", tenants, 60, "https://b.test")  # evicted: asked again
    assert tenants.asked == [
        "https://a.test",
        "https://b.test",
        "https://c.test",
        "https://b.test",
    ]


def test_concurrent_requests_for_one_origin_make_one_call() -> None:
    release = threading.Event()
    calls: list[str] = []

    def slow(origin: str) -> bool:
        calls.append(origin)
        release.wait(5)
        return True

    answers = OriginFuncAnswers(16)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(answers.ask("r", slow, 60, TENANT)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    while not calls:
        threading.Event().wait(0.01)
    release.set()
    for thread in threads:
        thread.join(10)
    assert calls == [TENANT]
    assert results == [True] * 8


def test_a_flood_of_unique_origins_makes_a_bounded_number_of_calls() -> None:
    clock = Clock()
    tenants = Tenants()
    answers = OriginFuncAnswers(100_000, clock)
    verdicts = [answers.ask("r", tenants, 60, f"https://o{n}.test") for n in range(1_000)]
    assert len(tenants.asked) == MAX_CALLS_PER_SECOND
    assert verdicts.count("throttled") == 1_000 - MAX_CALLS_PER_SECOND
    clock.now += 1  # a new second: a new budget
    assert answers.ask("r", tenants, 60, "https://late.test") is False
    assert len(tenants.asked) == MAX_CALLS_PER_SECOND + 1


def test_throttled_requests_are_refused_with_their_own_code() -> None:
    tenants = Tenants(TENANT)
    middleware = middleware_for(tenants)
    policy = middleware.policy
    assert isinstance(policy, DynamicOriginsPolicy)
    answers = policy.origin_answers
    answers._calls_this_second = MAX_CALLS_PER_SECOND  # spent, as a flood would leave it
    answers._second = int(answers._clock())
    result = request(middleware, "GET", "/api/x", {"Origin": TENANT})
    assert (result.decision.code, result.cors_headers()) == (
        "origin-func-throttled",
        [("Vary", "Origin")],
    )
    refused = request(middleware, "OPTIONS", "/api/x", preflight(TENANT, "GET"))
    assert (refused.status, refused.decision.code) == ("403 Forbidden", "origin-func-throttled")
    assert tenants.asked == []


@pytest.mark.parametrize("result", [Exception("database down"), "yes", None, 1])
def test_a_failing_function_refuses_and_logs_once_per_ttl(
    result: object, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(origin: str) -> bool:
        if isinstance(result, Exception):
            raise result
        return result  # type: ignore[return-value]

    middleware = middleware_for(broken)
    for _ in range(3):
        outcome = request(middleware, "GET", "/api/x", {"Origin": TENANT})
        assert outcome.status == "200 OK"
        assert outcome.cors_headers() == [("Vary", "Origin")]
        assert outcome.decision.code == "origin-func-failed"
    preflighted = request(middleware, "OPTIONS", "/api/x", preflight(TENANT, "GET"))
    assert (preflighted.status, preflighted.decision.code) == (
        "403 Forbidden",
        "origin-func-failed",
    )
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "'https://shop.tenant.test'" in errors[0].getMessage()


def test_log_of_a_failure_escapes_the_origin(caplog: pytest.LogCaptureFixture) -> None:
    answers = OriginFuncAnswers(4)
    answers.ask("r", lambda origin: "no", 60, "https://x.test\r\nforged")
    (record,) = caplog.records
    assert "\r" not in record.getMessage()
    assert record.getMessage() == (
        "r: allow_origin_func returned 'str' for origin 'https://x.test\\r\\nforged', "
        "not True or False"
    )


def test_the_function_may_be_the_only_source_of_origins() -> None:
    rule = Rule("*", allow_origin_func=Tenants(TENANT), allow_credentials=True)
    middleware = CORSMiddleware(SpyApp(), [rule])
    assert request(middleware, headers={"Origin": TENANT}).decision.allowed is True


def test_static_rules_compile_to_the_plain_policy() -> None:
    assert type(CORSMiddleware(SpyApp(), allow_origins=[APP]).policy) is Policy


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"allow_origin_func": "not callable"}, [("allow_origin_func", "origin-func-type")]),
        (
            {"allow_origin_func": Tenants(), "allow_origin_func_ttl": -1},
            [("allow_origin_func_ttl", "origin-func-ttl")],
        ),
        (
            {"allow_origin_func": Tenants(), "allow_origin_func_ttl": True},
            [("allow_origin_func_ttl", "origin-func-ttl")],
        ),
        (
            {"allow_origin_func": Tenants(), "allow_origin_func_ttl": float("inf")},
            [("allow_origin_func_ttl", "origin-func-ttl")],
        ),
    ],
)
def test_bad_function_options(options: dict[str, object], expected: list[tuple[str, str]]) -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), **options)  # type: ignore[arg-type]
    assert [(p.location, p.code) for p in caught.value.problems] == expected


def is_tenant(origin: str) -> bool:
    """Named in the config-file tests below as tests.unit.test_origin_funcs:is_tenant."""
    return origin == TENANT


def test_files_name_the_function_by_import_string(tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(
        '[[rules]]\npath = "/api/*"\nallow_origins = ["https://app.example.com"]\n'
        'allow_origin_func = "tests.unit.test_origin_funcs:is_tenant"\n'
        "allow_origin_func_ttl = 5\nallow_credentials = true\n",
        encoding="utf-8",
    )
    middleware = CORSMiddleware.from_config(SpyApp(), config)
    assert request(middleware, "GET", "/api/x", {"Origin": TENANT}).decision.allowed is True
    assert middleware.policy.rules[0].rule.origin_func_ttl == 5.0
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'allow_origins = ["https://app.example.com"]\n'
        'allow_origin_func = "tests.unit.test_origin_funcs:nope"\n'
        'allow_origin_func_ttl = "soon"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware.from_config(SpyApp(), bad)
    assert [(p.location, p.code, p.line) for p in caught.value.problems] == [
        ("allow_origin_func", "import-failed", 2),
        ("allow_origin_func_ttl", "origin-func-ttl", 3),
    ]
    no_colon = tmp_path / "no_colon.ini"
    no_colon.write_text(
        "[wsgicors]\nallow_origins = https://app.example.com\nallow_origin_func = is_tenant\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught, warnings.catch_warnings():
        CORSMiddleware.from_config(SpyApp(), no_colon)
    assert [(p.code, p.line) for p in caught.value.problems] == [("import-string", 3)]


def test_a_request_waiting_too_long_for_another_call_is_refused() -> None:
    release = threading.Event()
    started = threading.Event()

    def stuck(origin: str) -> bool:
        started.set()
        release.wait(5)
        return True

    answers = OriginFuncAnswers(4, wait=0.05)
    first = threading.Thread(target=answers.ask, args=("r", stuck, 60, TENANT))
    first.start()
    started.wait(5)
    assert answers.ask("r", stuck, 60, TENANT) == "failed"
    release.set()
    first.join(5)
    assert answers.ask("r", stuck, 60, TENANT) is True


def test_over_budget_a_known_origin_keeps_its_last_answer() -> None:
    clock = Clock()
    tenants = Tenants(TENANT)
    answers = OriginFuncAnswers(100_000, clock)
    assert answers.ask("r", tenants, 1, TENANT) is True
    clock.now += 5  # expired, and a flood spends this second's budget
    for n in range(MAX_CALLS_PER_SECOND):
        answers.ask("r", tenants, 1, f"https://o{n}.test")
    assert answers.ask("r", tenants, 1, TENANT) is True
    assert answers.ask("r", tenants, 1, "https://stranger.test") == "throttled"
    assert tenants.asked.count(TENANT) == 1


def test_an_interrupted_call_releases_its_origin() -> None:
    calls: list[str] = []

    def interrupted(origin: str) -> bool:
        calls.append(origin)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return True

    answers = OriginFuncAnswers(4)
    with pytest.raises(KeyboardInterrupt):
        answers.ask("r", interrupted, 0, TENANT)
    assert answers.ask("r", interrupted, 0, TENANT) is True
    assert calls == [TENANT, TENANT]
