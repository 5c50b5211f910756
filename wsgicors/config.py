"""Configuration files and mappings: TOML, JSON, INI or a Mapping, compiled into a policy.

One schema mirrors the Python keywords: top-level middleware options (``preflight_status``)
plus a ``rules`` array of tables in declared order, each with ``path`` (exact or glob) or
``path_regex`` and the :class:`~wsgicors.Rule` keywords. Without ``rules``, top-level rule
keywords build one rule covering every path, as ``CORSMiddleware(app, **options)`` does.

Every problem is reported at once, with the file, the line where the format allows finding it,
and the location (``rules[1].allow_origins[0]``).
"""

from __future__ import annotations

import configparser
import dataclasses
import difflib
import json
import os
import re
import tomllib
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from wsgicors.errors import ConfigError, ConfigWarning, Problem
from wsgicors.policy import (
    DEFAULT_CACHE_SIZE,
    RULE_OPTIONS,
    Policy,
    Rule,
    compile_policy,
)

__all__ = [
    "INI_SECTION",
    "ConfigSource",
    "load_policy",
    "policy_from_mapping",
    "policy_from_strings",
]

ConfigSource = str | os.PathLike[str] | Mapping[str, object]
Locate = Callable[[str], int | None]

#: The INI section holding top-level options; rules are ``[rule:NAME]`` sections.
INI_SECTION: Final = "wsgicors"
_RULE_KEYS: Final = ("path", "path_regex", *RULE_OPTIONS)
_TOP_KEYS: Final = ("preflight_status", "rules")
# How INI (and PasteDeploy) strings convert to the schema's types.
_LIST_KEYS: Final = frozenset(
    {"allow_origins", "allow_origin_regex", "allow_methods", "allow_headers", "expose_headers"}
)
_BOOL_KEYS: Final = frozenset(
    {"allow_credentials", "allow_private_network", "allow_insecure_origins", "deny"}
)
_INT_KEYS: Final = frozenset({"max_age", "preflight_status"})
_TRUE: Final = frozenset({"true", "yes", "on", "1"})
_FALSE: Final = frozenset({"false", "no", "off", "0"})
# A string that failed to convert; its key is left out after the problem is reported.
_INVALID: Final = object()
# A placeholder for a rule that could not be built, so later rules keep their index.
_PLACEHOLDER: Final = Rule("/", deny=True)


def load_policy(source: ConfigSource, *, stacklevel: int = 2) -> Policy:
    """Read *source* (a ``.toml``, ``.json`` or ``.ini`` path, or a Mapping) into a policy.

    :raises ConfigError: listing every problem, each with file, line and location.
    :warns ConfigWarning: for risky-but-legal settings, with the same details.
    """
    if isinstance(source, Mapping):
        return policy_from_mapping(source, stacklevel=stacklevel + 1)
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
    data: object
    locate: Locate | None = None
    pending: list[Problem] = []
    if suffix in {".ini", ".cfg"}:
        data = _parse_ini(text, name, pending)
        locate = _line_finder(text, r"\[\s*rule:", INI_SECTION)
    elif suffix == ".toml":
        data = _parse_toml(text, name)
        locate = _line_finder(text, r"\[\[\s*rules\s*\]\]", None)
    else:
        data = _parse_json(text, name)
    return policy_from_mapping(
        data, source=name, locate=locate, pending=pending, stacklevel=stacklevel + 1
    )


def policy_from_strings(
    values: Mapping[str, str], *, source: str = "", stacklevel: int = 2
) -> Policy:
    """Build a single-rule policy from flat string values (PasteDeploy inline keys).

    Lists are separated by whitespace or newlines (commas too, except in regexes); booleans
    are ``true``/``false`` (or yes/no, on/off, 1/0); integers are decimal.
    """
    problems: list[Problem] = []
    data = _convert_strings(values, "", problems)
    return policy_from_mapping(data, source=source, pending=problems, stacklevel=stacklevel + 1)


