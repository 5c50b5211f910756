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
import importlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from wsgicors.errors import ConfigError, Findings, Problem
from wsgicors.locations import Locate, json_values_and_lines, line_finder
from wsgicors.policy import Policy, compile_policy
from wsgicors.rules import RULE_OPTIONS, Rule, unknown_key

__all__ = [
    "INI_SECTION",
    "ConfigSource",
    "convert_strings",
    "load_policy",
    "policy_from_mapping",
    "split_list",
]

ConfigSource = str | os.PathLike[str] | Mapping[str, object]

#: The INI section holding top-level options; rules are ``[rule:NAME]`` sections.
INI_SECTION: Final = "wsgicors"
RULE_KEYS: Final = ("path", "path_regex", *RULE_OPTIONS)
_TOP_KEYS: Final = ("preflight_status", "debug_header", "rules", "report_only")
# How INI (and PasteDeploy) strings convert to the schema's types.
_LIST_KEYS: Final = frozenset(
    {"allow_origins", "allow_origin_regex", "allow_methods", "allow_headers", "expose_headers"}
)
_BOOL_KEYS: Final = frozenset(
    {"allow_credentials", "allow_private_network", "allow_insecure_origins", "deny", "debug_header"}
)
_INT_KEYS: Final = frozenset({"max_age", "preflight_status"})
_SECONDS_KEYS: Final = frozenset({"allow_origin_func_ttl"})
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
    rules, options, top = _read_mapping(data, found)
    report_only = None
    if isinstance(data, Mapping) and "report_only" in data:
        report_only = _read_rules(data["report_only"], "report_only", found)
    policy, checked = compile_policy(
        rules,
        options,
        preflight_status=top.get("preflight_status", 204),
        debug_header=top.get("debug_header", False),
        report_only=report_only,
    )
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
        if line is None and location.rpartition(".")[2] == "path":
            line = locate(f"{location}_regex")  # a file writes a regex path as path_regex
        enclosing = re.sub(r"(\.[^.\[]*|\[[0-9]+\])$", "", location)
        if line is not None or enclosing == location:
            return line
        location = enclosing


def _read_mapping(
    data: object, findings: Findings
) -> tuple[list[object] | None, dict[str, object], dict[str, object]]:
    """Return (rules, or ``None`` for the single-rule form; its options; the top-level
    middleware options that are present)."""
    if not isinstance(data, Mapping):
        findings.error(
            "",
            "config-type",
            f"the configuration must be a table of keys, got {type(data).__name__}",
            "start from examples/cors.toml",
        )
        return [], {}, {}
    known = (*_TOP_KEYS, *RULE_KEYS)
    for key in data:
        if key not in known:
            unknown_key(str(key), str(key), known, findings)
    top = {key: data[key] for key in ("preflight_status", "debug_header") if key in data}
    shorthand = {key: data[key] for key in RULE_KEYS if key in data}
    if "rules" not in data:
        return None, _rule_keywords(shorthand, "", findings), top
    for key in shorthand:
        findings.error(
            key,
            "option-with-rules",
            f"rule option {key!r} at the top level beside 'rules'",
            "move it into each [[rules]] table",
        )
    return _read_rules(data["rules"], "rules", findings), {}, top


def _read_rules(tables: object, key: str, findings: Findings) -> list[object]:
    """Read an array of rule tables (``rules`` or ``report_only``) into rules."""
    if isinstance(tables, str | bytes | Mapping) or not isinstance(tables, list | tuple):
        findings.error(
            key,
            "type-list",
            f"{key!r} must be an array of tables",
            f"write each rule as a [[{key}]] table",
        )
        return []
    rules: list[object] = []
    for index, table in enumerate(tables):
        if isinstance(table, Mapping):
            prefix = f"{key}[{index}]."
            for name in table:
                if name not in RULE_KEYS:
                    unknown_key(f"{prefix}{name}", str(name), RULE_KEYS, findings)
            keywords = _rule_keywords(table, prefix, findings)
            if "path" not in keywords:
                findings.error(
                    f"{key}[{index}]",
                    "path-missing",
                    "a rule needs 'path' or 'path_regex'",
                    "add path = '/api/*' (or '*' for every path)",
                )
            path = keywords.pop("path", _PLACEHOLDER_PATH)
            rules.append(Rule(path, **keywords))  # type: ignore[arg-type]
        else:
            rules.append(table)  # the checker reports what it is
    return rules


