"""Problems and codes: :class:`Problem`, :class:`ConfigError`, :class:`ConfigWarning`, and the
catalogue of every decision code the middleware records.

Validation never stops at the first mistake. Checks append a :class:`Problem` for each one to a
:class:`Findings` (where it is, the offending value, a stable code, how to fix it) and return;
only the public entry points turn findings into one :class:`ConfigError` or into
:class:`ConfigWarning` warnings.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "DECISION_CODES",
    "ConfigError",
    "ConfigWarning",
    "Findings",
    "Problem",
    "escape",
]

#: Every ``Decision.code`` the middleware can record, with what it means. Stable: logs,
#: metrics and alerts may key on them.
DECISION_CODES: Final[Mapping[str, str]] = {
    # No rule applies (kind "pass-through"): the app answers alone, byte for byte.
    "no-rule": "no rule's path matches: the request passes through untouched",
    "path-not-routable": (
        "the path has a '.' or '..' segment or a control character, which a proxy or the app "
        "may normalise into a path another rule covers: it passes through untouched"
    ),
    # A rule applies.
    "no-origin": "no Origin header: not a CORS request (the response still varies on Origin)",
    "any-origin": "a '*' rule without credentials: every origin may read the response",
    "origin-allowed": "the Origin is allowed by the rule",
    "origin-not-allowed": "the Origin is a valid origin that the rule does not allow",
    "origin-malformed": "the Origin is not a serialized origin as browsers send it",
    "origin-func-failed": "allow_origin_func raised or did not return a bool: refused",
    "deny-rule": "a deny rule covers the path: CORS is disabled there",
    "preflight-allowed": "the preflight asked for nothing the rule does not allow",
    "method-invalid": "Access-Control-Request-Method is not a method token",
    "method-not-allowed": "the requested method is not in allow_methods",
    "request-headers-invalid": (
        "Access-Control-Request-Headers is too long, names too many headers, or has a name "
        "that is not a token"
    ),
    "header-not-allowed": "a requested header is not in allow_headers",
    "wildcard-with-credentials": (
        "the preflight asked for the method or header '*' on a rule with credentials, where "
        "browsers would read an echoed '*' literally"
    ),
    "private-network-not-allowed": (
        "the preflight asked for Private Network Access on a rule without allow_private_network"
    ),
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape(text: str) -> str:
    """Return *text* with every control character written as an escape (``\\n``, ``\\x1b``).

    Messages and locations carry values from configuration files and command lines; escaping
    keeps a crafted key from forging extra lines or terminal sequences.
    """
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda match: ascii(match[0])[1:-1], text)


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake (or, for warnings, one risk) in a configuration.

    :param location: where it is, such as ``rules[1].allow_origins[0]``.
    :param code: a stable identifier for the kind of problem, such as ``origin-path``.
    :param message: what is wrong, naming the offending value.
    :param hint: how to fix it.
    :param source: the configuration file it is in, if any.
    :param line: the line in that file, where the format allows finding it.
    """

    location: str
    code: str
    message: str
    hint: str
    source: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = escape(self.location) or "configuration"
        if self.source:
            line = "" if self.line is None else f":{self.line}"
            where = f"{escape(self.source)}{line}: {where}"
        hint = "\n         ".join(escape(part) for part in self.hint.split("\n"))
        return f"{where}: {escape(self.message)} [{self.code}]\n    fix: {hint}"


class ConfigError(ValueError):
    """Raised when a configuration is invalid; :attr:`problems` lists every mistake found."""

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        heading = f"invalid CORS configuration: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([heading, *(f"  {problem}" for problem in self.problems)]))


class ConfigWarning(UserWarning):
    """Emitted for settings that are legal but risky or pointless; ``problem`` says which."""

    problem: Problem

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class Findings:
    """The errors and warnings found while a configuration is checked, as data."""

    __slots__ = ("errors", "warnings")

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, location: str, code: str, message: str, hint: str) -> None:
        """Record a mistake that makes the configuration unusable."""
        self.errors.append(Problem(location, code, message, hint))

    def warn(self, location: str, code: str, message: str, hint: str) -> None:
        """Record a legal but risky or pointless setting."""
        self.warnings.append(Problem(location, code, message, hint))

    def extend(self, other: Findings) -> None:
        """Add everything *other* found."""
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)

    def annotate(self, annotate: Callable[[Problem], Problem]) -> None:
        """Rewrite every finding (to add a file and line, or to rename a location)."""
        self.errors = [annotate(problem) for problem in self.errors]
        self.warnings = [annotate(problem) for problem in self.warnings]

    def in_source_order(self, source: str) -> None:
        """Give every finding without a file *source*, and sort them by line in that file.

        Findings without a line keep their relative order after the located ones of their
        kind, so the report reads top to bottom like the file.
        """
        for name in ("errors", "warnings"):
            problems = [
                dataclasses.replace(problem, source=problem.source or source)
                for problem in getattr(self, name)
            ]
            problems.sort(key=lambda problem: (problem.line is None, problem.line or 0))
            setattr(self, name, problems)

    def raise_or_warn(self, *, stacklevel: int) -> None:
        """Raise every error as one :class:`ConfigError`, else warn once per warning.

        :param stacklevel: as for :func:`warnings.warn`, counted from the caller of this method.
        """
        if self.errors:
            raise ConfigError(self.errors)
        for problem in self.warnings:
            warnings.warn(ConfigWarning(problem), stacklevel=stacklevel + 1)
