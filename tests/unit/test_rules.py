"""docs/contract.md, section 5: configuration errors (every one, with its location) and warnings."""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest

from tests.support import SpyApp, request
from wsgicors import ConfigError, ConfigWarning, CORSMiddleware, Problem, Rule

APP = "https://app.example.com"


def problems_of(*args: Any, **kwargs: Any) -> list[tuple[str, str]]:
    """Build a middleware that must fail; return its problems as (location, code) pairs."""
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), *args, **kwargs)
    assert isinstance(caught.value, ValueError)
    return [(problem.location, problem.code) for problem in caught.value.problems]


def warnings_of(*args: Any, **kwargs: Any) -> list[tuple[str, str]]:
    """Build a middleware that must succeed; return its warnings as (location, code) pairs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CORSMiddleware(SpyApp(), *args, **kwargs)
    found = []
    for warning in caught:
        assert issubclass(warning.category, ConfigWarning)
        assert isinstance(warning.message, ConfigWarning)
        found.append((warning.message.problem.location, warning.message.problem.code))
    return found


ORIGIN_ERRORS = [
    ("", "origin-empty"),
    (" https://a.example.com", "origin-whitespace"),
    ("https://a.example.com\n", "origin-whitespace"),
    ("https://bücher.example", "origin-non-ascii"),
    ("app.example.com", "origin-no-scheme"),
    ("file:///home/me/index.html", "origin-file"),
    ("https://a.example.com/", "origin-trailing-slash"),
    ("https://a.example.com/app", "origin-path"),
    ("https://a.example.com?x=1", "origin-path"),
    ("https://user:pw@a.example.com", "origin-userinfo"),
    ("https://a.example.com:443", "origin-default-port"),
    ("http://a.example.com:80", "origin-default-port"),
    ("https://a.example.com:0", "origin-port"),
    ("https://a.example.com:99999", "origin-port"),
    ("https://a.example.com:08080", "origin-port"),
    ("https://a.example.com:", "origin-port"),
    ("https://a.*.example.com", "origin-wildcard-misplaced"),
    ("https://*example.com", "origin-wildcard-misplaced"),
    ("https://*.*.example.com", "origin-wildcard-misplaced"),
    ("https://*", "origin-wildcard-misplaced"),
    ("*://a.example.com", "origin-wildcard-misplaced"),
    ("https://a.example.com:8*", "origin-wildcard-misplaced"),
    ("https://a..example.com", "origin-malformed"),
    ("https://a.example.com.", "origin-malformed"),
    ("https://[::0001]", "origin-malformed"),
    ("https://[::1", "origin-malformed"),
    ("https://[::1]x", "origin-malformed"),
    ("https://300.1.1.1", "origin-malformed"),
    ("1https://a.example.com", "origin-malformed"),
]


@pytest.mark.parametrize(
    ("origin", "code"), [pytest.param(o, c, id=c + ":" + o) for o, c in ORIGIN_ERRORS]
)
def test_bad_origin(origin: str, code: str) -> None:
    assert problems_of(allow_origins=[origin]) == [("allow_origins[0]", code)]


def test_every_problem_is_reported_with_its_location() -> None:
    rules = [
        Rule("/ok/*", allow_origins=[APP]),
        Rule(
            "api/*",
            allow_origins=["https://a.example.com/", "*"],
            allow_origin_regex=[r"https://(a|b).example\.com", "("],
            allow_methods=["GET", "CONNECT", "PU T"],
            allow_headers=["Cookie", "Sec-Fetch-Mode", "x ok"],
            expose_headers=["*"],
            allow_credentials=True,
            max_age=90000,
        ),
        Rule("", allow_origins="https://app.example.com"),
        Rule("/x", allow_origins=[]),
        "not a rule",  # type: ignore[list-item]
    ]
    assert problems_of(rules) == [
        ("rules[1].path", "path-relative"),
        ("rules[1].allow_origins[0]", "origin-trailing-slash"),
        ("rules[1].allow_origins[1]", "credentials-wildcard"),
        ("rules[1].allow_origin_regex[0]", "regex-unescaped-dot"),
        ("rules[1].allow_origin_regex[1]", "regex-invalid"),
        ("rules[1].allow_methods[1]", "method-forbidden"),
        ("rules[1].allow_methods[2]", "method-invalid"),
        ("rules[1].allow_headers[0]", "header-forbidden"),
        ("rules[1].allow_headers[1]", "header-forbidden"),
        ("rules[1].allow_headers[2]", "header-invalid"),
        ("rules[1].expose_headers[0]", "credentials-expose-wildcard"),
        ("rules[1].max_age", "max-age-range"),
        ("rules[2].path", "path-empty"),
        ("rules[2].allow_origins", "type-bare-string"),
        ("rules[3].allow_origins", "rule-no-origins"),
        ("rules[4]", "rules-type"),
    ]


def test_error_message_lists_value_location_and_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), allow_origins=["https://app.example.com/"], max_age=-1)
    text = str(caught.value)
    assert text.splitlines() == [
        "invalid CORS configuration: 2 problems",
        (
            "  allow_origins[0]: origin 'https://app.example.com/' ends with a slash "
            "[origin-trailing-slash]"
        ),
        "    fix: write it as 'https://app.example.com': an origin never has a path",
        "  max_age: max_age -1 is outside 0..86400 [max-age-range]",
        "    fix: use seconds from 0 to 86400",
    ]
    assert str(Problem("", "c", "m", "h")) == "configuration: m [c]\n    fix: h"
    single = ConfigError([Problem("x", "c", "m", "h")])
    assert str(single).startswith("invalid CORS configuration: 1 problem\n")


CREDENTIAL_ERRORS = [
    (["*"], "credentials-wildcard"),
    (["null"], "credentials-null"),
    (["https://*.com"], "credentials-public-suffix"),
    (["https://*.co.uk"], "credentials-public-suffix"),
    (["https://*.github.io"], "credentials-public-suffix"),
    (["http://app.example.com"], "credentials-insecure-origin"),
    (["http://*.example.com"], "credentials-insecure-origin"),
    ([re.compile(r"https://.*")], "credentials-regex-unpinned"),
    ([re.compile(r".*")], "credentials-regex-unpinned"),
]


@pytest.mark.parametrize(
    ("origins", "code"), [pytest.param(o, c, id=c) for o, c in CREDENTIAL_ERRORS]
)
def test_credentials_refuse_unsafe_origins(origins: list[Any], code: str) -> None:
    assert problems_of(allow_origins=origins, allow_credentials=True) == [
        ("allow_origins[0]", code)
    ]


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:3000", "http://127.0.0.1:8000", "http://[::1]", "http://a.localhost"],
)
def test_credentials_allow_loopback_http(origin: str) -> None:
    assert warnings_of(allow_origins=[origin], allow_credentials=True) == []


def test_insecure_origins_opt_in() -> None:
    assert (
        warnings_of(
            allow_origins=["http://intranet.example"],
            allow_credentials=True,
            allow_insecure_origins=True,
        )
        == []
    )


def test_regex_match_all_without_credentials_warns() -> None:
    assert warnings_of(allow_origin_regex=".*") == [("allow_origin_regex", "origin-regex-unpinned")]


OTHER_ERRORS: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
    ({}, [("allow_origins", "rule-no-origins")]),
    ({"allow_origins": [APP], "max_age": "600"}, [("max_age", "max-age-type")]),
    ({"allow_origins": [APP], "max_age": True}, [("max_age", "max-age-type")]),
    ({"allow_origins": [APP], "max_age": 86401}, [("max_age", "max-age-range")]),
    (
        {"allow_origins": [APP], "allow_methods": ["trace"]},
        [("allow_methods[0]", "method-forbidden")],
    ),
    (
        {"allow_origins": [APP], "allow_methods": ["TRACK"]},
        [("allow_methods[0]", "method-forbidden")],
    ),
    ({"allow_origins": [APP], "allow_methods": [7]}, [("allow_methods[0]", "method-invalid")]),
    ({"allow_origins": [APP], "allow_methods": "GET"}, [("allow_methods", "type-bare-string")]),
    (
        {"allow_origins": [APP], "allow_headers": ["Host"]},
        [("allow_headers[0]", "header-forbidden")],
    ),
    (
        {"allow_origins": [APP], "allow_headers": ["origin"]},
        [("allow_headers[0]", "header-cors-protocol")],
    ),
    (
        {"allow_origins": [APP], "allow_headers": ["Proxy-Authorization"]},
        [("allow_headers[0]", "header-forbidden")],
    ),
    (
        {"allow_origins": [APP], "allow_headers": ["content-length"]},
        [("allow_headers[0]", "header-forbidden")],
    ),
    ({"allow_origins": [APP], "allow_headers": [None]}, [("allow_headers[0]", "header-invalid")]),
    (
        {"allow_origins": [APP], "expose_headers": ["a b"]},
        [("expose_headers[0]", "header-invalid")],
    ),
    ({"allow_origins": [APP], "allow_credentials": "yes"}, [("allow_credentials", "type-bool")]),
    ({"allow_origins": [APP], "deny": 1}, [("deny", "type-bool")]),
    (
        {"allow_origins": [APP], "allow_private_network": None},
        [("allow_private_network", "type-bool")],
    ),
    (
        {"allow_origins": [APP], "allow_insecure_origins": "no"},
        [("allow_insecure_origins", "type-bool")],
    ),
    ({"allow_origins": [APP], "name": 5}, [("name", "name-type")]),
    ({"allow_origins": 5}, [("allow_origins", "type-list")]),
    ({"allow_origins": {"a": 1}}, [("allow_origins", "type-list")]),
    ({"allow_origins": [5]}, [("allow_origins[0]", "origin-type")]),
    ({"allow_origins": [re.compile(b"x")]}, [("allow_origins[0]", "regex-type")]),
    (
        {"allow_origins": [re.compile(r"https://a.example\.com")]},
        [("allow_origins[0]", "regex-unescaped-dot")],
    ),
    ({"allow_origin_regex": [5]}, [("allow_origin_regex[0]", "regex-type")]),
    (
        {"allow_origin_regex": "https://a.example.com"},
        [("allow_origin_regex", "regex-unescaped-dot")],
    ),
    ({"allow_origin_regex": "[z-a]"}, [("allow_origin_regex", "regex-invalid")]),
    ({"allow_origins": [APP], "path": ""}, [("path", "path-empty")]),
    ({"allow_origins": [APP], "path": "/a\x00"}, [("path", "path-control-char")]),
    ({"allow_origins": [APP], "path": "/a?b=1"}, [("path", "path-query")]),
    ({"allow_origins": [APP], "path": 3}, [("path", "path-type")]),
    ({"allow_origins": [APP], "path": re.compile(b"/x")}, [("path", "path-type")]),
    # An unknown option hides nothing else: the rule it was meant for is still checked.
    (
        {"allow_origin": [APP]},
        [("allow_origin", "unknown-key"), ("allow_origins", "rule-no-origins")],
    ),
    ({"allow_origins": [APP], "zzz": 1}, [("zzz", "unknown-key")]),
    ({"allow_origins": [APP], "preflight_status": 201}, [("preflight_status", "preflight-status")]),
    (
        {"allow_origins": [APP], "preflight_status": True},
        [("preflight_status", "preflight-status")],
    ),
]


@pytest.mark.parametrize(
    ("options", "expected"),
    [pytest.param(o, e, id=e[0][1] + "-" + str(i)) for i, (o, e) in enumerate(OTHER_ERRORS)],
)
def test_other_errors(options: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert problems_of(**options) == expected


def test_unknown_option_suggests_the_right_name() -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), allow_origin=[APP])
    assert caught.value.problems[0].hint == "did you mean 'allow_origins'?"


def test_rules_and_options_together() -> None:
    assert problems_of([Rule("*", allow_origins=[APP])], allow_credentials=True) == [
        ("allow_credentials", "option-with-rules")
    ]


def test_single_rule_instead_of_list() -> None:
    assert problems_of(Rule("*", allow_origins=[APP])) == [("rules", "rules-type")]


def test_deny_rule_needs_no_origins() -> None:
    assert warnings_of([Rule("/admin/*", deny=True)]) == []


WARNINGS: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
    ({"allow_origins": ["null"]}, [("allow_origins[0]", "origin-null")]),
    ({"allow_origins": ["https://*.com"]}, [("allow_origins[0]", "origin-public-suffix")]),
    (
        {"allow_origins": ["https://*.example.com"], "allow_credentials": True},
        [("allow_origins[0]", "credentials-subdomain-glob")],
    ),
    ({"allow_origins": [APP], "max_age": 7201}, [("max_age", "max-age-capped")]),
    (
        {"allow_origins": [APP], "expose_headers": ["Content-Type", "Set-Cookie", "X-Ok"]},
        [("expose_headers[0]", "expose-safelisted"), ("expose_headers[1]", "expose-forbidden")],
    ),
    ({"allow_origins": ["http://*.localhost"]}, []),
    ({"allow_origins": [APP], "max_age": 7200}, []),
]


@pytest.mark.parametrize(("options", "expected"), WARNINGS)
def test_warnings(options: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert warnings_of(**options) == expected


def test_shadowed_rules_warn() -> None:
    rules = [
        Rule("/api/*", allow_origins=[APP]),
        Rule("/api/v1/*", allow_origins=[APP]),  # shadowed by the glob
        Rule("/api/health", allow_origins=[APP]),  # shadowed by the glob
        Rule(re.compile("/r/[0-9]+"), allow_origins=[APP]),
        Rule(re.compile("/r/[0-9]+"), allow_origins=[APP]),  # same regex
        Rule("/r/7", allow_origins=[APP]),  # the regex matches it
        Rule("/other", allow_origins=[APP]),
        Rule("/other/*", allow_origins=[APP]),
        Rule("/x*y", allow_origins=[APP]),
        Rule("/x*", allow_origins=[APP]),  # not shadowed: /x*y does not match /xa
        Rule(re.compile("/other/.*"), allow_origins=[APP]),  # undecidable: not reported
        Rule("*", deny=True),
        Rule("/late", allow_origins=[APP]),  # shadowed by the catch-all
    ]
    assert warnings_of(rules) == [
        ("rules[1].path", "rule-shadowed"),
        ("rules[2].path", "rule-shadowed"),
        ("rules[4].path", "rule-shadowed"),
        ("rules[5].path", "rule-shadowed"),
        ("rules[12].path", "rule-shadowed"),
    ]


def test_shadow_warning_names_both_rules() -> None:
    rules = [Rule("*", allow_origins=[APP], name="catch-all"), Rule("/x", allow_origins=[APP])]
    with pytest.warns(ConfigWarning) as caught:
        CORSMiddleware(SpyApp(), rules)
    assert str(caught[0].message) == (
        "rules[1].path: rules[1] ('/x') never applies: catch-all ('*') comes first and matches "
        "every path it does [rule-shadowed]\n"
        "    fix: move rules[1] above catch-all, or remove it"
    )
    assert caught[0].filename == __file__


def test_empty_rules_warn_and_pass_through() -> None:
    with pytest.warns(ConfigWarning, match="rules-empty"):
        middleware = CORSMiddleware(SpyApp(), [])
    assert request(middleware, headers={"Origin": APP}).decision.kind == "pass-through"


def test_normalisation() -> None:
    middleware = CORSMiddleware(
        SpyApp(),
        allow_origins=["HTTPS://APP.EXAMPLE.COM", "https://app.example.com"],
        allow_methods=["put", "Delete", "patch", "PATCH", "*"],
        allow_headers=["X-Token"],
        expose_headers=["X-Total", "x-total"],
    )
    (compiled,) = middleware.policy.rules
    rule = compiled.rule
    assert rule.origins.exact == frozenset({APP})
    assert rule.methods == frozenset({"PUT", "DELETE", "patch", "PATCH"})
    assert rule.any_method is True
    assert rule.request_headers == frozenset({"x-token"})
    result = request(middleware, headers={"Origin": APP})
    assert result.get_all("Access-Control-Expose-Headers") == ["x-total"]


def test_rule_is_keyword_only_after_path() -> None:
    with pytest.raises(TypeError):
        Rule("/x", [APP])  # type: ignore[misc]