def policy_from_mapping(
    data: object,
    *,
    source: str = "",
    locate: Locate | None = None,
    pending: list[Problem] | None = None,
    stacklevel: int = 2,
) -> Policy:
    """Check the schema of *data*, then compile it; report every problem together."""
    problems = list(pending or [])
    rules, options, preflight_status = _read_mapping(data, problems)
    policy: Policy | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConfigWarning)
        try:
            policy = compile_policy(
                rules,
                preflight_status=preflight_status,
                cache_size=DEFAULT_CACHE_SIZE,
                options=options,
            )
        except ConfigError as error:
            problems.extend(error.problems)
    if problems:
        raise ConfigError(_annotate(problem, source, locate) for problem in problems)
    assert policy is not None  # noqa: S101 (compile_policy either returns or raises)
    for warning in caught:
        message = warning.message
        if isinstance(message, ConfigWarning):
            annotated = _annotate(message.problem, source, locate)
            warnings.warn(ConfigWarning(annotated), stacklevel=stacklevel)
        else:  # pragma: no cover (compile_policy only warns ConfigWarning)
            warnings.warn_explicit(message, warning.category, warning.filename, warning.lineno)
    return policy


def _annotate(problem: Problem, source: str, locate: Locate | None) -> Problem:
    line = locate(problem.location) if locate is not None else problem.line
    return dataclasses.replace(problem, source=problem.source or source, line=line)


def _read_mapping(
    data: object, problems: list[Problem]
) -> tuple[list[Rule] | None, dict[str, object], object]:
    """Check top-level keys; return (rules or None, shorthand options, preflight_status)."""
    if not isinstance(data, Mapping):
        problems.append(
            Problem(
                "",
                "config-type",
                f"the configuration must be a table of keys, got {type(data).__name__}",
                "start from examples/cors.toml",
            )
        )
        return [], {}, 204
    known = (*_TOP_KEYS, *_RULE_KEYS)
    problems.extend(_unknown_key(str(key), str(key), known) for key in data if key not in known)
    preflight_status = data.get("preflight_status", 204)
    shorthand = {key: data[key] for key in _RULE_KEYS if key in data}
    if "rules" not in data:
        table = {"path": "*", **shorthand} if "path_regex" not in shorthand else shorthand
        rule = _rule_from_table(table, "", problems)
        if rule is None:
            return [_PLACEHOLDER], {}, preflight_status
        options = {key: getattr(rule, key) for key in RULE_OPTIONS}
        options["path"] = rule.path
        return None, options, preflight_status
    problems.extend(
        Problem(
            key,
            "option-with-rules",
            f"rule option {key!r} at the top level beside 'rules'",
            "move it into each [[rules]] table",
        )
        for key in shorthand
    )
    tables = data["rules"]
    if isinstance(tables, str | bytes | Mapping) or not isinstance(tables, list | tuple):
        problems.append(
            Problem(
                "rules",
                "type-list",
                "'rules' must be an array of tables",
                "write each rule as a [[rules]] table",
            )
        )
        return [], {}, preflight_status
    rules: list[Rule] = []
    for index, table in enumerate(tables):
        location = f"rules[{index}]"
        if not isinstance(table, Mapping):
            problems.append(
                Problem(
                    location,
                    "rules-type",
                    f"each rule must be a table, got {type(table).__name__}",
                    "write [[rules]] with path = '...' and the rule's keys",
                )
            )
            rules.append(_PLACEHOLDER)
            continue
        rule = _rule_from_table(table, f"{location}.", problems)
        rules.append(rule or _PLACEHOLDER)
    return rules, {}, preflight_status


def _rule_from_table(
    table: Mapping[str, object], prefix: str, problems: list[Problem]
) -> Rule | None:
    before = len(problems)
    problems.extend(
        _unknown_key(f"{prefix}{key}", str(key), _RULE_KEYS)
        for key in table
        if key not in _RULE_KEYS
    )
    path: object = table.get("path")
    regex_source = table.get("path_regex")
    if path is not None and regex_source is not None:
        problems.append(
            Problem(
                f"{prefix}path_regex",
                "path-both",
                "a rule has both 'path' and 'path_regex'",
                "keep one of them",
            )
        )
    elif path is None and regex_source is None:
        problems.append(
            Problem(
                prefix.rstrip(".") or "path",
                "path-missing",
                "a rule needs 'path' or 'path_regex'",
                "add path = '/api/*' (or '*' for every path)",
            )
        )
    elif regex_source is not None:
        if not isinstance(regex_source, str):
            problems.append(
                Problem(
                    f"{prefix}path_regex",
                    "path-type",
                    f"path_regex must be a string, got {type(regex_source).__name__}",
                    "write path_regex = '/v[0-9]+/.*'",
                )
            )
        else:
            try:
                path = re.compile(regex_source)
            except re.error as error:
                problems.append(
                    Problem(
                        f"{prefix}path_regex",
                        "regex-invalid",
                        f"path_regex {regex_source!r} does not compile: {error}",
                        "fix the regex syntax",
                    )
                )
    if len(problems) > before:
        return None
    options = {key: table[key] for key in RULE_OPTIONS if key in table}
    return Rule(path, **options)  # type: ignore[arg-type]


