"""Configuration problems: :class:`Problem`, :class:`ConfigError` and :class:`ConfigWarning`.

Validation never stops at the first mistake. It collects a :class:`Problem` for each one, with
where it is, the offending value, a stable code, and how to fix it, and raises them together as
one :class:`ConfigError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["ConfigError", "ConfigWarning", "Problem"]


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
        where = self.location or "configuration"
        if self.source:
            line = "" if self.line is None else f":{self.line}"
            where = f"{self.source}{line}: {where}"
        return f"{where}: {self.message} [{self.code}]\n    fix: {self.hint}"


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
