"""Public suffixes: whether a host name is one, by the whole Public Suffix List.

A public suffix (``com``, ``co.uk``, ``github.io``) is a name under which unrelated parties
register their own names, so an allowed-origin glob such as ``https://*.github.io`` trusts
strangers. Configuration checks ask this module; the request path never does.

The list (https://publicsuffix.org/list/, ICANN and private sections) ships inside the package
as ``public_suffix_list.dat``, normalised by ``scripts/refresh_public_suffixes.py``: one rule
per line, lower-case ASCII, internationalised labels in their ``xn--`` form, a
``// Snapshot date:`` header. It is read with :mod:`importlib.resources` on first use and
parsed once; importing this module reads nothing.

A name is a public suffix when the list's algorithm makes the whole name the suffix:

- an exception rule (``!www.ck``) names it: never, whatever else matches;
- a normal rule names it (``co.uk``);
- a wildcard rule matches it (``*.ck`` matches ``anything.ck``);
- it is the root of a wildcard rule (``kobe.jp`` for ``*.kobe.jp``): the list's linter treats
  ``*.example.com`` as declaring ``example.com`` too, its exception rules only make sense that
  way (``!city.kobe.jp`` leaves ``kobe.jp`` as the suffix of ``city.kobe.jp``), and libpsl
  and the ``publicsuffixlist`` package agree (publicsuffix/list issues #694 and #1989);
- it is a single label: the list's implicit default rule ``*`` makes every top-level name
  public, listed or not (``localhost`` included: callers decide what loopback means).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Final

__all__ = [
    "DATA_FILE",
    "PublicSuffixRules",
    "is_public_suffix",
    "load_rules",
    "parse_rules",
    "public_suffix_below",
    "snapshot_date",
]

DATA_FILE: Final = "public_suffix_list.dat"

_SECTION_MARKER = re.compile(r"// ===(?P<edge>BEGIN|END) (?P<section>ICANN|PRIVATE) DOMAINS===")
_SNAPSHOT_DATE = re.compile(r"// Snapshot date: (?P<day>\d{4}-\d{2}-\d{2})", re.ASCII)
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_RULE = re.compile(rf"(?P<prefix>!|\*\.)?(?P<name>{_LABEL}(?:\.{_LABEL})*)", re.ASCII)


@dataclass(frozen=True, slots=True)
class PublicSuffixRules:
    """The parsed list: its rules by section, and the three lookup sets built from them."""

    snapshot_date: str
    """ISO date of the list snapshot (``2026-10-22``)."""
    icann: tuple[str, ...]
    """Rules of the ICANN section, as written (``co.uk``, ``*.ck``, ``!www.ck``), in file order."""
    private: tuple[str, ...]
    """Rules of the private section (``github.io``, ``*.compute.amazonaws.com``...)."""
    exact: frozenset[str]
    """Names of the normal rules (``co.uk``)."""
    wildcard_roots: frozenset[str]
    """Names under a wildcard rule: ``ck`` for ``*.ck``."""
    exceptions: frozenset[str]
    """Names of the exception rules: ``www.ck`` for ``!www.ck``."""
    parents: frozenset[str]
    """Every proper parent of a rule's name: ``amazonaws.com`` and ``com`` for
    ``s3.amazonaws.com``."""


def parse_rules(text: str) -> PublicSuffixRules:
    """Parse the data file's text.

    Lines starting with ``//`` are comments, except the section markers and the snapshot
    date; every other line must be one rule inside a section.

    :param text: the content of :data:`DATA_FILE`.
    :returns: the rules and their lookup sets.
    :raises ValueError: if a line is neither a comment nor a lower-case ASCII rule, a rule lies
        outside both sections, or the snapshot date is missing or not a valid date.
    """
    sections: dict[str, list[str]] = {"ICANN": [], "PRIVATE": []}
    current_section: list[str] | None = None
    snapshot: str | None = None
    exact: set[str] = set()
    wildcard_roots: set[str] = set()
    exceptions: set[str] = set()
    for line_number, line in enumerate(text.splitlines(), start=1):
        marker = _SECTION_MARKER.fullmatch(line)
        if marker is not None:
            current_section = sections[marker["section"]] if marker["edge"] == "BEGIN" else None
            continue
        if line.startswith("//"):
            header = _SNAPSHOT_DATE.fullmatch(line)
            if header is not None:
                snapshot = date.fromisoformat(header["day"]).isoformat()
            continue
        rule = _RULE.fullmatch(line)
        if rule is None or current_section is None:
            raise ValueError(
                f"{DATA_FILE} line {line_number}: {line!r} is not a rule inside a section"
            )
        current_section.append(line)
        if rule["prefix"] == "!":
            exceptions.add(rule["name"])
        elif rule["prefix"] == "*.":
            wildcard_roots.add(rule["name"])
        else:
            exact.add(rule["name"])
    if snapshot is None:
        raise ValueError(f"{DATA_FILE} has no '// Snapshot date: YYYY-MM-DD' line")
    return PublicSuffixRules(
        snapshot_date=snapshot,
        icann=tuple(sections["ICANN"]),
        private=tuple(sections["PRIVATE"]),
        exact=frozenset(exact),
        wildcard_roots=frozenset(wildcard_roots),
        exceptions=frozenset(exceptions),
        parents=frozenset(
            name.split(".", depth)[-1]
            for name in exact | wildcard_roots
            for depth in range(1, name.count(".") + 1)
        ),
    )


@functools.cache
def load_rules() -> PublicSuffixRules:
    """Return the rules shipped with the package, read and parsed on the first call only.

    :returns: the parsed list.
    :raises ValueError: if the packaged data file is damaged.
    """
    text = resources.files("wsgicors").joinpath(DATA_FILE).read_text(encoding="ascii")
    return parse_rules(text)


def snapshot_date() -> str:
    """Return the ISO date (``YYYY-MM-DD``) of the shipped list snapshot.

    :returns: the date from the data file's header.
    """
    return load_rules().snapshot_date


def is_public_suffix(domain: str) -> bool:
    """Return whether *domain* is itself a public suffix (see the module docstring).

    :param domain: a host name in lower-case ASCII (internationalised labels as ``xn--``),
        without a trailing dot.
    :returns: ``True`` for ``com``, ``co.uk``, ``github.io``, ``anything.ck``; ``False`` for
        ``example.com``, ``www.ck``, and for a name with an empty label (``""``, ``.ck``).
    """
    rules = load_rules()
    if domain in rules.exceptions:
        return False
    if domain in rules.exact or domain in rules.wildcard_roots:
        return True
    leftmost_label, dot, parent = domain.partition(".")
    if not dot:
        # The implicit default rule "*": every top-level name is public, listed or not.
        return leftmost_label != ""
    return leftmost_label != "" and parent in rules.wildcard_roots


def public_suffix_below(domain: str) -> str | None:
    """Return a public suffix strictly below *domain*, if the list has one.

    ``*.amazonaws.com`` covers ``attacker.s3.amazonaws.com``, a name anyone can register under
    the public suffix ``s3.amazonaws.com``: a wildcard over such a domain trusts strangers
    though the domain itself is not public.

    :returns: one such suffix (the shortest, then the first in order), or ``None``.
    """
    rules = load_rules()
    if domain not in rules.parents:
        return None
    below = sorted(
        name for name in rules.exact | rules.wildcard_roots if name.endswith(f".{domain}")
    )
    return min(below, key=len)
