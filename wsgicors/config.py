"""Configuration files and mappings: TOML, JSON, INI or a Mapping, read into rules.

One schema mirrors the Python keywords: top-level middleware options (``preflight_status``)
plus a ``rules`` array of tables in declared order, each with ``path`` (exact or glob) or
``path_regex`` and the :class:`~wsgicors.Rule` keywords. Without ``rules``, top-level rule
keywords build one rule covering every path, as ``CORSMiddleware(app, **options)`` does. In INI
files, ``[wsgicors]`` holds the top-level keys and each ``[rule:NAME]`` section one rule.

This module only reads: values are checked by :mod:`wsgicors.rules`, the one validator. What it
adds to each finding is the file and the line, and it lists findings in file order.
"""

from __future__ import annotations

import configparser
import dataclasses
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from wsgicors.errors import ConfigError, Findings, Problem
from wsgicors.policy import Policy, compile_policy
from wsgicors.rules import RULE_OPTIONS, Rule, unknown_key

__all__ = [
    "INI_SECTION",
    "ConfigSource",
    "convert_strings",
    "line_finder",
    "load_policy",
    "policy_from_mapping",
    "split_list",
]

ConfigSource = str | os.PathLike[str] | Mapping[str, object]
Locate = Callable[[str], int | None]

#: The INI section holding top-level options; rules are ``[rule:NAME]`` sections.
INI_SECTION: Final = "wsgicors"
RULE_KEYS: Final = ("path", "path_regex", *RULE_OPTIONS)
_TOP_KEYS: Final = ("preflight_status", "rules")
# How INI (and PasteDeploy) strings convert to the schema's types.
_LIST_KEYS: Final = frozenset(
    {"allow_origins", "allow_origin_regex", "allow_methods", "allow_headers", "expose_headers"}
)
_BOOL_KEYS: Final = frozenset(
    {"allow_credentials", "allow_private_network", "allow_insecure_origins", "deny"}
)
_INT_KEYS: Final = frozenset({"max_age", "preflight_status"})
# Stands in for a missing or unusable path, so that the rule's other keys are still checked.
_PLACEHOLDER_PATH: Final = "/"
_BOOLEANS: Final = {"true": True, "yes": True, "on": True, "1": True}
_BOOLEANS.update({"false": False, "no": False, "off": False, "0": False})


def split_list(text: str, *, regexes: bool = False) -> list[str]:
    """Split a list written in one string: items separated by whitespace or newlines, and by
    commas too unless the items are *regexes* (where a comma is part of ``{m,n}``)."""
    return [item for item in re.split(r"\s+" if regexes else r"[\s,]+", text.strip()) if item]


def load_policy(source: ConfigSource) -> tuple[Policy | None, Findings]:
    """Read *source* (a ``.toml``, ``.json`` or ``.ini`` path, or a Mapping) into a policy.

    :returns: the policy (``None`` when there are errors) and every finding, each with file,
        line and location, in file order.
    :raises ConfigError: when the file cannot be read or parsed at all.
    """
    if isinstance(source, Mapping):
        return policy_from_mapping(source)
    path = Path(source)
    name = str(source)
    suffix = path.suffix.lower()
    if suffix not in {".toml", ".json", ".ini", ".cfg"}:
        raise ConfigError(
            [
                Problem(
                    "",
                    "config-format",
                    f"unsupported configuration file type {suffix or '(none)'!r}",
                    "use a .toml, .json or .ini file",
                    source=name,
                )
            ]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            [Problem("", "config-unreadable", f"cannot read it: {error}", "check the path", name)]
        ) from None
    findings = Findings()
    if suffix == ".toml":
        data = _parse_toml(text, name)
        locate = line_finder(text, r"\[\[\s*rules\s*\]\]", None)
    elif suffix == ".json":
        data, lines = _parse_json(text, name, findings)
        locate = lines.get
    else:
        data = _parse_ini(text, name, findings)
        locate = line_finder(text, r"\[\s*rule:", INI_SECTION)
    return policy_from_mapping(data, source=name, locate=locate, findings=findings)


def policy_from_mapping(
    data: object,
    *,
    source: str = "",
    locate: Locate | None = None,
    findings: Findings | None = None,
) -> tuple[Policy | None, Findings]:
    """Read the schema in *data* into rules and compile them, reporting every finding.

    :param findings: what the reader found before (it is extended and returned).
    """
    found = findings or Findings()
    rules, options, preflight_status = _read_mapping(data, found)
    policy, checked = compile_policy(rules, options, preflight_status=preflight_status)
    found.extend(checked)
    if locate is not None:
        found.annotate(
            lambda problem: dataclasses.replace(
                problem, line=problem.line or _nearest_line(problem.location, locate)
            )
        )
    if source:
        found.in_source_order(source)
    return (None if found.errors else policy), found


