"""Rule paths: exact, glob and regex matchers in WSGI's string space, and which request paths
may be routed at all.

``PATH_INFO`` reaches the middleware decoded once and carried in a ``str`` whose characters are
the request's bytes (PEP 3333, latin-1), so rule paths written as ordinary text are converted to
that space once, at construction: ``/café/*`` matches the ``PATH_INFO`` ``/cafÃ©/x``. A compiled
regex is the user's own and is used as given.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["PathMatcher", "check_path", "covers", "glob_matcher", "is_routable", "wsgi_string"]

PathKind = Literal["exact", "glob", "regex"]

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
        return _matcher(path)
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
    if "*" not in path and not is_routable(path):
        return (
            "path-dot-segment",
            f"path {path!r} has a '.' or '..' segment, and such request paths match no rule",
            "write the path as the app sees it after normalisation",
        )
    return _matcher(path)


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