def _unknown_key(location: str, key: str, known: tuple[str, ...]) -> Problem:
    close = difflib.get_close_matches(key, known, n=1)
    return Problem(
        location,
        "config-unknown-key",
        f"unknown key {key!r}",
        f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}",
    )


def _convert_strings(
    values: Mapping[str, str], prefix: str, problems: list[Problem]
) -> dict[str, object]:
    """Convert INI / PasteDeploy strings to the schema's types; drop the ones that fail."""
    converted = {
        key: _convert_string(key, value, prefix + key, problems) for key, value in values.items()
    }
    return {key: value for key, value in converted.items() if value is not _INVALID}


def _convert_string(key: str, value: str, location: str, problems: list[Problem]) -> object:
    """Convert one string to the schema's type for *key*, or report it and return _INVALID."""
    text = value.strip()
    if key in _LIST_KEYS:
        separators = r"\s+" if key == "allow_origin_regex" else r"[\s,]+"
        return [item for item in re.split(separators, text) if item]
    if key in _BOOL_KEYS:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        problems.append(
            Problem(location, "type-bool", f"expected true or false, got {value!r}", "write true")
        )
        return _INVALID
    if key in _INT_KEYS:
        try:
            return int(text)
        except ValueError:
            problems.append(
                Problem(
                    location, "type-int", f"expected a whole number, got {value!r}", "write 600"
                )
            )
            return _INVALID
    return text


def _syntax_error(source: str, line: int | None, message: str) -> ConfigError:
    return ConfigError(
        [Problem("", "config-syntax", message, "fix the file's syntax", source=source, line=line)]
    )


def _parse_toml(text: str, source: str) -> object:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        raise _syntax_error(source, int(match[1]) if match else None, str(error)) from None


def _parse_json(text: str, source: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _syntax_error(source, error.lineno, error.msg) from None


def _parse_ini(text: str, source: str, problems: list[Problem]) -> dict[str, object]:
    """Parse INI text into the schema's mapping; conversion problems go to *problems*."""
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
            data.update(_convert_strings(values, "", problems))
        elif section.startswith("rule:"):
            where = f"rules[{len(rules)}]"
            rule = _convert_strings(values, f"{where}.", problems)
            rule.setdefault("name", section[len("rule:") :].strip())
            rules.append(rule)
        else:
            problems.append(
                Problem(
                    f"[{section}]",
                    "config-unknown-section",
                    f"unknown section [{section}]",
                    f"use [{INI_SECTION}] for options and [rule:NAME] for each rule",
                )
            )
    if rules:
        data["rules"] = rules
    return data


def _line_finder(text: str, rule_header: str, top_section: str | None) -> Locate:
    """Return a function finding the line of a location such as ``rules[1].max_age``.

    It reads the text as written: the N-th rule header, then the first ``key =`` line before
    the next header. Good enough for the usual layouts; ``None`` when not found.
    """
    lines = text.splitlines()
    header = re.compile(rf"\s*{rule_header}")
    any_header = re.compile(r"\s*\[")
    top = re.compile(rf"\s*\[\s*{re.escape(top_section)}\s*\]") if top_section else None
    starts = [number for number, line in enumerate(lines) if header.match(line)]

    def locate(location: str) -> int | None:
        match = re.match(r"(?:rules\[(\d+)\]\.?)?([A-Za-z_]*)", location)
        assert match is not None  # noqa: S101 (every part of the pattern is optional)
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