def _nearest_line(location: str, locate: Locate) -> int | None:
    """The line of *location*, or of the closest enclosing one that is written in the file
    (a missing key is reported at its rule's first line)."""
    while True:
        line = locate(location)
        enclosing = re.sub(r"(\.[^.\[]*|\[[0-9]+\])$", "", location)
        if line is not None or enclosing == location:
            return line
        location = enclosing


def _read_mapping(
    data: object, findings: Findings
) -> tuple[list[object] | None, dict[str, object], object]:
    """Return (rules, or ``None`` for the single-rule form; its options; preflight_status)."""
    if not isinstance(data, Mapping):
        findings.error(
            "",
            "config-type",
            f"the configuration must be a table of keys, got {type(data).__name__}",
            "start from examples/cors.toml",
        )
        return [], {}, 204
    known = (*_TOP_KEYS, *RULE_KEYS)
    for key in data:
        if key not in known:
            unknown_key(str(key), str(key), known, findings)
    preflight_status = data.get("preflight_status", 204)
    shorthand = {key: data[key] for key in RULE_KEYS if key in data}
    if "rules" not in data:
        return None, _rule_keywords(shorthand, "", findings), preflight_status
    for key in shorthand:
        findings.error(
            key,
            "option-with-rules",
            f"rule option {key!r} at the top level beside 'rules'",
            "move it into each [[rules]] table",
        )
    tables = data["rules"]
    if isinstance(tables, str | bytes | Mapping) or not isinstance(tables, list | tuple):
        findings.error(
            "rules",
            "type-list",
            "'rules' must be an array of tables",
            "write each rule as a [[rules]] table",
        )
        return [], {}, preflight_status
    rules: list[object] = []
    for index, table in enumerate(tables):
        if isinstance(table, Mapping):
            prefix = f"rules[{index}]."
            for key in table:
                if key not in RULE_KEYS:
                    unknown_key(f"{prefix}{key}", str(key), RULE_KEYS, findings)
            keywords = _rule_keywords(table, prefix, findings)
            if "path" not in keywords:
                findings.error(
                    f"rules[{index}]",
                    "path-missing",
                    "a rule needs 'path' or 'path_regex'",
                    "add path = '/api/*' (or '*' for every path)",
                )
            path = keywords.pop("path", _PLACEHOLDER_PATH)
            rules.append(Rule(path, **keywords))  # type: ignore[arg-type]
        else:
            rules.append(table)  # the checker reports what it is
    return rules, {}, preflight_status


def _rule_keywords(
    table: Mapping[str, object], prefix: str, findings: Findings
) -> dict[str, object]:
    """Return the known keys of one rule table as keywords, ``path_regex`` compiled into
    ``path``; unknown keys are left out (reported by the caller)."""
    keywords = {key: table[key] for key in ("path", *RULE_OPTIONS) if key in table}
    if "path_regex" not in table:
        return keywords
    source = table["path_regex"]
    location = f"{prefix}path_regex"
    if "path" in table:
        findings.error(location, "path-both", "a rule has both 'path' and 'path_regex'", "keep one")
    elif not isinstance(source, str):
        findings.error(
            location,
            "path-type",
            f"path_regex must be a string, got {type(source).__name__}",
            "write path_regex = '/v[0-9]+/.*'",
        )
    else:
        try:
            keywords["path"] = re.compile(source)
        except re.error as error:
            findings.error(
                location,
                "regex-invalid",
                f"path_regex {source!r} does not compile: {error}",
                "fix the regex syntax",
            )
    keywords.setdefault("path", _PLACEHOLDER_PATH)
    return keywords


def convert_strings(values: Mapping[str, str]) -> dict[str, object]:
    """Convert INI / PasteDeploy strings to the schema's types where they are well-formed.

    A string that does not convert is kept as it is, so the checker reports it with its value.
    """
    converted: dict[str, object] = {}
    for key, value in values.items():
        text = value.strip()
        if key in _LIST_KEYS:
            converted[key] = split_list(text, regexes=key == "allow_origin_regex")
        elif key in _BOOL_KEYS:
            converted[key] = _BOOLEANS.get(text.lower(), value)
        elif key in _INT_KEYS and re.fullmatch(r"[0-9]+", text):
            converted[key] = int(text)
        else:
            converted[key] = text
    return converted


