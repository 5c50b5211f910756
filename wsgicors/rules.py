"""Rules as users write them, and the one validator that checks them.

:class:`Rule` holds what a user wrote. :func:`check_rules` checks every rule at once and returns
:class:`CheckedRule` values (normalised, with their path and origin matchers built) while every
mistake and risk goes to a :class:`~wsgicors.errors.Findings`, as data. Only the public entry
points turn findings into a :class:`~wsgicors.errors.ConfigError` or warnings.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, fields
from typing import TYPE_CHECKING, Final, TypedDict

from wsgicors.fetch_checks import (
    check_expose_headers,
    check_max_age,
    check_methods,
    check_request_headers,
)
from wsgicors.origin_checks import check_origins
from wsgicors.paths import PathMatcher, check_path, covers

if TYPE_CHECKING:
    from wsgicors.errors import Findings
    from wsgicors.origins import OriginMatcher

__all__ = [
    "RULE_OPTIONS",
    "CheckedRule",
    "Rule",
    "RuleOptions",
    "check_debug_header",
    "check_memo_size",
    "check_preflight_status",
    "check_rules",
    "unknown_key",
]


@dataclass(frozen=True)
class Rule:
    """One CORS rule: which paths it covers and what cross-origin access it grants there.

    Rules are tried in the order given; the first whose *path* matches decides. Nothing is
    checked until the middleware is built, so every mistake in every rule is reported at once.

    :param path: an exact path (``/health``), a glob in which ``*`` matches any run of
        characters including ``/`` (``/api/*``; ``*`` alone covers every path), or a compiled
        regex matched against the whole path.
    :param allow_origins: exact origins, ``*``, ``null``, globs (``https://*.example.com``,
        ``http://localhost:*``), or compiled regexes.
    :param allow_origin_regex: one regex (a string or compiled) or a list of them, matched
        against the whole origin (``re.fullmatch``, ASCII, case-sensitive).
    :param allow_origin_func: asked ``func(origin) -> bool`` about origins that passed the strict
        parser and matched nothing above, such as tenants' own domains from a database.
    :param allow_origin_func_ttl: seconds an answer of *allow_origin_func* is reused (0: ask
        every time).
    :param allow_methods: methods a preflight may ask for; ``*`` for any. GET, HEAD and POST
        never need to be listed.
    :param allow_headers: request header names a preflight may ask for; ``*`` for any except
        ``Authorization``, which must be listed by name.
    :param expose_headers: response header names a page may read.
    :param allow_credentials: send ``Access-Control-Allow-Credentials: true``.
    :param max_age: seconds a browser may cache a preflight answer (0 to 86400).
    :param allow_private_network: answer Private Network Access preflights.
    :param allow_insecure_origins: allow credentials for non-loopback ``http:`` origins.
    :param deny: disable CORS on these paths: preflights get 403, app-set CORS headers are
        removed; later rules are never consulted for them.
    :param name: a label for diagnostics; defaults to ``rules[N]``.
    """

    path: str | re.Pattern[str]
    _: KW_ONLY
    allow_origins: Collection[str | re.Pattern[str]] = ()
    allow_origin_regex: str | re.Pattern[str] | Collection[str | re.Pattern[str]] = ()
    allow_origin_func: Callable[[str], bool] | None = None
    allow_origin_func_ttl: float = 60
    allow_methods: Collection[str] = ("GET", "HEAD", "POST")
    allow_headers: Collection[str] = ()
    expose_headers: Collection[str] = ()
    allow_credentials: bool = False
    max_age: int | None = None
    allow_private_network: bool = False
    allow_insecure_origins: bool = False
    deny: bool = False
    name: str | None = None


class RuleOptions(TypedDict, total=False):
    """The keyword options of :class:`Rule`, for the single-rule shorthand
    ``CORSMiddleware(app, allow_origins=[...])`` (``path`` defaults to ``"*"``)."""

    path: str | re.Pattern[str]
    allow_origins: Collection[str | re.Pattern[str]]
    allow_origin_regex: str | re.Pattern[str] | Collection[str | re.Pattern[str]]
    allow_origin_func: Callable[[str], bool] | None
    allow_origin_func_ttl: float
    allow_methods: Collection[str]
    allow_headers: Collection[str]
    expose_headers: Collection[str]
    allow_credentials: bool
    max_age: int | None
    allow_private_network: bool
    allow_insecure_origins: bool
    deny: bool
    name: str | None


#: The smallest ``memo_size``: every memo of the middleware gets at least one entry.
MIN_MEMO_SIZE: Final = 8

#: The keyword options a rule takes besides its path.
RULE_OPTIONS: Final = tuple(field.name for field in fields(Rule) if field.name != "path")


@dataclass(frozen=True, slots=True)
class CheckedRule:
    """A rule that passed every check, normalised and with its matchers built.

    :param label: its name, or ``rules[N]``.
    :param path: the path matcher.
    :param origins: the origin matcher.
    :param methods: non-safelisted methods a preflight may ask for, normalised.
    :param any_method: whether ``*`` was listed in ``allow_methods``.
    :param request_headers: lowercased request header names a preflight may ask for.
    :param any_request_header: whether ``*`` was listed in ``allow_headers``.
    :param expose_headers: the ``Access-Control-Expose-Headers`` value, or ``""``.
    :param origin_func: the rule's ``allow_origin_func``, asked after the static entries.
    :param origin_func_ttl: seconds its answers are reused.
    """

    label: str
    path: PathMatcher
    deny: bool
    origins: OriginMatcher
    allow_credentials: bool
    methods: frozenset[str]
    any_method: bool
    request_headers: frozenset[str]
    any_request_header: bool
    expose_headers: str
    max_age: int | None
    allow_private_network: bool
    origin_func: Callable[[str], object] | None = None
    origin_func_ttl: float = 60


def unknown_key(location: str, key: str, known: Iterable[str], findings: Findings) -> None:
    """Report an unknown option or file key, suggesting the closest known one."""
    known = list(known)
    close = difflib.get_close_matches(key, known, n=1)
    findings.error(
        location,
        "unknown-key",
        f"unknown key {key!r}",
        f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}",
    )


def check_preflight_status(value: object, findings: Findings) -> int:
    """Check the middleware's ``preflight_status`` (200 or 204)."""
    if value in {200, 204} and not isinstance(value, bool) and isinstance(value, int):
        return value
    findings.error(
        "preflight_status",
        "preflight-status",
        f"preflight_status must be 200 or 204, got {value!r}",
        "use 204 (the default), or 200 for very old clients",
    )
    return 204


def check_memo_size(value: object, findings: Findings) -> int:
    """Check the middleware's ``memo_size``: a whole number of entries, 8 or more (each memo
    gets a share of it)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= MIN_MEMO_SIZE:
        return value
    findings.error(
        "memo_size",
        "memo-size",
        f"memo_size must be a whole number of entries, {MIN_MEMO_SIZE} or more, got {value!r}",
        "leave the default (4096), or give the number of answers to keep",
    )
    return MIN_MEMO_SIZE


def check_debug_header(value: object, findings: Findings) -> bool:
    """Check the middleware's ``debug_header``; on, it is a warning (it is for development)."""
    if not isinstance(value, bool):
        findings.error(
            "debug_header", "type-bool", f"expected True or False, got {value!r}", "use a boolean"
        )
        return False
    if value:
        findings.warn(
            "debug_header",
            "debug-header",
            "debug_header=True tells every client why its request was refused",
            "keep it to development and staging",
        )
    return value


def check_rules(
    rules: object, options: Mapping[str, object], findings: Findings
) -> list[CheckedRule]:
    """Check *rules* (or, without them, the single-rule *options*) in declared order.

    :returns: the checked rules; complete only when *findings* has no errors.
    """
    checked: list[CheckedRule] = []
    for index, (prefix, rule) in enumerate(_rules_from_options(rules, options, findings)):
        if not isinstance(rule, Rule):
            findings.error(
                prefix[:-1],
                "rules-type",
                f"expected a Rule, got {type(rule).__name__}",
                "write Rule('/api/*', allow_origins=[...])",
            )
            continue
        result = _check_rule(rule, prefix, rule.name or f"rules[{index}]", findings)
        if result is not None:
            for earlier in checked:
                if covers(earlier.path, result.path):
                    findings.warn(
                        f"{prefix}path",
                        "rule-shadowed",
                        f"{result.label} ({result.path.text!r}) never applies: {earlier.label} "
                        f"({earlier.path.text!r}) comes first and matches every path it does",
                        f"move {result.label} above {earlier.label}, or remove it",
                    )
                    break
            checked.append(result)
    return checked


def _rules_from_options(
    rules: object, options: Mapping[str, object], findings: Findings
) -> list[tuple[str, object]]:
    """Return ``(location prefix, rule)`` pairs; items that are not rules are checked later."""
    if rules is None:
        known = ("path", *RULE_OPTIONS)
        unknown = [key for key in options if key not in known]
        for key in unknown:
            unknown_key(key, key, known, findings)
        values = {key: value for key, value in options.items() if key in RULE_OPTIONS}
        return [("", Rule(options.get("path", "*"), **values))]  # type: ignore[arg-type]
    if options:
        findings.error(
            ", ".join(options),
            "option-with-rules",
            "rule options were given beside rules=",
            "put them in each Rule(...) instead",
        )
    if isinstance(rules, Rule):
        findings.error(
            "rules", "rules-type", "rules must be a list of Rule", "write rules=[Rule(...)]"
        )
        return []
    pairs = [(f"rules[{i}].", rule) for i, rule in enumerate(as_list(rules, "rules", findings))]
    if not pairs and not findings.errors:
        findings.warn(
            "rules", "rules-empty", "no rules: every request passes through", "add a Rule"
        )
    return pairs


def as_list(value: object, location: str, findings: Findings) -> list[object]:
    """Return *value* as a list, or report why it is not a list of values."""
    if isinstance(value, str | bytes):
        findings.error(
            location,
            "type-bare-string",
            f"expected a list, got the bare string {value!r}",
            f"write [{value!r}]",
        )
        return []
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        findings.error(
            location, "type-list", f"expected a list, got {type(value).__name__}", "use a list"
        )
        return []
    return list(value)


def _check_bool(value: object, location: str, findings: Findings) -> bool:
    if not isinstance(value, bool):
        findings.error(
            location, "type-bool", f"expected True or False, got {value!r}", "use a boolean"
        )
        return False
    return value


def _check_rule(rule: Rule, prefix: str, label: str, findings: Findings) -> CheckedRule | None:
    errors_before = len(findings.errors)
    path = check_path(rule.path)
    if not isinstance(path, PathMatcher):
        findings.error(f"{prefix}path", *path)
    credentials = _check_bool(rule.allow_credentials, f"{prefix}allow_credentials", findings)
    insecure_ok = _check_bool(
        rule.allow_insecure_origins, f"{prefix}allow_insecure_origins", findings
    )
    private_network = _check_bool(
        rule.allow_private_network, f"{prefix}allow_private_network", findings
    )
    deny = _check_bool(rule.deny, f"{prefix}deny", findings)
    if rule.name is not None and not (isinstance(rule.name, str) and rule.name.isprintable()):
        findings.error(
            f"{prefix}name", "name-type", f"name must be text, got {rule.name!r}", "'api'"
        )
    errors_before_origins = len(findings.errors)
    origins = check_origins(
        _located(rule.allow_origins, f"{prefix}allow_origins", findings),
        _located_regexes(rule.allow_origin_regex, f"{prefix}allow_origin_regex", findings),
        credentials=credentials,
        allow_insecure_origins=insecure_ok,
        private_network=private_network,
        findings=findings,
    )
    origin_func, origin_func_ttl = _check_origin_func(rule, prefix, findings)
    no_origins = origins.is_empty() and origin_func is None
    if not deny and no_origins and len(findings.errors) == errors_before_origins:
        findings.error(
            f"{prefix}allow_origins",
            "rule-no-origins",
            "the rule allows no origin",
            "list allowed origins, such as ['https://app.example.com'], or set deny=True",
        )
    methods, any_method = check_methods(
        _located(rule.allow_methods, f"{prefix}allow_methods", findings), findings
    )
    request_headers, any_header = check_request_headers(
        _located(rule.allow_headers, f"{prefix}allow_headers", findings), findings
    )
    expose = check_expose_headers(
        _located(rule.expose_headers, f"{prefix}expose_headers", findings), credentials, findings
    )
    max_age = check_max_age(rule.max_age, f"{prefix}max_age", findings)
    if len(findings.errors) > errors_before or not isinstance(path, PathMatcher):
        return None
    return CheckedRule(
        label=label,
        path=path,
        deny=deny,
        origins=origins,
        allow_credentials=credentials,
        methods=methods,
        any_method=any_method,
        request_headers=request_headers,
        any_request_header=any_header,
        expose_headers=expose,
        max_age=max_age,
        allow_private_network=private_network,
        origin_func=origin_func,
        origin_func_ttl=origin_func_ttl,
    )


def _check_origin_func(
    rule: Rule, prefix: str, findings: Findings
) -> tuple[Callable[[str], object] | None, float]:
    func, ttl = rule.allow_origin_func, rule.allow_origin_func_ttl
    if func is not None and not callable(func):
        findings.error(
            f"{prefix}allow_origin_func",
            "origin-func-type",
            f"allow_origin_func must be callable, got {type(func).__name__}",
            "pass a function taking the origin and returning True or False",
        )
        func = None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 <= ttl < math.inf:
        findings.error(
            f"{prefix}allow_origin_func_ttl",
            "origin-func-ttl",
            f"allow_origin_func_ttl must be a number of seconds, 0 or more, got {ttl!r}",
            "write 60 (or 0 to ask every time)",
        )
        ttl = 0
    return func, float(ttl)


def _located(value: object, location: str, findings: Findings) -> list[tuple[str, object]]:
    return [(f"{location}[{i}]", item) for i, item in enumerate(as_list(value, location, findings))]


def _located_regexes(value: object, location: str, findings: Findings) -> list[tuple[str, object]]:
    # One regex may be given alone (Starlette's allow_origin_regex is a single string).
    if isinstance(value, str | re.Pattern):
        return [(location, value)]
    return _located(value, location, findings)
