"""What one rule answers: the :class:`Decision` record, and :class:`CompiledRule`, a checked
rule with every header value and decision that does not depend on the request precomputed.

A compiled rule answers a preflight (:meth:`CompiledRule.preflight`) or any other request
(:meth:`CompiledRule.actual`) for an Origin; routing and memoising are the policy's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

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
from wsgicors.origins import is_serialized_origin

if TYPE_CHECKING:
    from wsgicors.origin_funcs import OriginFuncAnswers
    from wsgicors.rules import CheckedRule

__all__ = [
    "DEBUG_HEADER",
    "ActualAnswer",
    "CompiledRule",
    "Decision",
    "PreflightAnswer",
    "RawActual",
    "RawPreflight",
    "parse_request_headers",
]

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
    :param headers: the CORS headers to add to the app's response (the app's own
        Access-Control-* headers are removed first); ``None`` when no rule covers the path, and
        the app's response must pass untouched.
    :param vary_origin: whether ``Origin`` must be merged into the response's ``Vary``.
    :param appended: *headers*, after ``Vary: Origin`` when *vary_origin*: what to append
        as is when the app sent no Access-Control-* or Vary header of its own.
    """

    decision: Decision
    headers: tuple[Header, ...] | None
    vary_origin: bool
    appended: tuple[Header, ...]


class PreflightAnswer(NamedTuple):
    """How to answer a preflight: *status* is ``None`` when no rule covers the path (the
    middleware then handles it as any other request); otherwise the middleware answers with
    *status* and *headers*."""

    decision: Decision
    status: str | None
    headers: tuple[Header, ...]


#: An :class:`ActualAnswer` as a plain tuple, in the same order: what the memos hold and the
#: request path reads (CPython unpacks and indexes an exact tuple several times faster than a
#: NamedTuple). Typed as a tuple of any length on purpose: mypyc would turn a fixed-size tuple
#: type into a C struct, and box it into a new tuple again on every request.
RawActual = tuple[Any, ...]
#: A :class:`PreflightAnswer` as a plain tuple, in the same order (typed likewise).
RawPreflight = tuple[Any, ...]

_VARY_ORIGIN: Final = (VARY, "Origin")
_PREFLIGHT_VARY: Final = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
_DENY: Final = "deny rule: CORS is disabled on this path"
_FUNC_FAILED: Final = "allow_origin_func raised or did not return a bool"
_FUNC_THROTTLED: Final = "allow_origin_func was asked too often this second"
#: The response header ``debug_header=True`` adds, carrying the decision code.
DEBUG_HEADER: Final = "X-CORS-Decision"


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

    def __init__(
        self, rule: CheckedRule, preflight_status: int, debug_header: bool = False
    ) -> None:
        self.rule = rule
        self.label = rule.label
        #: This rule's memoised answers to actual requests, by Origin (``None``: no Origin).
        #: The policy fills it within its memo budget; the request path reads it directly.
        self.answers: dict[str | None, RawActual] = {}
        self.debug_header = debug_header
        label = rule.label
        # Only a credential-less "*" rule answers the same to every origin (docs/contract.md,
        # section 4).
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

        self._func_refused = self._answer(
            Decision(label, "actual", False, "origin-not-allowed", "allow_origin_func said no")
        )
        self._func_failed = self._answer(
            Decision(label, "actual", False, "origin-func-failed", _FUNC_FAILED)
        )
        self._func_throttled = self._answer(
            Decision(label, "actual", False, "origin-func-throttled", _FUNC_THROTTLED)
        )

    def _debug(self, code: str) -> tuple[Header, ...]:
        return ((DEBUG_HEADER, code),) if self.debug_header else ()

    def _answer(self, decision: Decision, headers: tuple[Header, ...] = ()) -> ActualAnswer:
        headers = (*headers, *self._debug(decision.code))
        appended = (_VARY_ORIGIN, *headers) if self.vary_origin else headers
        return ActualAnswer(decision, headers, self.vary_origin, appended)

    @property
    def refused(self) -> ActualAnswer:
        """The answer to a valid Origin that no static entry allows: on a rule with
        ``allow_origin_func``, the cue to ask the function (:meth:`ask_function`)."""
        return self._refused

    def ask_function(self, origin: str, answers: OriginFuncAnswers) -> ActualAnswer:
        """Answer a valid *origin* that no static entry allows by asking ``allow_origin_func``
        (its answers cached in *answers*)."""
        func = self.rule.origin_func
        # "null" is opaque: only an explicit "null" entry may allow it, never a function.
        if func is None or origin == "null":
            return self._refused
        verdict = answers.ask(self.label, func, self.rule.origin_func_ttl, origin)
        if verdict is True:
            return self._answer(self._allowed, ((ACAO, origin), *self._allowed_headers))
        if verdict is False:
            return self._func_refused
        return self._func_failed if verdict == "failed" else self._func_throttled

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
        headers = (*self._refused_headers, *self._debug(code))
        return PreflightAnswer(decision, STATUS_LINES[403], headers)

    def preflight(
        self,
        origin: str,
        method: str,
        request_headers: str,
        private_network: str,
        answers: OriginFuncAnswers | None = None,
    ) -> PreflightAnswer:
        """Answer a preflight. Hostile sizes are capped here, before any parsing.

        :param answers: where the answers of ``allow_origin_func`` are cached; without it the
            function is not asked.
        """
        rule = self.rule
        if rule.deny:
            return self._refuse("deny-rule", _DENY)
        if len(origin) > MAX_ORIGIN_LENGTH:
            return self._refuse("origin-malformed", f"Origin is longer than {MAX_ORIGIN_LENGTH}")
        if not rule.origins.allows(origin):
            if not is_serialized_origin(origin):
                return self._refuse("origin-malformed", "Origin is not a serialized origin")
            func = rule.origin_func
            verdict: object = False
            if func is not None and answers is not None and origin != "null":
                verdict = answers.ask(self.label, func, rule.origin_func_ttl, origin)
            if verdict == "failed":
                return self._refuse("origin-func-failed", _FUNC_FAILED)
            if verdict == "throttled":
                return self._refuse("origin-func-throttled", _FUNC_THROTTLED)
            if verdict is not True:
                reason = f"origin {for_log(origin)} not allowed by this rule"
                return self._refuse("origin-not-allowed", reason)
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
            *self._debug("preflight-allowed"),
        )
        return PreflightAnswer(self._preflight_ok, self._preflight_status, headers)