def _rule_keywords(
    table: Mapping[str, object], prefix: str, findings: Findings
) -> dict[str, object]:
    """Return the known keys of one rule table as keywords, ``path_regex`` compiled into
    ``path``; unknown keys are left out (reported by the caller)."""
    keywords = {key: table[key] for key in ("path", *RULE_OPTIONS) if key in table}
    if isinstance(keywords.get("allow_origin_func"), str):
        keywords["allow_origin_func"] = _import_function(
            str(keywords["allow_origin_func"]), f"{prefix}allow_origin_func", findings
        )
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
        except (re.error, RecursionError, OverflowError) as error:
            findings.error(
                location,
                "regex-invalid",
                f"path_regex {source!r} does not compile: {error}",
                "fix the regex syntax",
            )
    keywords.setdefault("path", _PLACEHOLDER_PATH)
    return keywords


def import_object(target: str) -> object:
    """Import ``module:attribute`` (dotted attributes allowed).

    :raises ImportError: when the module or the attribute cannot be found.
    """
    module_name, _, attribute = target.partition(":")
    try:
        obj: object = importlib.import_module(module_name)
    except (ImportError, ValueError, TypeError) as error:
        # An empty or relative module name is a ValueError or TypeError to importlib.
        raise ImportError(f"cannot import {module_name!r}: {error}") from error
    for part in attribute.split(".") if attribute else ():
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ImportError(f"{module_name!r} has no attribute {attribute!r}") from None
    return obj


def _import_function(target: str, location: str, findings: Findings) -> object:
    """Import a function named ``module:attribute`` in a file; report it if that fails."""
    if ":" not in target:
        findings.error(
            location,
            "import-string",
            f"{target!r} does not name a function as 'module:attribute'",
            "write it as 'myapp.cors:is_tenant_origin'",
        )
        return None
    try:
        return import_object(target)
    except ImportError as error:
        findings.error(location, "import-failed", str(error), "check the module and the name")
        return None


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
        elif key in _SECONDS_KEYS and re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text):
            converted[key] = float(text)
        else:
            converted[key] = text
    return converted


def _syntax_error(source: str, line: int | None, message: str) -> ConfigError:
    return ConfigError(
        [Problem("", "config-syntax", message, "fix the file's syntax", source=source, line=line)]
    )


def _beyond_limits(error: ValueError | RecursionError) -> str:
    if isinstance(error, RecursionError):
        return "values are nested too deeply to read"
    return f"a value cannot be read: {error}"


def _parse_toml(text: str, source: str) -> object:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        # tomllib names no line for an error at the very end: that is the last line.
        line = int(match[1]) if match else len(text.splitlines()) or 1
        raise _syntax_error(source, line, str(error)) from None
    except (ValueError, RecursionError) as error:
        # Past the parser's own limits (a 5,000-digit integer, arrays nested 100,000 deep):
        # it names no line.
        raise _syntax_error(source, None, _beyond_limits(error)) from None


def _parse_json(text: str, source: str, findings: Findings) -> tuple[object, dict[str, int]]:
    """Parse JSON, recording the line of every value by location and refusing duplicate keys."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise _syntax_error(source, error.lineno, error.msg) from None
    except (ValueError, RecursionError) as error:
        raise _syntax_error(source, None, _beyond_limits(error)) from None
    return json_values_and_lines(text, findings)


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
    rules: dict[str, list[object]] = {"rule:": [], "report:": []}
    for section in parser.sections():
        values = parser[section]
        kind = next((kind for kind in rules if section.startswith(kind)), None)
        if section == INI_SECTION:
            data.update(convert_strings(values))
        elif kind is not None:
            rule = convert_strings(values)
            rule.setdefault("name", section[len(kind) :].strip())
            rules[kind].append(rule)
        else:
            findings.error(
                f"[{section}]",
                "config-unknown-section",
                f"unknown section [{section}]",
                f"use [{INI_SECTION}] for options, [rule:NAME] for each rule and "
                "[report:NAME] for each report-only rule",
            )
    if rules["rule:"]:
        data["rules"] = rules["rule:"]
    if rules["report:"]:
        data["report_only"] = rules["report:"]
    return data
