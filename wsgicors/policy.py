"""Rules, their validation, and the compiled policy: pure CORS decisions, no WSGI.

:class:`Rule` holds what a user wrote. :func:`compile_policy` checks every rule at once
(collecting every :class:`~wsgicors.errors.Problem` into one
:class:`~wsgicors.errors.ConfigError`), then builds an immutable :class:`Policy` in which every
header value that can be known ahead of a request is already computed. At request time the
policy only routes a path to its rule (first match wins, memoised) and looks origins up.
"""

from __future__ import annotations

import difflib
import operator
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, fields
from functools import lru_cache, partial
from typing import Final, Literal

from wsgicors._http import (
    ACAC,
    ACAH,
    ACAM,
    ACAO,
    ACAPN,
    ACCESS_CONTROL_PREFIX,
    ACEH,
    ACMA,
    AUTHORIZATION,
    BROWSER_MAX_AGE_CAP,
    FORBIDDEN_METHODS,
    FORBIDDEN_RESPONSE_HEADERS,
    MAX_AGE_LIMIT,
    MAX_METHOD_LENGTH,
    MAX_ORIGIN_LENGTH,
    MAX_REQUEST_HEADER_NAMES,
    MAX_REQUEST_HEADERS_LENGTH,
    NORMALIZED_METHODS,
    SAFELISTED_METHODS,
    SAFELISTED_RESPONSE_HEADERS,
    STATUS_LINES,
    VARY,
    for_log,
    is_forbidden_request_header,
    is_token,
)
from wsgicors.errors import ConfigError, ConfigWarning, Problem
from wsgicors.origins import (
    AllowedOrigin,
    OriginMatcher,
    compile_globs,
    is_public_suffix,
    is_serialized_origin,
    matches_everything,
    parse_allowed_origin,
    unescaped_label_dot,
)

__all__ = [
    "DEFAULT_CACHE_SIZE",
    "CompiledRule",
    "Decision",
    "Policy",
    "Rule",
    "compile_policy",
    "rewrite_headers",
]

DEFAULT_CACHE_SIZE: Final = 4096

Header = tuple[str, str]
Kind = Literal["preflight", "actual", "non-cors", "pass-through"]


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
    :param allow_origin_regex: one regex string or a list of them, matched against the whole
        origin (``re.fullmatch``, ASCII, case-sensitive).
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
    allow_origin_regex: str | Collection[str] = ()
    allow_methods: Collection[str] = ("GET", "HEAD", "POST")
    allow_headers: Collection[str] = ()
    expose_headers: Collection[str] = ()
    allow_credentials: bool = False
    max_age: int | None = None
    allow_private_network: bool = False
    allow_insecure_origins: bool = False
    deny: bool = False
    name: str | None = None


#: The keyword options a rule takes besides its path (the single-rule shorthand's options).
RULE_OPTIONS: Final = tuple(field.name for field in fields(Rule) if field.name != "path")


@dataclass(frozen=True, slots=True)
class Decision:
    """What the middleware decided for one request, stored in ``environ["wsgicors.decision"]``.

    :param rule: the deciding rule's name (``rules[N]`` unless named), or ``None``.
    :param kind: ``"preflight"``, ``"actual"`` (a CORS request the app answers),
        ``"non-cors"`` (no ``Origin``) or ``"pass-through"`` (no rule covers the path).
    :param allowed: whether cross-origin access was granted; ``None`` when nothing was asked.
    :param reason: why, in words.
    """

    rule: str | None
    kind: Kind
    allowed: bool | None
    reason: str


PreflightAnswer = tuple[str, tuple[Header, ...], Decision]
ActualAnswer = tuple[tuple[Header, ...], tuple[Header, ...], Decision]
_VARY_ORIGIN: Final = (VARY, "Origin")


