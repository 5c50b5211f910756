"""Regression tests for the holes a security review of the issue 8 fixes found, one class each.

Each test states the outcome the fix produces; each was marked ``xfail(strict=True)`` while
its hole was open, and lost the marker with the fix. Beside them, tests pin the legitimate
configurations the fixes must keep accepting.
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

import pytest

from tests.support import SpyApp, request
from wsgicors import ConfigError, ConfigWarning, CORSMiddleware, Rule
from wsgicors.cli import main

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

APP = "https://app.example.com"
PERMISSIVE = Rule("*", allow_origins=[APP], allow_credentials=True)


def problems(rules: list[Rule] | None = None, **options: Any) -> list[tuple[str, str]]:
    """The (location, code) of every error the configuration raises."""
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), rules, **options)
    return [(problem.location, problem.code) for problem in caught.value.problems]


def builds_quietly(
    rules: list[Rule] | None = None, app: SpyApp | None = None, **options: Any
) -> CORSMiddleware:
    """Build the middleware around *app*; any ConfigWarning fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigWarning)
        return CORSMiddleware(app or SpyApp(), rules, **options)


# --- Subdomain wildcards over a name that has public suffixes below it ----------------------
#
# `amazonaws.com` is not itself on the Public Suffix List, but `s3.amazonaws.com` is (anyone
# can create a bucket and serve a page from https://NAME.s3.amazonaws.com), and 580 more names
# under it are; likewise `blob.core.windows.net` under `windows.net` and `global.ssl.fastly.net`
# under `fastly.net`. A wildcard over the parent admits them all: today
# `https://*.amazonaws.com` with credentials only warns (credentials-subdomain-glob) and the
# regex form passes silently, while the narrower `https://*.s3.amazonaws.com` is refused.

PARENT_OF_PUBLIC_SUFFIXES = [
    pytest.param({"allow_origins": ["https://*.amazonaws.com"]}, "allow_origins[0]", id="glob"),
    pytest.param(
        {"allow_origins": ["https://*.core.windows.net"]}, "allow_origins[0]", id="glob-az"
    ),
    pytest.param(
        {"allow_origin_regex": r"https://([a-z0-9-]+\.)*amazonaws\.com"},
        "allow_origin_regex",
        id="regex",
    ),
    pytest.param(
        {"allow_origin_regex": r"https://.*\.fastly\.net"}, "allow_origin_regex", id="regex-fastly"
    ),
]


