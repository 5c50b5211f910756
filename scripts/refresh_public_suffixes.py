"""Regenerate ``wsgicors/public_suffix_list.dat`` from the installed ``publicsuffixlist`` package.

Usage::

    python -m pip install publicsuffixlist && python scripts/refresh_public_suffixes.py

``publicsuffixlist`` (PyPI) ships a recent copy of the Public Suffix List
(https://publicsuffix.org/list/) inside the package and dates it in its version
(``1.1.2.20261023``). wsgicors needs the list only to judge configuration, and has no runtime
dependencies, so this script copies the rules into the package once per refresh, normalised so
that a lookup is a plain set membership test:

- one rule per line, both sections kept between the upstream ``===BEGIN/END ICANN DOMAINS===``
  and ``===BEGIN/END PRIVATE DOMAINS===`` markers, upstream comments dropped;
- lower-case ASCII: an internationalised label (``公司``) becomes its A-label
  (``xn--55qx5d``). Browsers convert host names with UTS #46 non-transitional processing
  (IDNA 2008), so a label is encoded with the RFC 3492 Punycode codec directly rather than
  with Python's ``idna`` codec, which implements IDNA 2003 and maps ``ß``, ``ς`` and the
  joiners away. The list is published in canonical form (lower case, NFC); a non-ASCII label
  that is not canonical is refused rather than guessed at, and labels for which IDNA 2003
  would give another answer are reported on standard error;
- wildcard (``*.ck``) and exception (``!www.ck``) rules kept; a wildcard anywhere but the
  leftmost label is refused (the list's format allows only that one);
- rules sorted within each section by their labels read from the right, so each TLD's rules
  sit together and a refresh diff shows only rules added or removed;
- a header naming the source, the package version, the list's own version and commit, and the
  snapshot date (the list's ``VERSION`` date, or the date in the package version when the
  file has no ``VERSION`` line), plus the list's licence notice (MPL 2.0).

The output depends only on the installed package's list file and version: running the script
twice gives the same bytes.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from datetime import date
from importlib import metadata, resources
from pathlib import Path

SOURCE_PACKAGE = "publicsuffixlist"
SOURCE_FILE = "public_suffix_list.dat"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "wsgicors" / "public_suffix_list.dat"
SECTIONS = ("ICANN", "PRIVATE")

_SECTION_MARKER = re.compile(r"// ===(?P<edge>BEGIN|END) (?P<section>ICANN|PRIVATE) DOMAINS===")
_LIST_VERSION = re.compile(r"// VERSION: (?P<day>\d{4}-\d{2}-\d{2})\S*")
_LIST_COMMIT = re.compile(r"// COMMIT: (?P<commit>[0-9a-f]{40})")
_PACKAGE_VERSION_DATE = re.compile(r".*\.(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})")
# An ASCII host label as the DNS allows it (letters, digits, inner hyphens, at most 63).
_ASCII_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
_MAX_NAME_LENGTH = 253


def read_installed_list() -> tuple[str, str]:
    """Return the installed ``publicsuffixlist`` package's list text and its version.

    :returns: ``(list_text, package_version)``.
    :raises ModuleNotFoundError: if the package is not installed.
    """
    list_text = resources.files(SOURCE_PACKAGE).joinpath(SOURCE_FILE).read_text(encoding="utf-8")
    return list_text, metadata.version(SOURCE_PACKAGE)


def to_ascii_label(label: str, *, line_number: int) -> str:
    """Return *label* as lower-case ASCII, an internationalised label as its ``xn--`` form.

    :param label: one label of a rule, as the list writes it.
    :param line_number: the rule's line in the source list, for error messages.
    :returns: the label as it appears in a serialized origin's host.
    :raises ValueError: if a non-ASCII label is not in canonical form (lower case, NFC), or
        the result is not a valid DNS label.
    """
    if label.isascii():
        ascii_label = label.lower()
    else:
        if unicodedata.normalize("NFC", label.lower()) != label:
            raise ValueError(
                f"line {line_number}: label {label!r} is not lower-case NFC; the list publishes "
                "canonical labels, so this needs a human look"
            )
        ascii_label = "xn--" + label.encode("punycode").decode("ascii")
        try:
            idna2003_label = label.encode("idna").decode("ascii")
        except UnicodeError:
            idna2003_label = "(refused)"
        if idna2003_label != ascii_label:
            print(
                f"note: line {line_number}: {label!r} is {ascii_label} under IDNA 2008; "
                f"IDNA 2003 would give {idna2003_label}",
                file=sys.stderr,
            )
    if not _ASCII_LABEL.fullmatch(ascii_label):
        raise ValueError(f"line {line_number}: {label!r} is not a valid host label")
    return ascii_label


def to_ascii_rule(rule: str, *, line_number: int) -> str:
    """Return one list rule (``co.uk``, ``*.ck``, ``!www.ck``) in lower-case ASCII.

    :param rule: the rule as the list writes it.
    :param line_number: the rule's line in the source list, for error messages.
    :returns: the normalised rule, its ``!`` or ``*.`` prefix kept.
    :raises ValueError: if the rule has a wildcard outside the leftmost label, an exception
        that is also a wildcard, or an invalid label.
    """
    prefix = "!" if rule.startswith("!") else ""
    labels = rule.removeprefix(prefix).split(".")
    if not prefix and labels[0] == "*" and len(labels) > 1:
        prefix, labels = "*.", labels[1:]
    if any("*" in label for label in labels):
        raise ValueError(f"line {line_number}: {rule!r} has a wildcard this format does not use")
    name = ".".join(to_ascii_label(label, line_number=line_number) for label in labels)
    if len(name) > _MAX_NAME_LENGTH:
        raise ValueError(f"line {line_number}: {rule!r} is longer than a host name can be")
    return prefix + name


def snapshot_date_of(list_text: str, package_version: str) -> str:
    """Return the ISO date of the list snapshot.

    :param list_text: the source list.
    :param package_version: the ``publicsuffixlist`` version it came with.
    :returns: the date of the list's ``// VERSION:`` line, else the date the package version
        ends with.
    :raises ValueError: if neither carries a valid date.
    """
    for line in list_text.splitlines():
        match = _LIST_VERSION.fullmatch(line.strip())
        if match is not None:
            return date.fromisoformat(match["day"]).isoformat()
    match = _PACKAGE_VERSION_DATE.fullmatch(package_version)
    if match is None:
        raise ValueError(f"neither the list nor version {package_version!r} carries a date")
    return date(int(match["year"]), int(match["month"]), int(match["day"])).isoformat()


def _rule_order(rule: str) -> tuple[tuple[str, ...], str]:
    """Sort key: labels read from the right (``co.uk`` after ``uk``), then the rule itself."""
    return tuple(reversed(rule.removeprefix("!").split("."))), rule


def render(list_text: str, package_version: str) -> str:
    """Return the normalised data file for one source list.

    :param list_text: the Public Suffix List as published (UTF-8 text, comments included).
    :param package_version: the ``publicsuffixlist`` version the list came with.
    :returns: the text of ``wsgicors/public_suffix_list.dat``.
    :raises ValueError: if a rule cannot be normalised, lies outside both sections, or appears
        twice, or if a section is missing.
    """
    rules_by_section: dict[str, list[str]] = {section: [] for section in SECTIONS}
    section_of_rule: dict[str, str] = {}
    list_version = "unknown"
    list_commit = "unknown"
    current_section: str | None = None
    for line_number, raw_line in enumerate(list_text.splitlines(), start=1):
        line = raw_line.strip()
        marker = _SECTION_MARKER.fullmatch(line)
        if marker is not None:
            current_section = marker["section"] if marker["edge"] == "BEGIN" else None
            continue
        if line.startswith("// VERSION: "):
            list_version = line.removeprefix("// VERSION: ")
        elif commit := _LIST_COMMIT.fullmatch(line):
            list_commit = commit["commit"]
        if not line or line.startswith("//"):
            continue
        # The format ends a rule at the first whitespace.
        rule = to_ascii_rule(line.split()[0], line_number=line_number)
        if current_section is None:
            raise ValueError(f"line {line_number}: {rule!r} is outside the ICANN/PRIVATE sections")
        if rule in section_of_rule:
            raise ValueError(
                f"line {line_number}: {rule!r} already appears in the "
                f"{section_of_rule[rule]} section"
            )
        section_of_rule[rule] = current_section
        rules_by_section[current_section].append(rule)
    empty = [section for section, rules in rules_by_section.items() if not rules]
    if empty:
        raise ValueError(f"the source list has no rules in section(s) {', '.join(empty)}")

    output = [
        "// Public Suffix List (https://publicsuffix.org/list/), normalised for wsgicors.",
        "// This Source Code Form is subject to the terms of the Mozilla Public License, v. 2.0.",
        "// If a copy of the MPL was not distributed with this file, You can obtain one at",
        "// https://mozilla.org/MPL/2.0/.",
        f"// Source: the {SOURCE_PACKAGE} package {package_version} on PyPI",
        f"// List version: {list_version}, commit {list_commit}",
        f"// Snapshot date: {snapshot_date_of(list_text, package_version)}",
        "// Format: one rule per line, lower-case ASCII (IDN labels as xn--), upstream comments",
        "// dropped, rules sorted by labels from the right within each section.",
        "// Regenerate: python scripts/refresh_public_suffixes.py",
    ]
    for section in SECTIONS:
        output.append(f"// ===BEGIN {section} DOMAINS===")
        output.extend(sorted(rules_by_section[section], key=_rule_order))
        output.append(f"// ===END {section} DOMAINS===")
    return "\n".join(output) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the data file; print what was written.

    :param argv: command-line arguments (default: ``sys.argv[1:]``).
    :returns: the process exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="where to write the data file (default: %(default)s)",
    )
    arguments = parser.parse_args(argv)
    list_text, package_version = read_installed_list()
    data = render(list_text, package_version)
    output_path: Path = arguments.output
    output_path.write_text(data, encoding="ascii", newline="\n")
    rule_count = sum(1 for line in data.splitlines() if not line.startswith("//"))
    print(f"wrote {rule_count} rules from {SOURCE_PACKAGE} {package_version} to {output_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