def rewrite_headers(
    headers: list[Header], extra: tuple[Header, ...], vary_origin: bool
) -> list[Header]:
    """Return the app's *headers* with its Access-Control-* headers removed and *extra* added.

    With *vary_origin*, ``Origin`` is merged into the app's ``Vary`` (case-insensitively,
    keeping every token the app sent, leaving ``Vary: *`` alone) so caches never serve one
    origin's answer to another (Fetch, "CORS protocol and HTTP caches").
    """
    result: list[Header] = []
    vary_index = -1
    vary_done = not vary_origin
    for header in headers:
        name = header[0].lower()
        if name.startswith(ACCESS_CONTROL_PREFIX):
            continue
        if name == "vary" and not vary_done:
            tokens = {token.strip().lower() for token in header[1].split(",")}
            if "origin" in tokens or "*" in tokens:
                vary_done = True
            else:
                vary_index = len(result)
        result.append(header)
    if not vary_done:
        if vary_index < 0:
            result.append(_VARY_ORIGIN)
        else:
            name, value = result[vary_index]
            result[vary_index] = (name, f"{value}, Origin" if value.strip() else "Origin")
    result.extend(extra)
    return result


def _parse_request_headers(value: str) -> tuple[tuple[str, ...], str]:
    """Parse Access-Control-Request-Headers in one bounded pass.

    :returns: the distinct lowercased names, and an error message (empty when valid).
    """
    if len(value) > MAX_REQUEST_HEADERS_LENGTH:
        return (), f"Access-Control-Request-Headers is longer than {MAX_REQUEST_HEADERS_LENGTH}"
    names: dict[str, None] = {}
    for part in value.split(","):
        name = part.strip(" \t")
        if not name:
            continue
        if not is_token(name):
            return (), f"request header name {for_log(name)} is not a valid token"
        names[name.lower()] = None
        if len(names) > MAX_REQUEST_HEADER_NAMES:
            return (), f"Access-Control-Request-Headers names more than {MAX_REQUEST_HEADER_NAMES}"
    return tuple(names), ""


