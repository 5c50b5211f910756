"""The compiled policy: pure CORS decisions for a path and its request headers, no WSGI.

A :class:`Policy` is built from checked rules once. Every header value and decision that can be
known before a request is precomputed in a :class:`CompiledRule`; at request time the policy
routes the path (first match wins) and looks the origin up. Answers are memoised in bounded
LRUs that belong to the policy, one budget for the whole middleware (SPEC section 3), and the
policy alone decides which requests are small enough to memoise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final, Literal, NamedTuple

from wsgicors._http import (
    ACAC,
    ACAH,
    ACAM,
    ACAO,
    ACAPN,
    ACEH,
    ACMA,
    AUTHORIZATION,
    FORBIDDEN_METHODS,
    MAX_METHOD_LENGTH,
    MAX_ORIGIN_LENGTH,
    MAX_REQUEST_HEADER_NAMES,
    MAX_REQUEST_HEADERS_LENGTH,
    SAFELISTED_METHODS,
    STATUS_LINES,
    VARY,
    for_log,
    is_token,
)
from wsgicors.errors import Findings
from wsgicors.origins import is_serialized_origin
from wsgicors.paths import is_routable
from wsgicors.rules import check_preflight_status, check_rules

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from wsgicors.rules import CheckedRule

__all__ = [
    "DEFAULT_MEMO_SIZE",
    "ActualAnswer",
    "CompiledRule",
    "Decision",
    "Policy",
    "PreflightAnswer",
    "compile_policy",
]

#: Memo entries per middleware, all memos together (SPEC section 3).
DEFAULT_MEMO_SIZE: Final = 4096
# Requests whose path and CORS headers add up to more than this are answered, not memoised:
# the memo bounds the number of entries, this bounds the size of each.
MAX_MEMO_KEY_LENGTH: Final = 1024

Header = tuple[str, str]
Kind = Literal["preflight", "actual", "non-cors", "pass-through"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What the middleware decided for one request, stored in ``environ["wsgicors.decision"]``.

    :param rule: the deciding rule's name (``rules[N]`` unless named), or ``None``.
    :param kind: ``"preflight"``, ``"actual"`` (a CORS request the app answers),
        ``"non-cors"`` (no ``Origin``) or ``"pass-through"`` (no rule covers the path).
    :param allowed: whether cross-origin access was granted; ``None`` when nothing was asked.
    :param code: a stable, machine-readable code from :data:`wsgicors.DECISION_CODES`.
    :param reason: why, in words, naming the offending value (escaped).
    """

    rule: str | None
    kind: Kind
    allowed: bool | None
    code: str
    reason: str


class ActualAnswer(NamedTuple):
    """How to answer a request that is not a preflight.

    :param decision: the decision to record.
    :param headers: the CORS headers to add to the app's response; ``None`` when no rule covers
        the path, and the app's response must pass untouched.
    :param vary_origin: whether ``Origin`` must be merged into the response's ``Vary``.
    :param appended: *headers*, after ``Vary: Origin`` when *vary_origin*: what to append
        as is when the app sent no Access-Control-* or Vary header of its own.
    """

    decision: Decision
    headers: tuple[Header, ...] | None
    vary_origin: bool
    appended: tuple[Header, ...]


class PreflightAnswer(NamedTuple):
    """How to answer a preflight: *status* is ``None`` when no rule covers the path (the app
    answers it untouched); otherwise the middleware answers with *status* and *headers*."""

    decision: Decision
    status: str | None
    headers: tuple[Header, ...]


_VARY_ORIGIN: Final = (VARY, "Origin")
_PREFLIGHT_VARY: Final = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
_NOT_ROUTABLE = Decision(
    None,
    "pass-through",
    None,
    "path-not-routable",
    "path has a '.' or '..' segment or a control character",
)
_DENY: Final = "deny rule: CORS is disabled on this path"
_NO_RULE = Decision(None, "pass-through", None, "no-rule", "no rule matches this path")


def parse_request_headers(value: str) -> tuple[str, ...] | str:
    """Parse Access-Control-Request-Headers in one bounded pass.

    :returns: the distinct lowercased names, or why the value is refused.
    """
    if len(value) > MAX_REQUEST_HEADERS_LENGTH:
        return f"Access-Control-Request-Headers is longer than {MAX_REQUEST_HEADERS_LENGTH}"
    names: dict[str, None] = {}
    for part in value.split(","):
        name = part.strip(" \t")
        if not name:
            continue
        if not is_token(name):
            return f"request header name {for_log(name)} is not a valid token"
        names[name.lower()] = None
        if len(names) > MAX_REQUEST_HEADER_NAMES:
            return f"Access-Control-Request-Headers names more than {MAX_REQUEST_HEADER_NAMES}"
    return tuple(names)