def test_parent_of_public_suffixes_warns_without_credentials() -> None:
    """Without credentials the same wildcard is legal, with a warning naming the suffix."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        middleware = CORSMiddleware(SpyApp(), allow_origins=["https://*.amazonaws.com"])
    assert [str(w.message).split(" [")[0] for w in caught] == [
        "allow_origins[0]: 'https://*.amazonaws.com' covers the public suffix "
        "'s3.amazonaws.com': anyone can register a match"
    ]
    result = request(middleware, headers={"Origin": "https://attacker.s3.amazonaws.com"})
    assert result.cors_headers() == [
        ("Vary", "Origin"),
        ("Access-Control-Allow-Origin", "https://attacker.s3.amazonaws.com"),
    ]


@pytest.mark.parametrize(("options", "location"), PARENT_OF_PUBLIC_SUFFIXES)
def test_wildcard_over_a_parent_of_public_suffixes_is_refused_with_credentials(
    options: dict[str, Any], location: str
) -> None:
    assert problems(allow_credentials=True, **options) == [(location, "credentials-public-suffix")]


def test_wildcard_over_an_ordinary_domain_still_builds() -> None:
    """The fix must not refuse names with no public suffix below them."""
    middleware = builds_quietly(
        allow_origin_regex=r"https://([a-z0-9-]+\.)*example\.com", allow_credentials=True
    )
    allowed = request(middleware, headers={"Origin": "https://a.b.example.com"})
    assert allowed.get_all("Access-Control-Allow-Origin") == ["https://a.b.example.com"]


# --- ReDoS: repeats whose iterations can split the Origin more than one way -----------------
#
# The nested-quantifier rule only looks for a repeat inside a repeat. A repeated body with an
# optional part that overlaps its mandatory part, or with alternatives that can match the same
# text, is just as exponential: on this machine `([a-z0-9][a-z0-9-]?)+` takes 1.1 s for a
# 32-character label and `(?:[a-z0-9]{2}|[a-z]{2})+` 17 s for 48 characters (labels may have
# 63); every one below is accepted today, with credentials, without a word. No request is
# matched here: the tests only build the middleware.

AMBIGUOUS_REPEATS = [
    r"https://([a-z0-9][a-z0-9-]?)+\.example\.com",
    r"https://([a-z]?[a-z])+\.example\.com",
    r"https://(a|aa)+\.example\.com",
    r"https://(ab|ab)+\.example\.com",
    r"https://(?:[a-z0-9]{2}|[a-z]{2})+\.example\.com",
]


@pytest.mark.parametrize("regex", AMBIGUOUS_REPEATS)
def test_repeat_whose_iterations_split_more_than_one_way_is_refused(regex: str) -> None:
    assert problems(allow_origin_regex=regex) == [("allow_origin_regex", "regex-nested-quantifier")]


@pytest.mark.parametrize(
    "regex",
    [
        r"https://([a-z0-9]-?)+\.example\.com",
        r"https://(-?[a-z0-9])+\.example\.com",
        r"https://([a-z0-9-]+\.)*example\.com",
        r"https://(www\.|api\.)?example\.com",
        r"https://pr-[0-9]+(\.[a-z]{2,3})+\.example\.com",
    ],
)
def test_repeat_that_splits_one_way_only_is_accepted(regex: str) -> None:
    """Each iteration is marked by a character the rest cannot match: linear time."""
    builds_quietly(allow_origin_regex=regex, allow_credentials=True)


# --- ReDoS: chains of unbounded repeats --------------------------------------------------------
#
# k adjacent unbounded repeats that share characters, with nothing between them that only one
# can match, backtrack O(n^k) on a failing Origin. Measured on a 256-byte Origin (host of
# "a." labels): three `.*` 0.02 s, four 2 s, five 94 s per request. Three are refused too:
# with a tail such as `\.?example\.com` they take 51 ms on a 261-byte Origin (see
# wsgicors.regex_tree.MAX_CHAINED_REPEATS), two take 0.6 ms.


@pytest.mark.parametrize(
    "regex",
    [
        r"https://.*.*.*\.example\.com",
        r"https://.*.*.*.*\.example\.com",
        r"https://[a-z0-9.-]*[a-z0-9.-]+[a-z0-9.-]*[a-z0-9.-]+\.example\.com",
        r"https://(.*)(.*)(.*)(.*)(.*)\.example\.com",
    ],
)
def test_chain_of_three_or_more_unbounded_repeats_is_refused(regex: str) -> None:
    assert problems(allow_origin_regex=regex, allow_credentials=True) == [
        ("allow_origin_regex", "regex-chained-repeats")
    ]


@pytest.mark.parametrize(
    "regex",
    [
        r"https://.*\.example\.com",
        r"https://[a-z0-9-]+-[a-z0-9-]+\.example\.com",
        r"https://.*.*\.example\.com",
    ],
)
def test_short_chains_are_accepted(regex: str) -> None:
    builds_quietly(allow_origin_regex=regex, allow_credentials=True)


# --- ReDoS in path regexes ----------------------------------------------------------------------
#
# Path regexes run on every request whose path is new, against PATH_INFO (up to gunicorn's
# 4 KB request line), and are never judged: `/api/(\w+-?)+` takes 2 s for a 29-byte path.


@pytest.mark.parametrize("regex", [r"/api/(\w+-?)+", r"/files/([a-z]+/?)*\.txt", r"/(a|aa)+"])
def test_path_regex_with_nested_repeats_is_refused(regex: str) -> None:
    rules = [Rule(re.compile(regex), allow_origins=[APP])]
    assert problems(rules) == [("rules[0].path", "path-regex-nested-quantifier")]


def test_path_regex_with_nested_repeats_is_refused_in_files(tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(
        '[[rules]]\npath_regex = "/api/(\\\\w+-?)+"\nallow_origins = ["https://app.example.com"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware.from_config(SpyApp(), config)
    assert [(problem.code, problem.line) for problem in caught.value.problems] == [
        ("path-regex-nested-quantifier", 2)
    ]


# --- Path regexes written in text space never match what servers send ------------------------
#
# Rule paths written as text are converted to PEP 3333's string space (docs/contract.md,
# section 2), but a `path_regex` is compiled as written: in a file, `path_regex = "/café/.*"`
# with deny = true never matches PATH_INFO `/cafÃ©/x`, so the next, permissive rule answers
# `/caf%C3%A9/x` with credentials (issue 8 class 6 again, through the regex door). A
# character above U+00FF can never be in PATH_INFO, and U+0080..U+00FF characters that are
# not the latin-1 reading of UTF-8 bytes (`é` alone is the byte 0xE9, never sent by a
# browser) are text, not PEP 3333 strings.


def test_text_space_path_regex_in_a_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text('[[rules]]\npath_regex = "/café/.*"\ndeny = true\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware.from_config(SpyApp(), config)
    assert [(problem.code, problem.line) for problem in caught.value.problems] == [
        ("path-regex-non-ascii", 2)
    ]


@pytest.mark.parametrize("regex", ["/café/.*", "/日本/.*", "/caf[éè]/.*"])
def test_text_space_compiled_path_regex_is_refused(regex: str) -> None:
    assert problems([Rule(re.compile(regex), deny=True), PERMISSIVE]) == [
        ("rules[0].path", "path-regex-non-ascii")
    ]


def test_path_regex_in_wsgi_string_space_is_accepted() -> None:
    """The spelling that does match PATH_INFO (UTF-8 bytes read as latin-1) stays valid."""
    middleware = builds_quietly([Rule(re.compile("/cafÃ©/.*"), deny=True), PERMISSIVE])
    result = request(middleware, path="/cafÃ©/x", headers={"Origin": APP})
    assert (result.decision.rule, result.decision.code) == ("rules[0]", "deny-rule")
    assert result.cors_headers() == []


# --- Unroutable paths pass the app's own CORS headers through ------------------------------
#
# A path with a control character or a dot segment matches no rule and passes through "byte
# for byte". When the app sets CORS headers itself (a framework extension that reflects every
# origin with credentials, which users put wsgicors in front of and override with deny rules),
# `/admin/a%0Ab` gets the app's grant back: the deny rule's "app-set Access-Control-* headers
# are stripped" no longer holds. Such paths must fail closed; closing it means stripping
# Access-Control-* on unroutable paths, so the response is no longer identical to the app's
# (docs/contract.md, section 2).

GRANTING_APP_HEADERS = [
    ("Content-Type", "text/plain"),
    ("Access-Control-Allow-Origin", "https://evil.test"),
    ("Access-Control-Allow-Credentials", "true"),
]


def test_deny_rule_strips_the_apps_own_cors_headers() -> None:
    app = SpyApp(headers=GRANTING_APP_HEADERS)
    middleware = builds_quietly([Rule("/admin/*", deny=True)], app)
    result = request(middleware, path="/admin/ab", headers={"Origin": "https://evil.test"})
    assert (result.status_code, app.called, result.decision.code) == (200, True, "deny-rule")
    assert result.cors_headers() == []


@pytest.mark.parametrize("path", ["/admin/a\nb", "/admin/./ab", "/x/../admin/ab"])
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_unroutable_path_does_not_return_the_apps_cors_grant(path: str, method: str) -> None:
    app = SpyApp(headers=GRANTING_APP_HEADERS)
    middleware = CORSMiddleware(app, [Rule("/admin/*", deny=True)])
    headers = {"Origin": "https://evil.test", "Access-Control-Request-Method": "PUT"}
    result = request(middleware, method, path, headers)
    assert (result.status_code, app.called) == (200, True)
    assert (result.decision.kind, result.decision.code) == ("pass-through", "path-not-routable")
    assert result.cors_headers() == []


# --- Rule paths that the once-decoded PATH_INFO can never contain ----------------------------


@pytest.mark.parametrize(("path", "plain"), [("/caf%C3%A9/*", "/café/*"), ("/a%20b/*", "/a b/*")])
def test_percent_encoded_rule_path_is_refused(path: str, plain: str) -> None:
    """The server decodes PATH_INFO once: a deny rule on `/caf%C3%A9/*` matches only requests
    for `/caf%25C3%25A9/...`, and `/caf%C3%A9/x` reaches the permissive rule."""
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), [Rule(path, deny=True), PERMISSIVE])
    [problem] = caught.value.problems
    assert (problem.location, problem.code) == ("rules[0].path", "path-percent-encoded")
    assert repr(plain) in problem.hint


@pytest.mark.parametrize("path", ["/static/../admin/*", "/a/./*", "/*/../private/*"])
def test_glob_rule_path_with_a_dot_segment_is_refused(path: str) -> None:
    """Request paths with '.' or '..' segments match no rule, so such a deny rule is inert;
    exact paths get path-dot-segment already, globs do not."""
    assert problems([Rule(path, deny=True), PERMISSIVE]) == [("rules[0].path", "path-dot-segment")]


# --- Inputs the parsers cannot read raise raw exceptions, not ConfigError ---------------------


HUGE_NUMBER = "1" * 5000
DEEP = 100_000


def outcome(build: Callable[[], object]) -> list[tuple[str, int | None]] | str:
    """The (code, line) of each problem *build* raises as a ConfigError, or the name of any
    other exception (returned, not re-raised: a RecursionError's thousand-frame traceback
    takes pytest a minute to format)."""
    try:
        build()
    except ConfigError as error:
        return [(problem.code, problem.line) for problem in error.problems]
    except (ValueError, RecursionError) as error:
        return type(error).__name__
    return "built"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("cors.json", '{"max_age": ' + HUGE_NUMBER + ', "allow_origins": ["https://a.example"]}'),
        ("cors.toml", "max_age = " + HUGE_NUMBER + '\nallow_origins = ["https://a.example"]\n'),
        ("cors.toml", "allow_origins = " + "[" * DEEP + "]" * DEEP + "\n"),
    ],
    ids=["json-huge-int", "toml-huge-int", "toml-deep"],
)
def test_file_the_parser_cannot_read_is_a_config_syntax_error(
    tmp_path: Path, name: str, text: str
) -> None:
    """The parsers name no line for these (and the TOML fallback, the last line, would point
    at the wrong one), so the problem carries none."""
    config = tmp_path / name
    config.write_text(text, encoding="utf-8")
    assert outcome(lambda: CORSMiddleware.from_config(SpyApp(), config)) == [
        ("config-syntax", None)
    ]


TOO_DEEP = "(" * 5000 + r"https://a\.example\.com" + ")" * 5000


def test_origin_regex_too_deep_for_the_compiler_is_a_config_error() -> None:
    build = lambda: CORSMiddleware(SpyApp(), allow_origin_regex=TOO_DEEP)  # noqa: E731
    assert outcome(build) == [("regex-invalid", None)]


def test_path_regex_too_deep_for_the_compiler_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(
        f'[[rules]]\npath_regex = "{"(" * 5000}/x{")" * 5000}"\ndeny = true\n', encoding="utf-8"
    )
    assert outcome(lambda: CORSMiddleware.from_config(SpyApp(), config)) == [("regex-invalid", 2)]


# --- Escaping: Unicode line and paragraph separators, bidirectional overrides ------------------
#
# errors.escape() escapes C0, DEL and C1 only. U+2028/U+2029 end a line for str.splitlines()
# and for log viewers and JSON-lines tools built on it; U+202E reorders what a terminal shows.
# A key in a config file carries them into ConfigError messages and `wsgicors check` output.


@pytest.mark.parametrize("character", ["\u2028", "\u2029", "\u202e", "\u200b"])
def test_config_error_escapes_every_non_printable_character(character: str) -> None:
    key = f"x{character}rules[0].path: fine"
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware.from_config(SpyApp(), {"allow_origins": [APP], key: 1})
    text = str(caught.value)
    assert character not in text
    assert len(text.splitlines()) == 3  # heading, the problem, its fix


# --- The CLI: a malformed app name is bad input, not a crash ------------------------------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (":app", "wsgicors: cannot import '': "),
        (".relative:app", "wsgicors: cannot import '.relative': "),
    ],
)
def test_serve_with_a_malformed_app_name_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    config = tmp_path / "cors.toml"
    config.write_text('allow_origins = ["https://app.example.com"]\n', encoding="utf-8")
    assert main(["serve", target, "--config", str(config)]) == 2
    assert capsys.readouterr().err.startswith(message)