class CompiledRule:
    """A validated rule with its matchers built and its response headers precomputed."""

    __slots__ = (
        "_actual_allowed",
        "_allowed_extra",
        "_cors_refused",
        "_deny_actual",
        "_deny_non_cors",
        "_malformed",
        "_max_age_header",
        "_no_origin",
        "_preflight_ok",
        "_preflight_success_tail",
        "_preflight_vary",
        "_refused_headers",
        "_wildcard_actual",
        "_wildcard_headers",
        "_wildcard_non_cors",
        "actual",
        "any_header",
        "any_method",
        "deny",
        "headers",
        "label",
        "matches_path",
        "methods",
        "origins",
        "path_kind",
        "path_pattern",
        "path_text",
        "preflight",
        "preflight_status",
        "private_network",
        "vary_origin",
        "wildcard",
    )

    def __init__(
        self,
        *,
        label: str,
        path_kind: Literal["exact", "glob", "regex"],
        path_text: str,
        path_pattern: re.Pattern[str] | None,
        deny: bool,
        origins: OriginMatcher,
        credentials: bool,
        methods: frozenset[str],
        any_method: bool,
        headers: frozenset[str],
        any_header: bool,
        expose: str,
        max_age: int | None,
        private_network: bool,
        preflight_status: int,
        cache_size: int,
    ) -> None:
        self.label = label
        self.path_kind = path_kind
        self.path_text = path_text
        self.path_pattern = path_pattern
        self.matches_path: Callable[[str], object]
        if path_kind == "regex":
            assert path_pattern is not None  # noqa: S101 (a regex rule has its pattern)
            self.matches_path = path_pattern.fullmatch
        elif path_kind == "glob":
            self.matches_path = glob_matcher(path_text)
        else:
            self.matches_path = partial(operator.eq, path_text)
        self.deny = deny
        self.origins = origins
        self.wildcard = origins.any_origin
        self.methods = methods
        self.any_method = any_method
        self.headers = headers
        self.any_header = any_header
        self.private_network = private_network
        self.preflight_status = preflight_status
        # Only a credential-less "*" rule answers the same to every origin (SPEC section 4).
        self.vary_origin = not deny and not self.wildcard

        allowed_extra: list[Header] = []
        if credentials:
            allowed_extra.append((ACAC, "true"))
        if expose:
            allowed_extra.append((ACEH, expose))
        self._allowed_extra = tuple(allowed_extra)
        self._wildcard_headers = ((ACAO, "*"), *allowed_extra)

        vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
        if private_network:
            vary += ", Access-Control-Request-Private-Network"
        self._preflight_vary: Header = (VARY, vary)
        tail: list[Header] = []
        if credentials:
            tail.append((ACAC, "true"))
        self._preflight_success_tail = tuple(tail)
        self._refused_headers: tuple[Header, ...] = (
            ("Content-Type", "text/plain"),
            ("Content-Length", "0"),
            self._preflight_vary,
        )
        self._max_age_header: Header | None = None if max_age is None else (ACMA, str(max_age))

        self._preflight_ok = Decision(label, "preflight", True, "preflight allowed")
        self._actual_allowed = Decision(label, "actual", True, "origin allowed")
        self._cors_refused = Decision(label, "actual", False, "origin not allowed by this rule")
        self._malformed = Decision(label, "actual", False, "Origin is not a serialized origin")
        self._no_origin = Decision(label, "non-cors", None, "no Origin header")
        self._wildcard_actual = Decision(label, "actual", True, "'*' rule: any origin may read")
        self._wildcard_non_cors = Decision(label, "non-cors", True, "'*' rule: sent to everyone")
        deny_reason = "deny rule: CORS is disabled on this path"
        self._deny_actual = Decision(label, "actual", False, deny_reason)
        self._deny_non_cors = Decision(label, "non-cors", None, deny_reason)
        #: :meth:`decide_actual` and :meth:`decide_preflight`, memoised in bounded LRUs.
        #: Callers keep oversized inputs out of them.
        self.actual = lru_cache(maxsize=cache_size)(self.decide_actual)
        self.preflight = lru_cache(maxsize=cache_size)(self.decide_preflight)

    def decide_actual(self, origin: str | None) -> ActualAnswer:
        """Decide a non-preflight request.

        :returns: the headers to append when the app sent no Access-Control-* or Vary header
            (``Vary: Origin`` included), the headers to add otherwise, and the decision.
        """
        extra, decision = self._decide_actual(origin)
        return ((_VARY_ORIGIN, *extra) if self.vary_origin else extra), extra, decision

    def _decide_actual(self, origin: str | None) -> tuple[tuple[Header, ...], Decision]:
        if self.deny:
            return (), (self._deny_non_cors if origin is None else self._deny_actual)
        if self.wildcard:
            return self._wildcard_headers, (
                self._wildcard_non_cors if origin is None else self._wildcard_actual
            )
        if origin is None:
            return (), self._no_origin
        if self.origins.allows(origin):
            return ((ACAO, origin), *self._allowed_extra), self._actual_allowed
        if is_serialized_origin(origin):
            return (), self._cors_refused
        return (), self._malformed

    def _refuse(self, reason: str) -> PreflightAnswer:
        decision = Decision(self.label, "preflight", False, reason)
        return STATUS_LINES[403], self._refused_headers, decision

    def decide_preflight(
        self, origin: str, method: str, request_headers: str, private_network: str
    ) -> PreflightAnswer:
        """Answer a preflight: ``(status line, headers, decision)``. Hostile sizes are capped
        here, before any parsing."""
        if self.deny:
            return self._refuse(self._deny_actual.reason)
        if len(origin) > MAX_ORIGIN_LENGTH:
            return self._refuse(f"Origin is longer than {MAX_ORIGIN_LENGTH}")
        if not self.origins.allows(origin):
            if is_serialized_origin(origin):
                return self._refuse(f"origin {for_log(origin)} not allowed by this rule")
            return self._refuse("Origin is not a serialized origin")

        if len(method) > MAX_METHOD_LENGTH or not is_token(method):
            return self._refuse(f"Access-Control-Request-Method {for_log(method)} is not a method")
        allow_method: str | None = None
        # Fetch, CORS-preflight fetch: a safelisted method never needs Allow-Methods.
        if method not in SAFELISTED_METHODS:
            if method not in self.methods and (
                not self.any_method or method.upper() in FORBIDDEN_METHODS
            ):
                return self._refuse(f"method {for_log(method)} not in allow_methods")
            allow_method = method

        names, problem = _parse_request_headers(request_headers)
        if problem:
            return self._refuse(problem)
        for name in names:
            if name in self.headers:
                continue
            if not self.any_header or name == AUTHORIZATION:
                hint = " ('*' never covers authorization)" if self.any_header else ""
                return self._refuse(f"request header {for_log(name)} not in allow_headers{hint}")

        asks_private_network = private_network == "true"
        if asks_private_network and not self.private_network:
            return self._refuse("private network access asked for, allow_private_network is off")

        headers: list[Header] = [(ACAO, "*" if self.wildcard else origin)]
        headers.extend(self._preflight_success_tail)
        if allow_method is not None:
            headers.append((ACAM, allow_method))
        if names:
            headers.append((ACAH, ", ".join(names)))
        if self._max_age_header is not None:
            headers.append(self._max_age_header)
        if asks_private_network:
            headers.append((ACAPN, "true"))
        headers.append(self._preflight_vary)
        if self.preflight_status != 204:
            # RFC 9110 forbids Content-Length on 204; on 200 it keeps the connection reusable.
            headers.extend((("Content-Type", "text/plain"), ("Content-Length", "0")))
        return STATUS_LINES[self.preflight_status], tuple(headers), self._preflight_ok

    def preflight_cache_size(self) -> int:
        """Number of memoised preflight answers (bounded by the cache size)."""
        return self.preflight.cache_info().currsize

    def actual_cache_size(self) -> int:
        """Number of memoised actual-request answers (bounded by the cache size)."""
        return self.actual.cache_info().currsize