class CompiledRule:
    """A checked rule with every answer that does not depend on the request precomputed."""

    def __init__(self, rule: CheckedRule, preflight_status: int) -> None:
        self.rule = rule
        self.label = rule.label
        label = rule.label
        # Only a credential-less "*" rule answers the same to every origin (SPEC section 4).
        self.any_origin = rule.origins.any_origin
        self.vary_origin = not rule.deny and not self.any_origin
        credentials: tuple[Header, ...] = ((ACAC, "true"),) if rule.allow_credentials else ()
        expose: tuple[Header, ...] = ((ACEH, rule.expose_headers),) if rule.expose_headers else ()
        self._allowed_headers = (*credentials, *expose)
        self._preflight_status = STATUS_LINES[preflight_status]
        self._preflight_body_headers: tuple[Header, ...] = (
            # RFC 9110 forbids Content-Length on 204; on 200 it keeps the connection reusable.
            (("Content-Type", "text/plain"), ("Content-Length", "0"))
            if preflight_status != 204
            else ()
        )
        vary = _PREFLIGHT_VARY
        if rule.allow_private_network:
            vary += ", Access-Control-Request-Private-Network"
        self._preflight_vary: Header = (VARY, vary)
        self._preflight_credentials = credentials
        self._max_age: tuple[Header, ...] = (
            () if rule.max_age is None else ((ACMA, str(rule.max_age)),)
        )
        self._refused_headers: tuple[Header, ...] = (
            ("Content-Type", "text/plain"),
            ("Content-Length", "0"),
            self._preflight_vary,
        )
        self._preflight_ok = Decision(
            label, "preflight", True, "preflight-allowed", "preflight allowed"
        )
        self._allowed = Decision(label, "actual", True, "origin-allowed", "origin allowed")
        self._refused = self._answer(
            Decision(
                label, "actual", False, "origin-not-allowed", "origin not allowed by this rule"
            )
        )
        self._malformed = self._answer(
            Decision(
                label, "actual", False, "origin-malformed", "Origin is not a serialized origin"
            )
        )
        self._no_origin = self._answer(
            Decision(label, "non-cors", None, "no-origin", "no Origin header")
        )
        #: The answer every Origin gets on a deny rule or a credential-less "*" rule.
        self._same_for_every_origin: ActualAnswer | None = None
        if rule.deny:
            self._no_origin = self._answer(Decision(label, "non-cors", None, "deny-rule", _DENY))
            self._same_for_every_origin = self._answer(
                Decision(label, "actual", False, "deny-rule", _DENY)
            )
        elif self.any_origin:
            any_origin = ((ACAO, "*"), *self._allowed_headers)
            self._no_origin = self._answer(
                Decision(label, "non-cors", True, "any-origin", "'*' rule: sent to everyone"),
                any_origin,
            )
            self._same_for_every_origin = self._answer(
                Decision(label, "actual", True, "any-origin", "'*' rule: any origin may read"),
                any_origin,
            )

    def _answer(self, decision: Decision, headers: tuple[Header, ...] = ()) -> ActualAnswer:
        appended = (_VARY_ORIGIN, *headers) if self.vary_origin else headers
        return ActualAnswer(decision, headers, self.vary_origin, appended)

    def actual(self, origin: str | None) -> ActualAnswer:
        """Answer a request that is not a preflight."""
        if origin is None:
            return self._no_origin
        if self._same_for_every_origin is not None:
            return self._same_for_every_origin
        if self.rule.origins.allows(origin):
            return self._answer(self._allowed, ((ACAO, origin), *self._allowed_headers))
        return self._refused if is_serialized_origin(origin) else self._malformed

    def _refuse(self, code: str, reason: str) -> PreflightAnswer:
        decision = Decision(self.label, "preflight", False, code, reason)
        return PreflightAnswer(decision, STATUS_LINES[403], self._refused_headers)

    def preflight(
        self, origin: str, method: str, request_headers: str, private_network: str
    ) -> PreflightAnswer:
        """Answer a preflight. Hostile sizes are capped here, before any parsing."""
        rule = self.rule
        if rule.deny:
            return self._refuse("deny-rule", _DENY)
        if len(origin) > MAX_ORIGIN_LENGTH:
            return self._refuse("origin-malformed", f"Origin is longer than {MAX_ORIGIN_LENGTH}")
        if not rule.origins.allows(origin):
            if is_serialized_origin(origin):
                reason = f"origin {for_log(origin)} not allowed by this rule"
                return self._refuse("origin-not-allowed", reason)
            return self._refuse("origin-malformed", "Origin is not a serialized origin")
        if len(method) > MAX_METHOD_LENGTH or not is_token(method):
            reason = f"Access-Control-Request-Method {for_log(method)} is not a method"
            return self._refuse("method-invalid", reason)
        wildcard = "a '*' is never echoed next to credentials"
        allow_method: tuple[Header, ...] = ()
        # Fetch, CORS-preflight fetch: a safelisted method never needs Allow-Methods.
        if method not in SAFELISTED_METHODS:
            if method == "*" and rule.allow_credentials:
                return self._refuse("wildcard-with-credentials", f"method '*': {wildcard}")
            if method not in rule.methods and (
                not rule.any_method or method.upper() in FORBIDDEN_METHODS
            ):
                reason = f"method {for_log(method)} not in allow_methods"
                return self._refuse("method-not-allowed", reason)
            allow_method = ((ACAM, method),)
        names = parse_request_headers(request_headers)
        if isinstance(names, str):
            return self._refuse("request-headers-invalid", names)
        for name in names:
            if name in rule.request_headers:
                continue
            if name == "*" and rule.allow_credentials:
                return self._refuse("wildcard-with-credentials", f"header '*': {wildcard}")
            if not rule.any_request_header or name == AUTHORIZATION:
                hint = " ('*' never covers authorization)" if rule.any_request_header else ""
                reason = f"request header {for_log(name)} not in allow_headers{hint}"
                return self._refuse("header-not-allowed", reason)
        asks_private_network = private_network == "true"
        if asks_private_network and not rule.allow_private_network:
            reason = "private network access asked for, allow_private_network is off"
            return self._refuse("private-network-not-allowed", reason)
        headers = (
            (ACAO, "*" if self.any_origin else origin),
            *self._preflight_credentials,
            *allow_method,
            *(((ACAH, ", ".join(names)),) if names else ()),
            *self._max_age,
            *(((ACAPN, "true"),) if asks_private_network else ()),
            self._preflight_vary,
            *self._preflight_body_headers,
        )
        return PreflightAnswer(self._preflight_ok, self._preflight_status, headers)


