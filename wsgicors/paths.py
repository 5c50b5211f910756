"""Rule paths: exact, glob and regex matchers in WSGI's string space, and which request paths
may be routed at all.

``PATH_INFO`` reaches the middleware decoded once and carried in a ``str`` whose characters are
the request's bytes (PEP 3333, latin-1), so rule paths written as ordinary text are converted to
that space once, at construction: ``/café/*`` matches the ``PATH_INFO`` ``/cafÃ©/x``. A compiled
regex is the user's own and is used as given, once judged from its parse tree
(:mod:`wsgicors.regex_tree`, over latin-1): it must be written in that string space, not as
text (``path-regex-non-ascii``), and must not make matching slow on a long crafted path
(``path-regex-nested-quantifier``, ``path-regex-chained-repeats``, ``path-regex-too-deep``).
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote

from wsgicors.regex_tree import (
    LATIN_1,
    MAX_CHAINED_REPEATS,
    MAX_DEPTH,
    TooDeepError,
    chained_repeats,
    has_ambiguous_repeat,
    parse_tree,
    show_source,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["PathMatcher", "check_path", "covers", "glob_matcher", "is_routable", "wsgi_string"]

PathKind = Literal["exact", "glob", "regex"]

_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# C0 controls and DEL, as a decoded %0A or %7F leaves them in PATH_INFO.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def wsgi_string(text: str) -> str:
    """Return *text* as PEP 3333 carries it: its UTF-8 bytes, each read as one latin-1 char."""
    return text.encode("utf-8").decode("latin-1")


def is_routable(path: str) -> bool:
    """Return whether a request *path* may be matched against rules at all.

    A ``.`` or ``..`` segment may be normalised away by a proxy or the app, and a control
    character may be dropped or split on, so a rule written for one path could be skipped in
    favour of a later, more permissive one. Such paths match no rule (fail closed).
    """
    if _CONTROL_CHARACTER.search(path):
        return False
    if "." not in path:
        return True
    return not any(segment in {".", ".."} for segment in path.split("/"))


def glob_matcher(glob: str) -> Callable[[str], bool]:
    """Return a matcher for a path glob in which ``*`` matches any run of characters.

    Fixed pieces are found left to right with ``str.find``, which is exact for ``*``-only
    globs and linear in the path: a regex with several ``.*`` backtracks polynomially on long
    hostile paths.
    """
    head, *middle, tail = glob.split("*")
    shortest = len(head) + len(tail)

    def matches(path: str) -> bool:
        if len(path) < shortest or not path.startswith(head) or not path.endswith(tail):
            return False
        position, end = len(head), len(path) - len(tail)
        for piece in middle:
            found = path.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    return matches


@dataclass(frozen=True, slots=True)
class PathMatcher:
    """A rule's path, ready to match ``PATH_INFO``.

    :param kind: ``"exact"``, ``"glob"`` or ``"regex"``.
    :param text: the path as written (for messages).
    :param matches: returns a true value when a request path is covered.
    :param pattern: the compiled regex of a ``"regex"`` path.
    """

    kind: PathKind
    text: str
    matches: Callable[[str], object]
    pattern: re.Pattern[str] | None = None


def _matcher(path: str | re.Pattern[str]) -> PathMatcher:
    if isinstance(path, re.Pattern):
        return PathMatcher("regex", path.pattern, path.fullmatch, path)
    target = wsgi_string(path)
    if "*" in path:
        return PathMatcher("glob", path, glob_matcher(target))
    return PathMatcher("exact", path, partial(operator.eq, target))


def check_path(path: object) -> PathMatcher | tuple[str, str, str]:
    """Check a rule's *path* and build its matcher.

    :returns: the matcher, or ``(code, message, hint)`` saying why the path is unusable.
    """
    if isinstance(path, re.Pattern):
        if not isinstance(path.pattern, str):
            return ("path-type", "path regex must be a str pattern", "use re.compile(str)")
        return _check_regex(path)
    if not isinstance(path, str):
        return (
            "path-type",
            f"path must be a string or a compiled regex, got {type(path).__name__}",
            "write '/api/*'",
        )
    if path == "":
        return ("path-empty", "empty path", "write '*' for every path, or '/api/*'")
    if not path.isprintable():
        return ("path-control-char", f"path {path!r} has control characters", "remove them")
    if not path.startswith(("/", "*")):
        return (
            "path-relative",
            f"path {path!r} does not start with '/'",
            f"write '/{path}' (paths are matched against PATH_INFO)",
        )
    if "?" in path or "#" in path:
        return (
            "path-query",
            f"path {path!r} contains '?' or '#'",
            "rules match the path only; the query string is ignored",
        )
    if not is_routable(path):
        return (
            "path-dot-segment",
            f"path {path!r} has a '.' or '..' segment, and such request paths match no rule",
            "write the path as the app sees it after normalisation",
        )
    if _PERCENT_ESCAPE.search(path):
        # PATH_INFO arrives decoded once: '/caf%C3%A9/*' would only match a double-encoded
        # request, and the ordinary '/caf%C3%A9/x' would reach the next rule.
        return (
            "path-percent-encoded",
            f"path {path!r} is percent-encoded, but paths are matched decoded",
            f"write it decoded: {unquote(path)!r}",
        )
    return _matcher(path)


def _check_regex(pattern: re.Pattern[str]) -> PathMatcher | tuple[str, str, str]:
    """Judge a compiled path regex (see the module docstring) and build its matcher."""
    source, shown = pattern.pattern, show_source(pattern.pattern)
    try:
        # Text, unless it is the latin-1 reading of UTF-8 bytes, as PATH_INFO is.
        source.encode("latin-1").decode("utf-8")
    except UnicodeError:
        char = next(char for char in source if not char.isascii())
        # Spelling each character's bytes out is exact unless one is in a class or quantified.
        rewrite = f"write it as PATH_INFO spells it, {show_source(wsgi_string(source))}"
        if "[" in source or re.search(r"[^\x00-\x7f][*+?{]", source):
            grouped = show_source(f"(?:{wsgi_string(char)})")
            rewrite = (
                f"spell each non-ASCII character as a group of its bytes read as latin-1, {char!r} "
                f"as {grouped}, and a class of them as an alternation of such groups"
            )
        message = (
            f"path regex {shown} is written as text: PATH_INFO carries each byte of a request "
            f"path as one latin-1 character (PEP 3333), so {char!r}, sent as UTF-8, arrives as "
            f"{wsgi_string(char)!r} and the regex never matches it"
        )
        return (
            "path-regex-non-ascii",
            message,
            f"{rewrite}; or use a glob path, which is written as text and converted",
        )
    try:
        root = parse_tree(source, pattern.flags, LATIN_1)
    except TooDeepError:
        return (
            "path-regex-too-deep",
            f"path regex {shown} nests groups more than {MAX_DEPTH} deep, too deep to judge",
            "write it flat, or use a glob path",
        )
    if has_ambiguous_repeat(root):
        return (
            "path-regex-nested-quantifier",
            (
                f"path regex {shown} repeats a group whose iterations can split or match the same "
                "text in more than one way: a crafted request path can make matching take "
                "exponential time"
            ),
            (
                "end each iteration in a character the rest of it cannot match, as in "
                r"r'/files/([a-z0-9-]+/)*[a-z0-9-]+\.txt', give alternatives no text in common, "
                "or use a glob path ('*' matches in linear time)"
            ),
        )
    if (count := chained_repeats(root)) > MAX_CHAINED_REPEATS:
        return (
            "path-regex-chained-repeats",
            (
                f"path regex {shown} has {count} unbounded repeats in a row that can share out the "
                "same run of characters: a long crafted request path can make matching take time "
                f"growing as its length to the power {count}"
            ),
            (
                "use a glob path ('/api/*/items/*' matches in linear time), or end each repeat "
                "before a character it cannot match ('[^/]*/' rather than '.*/')"
            ),
        )
    return _matcher(pattern)


def covers(earlier: PathMatcher, later: PathMatcher) -> bool:
    """Return whether *earlier* matches every path *later* can match (so *later* never applies).

    Only provable cases count. An exact *later* path is one string: ask *earlier*. For a glob
    *later*, ``earlier.matches`` on its text is exact when *earlier* is a glob (a ``*`` of
    *later* can only be absorbed by a ``*`` of *earlier*, which absorbs any replacement too), but
    a regex *earlier* could match the ``*`` character itself, so nothing is claimed. A regex
    *later* is covered only by the same regex.
    """
    if later.kind == "regex":
        return (
            earlier.pattern is not None
            and later.pattern is not None
            and earlier.pattern.pattern == later.pattern.pattern
            and earlier.pattern.flags == later.pattern.flags
        )
    if later.kind == "glob" and earlier.kind == "regex":
        return False
    return bool(earlier.matches(wsgi_string(later.text)))
