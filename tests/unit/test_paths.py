r"""Compiled path regexes judged before use (wsgicors.paths.check_path).

A path regex runs against ``PATH_INFO``, which carries the request path's bytes as latin-1
characters (PEP 3333) and may be a few kilobytes long. So a regex must be written in that
string space, not as text, and must not make a backtracking match slow: no repeat whose
iterations can split a path more than one way, no more than two unbounded repeats sharing a
run of characters. Each row states the exact ``(code, message, hint)`` or that a matcher is
built.
"""

from __future__ import annotations

import re

import pytest

from wsgicors.paths import PathMatcher, check_path


def matcher(regex: str) -> PathMatcher:
    checked = check_path(re.compile(regex))
    assert isinstance(checked, PathMatcher), checked
    return checked


@pytest.mark.parametrize(
    ("regex", "covered", "not_covered"),
    [
        pytest.param(r"/v[0-9]+/items", "/v12/items", "/v/items", id="plain"),
        # PEP 3333's spelling of /café/: the UTF-8 bytes as latin-1 characters, or escapes.
        pytest.param("/cafÃ©/.*", "/cafÃ©/x", "/café/x", id="wsgi-string"),
        pytest.param(r"/caf\xc3\xa9/.*", "/cafÃ©/x", "/café/x", id="byte-escapes"),
        # Linear: each iteration ends in a character the rest of it cannot match.
        pytest.param(
            r"/files/([a-z0-9-]+/)*[a-z0-9-]+\.txt",
            "/files/a/b-c/d.txt",
            "/files/.txt",
            id="separated",
        ),
        pytest.param(
            r"/api/(v1|v2)/users/[^/]+", "/api/v2/users/7", "/api/v3/users/7", id="alternatives"
        ),
        # Two unbounded repeats may share a run: quadratic at worst, 5 ms on a 1,024-byte path.
        pytest.param("/api/.*/items/.*", "/api/a/items/b", "/api/a/item/b", id="two-chained"),
        pytest.param(
            r"/users/[^/]+/posts/[^/]+/c/.*", "/users/a/posts/b/c/", "/users/a/c/", id="pinned"
        ),
    ],
)
def test_accepted(regex: str, covered: str, not_covered: str) -> None:
    built = matcher(regex)
    assert (built.kind, built.text, built.pattern) == ("regex", regex, re.compile(regex))
    assert built.matches(covered)
    assert not built.matches(not_covered)


def test_not_a_str_pattern() -> None:
    assert check_path(re.compile(b"/x")) == (
        "path-type",
        "path regex must be a str pattern",
        "use re.compile(str)",
    )


TEXT_SPACE = (
    "is written as text: PATH_INFO carries each byte of a request path as one latin-1 "
    "character (PEP 3333), so "
)
GLOB = "; or use a glob path, which is written as text and converted"


@pytest.mark.parametrize(
    ("regex", "message", "hint"),
    [
        pytest.param(
            "/café/.*",
            f"path regex r'/café/.*' {TEXT_SPACE}'é', sent as UTF-8, arrives as 'Ã©' and the "
            "regex never matches it",
            f"write it as PATH_INFO spells it, r'/cafÃ©/.*'{GLOB}",
            id="latin-1-letter",
        ),
        pytest.param(
            "/日本/.*",
            f"path regex r'/日本/.*' {TEXT_SPACE}'日', sent as UTF-8, arrives as 'æ\\x97¥' and the "
            "regex never matches it",
            f"write it as PATH_INFO spells it, '/æ\\x97¥æ\\x9c¬/.*'{GLOB}",
            id="beyond-latin-1",
        ),
        pytest.param(
            "/caf[éè]/.*",
            f"path regex r'/caf[éè]/.*' {TEXT_SPACE}'é', sent as UTF-8, arrives as 'Ã©' and the "
            "regex never matches it",
            "spell each non-ASCII character as a group of its bytes read as latin-1, 'é' as "
            f"r'(?:Ã©)', and a class of them as an alternation of such groups{GLOB}",
            id="in-a-class",
        ),
        pytest.param(
            "/é+/(a+)+",
            f"path regex r'/é+/(a+)+' {TEXT_SPACE}'é', sent as UTF-8, arrives as 'Ã©' and the "
            "regex never matches it",
            "spell each non-ASCII character as a group of its bytes read as latin-1, 'é' as "
            f"r'(?:Ã©)', and a class of them as an alternation of such groups{GLOB}",
            id="quantified-and-reported-first",
        ),
        # Latin-1 characters that are not the reading of UTF-8 bytes are text too.
        pytest.param(
            "/Ã/x",
            f"path regex r'/Ã/x' {TEXT_SPACE}'Ã', sent as UTF-8, arrives as 'Ã\\x83' and the "
            "regex never matches it",
            f"write it as PATH_INFO spells it, '/Ã\\x83/x'{GLOB}",
            id="broken-utf-8",
        ),
    ],
)
def test_written_as_text(regex: str, message: str, hint: str) -> None:
    assert check_path(re.compile(regex)) == ("path-regex-non-ascii", message, hint)


NESTED_HINT = (
    "end each iteration in a character the rest of it cannot match, as in "
    r"r'/files/([a-z0-9-]+/)*[a-z0-9-]+\.txt', give alternatives no text in common, or use a "
    "glob path ('*' matches in linear time)"
)


@pytest.mark.parametrize(
    "regex",
    [
        pytest.param(r"/api/(\w+-?)+", id="optional-separator"),
        pytest.param(r"/files/([a-z]+/?)*\.txt", id="optional-slash"),
        pytest.param("/(a|aa)+", id="prefix-alternatives"),
        pytest.param("/(?:[a-z]+)*/x", id="star-of-plus"),
        # Over latin-1, \w matches 'ÿ' (the byte 0xFF), so it marks no iteration's end.
        pytest.param(r"/(\w+\xff)+", id="latin-1-alphabet"),
    ],
)
def test_nested_quantifier(regex: str) -> None:
    assert check_path(re.compile(regex)) == (
        "path-regex-nested-quantifier",
        f"path regex r'{regex}' repeats a group whose iterations can split or match the same "
        "text in more than one way: a crafted request path can make matching take exponential "
        "time",
        NESTED_HINT,
    )


def test_chained_repeats() -> None:
    assert check_path(re.compile("/api/.*/.*/.*")) == (
        "path-regex-chained-repeats",
        "path regex r'/api/.*/.*/.*' has 3 unbounded repeats in a row that can share out the "
        "same run of characters: a long crafted request path can make matching take time "
        "growing as its length to the power 3",
        "use a glob path ('/api/*/items/*' matches in linear time), or end each repeat before a "
        "character it cannot match ('[^/]*/' rather than '.*/')",
    )


def test_too_deep() -> None:
    regex = "(" * 65 + "/x" + ")" * 65
    assert check_path(re.compile(regex)) == (
        "path-regex-too-deep",
        f"path regex r'{regex}' nests groups more than 64 deep, too deep to judge",
        "write it flat, or use a glob path",
    )