class Policy:
    """An immutable, compiled list of rules, with its memos.

    :param rules: the checked rules, in declared order.
    :param preflight_status: the status of a successful preflight, 200 or 204.
    :param memo_size: memo entries in all: three quarters for actual requests, the rest for
        preflights.
    """

    __slots__ = ("_memo_actual", "_memo_preflight", "memo_size", "rules")

    def __init__(
        self,
        rules: Sequence[CheckedRule],
        *,
        preflight_status: int = 204,
        memo_size: int = DEFAULT_MEMO_SIZE,
    ) -> None:
        self.rules = tuple(CompiledRule(rule, preflight_status) for rule in rules)
        self.memo_size = memo_size
        preflight_share = memo_size // 4
        self._memo_actual = lru_cache(maxsize=memo_size - preflight_share)(self._answer_actual)
        self._memo_preflight = lru_cache(maxsize=preflight_share)(self._answer_preflight)

    def memo_entries(self) -> int:
        """How many answers are memoised now (never more than ``memo_size``)."""
        return self._memo_actual.cache_info().currsize + self._memo_preflight.cache_info().currsize

    def route(self, path: str) -> CompiledRule | None:
        """Return the first rule whose path matches *path*, or ``None``."""
        if not is_routable(path):
            return None
        for rule in self.rules:
            if rule.rule.path.matches(path):
                return rule
        return None

    def actual(self, path: str, origin: str | None) -> ActualAnswer:
        """Answer a request that is not a preflight (memoised when small)."""
        if len(path) <= MAX_MEMO_KEY_LENGTH and (
            origin is None or len(origin) <= MAX_ORIGIN_LENGTH
        ):
            return self._memo_actual(path, origin)
        return self._answer_actual(path, origin)

    def preflight(
        self, path: str, origin: str, method: str, request_headers: str, private_network: str
    ) -> PreflightAnswer:
        """Answer a preflight (memoised when small)."""
        size = len(path) + len(origin) + len(method) + len(request_headers) + len(private_network)
        if size <= MAX_MEMO_KEY_LENGTH:
            return self._memo_preflight(path, origin, method, request_headers, private_network)
        return self._answer_preflight(path, origin, method, request_headers, private_network)

    def _answer_actual(self, path: str, origin: str | None) -> ActualAnswer:
        rule = self.route(path)
        if rule is None:
            return ActualAnswer(self._pass_through(path), None, False, ())
        return rule.actual(origin)

    def _answer_preflight(
        self, path: str, origin: str, method: str, request_headers: str, private_network: str
    ) -> PreflightAnswer:
        rule = self.route(path)
        if rule is None:
            return PreflightAnswer(self._pass_through(path), None, ())
        return rule.preflight(origin, method, request_headers, private_network)

    @staticmethod
    def _pass_through(path: str) -> Decision:
        return _NO_RULE if is_routable(path) else _NOT_ROUTABLE


def compile_policy(
    rules: object = None,
    options: Mapping[str, object] | None = None,
    *,
    preflight_status: object = 204,
    memo_size: int = DEFAULT_MEMO_SIZE,
) -> tuple[Policy | None, Findings]:
    """Check *rules* (or the single-rule *options*) and compile them.

    :returns: the policy (``None`` when there are errors) and everything the checks found.
    """
    findings = Findings()
    status = check_preflight_status(preflight_status, findings)
    checked = check_rules(rules, options or {}, findings)
    if findings.errors:
        return None, findings
    return Policy(checked, preflight_status=status, memo_size=memo_size), findings