def _syntax_error(source: str, line: int | None, message: str) -> ConfigError:
    return ConfigError(
        [Problem("", "config-syntax", message, "fix the file's syntax", source=source, line=line)]
    )


def _parse_toml(text: str, source: str) -> object:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        # tomllib names no line for an error at the very end: that is the last line.
        line = int(match[1]) if match else len(text.splitlines()) or 1
        raise _syntax_error(source, line, str(error)) from None


def _parse_json(text: str, source: str, findings: Findings) -> tuple[object, dict[str, int]]:
    """Parse JSON, recording the line of every value by location and refusing duplicate keys."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise _syntax_error(source, error.lineno, error.msg) from None
    lines: dict[str, int] = {}
    decoder = json.JSONDecoder()

    def line_of(index: int) -> int:
        return text.count("\n", 0, index) + 1

    def skip(index: int) -> int:
        while index < len(text) and text[index] in " \t\r\n":
            index += 1
        return index

    def value(index: int, location: str) -> tuple[object, int]:
        index = skip(index)
        lines[location] = line_of(index)
        if text[index] == "{":
            result: dict[str, object] = {}
            index = skip(index + 1)
            while text[index] != "}":
                key, index = decoder.raw_decode(text, index)
                where = f"{location}.{key}" if location else key
                if key in result:
                    findings.error(
                        where,
                        "config-duplicate-key",
                        f"key {key!r} appears twice in one object; JSON readers keep the last",
                        "keep one of them",
                    )
                result[key], index = value(skip(index) + 1, where)
                index = skip(index)
                index = skip(index + 1) if text[index] == "," else index
            return result, index + 1
        if text[index] == "[":
            items: list[object] = []
            index = skip(index + 1)
            while text[index] != "]":
                item, index = value(index, f"{location}[{len(items)}]")
                items.append(item)
                index = skip(index)
                index = skip(index + 1) if text[index] == "," else index
            return items, index + 1
        return decoder.raw_decode(text, index)

    data, _ = value(0, "")
    return data, lines


def _parse_ini(text: str, source: str, findings: Findings) -> dict[str, object]:
    """Parse INI text into the schema's mapping."""
    parser = configparser.ConfigParser(interpolation=None, strict=True, default_section="\0")
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text, source=source)
    except configparser.Error as error:
        line = getattr(error, "lineno", None)
        raise _syntax_error(source, line, str(error).splitlines()[0]) from None
    data: dict[str, object] = {}
    rules: list[object] = []
    for section in parser.sections():
        values = parser[section]
        if section == INI_SECTION:
            data.update(convert_strings(values))
        elif section.startswith("rule:"):
            rule = convert_strings(values)
            rule.setdefault("name", section[len("rule:") :].strip())
            rules.append(rule)
        else:
            findings.error(
                f"[{section}]",
                "config-unknown-section",
                f"unknown section [{section}]",
                f"use [{INI_SECTION}] for options and [rule:NAME] for each rule",
            )
    if rules:
        data["rules"] = rules
    return data


def line_finder(text: str, rule_header: str, top_section: str | None) -> Locate:
    """Return a function finding the line of a location such as ``rules[1].max_age``.

    It reads the text as written: the N-th rule header, then the first ``key =`` line before
    the next header. Good enough for the usual layouts; ``None`` when not found.
    """
    lines = text.splitlines()
    header = re.compile(rf"\s*{rule_header}")
    any_header = re.compile(r"\s*\[")
    top = re.compile(rf"\s*\[\s*{re.escape(top_section)}\s*\]") if top_section else None
    starts = [number for number, line in enumerate(lines) if header.match(line)]
    sections = {line.strip(): number for number, line in enumerate(lines) if any_header.match(line)}

    def locate(location: str) -> int | None:
        if location in sections:
            return sections[location] + 1
        match = re.match(r"(?:rules\[(\d+)\]\.?)?([A-Za-z_]*)", location)
        if match is None:  # pragma: no cover (every part of the pattern is optional)
            return None
        index, key = match.group(1), match.group(2)
        if index is not None:
            if int(index) >= len(starts):
                return None
            if not key:
                return starts[int(index)] + 1
            begin = starts[int(index)] + 1
        elif not key:
            return None
        else:
            found = [n for n, line in enumerate(lines) if top and top.match(line)]
            begin = found[0] + 1 if found else 0
        key_line = re.compile(rf"\s*{re.escape(key)}\s*[=:]")
        for number in range(begin, len(lines)):
            if any_header.match(lines[number]):
                break
            if key_line.match(lines[number]):
                return number + 1
        return None

    return locate