_NO_RULE = Decision(None, "pass-through", None, "no rule matches this path")
_DOT_SEGMENT = Decision(None, "pass-through", None, "path has a '.' or '..' segment")


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


def _has_dot_segment(path: str) -> bool:
    if "." not in path:
        return False
    return any(segment in {".", ".."} for segment in path.split("/"))


class Policy:
    """An immutable, compiled list of rules. Routing a path is memoised in a bounded LRU."""

    __slots__ = ("memo_route", "rules")

    def __init__(self, rules: tuple[CompiledRule, ...], cache_size: int) -> None:
        self.rules = rules
        #: :meth:`route` memoised in a bounded LRU; callers keep long paths out of it.
        self.memo_route = lru_cache(maxsize=cache_size)(self.route)

    def route_cache_size(self) -> int:
        """Number of memoised routes (bounded by the cache size)."""
        return self.memo_route.cache_info().currsize

    def route(self, path: str) -> tuple[CompiledRule | None, Decision | None]:
        """Return the first rule whose path matches, or ``None`` and the pass-through reason."""
        # A "." or ".." segment may be normalised away by the app or a proxy, so a rule written
        # for one path could be bypassed or misapplied: fail closed (SPEC section 2).
        if _has_dot_segment(path):
            return None, _DOT_SEGMENT
        for rule in self.rules:
            if rule.matches_path(path):
                return rule, None
        return None, _NO_RULE


# --- validation --------------------------------------------------------------------------


