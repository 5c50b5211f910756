"""Regression tests for the classes of hole the safety review found, one test per class.

Each test is named after the class of bug, states the exact outcome, and tries the examples
from the review plus cases of its own. Regex judgement and the public-suffix list have their
own modules (test_origin_regex.py, test_public_suffixes.py); here they are met the way a user
meets them: through CORSMiddleware, config files, PasteDeploy and the CLI.
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

import pytest
from paste.deploy import loadapp

from tests.cases import preflight
from tests.support import SpyApp, request
from wsgicors import ConfigError, CORSMiddleware, Rule
from wsgicors.cli import main

if TYPE_CHECKING:
    from pathlib import Path

APP = "https://app.example.com"
EVIL = "https://evil.test"
CREDENTIALS = ("Access-Control-Allow-Credentials", "true")


def codes(**options: Any) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), **options)
    return [(problem.location, problem.code) for problem in caught.value.problems]


# --- 1 to 4: credentialed regexes, through every way a user configures them ----------------

UNSAFE_CREDENTIALED_REGEXES = [
    ("https://.*", "credentials-regex-unpinned"),
    ("https://.+", "credentials-regex-unpinned"),
    ("https://[^/]+", "credentials-regex-unpinned"),
    (r"https://\S+", "credentials-regex-unpinned"),
    ("https://(.*)", "credentials-regex-unpinned"),
    (r"https://.*\.com", "credentials-public-suffix"),
    (r"https://\w*\.?example\.com.*", "credentials-regex-unpinned"),
    (r"https://[a-z]+example\.com", "credentials-public-suffix"),
    (r"https://(www.)?example\.com", "regex-unescaped-dot"),
    (r"https://www.(example|test)\.com", "regex-unescaped-dot"),
    (r"https://([a-z0-9-]+.)?example\.com", "regex-unescaped-dot"),
    (r"https://api.[a-z]+\.example\.com", "regex-unescaped-dot"),
    (r"https://api.{1}example\.com", "regex-unescaped-dot"),
    (r"http://app\.example\.com", "credentials-insecure-origin"),
    (r"https://([a-z0-9]+-?)+\.example\.com", "regex-nested-quantifier"),
]


@pytest.mark.parametrize(("regex", "code"), UNSAFE_CREDENTIALED_REGEXES)
def test_credentialed_regex_that_admits_strangers_is_refused(regex: str, code: str) -> None:
    for given in (regex, re.compile(regex, re.ASCII), [re.compile(regex, re.ASCII)]):
        found = codes(allow_origin_regex=given, allow_credentials=True)
        assert code in [found_code for _, found_code in found], (given, found)


def test_credentialed_regex_refusal_is_the_same_in_every_format(tmp_path: Path) -> None:
    toml = tmp_path / "cors.toml"
    toml.write_text(
        "allow_origin_regex = ['https://.*']\nallow_credentials = true\n", encoding="utf-8"
    )
    ini = tmp_path / "cors.ini"
    ini.write_text(
        "[wsgicors]\nallow_origin_regex = https://.*\nallow_credentials = true\n",
        encoding="utf-8",
    )
    for path in (toml, ini):
        with pytest.raises(ConfigError) as caught:
            CORSMiddleware.from_config(SpyApp(), path)
        assert [(p.location, p.code, p.line) for p in caught.value.problems] == [
            ("allow_origin_regex[0]", "credentials-regex-unpinned", 1 if path is toml else 2)
        ]
    paste_ini = tmp_path / "paste.ini"
    paste_ini.write_text(
        "[app:hello]\nuse = call:tests.paste_app:app_factory\n\n"
        "[pipeline:main]\npipeline = cors hello\n\n"
        "[filter:cors]\nuse = egg:wsgicors-ng#cors\n"
        "allow_origin_regex = https://.*\nallow_credentials = true\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        loadapp(f"config:{paste_ini}")
    assert [(p.code, p.line) for p in caught.value.problems] == [("credentials-regex-unpinned", 9)]
    assert main(["check", str(toml)]) == 1


def test_pinned_credentialed_regex_still_admits_only_its_domain() -> None:
    middleware = CORSMiddleware(
        SpyApp(),
        allow_origin_regex=r"https://([a-z0-9-]+\.)?example\.com(:[0-9]+)?",
        allow_credentials=True,
    )
    for origin, allowed in [
        ("https://example.com", True),
        ("https://a.example.com:8443", True),
        ("https://a.b.example.com", False),
        ("https://a.example.com.attacker.test", False),
        ("https://wwwxexample.com", False),
        ("http://a.example.com", False),
    ]:
        result = request(middleware, headers={"Origin": origin})
        expected = [("Vary", "Origin")]
        if allowed:
            expected += [("Access-Control-Allow-Origin", origin), CREDENTIALS]
        assert result.cors_headers() == expected, origin


# --- 6: rule paths live in WSGI's string space -------------------------------------------


def test_non_ascii_rule_path_matches_what_the_server_sends() -> None:
    rules = [
        Rule("/café/*", deny=True),
        Rule("*", allow_origins=[APP], allow_credentials=True),
    ]
    middleware = CORSMiddleware(SpyApp(), rules)
    # /caf%C3%A9/x as PEP 3333 hands it over: the UTF-8 bytes, one latin-1 character each.
    for path in ("/caf\xc3\xa9/x", "/caf\xc3\xa9/"):
        result = request(middleware, "GET", path, {"Origin": APP})
        assert result.cors_headers() == []
        assert (result.decision.rule, result.decision.code) == ("rules[0]", "deny-rule")
    exact = CORSMiddleware(SpyApp(), [Rule("/ünï", allow_origins=[APP])])
    assert request(exact, "GET", "/\xc3\xbcn\xc3\xaf", {"Origin": APP}).decision.allowed is True
    assert request(exact, "GET", "/ünï", {"Origin": APP}).decision.code == "no-rule"


def test_compiled_path_regex_is_used_as_given() -> None:
    middleware = CORSMiddleware(SpyApp(), [Rule(re.compile("/caf\xc3\xa9/.*"), deny=True)])
    assert request(middleware, "GET", "/caf\xc3\xa9/x").decision.code == "deny-rule"


# --- 7: a control character never skips a rule -------------------------------------------


@pytest.mark.parametrize("path", ["/private/a\nb", "/private/\r", "/private/\x00", "/p\x7f", "/\t"])
def test_control_character_path_matches_no_rule(path: str) -> None:
    rules = [
        Rule(re.compile("/private/.*"), deny=True),
        Rule("*", allow_origins=[APP], allow_credentials=True),
    ]
    middleware = CORSMiddleware(SpyApp(), rules)
    for method, headers in (("GET", {"Origin": APP}), ("OPTIONS", preflight(APP, "PUT"))):
        result = request(middleware, method, path, headers)
        assert result.cors_headers() == []
        assert result.status == "200 OK"
        assert (result.decision.kind, result.decision.code) == (
            "pass-through",
            "path-not-routable",
        )


def test_rule_path_with_a_dot_segment_is_refused() -> None:
    assert codes(path="/a/../b", allow_origins=[APP]) == [("path", "path-dot-segment")]


# --- 8: '*' is never echoed next to credentials -------------------------------------------


@pytest.mark.parametrize(("method", "request_headers"), [("*", None), ("PUT", "x-a,*"), ("*", "*")])
def test_wildcard_is_never_echoed_next_to_credentials(
    method: str, request_headers: str | None
) -> None:
    middleware = CORSMiddleware(
        SpyApp(),
        allow_origins=[APP],
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=True,
    )
    result = request(middleware, "OPTIONS", "/", preflight(APP, method, request_headers))
    assert result.status == "403 Forbidden"
    assert result.cors_headers() == [
        ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
    ]
    assert result.decision.code == "wildcard-with-credentials"
    # Without credentials a literal '*' is what the rule allows, and may be echoed.
    open_rule = CORSMiddleware(SpyApp(), allow_origins=[APP], allow_methods=["*"])
    echoed = request(open_rule, "OPTIONS", "/", preflight(APP, "*"))
    assert echoed.get_all("Access-Control-Allow-Methods") == ["*"]


# --- 9: memory is bounded per middleware, not per rule --------------------------------------


def test_memo_bound_is_per_middleware_not_per_rule() -> None:
    rules = [Rule(f"/r{number}/*", allow_origins=[APP]) for number in range(100)]
    middleware = CORSMiddleware(SpyApp(), rules, memo_size=512)
    for number in range(3_000):
        path = f"/r{number % 100}/{number}"
        origin = f"https://o{number}.example"
        request(middleware, "GET", path, {"Origin": origin})
        request(middleware, "OPTIONS", path, preflight(origin, "PUT", f"x-{number}"))
    assert middleware.policy.memo_entries() == 512


# --- 10: smaller holes ----------------------------------------------------------------------


def test_json_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "cors.json"
    path.write_text(
        '{\n  "rules": [\n    {"path": "/admin/*", "deny": true,\n     "deny": false}\n  ]\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware.from_config(SpyApp(), path)
    assert [(p.location, p.code, p.line) for p in caught.value.problems] == [
        ("rules[0].allow_origins", "rule-no-origins", 3),
        ("rules[0].deny", "config-duplicate-key", 4),
    ]


def test_explain_escapes_what_it_echoes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(f'allow_origins = ["{APP}"]\n', encoding="utf-8")
    forged = "/x\r\ndecision: allowed\x1b[2J"
    assert main(["explain", str(config), "--path", forged, "--origin", "https://a\nb"]) == 1
    out = capsys.readouterr().out
    assert "\r" not in out
    assert "\x1b" not in out
    assert out.splitlines()[0] == (
        "request: GET /x\\r\\ndecision: allowed\\x1b[2J from https://a\\nb"
    )


def test_problem_text_escapes_control_characters() -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), **{"allow_origins": [APP], "x\nfix: none\x1b": 1})  # type: ignore[arg-type]
    text = str(caught.value)
    assert "\x1b" not in text
    assert (
        text.splitlines()[1]
        == "  x\\nfix: none\\x1b: unknown key 'x\\nfix: none\\x1b' [unknown-key]"
    )


def test_any_origin_with_private_network_warns() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CORSMiddleware(SpyApp(), allow_origins=["*"], allow_private_network=True)
    assert [w.message.problem.code for w in caught] == ["private-network-any-origin"]  # type: ignore[union-attr]


def test_compiled_patterns_are_accepted_in_allow_origin_regex() -> None:
    middleware = CORSMiddleware(
        SpyApp(), allow_origin_regex=[re.compile(r"https://[a-z]+\.example\.com")]
    )
    assert request(middleware, headers={"Origin": "https://a.example.com"}).decision.allowed


@pytest.mark.parametrize("name", ["Access-Control-Allow-Origin", "access-control-x", "Origin"])
def test_cors_protocol_names_are_not_headers_to_allow_or_expose(name: str) -> None:
    assert codes(allow_origins=[APP], allow_headers=[name], expose_headers=[name]) == [
        ("allow_headers[0]", "header-cors-protocol"),
        ("expose_headers[0]", "header-cors-protocol"),
    ]


def test_safelisted_and_unreadable_names_are_left_out_of_expose_headers() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        middleware = CORSMiddleware(
            SpyApp(),
            allow_origins=[APP],
            expose_headers=["Content-Type", "X-Total", "Set-Cookie", "cache-control"],
        )
    assert [w.message.problem.code for w in caught] == [  # type: ignore[union-attr]
        "expose-safelisted",
        "expose-forbidden",
        "expose-safelisted",
    ]
    result = request(middleware, headers={"Origin": APP})
    assert result.get_all("Access-Control-Expose-Headers") == ["x-total"]


@pytest.mark.parametrize("origin", ["http://*.localhost", "http://*.dev.localhost:*"])
def test_loopback_globs_may_carry_credentials(origin: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        middleware = CORSMiddleware(SpyApp(), allow_origins=[origin], allow_credentials=True)
    result = request(middleware, headers={"Origin": "http://app.dev.localhost"})
    assert result.decision.allowed is True


@pytest.mark.parametrize(
    "origin",
    [
        "https://[::ffff:7f00:1]",
        "https://[::ffff:a00:1]:8443",
        "https://xn--zz.example",
        "https://xn--.example",
        "https://a.xn--abc.example",
        "https://*.xn--zz.example",
    ],
)
def test_hosts_no_browser_sends_are_refused(origin: str) -> None:
    assert codes(allow_origins=[origin]) == [("allow_origins[0]", "origin-malformed")]


def test_valid_punycode_is_accepted() -> None:
    middleware = CORSMiddleware(SpyApp(), allow_origins=["https://xn--bcher-kva.example"])
    result = request(middleware, headers={"Origin": "https://xn--bcher-kva.example"})
    assert result.decision.allowed is True


# --- 11: shadow warnings only when they are true -------------------------------------------


def shadow_warnings(rules: list[Rule]) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CORSMiddleware(SpyApp(), rules)
    return [w.message.problem.location for w in caught]  # type: ignore[union-attr]


def test_regex_rule_does_not_falsely_shadow_a_later_glob() -> None:
    rules = [Rule(re.compile(r"/api/."), allow_origins=[APP]), Rule("/api/*", allow_origins=["*"])]
    assert shadow_warnings(rules) == []
    middleware = CORSMiddleware(SpyApp(), rules)
    assert request(middleware, "GET", "/api/xyz", {"Origin": APP}).decision.rule == "rules[1]"


def test_true_shadows_still_warn() -> None:
    assert shadow_warnings(
        [
            Rule("/api/*", allow_origins=[APP]),
            Rule("/api/v1/*", allow_origins=[APP]),
            Rule("/api/items", allow_origins=[APP]),
            Rule(re.compile("/x/[0-9]+"), allow_origins=[APP]),
            Rule("/x/12", allow_origins=[APP]),
            Rule(re.compile("/x/[0-9]+"), allow_origins=[APP]),
        ]
    ) == ["rules[1].path", "rules[2].path", "rules[4].path", "rules[5].path"]