class _Collector:
    """Collects problems (errors) and warnings while a configuration is checked."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, location: str, code: str, message: str, hint: str) -> None:
        self.errors.append(Problem(location, code, message, hint))

    def warn(self, location: str, code: str, message: str, hint: str) -> None:
        self.warnings.append(Problem(location, code, message, hint))


def _as_list(value: object, where: str, out: _Collector) -> list[object]:
    """Return *value* as a list, or report why it is not a list of values."""
    if isinstance(value, str | bytes):
        out.error(
            where,
            "type-bare-string",
            f"expected a list, got the bare string {value!r}",
            f"write [{value!r}]",
        )
        return []
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        out.error(where, "type-list", f"expected a list, got {type(value).__name__}", "use a list")
        return []
    return list(value)


def _check_bool(value: object, where: str, out: _Collector) -> bool:
    if not isinstance(value, bool):
        out.error(where, "type-bool", f"expected True or False, got {value!r}", "use a boolean")
        return False
    return value


def _check_path(
    path: object, where: str, out: _Collector
) -> tuple[Literal["exact", "glob", "regex"], str, re.Pattern[str] | None]:
    if isinstance(path, re.Pattern):
        if not isinstance(path.pattern, str):
            out.error(where, "path-type", "path regex must be a str pattern", "use re.compile(str)")
            return "regex", "", None
        return "regex", path.pattern, path
    if not isinstance(path, str):
        out.error(
            where,
            "path-type",
            f"path must be a string or a compiled regex, got {type(path).__name__}",
            "write '/api/*'",
        )
        return "exact", "", None
    if path == "":
        out.error(where, "path-empty", "empty path", "write '*' for every path, or '/api/*'")
    elif not path.isprintable():
        out.error(
            where, "path-control-char", f"path {path!r} has control characters", "remove them"
        )
    elif not path.startswith(("/", "*")):
        out.error(
            where,
            "path-relative",
            f"path {path!r} does not start with '/'",
            f"write '/{path}' (paths are matched against PATH_INFO)",
        )
    elif "?" in path or "#" in path:
        out.error(
            where,
            "path-query",
            f"path {path!r} contains '?' or '#'",
            "rules match the path only; the query string is ignored",
        )
    return ("glob" if "*" in path else "exact"), path, None


def _check_origins(
    rule: Rule, where: str, out: _Collector
) -> tuple[list[tuple[str, AllowedOrigin]], list[tuple[str, re.Pattern[str]]]]:
    entries: list[tuple[str, AllowedOrigin]] = []
    regexes: list[tuple[str, re.Pattern[str]]] = []
    for index, item in enumerate(_as_list(rule.allow_origins, f"{where}allow_origins", out)):
        location = f"{where}allow_origins[{index}]"
        if isinstance(item, re.Pattern):
            _check_regex(item, location, out, regexes)
        elif isinstance(item, str):
            parsed = parse_allowed_origin(item)
            if isinstance(parsed, AllowedOrigin):
                entries.append((location, parsed))
            else:
                out.error(location, *parsed)
        else:
            out.error(
                location,
                "origin-type",
                f"expected an origin string or a compiled regex, got {type(item).__name__}",
                "write 'https://app.example.com'",
            )
    sources = rule.allow_origin_regex
    source_list = [sources] if isinstance(sources, str) else sources
    for index, source in enumerate(_as_list(source_list, f"{where}allow_origin_regex", out)):
        location = f"{where}allow_origin_regex"
        if not isinstance(sources, str):
            location += f"[{index}]"
        if not isinstance(source, str):
            out.error(
                location,
                "regex-type",
                f"expected a regex string, got {type(source).__name__}",
                r"write 'https://[a-z]+\.example\.com'",
            )
            continue
        try:
            compiled = re.compile(source, re.ASCII)
        except re.error as error:
            out.error(
                location,
                "regex-invalid",
                f"regex {source!r} does not compile: {error}",
                "fix the regex syntax",
            )
            continue
        _check_regex(compiled, location, out, regexes)
    return entries, regexes


def _check_regex(
    pattern: re.Pattern[str],
    location: str,
    out: _Collector,
    regexes: list[tuple[str, re.Pattern[str]]],
) -> None:
    source = pattern.pattern
    if not isinstance(source, str):
        out.error(location, "regex-type", "regex must be a str pattern", "use re.compile(str)")
        return
    dot = unescaped_label_dot(source)
    if dot is not None:
        out.error(
            location,
            "regex-unescaped-dot",
            f"regex {source!r} has an unescaped '.' at index {dot}, which matches any character",
            r"escape dots between host labels as '\.'",
        )
        return
    regexes.append((location, pattern))


def _check_credentials(
    entries: list[tuple[str, AllowedOrigin]],
    regexes: list[tuple[str, re.Pattern[str]]],
    credentials: bool,
    insecure_ok: bool,
    out: _Collector,
) -> None:
    """Apply the credential and wildcard safety checks of SPEC section 5."""
    no_creds = "or set allow_credentials=False"
    for location, entry in entries:
        if entry.kind == "any" and credentials:
            out.error(
                location,
                "credentials-wildcard",
                "'*' with allow_credentials=True would let every site read users' data",
                f"list the exact origins that may send credentials, {no_creds}",
            )
        elif entry.kind == "null":
            if credentials:
                out.error(
                    location,
                    "credentials-null",
                    "'null' with allow_credentials=True: any sandboxed page or file can send it",
                    f"remove 'null', {no_creds}",
                )
            else:
                out.warn(
                    location,
                    "origin-null",
                    "'null' is sent by sandboxed iframes, file: pages and redirects from anywhere",
                    "allow real origins instead, unless you need opaque origins",
                )
        if entry.subdomain_glob:
            if is_public_suffix(entry.host):
                message = f"{entry.text!r} covers a public suffix: anyone can register a match"
                hint = f"name your own domain, such as '{entry.scheme}://*.example.{entry.host}'"
                if credentials:
                    out.error(location, "credentials-public-suffix", message, hint)
                else:
                    out.warn(location, "origin-public-suffix", message, hint)
            elif credentials:
                out.warn(
                    location,
                    "credentials-subdomain-glob",
                    f"{entry.text!r} lets every subdomain send credentials",
                    "a takeover of any subdomain exposes users' data; list them if you can",
                )
        if credentials and entry.scheme == "http" and not entry.is_loopback and not insecure_ok:
            out.error(
                location,
                "credentials-insecure-origin",
                f"{entry.text!r} is plain http: a network attacker can act as it",
                "use https, or set allow_insecure_origins=True if you accept that risk",
            )
    for location, pattern in regexes:
        if credentials and matches_everything(pattern):
            out.error(
                location,
                "credentials-match-all",
                f"regex {pattern.pattern!r} matches any origin, with allow_credentials=True",
                f"anchor it to your own domains, {no_creds}",
            )


def _check_methods(rule: Rule, where: str, out: _Collector) -> tuple[frozenset[str], bool]:
    methods: set[str] = set()
    any_method = False
    for index, method in enumerate(_as_list(rule.allow_methods, f"{where}allow_methods", out)):
        location = f"{where}allow_methods[{index}]"
        if method == "*":
            any_method = True
        elif not isinstance(method, str) or not is_token(method):
            out.error(location, "method-invalid", f"{method!r} is not a method", "write 'PUT'")
        elif method.upper() in FORBIDDEN_METHODS:
            out.error(
                location,
                "method-forbidden",
                f"{method!r} is a forbidden method: browsers never send it",
                "remove it",
            )
        else:
            upper = method.upper()
            methods.add(upper if upper in NORMALIZED_METHODS else method)
    return frozenset(methods), any_method


def _check_request_headers(rule: Rule, where: str, out: _Collector) -> tuple[frozenset[str], bool]:
    names: set[str] = set()
    any_header = False
    for index, name in enumerate(_as_list(rule.allow_headers, f"{where}allow_headers", out)):
        location = f"{where}allow_headers[{index}]"
        if name == "*":
            any_header = True
        elif not isinstance(name, str) or not is_token(name):
            out.error(
                location, "header-invalid", f"{name!r} is not a header name", "write 'x-api-key'"
            )
        elif is_forbidden_request_header(name.lower()):
            hint = "use allow_credentials=True for cookies" if name.lower() == "cookie" else ""
            out.error(
                location,
                "header-forbidden",
                f"{name!r} is set by the browser itself; a page can never send it",
                hint or "remove it",
            )
        else:
            names.add(name.lower())
    return frozenset(names), any_header


def _check_expose_headers(rule: Rule, where: str, credentials: bool, out: _Collector) -> str:
    names: dict[str, None] = {}
    star = False
    for index, name in enumerate(_as_list(rule.expose_headers, f"{where}expose_headers", out)):
        location = f"{where}expose_headers[{index}]"
        if name == "*":
            if credentials:
                out.error(
                    location,
                    "credentials-expose-wildcard",
                    "browsers read expose_headers=['*'] literally when credentials are allowed",
                    "list the header names to expose",
                )
            star = True
        elif not isinstance(name, str) or not is_token(name):
            out.error(
                location, "header-invalid", f"{name!r} is not a header name", "write 'x-total'"
            )
        else:
            lowered = name.lower()
            if lowered in SAFELISTED_RESPONSE_HEADERS:
                out.warn(
                    location,
                    "expose-safelisted",
                    f"{name!r} is always readable; exposing it does nothing",
                    "remove it",
                )
            elif lowered in FORBIDDEN_RESPONSE_HEADERS:
                out.warn(
                    location,
                    "expose-forbidden",
                    f"{name!r} is never readable by a page, whatever the server says",
                    "remove it",
                )
            names[lowered] = None
    return "*" if star else ", ".join(names)


def _check_max_age(value: object, where: str, out: _Collector) -> int | None:
    location = f"{where}max_age"
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        out.error(location, "max-age-type", f"max_age must be an int, got {value!r}", "write 600")
        return None
    if not 0 <= value <= MAX_AGE_LIMIT:
        out.error(
            location,
            "max-age-range",
            f"max_age {value} is outside 0..{MAX_AGE_LIMIT}",
            "use seconds from 0 to 86400",
        )
        return None
    if value > BROWSER_MAX_AGE_CAP:
        out.warn(
            location,
            "max-age-capped",
            f"max_age {value} exceeds Chromium's cap of {BROWSER_MAX_AGE_CAP} seconds",
            f"use at most {BROWSER_MAX_AGE_CAP} to get what you ask for",
        )
    return value


def _compile_rule(
    rule: Rule, *, index: int, where: str, preflight_status: int, cache_size: int, out: _Collector
) -> CompiledRule | None:
    errors_before = len(out.errors)
    path_kind, path_text, path_pattern = _check_path(rule.path, f"{where}path", out)
    credentials = _check_bool(rule.allow_credentials, f"{where}allow_credentials", out)
    insecure_ok = _check_bool(rule.allow_insecure_origins, f"{where}allow_insecure_origins", out)
    private_network = _check_bool(rule.allow_private_network, f"{where}allow_private_network", out)
    deny = _check_bool(rule.deny, f"{where}deny", out)
    if rule.name is not None and not (isinstance(rule.name, str) and rule.name.isprintable()):
        out.error(f"{where}name", "name-type", f"name must be text, got {rule.name!r}", "'api'")
    errors_before_origins = len(out.errors)
    entries, regexes = _check_origins(rule, where, out)
    if not deny and not entries and not regexes and len(out.errors) == errors_before_origins:
        out.error(
            f"{where}allow_origins",
            "rule-no-origins",
            "the rule allows no origin",
            "list allowed origins, such as ['https://app.example.com'], or set deny=True",
        )
    _check_credentials(entries, regexes, credentials, insecure_ok, out)
    methods, any_method = _check_methods(rule, where, out)
    headers, any_header = _check_request_headers(rule, where, out)
    expose = _check_expose_headers(rule, where, credentials, out)
    max_age = _check_max_age(rule.max_age, where, out)
    if len(out.errors) > errors_before:
        return None

    globs = [entry for _, entry in entries if entry.kind == "glob"]
    patterns = [pattern for _, pattern in regexes]
    if globs:
        patterns.insert(0, compile_globs(globs))
    origins = OriginMatcher(
        frozenset(entry.text for _, entry in entries if entry.kind in {"exact", "null"}),
        tuple(patterns),
        any_origin=any(entry.kind == "any" for _, entry in entries),
    )
    return CompiledRule(
        label=rule.name or f"rules[{index}]",
        path_kind=path_kind,
        path_text=path_text,
        path_pattern=path_pattern,
        deny=deny,
        origins=origins,
        credentials=credentials,
        methods=methods,
        any_method=any_method,
        headers=headers,
        any_header=any_header,
        expose=expose,
        max_age=max_age,
        private_network=private_network,
        preflight_status=preflight_status,
        cache_size=cache_size,
    )


def _covers(earlier: CompiledRule, later: CompiledRule) -> bool:
    """Return whether *earlier* matches every path *later* can match.

    For two globs this is exact: every ``*`` in *later* can only be matched by a wildcard
    run of *earlier*, which matches any replacement too. Regexes are compared by source only.
    """
    if later.path_kind == "regex":
        return (
            earlier.path_kind == "regex"
            and earlier.path_pattern is not None
            and later.path_pattern is not None
            and earlier.path_pattern.pattern == later.path_pattern.pattern
            and earlier.path_pattern.flags == later.path_pattern.flags
        )
    return bool(earlier.matches_path(later.path_text))


def _check_shadowing(rules: list[CompiledRule], locations: list[str], out: _Collector) -> None:
    for later_index, later in enumerate(rules):
        for earlier in rules[:later_index]:
            if _covers(earlier, later):
                out.warn(
                    f"{locations[later_index]}path",
                    "rule-shadowed",
                    f"{later.label} ({later.path_text!r}) never applies: {earlier.label} "
                    f"({earlier.path_text!r}) comes first and matches every path it does",
                    f"move {later.label} above {earlier.label}, or remove it",
                )
                break


def _rules_from_options(
    rules: object, options: Mapping[str, object], out: _Collector
) -> list[tuple[str, object]]:
    """Return ``(location prefix, rule)`` pairs; items that are not rules are checked later."""
    if rules is None:
        unknown = sorted(set(options) - {*RULE_OPTIONS, "path"})
        for key in unknown:
            close = difflib.get_close_matches(key, [*RULE_OPTIONS, "path"], n=1)
            out.error(
                key,
                "option-unknown",
                f"unknown option {key!r}",
                f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(RULE_OPTIONS)}",
            )
        if unknown:
            return []
        known = {key: value for key, value in options.items() if key != "path"}
        path = options.get("path", "*")
        return [("", Rule(path, **known))]  # type: ignore[arg-type]
    if options:
        out.error(
            ", ".join(sorted(options)),
            "option-with-rules",
            "rule options were given beside rules=",
            "put them in each Rule(...) instead",
        )
    if isinstance(rules, Rule):
        out.error("rules", "rules-type", "rules must be a list of Rule", "write rules=[Rule(...)]")
        return []
    pairs: list[tuple[str, object]] = [
        (f"rules[{index}].", rule) for index, rule in enumerate(_as_list(rules, "rules", out))
    ]
    if not pairs and not out.errors:
        out.warn("rules", "rules-empty", "no rules: every request passes through", "add a Rule")
    return pairs


def compile_policy(
    rules: object = None,
    *,
    preflight_status: object = 204,
    cache_size: int = DEFAULT_CACHE_SIZE,
    options: Mapping[str, object] | None = None,
    stacklevel: int = 2,
) -> Policy:
    """Validate *rules* (or the single-rule *options*) and compile them into a :class:`Policy`.

    :raises ConfigError: listing every problem found, in every rule.
    :warns ConfigWarning: once for each risky-but-legal setting.
    """
    out = _Collector()
    if preflight_status not in {200, 204} or isinstance(preflight_status, bool):
        out.error(
            "preflight_status",
            "preflight-status",
            f"preflight_status must be 200 or 204, got {preflight_status!r}",
            "use 204 (the default), or 200 for very old clients",
        )
        status = 204
    else:
        status = int(preflight_status)
    pairs = _rules_from_options(rules, options or {}, out)
    compiled: list[CompiledRule] = []
    locations: list[str] = []
    for index, (where, rule) in enumerate(pairs):
        if not isinstance(rule, Rule):
            out.error(
                where[:-1],
                "rules-type",
                f"expected a Rule, got {type(rule).__name__}",
                "write Rule('/api/*', allow_origins=[...])",
            )
            continue
        result = _compile_rule(
            rule, index=index, where=where, preflight_status=status, cache_size=cache_size, out=out
        )
        if result is not None:
            compiled.append(result)
            locations.append(where)
    if out.errors:
        raise ConfigError(out.errors)
    _check_shadowing(compiled, locations, out)
    for problem in out.warnings:
        warnings.warn(ConfigWarning(problem), stacklevel=stacklevel)
    return Policy(tuple(compiled), cache_size)
