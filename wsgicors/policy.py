"""The compiled policy: pure CORS decisions for a path and its request headers, no WSGI.

A :class:`Policy` is built from checked rules once (:func:`compile_policy`). At request time it
routes the path (first match wins) to a :class:`~wsgicors.answers.CompiledRule` and returns
that rule's precomputed answer. Answers are memoised in bounded LRUs that belong to the
policy, one budget for the whole middleware (docs/contract.md, section 3), and the policy
alone decides which requests are small enough to memoise.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Final

from wsgicors._http import MAX_ORIGIN_LENGTH
from wsgicors.answers import (
    ActualAnswer,
    CompiledRule,
    Decision,
    PreflightAnswer,
    RawActual,
    RawPreflight,
)
from wsgicors.errors import Findings
from wsgicors.memo import Memo
from wsgicors.origin_funcs import OriginFuncAnswers
from wsgicors.paths import is_routable
from wsgicors.rules import (
    check_debug_header,
    check_memo_size,
    check_preflight_status,
    check_rules,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from wsgicors.rules import CheckedRule

    # Four values, and the fifth (Access-Control-Request-Private-Network) when it is sent.
    PreflightKey = tuple[str, ...]

__all__ = [
    "DEFAULT_MEMO_SIZE",
    "NO_RULE",
    "UNCOVERED",
    "ActualAnswer",
    "Decision",
    "DynamicOriginsPolicy",
    "Policy",
    "PreflightAnswer",
    "RawActual",
    "RawPreflight",
    "compile_policy",
]

#: Memo entries per middleware, all memos together (docs/contract.md, section 3).
DEFAULT_MEMO_SIZE: Final = 4096
# Requests whose path and CORS headers add up to more than this are answered, not memoised:
# the memo bounds the number of entries, this bounds the size of each.
MAX_MEMO_KEY_LENGTH: Final = 1024

_NOT_ROUTABLE = Decision(
    None,
    "pass-through",
    None,
    "path-not-routable",
    "path has a '.' or '..' segment or a control character",
)
#: The decision recorded for a request on a path no rule covers.
NO_RULE: Final = Decision(None, "pass-through", None, "no-rule", "no rule matches this path")
# No rule covers the path: the app's response passes untouched.
_NO_RULE_RAW: Final[RawActual] = (NO_RULE, None, False, ())
# A path that could reach another rule once normalised matches none, and fails closed
# (docs/contract.md, section 2): the app's own Access-Control-* headers are removed, none
# are added.
_NOT_ROUTABLE_RAW: Final[RawActual] = (_NOT_ROUTABLE, (), False, ())
#: What ``Policy.routes`` holds for a path no rule covers (every request on it is answered by
#: the app, untouched, with ``NO_RULE`` recorded). Never written to.
UNCOVERED: Final[dict[str | None, RawActual]] = {}


class Policy:
    """An immutable, compiled list of rules, with its memos.

    :param rules: the checked rules, in declared order.
    :param preflight_status: the status of a successful preflight, 200 or 204.
    :param memo_size: memo entries in all: a quarter for routes, half for answers to actual
        requests, a quarter for answers to preflights.
    :param debug_header: add ``X-CORS-Decision: <code>`` to every covered response.

    The request path reads the memos before calling anything (``CORSMiddleware.__call__``):
    ``routes.get(path)`` is ``UNCOVERED`` for a path no rule covers, or the ``answers``
    dict of the rule that covers it, which holds its answers by Origin;
    ``preflight_answers.get((path, origin, method, request_headers))`` holds answers to
    preflights. They hold final answers, as plain tuples, only; on a miss,
    :meth:`answer_actual` and :meth:`answer_preflight` answer, and decide what is memoised.
    """

    def __init__(
        self,
        rules: Sequence[CheckedRule],
        *,
        preflight_status: int = 204,
        memo_size: int = DEFAULT_MEMO_SIZE,
        debug_header: bool = False,
    ) -> None:
        self.rules = tuple(CompiledRule(rule, preflight_status, debug_header) for rule in rules)
        self.memo_size = memo_size
        #: Report-only rules evaluated beside these ones, or ``None``.
        self.candidate: Policy | None = None
        #: The answers of ``allow_origin_func`` (a :class:`DynamicOriginsPolicy` has them).
        self.origin_answers: OriginFuncAnswers | None = None
        #: Memoised routes: a path's rule's ``answers``, or ``UNCOVERED``.
        self.routes: dict[str, dict[str | None, RawActual]] = {}
        #: Memoised answers to preflights, by path, Origin, Access-Control-Request-Method and
        #: -Headers (and -Private-Network, when it is sent).
        self.preflight_answers: dict[tuple[str, ...], RawPreflight] = {}
        # The rule whose answers a memoised route holds, by the identity of that dict.
        self._rule_of = {id(rule.answers): rule for rule in self.rules}
        self._divide_budget(memo_size)

    def _divide_budget(self, memo_size: int) -> None:
        """Build the memos: a quarter of the budget for routes, a quarter for preflights, the
        rest for answers to actual requests."""
        quarter = memo_size // 4
        self._route_memo: Memo[str, dict[str | None, RawActual]] = Memo(quarter)
        self._preflight_memo: Memo[PreflightKey, RawPreflight] = Memo(quarter)
        self._answer_memo: Memo[str | None, RawActual] = Memo(memo_size - 2 * quarter)

    def memo_entries(self) -> int:
        """How many routes and answers (the function's too) are memoised now (never more than
        ``memo_size``)."""
        functions = 0 if self.origin_answers is None else len(self.origin_answers)
        memos = len(self._route_memo) + len(self._answer_memo) + len(self._preflight_memo)
        return memos + functions

    def route(self, path: str) -> CompiledRule | None:
        """Return the first rule whose path matches *path*, or ``None``."""
        if not is_routable(path):
            return None
        for rule in self.rules:
            if rule.rule.path.matches(path):
                return rule
        return None

    def _memo_route(self, path: str) -> CompiledRule | None:
        """:meth:`route`, memoised: a path seen before is routed by one dict lookup."""
        answers = self.routes.get(path)
        if answers is not None:
            return None if answers is UNCOVERED else self._rule_of[id(answers)]
        rule = self.route(path)
        # An unroutable path is not memoised: its answer differs from an uncovered one's.
        if len(path) <= MAX_MEMO_KEY_LENGTH and (rule is not None or is_routable(path)):
            self._route_memo.remember(
                self.routes, path, UNCOVERED if rule is None else rule.answers
            )
        return rule

    def actual(self, path: str, origin: str | None) -> ActualAnswer:
        """Answer a request that is not a preflight."""
        return ActualAnswer(*self.answer_actual(path, origin))

    def preflight(
        self, path: str, origin: str, method: str, request_headers: str, private_network: str
    ) -> PreflightAnswer:
        """Answer a preflight."""
        return PreflightAnswer(
            *self.answer_preflight(path, origin, method, request_headers, private_network)
        )

    def answer_actual(self, path: str, origin: str | None) -> RawActual:
        """:meth:`actual` as a plain tuple, memoised when small and final: what the request
        path reads (CPython unpacks and indexes a plain tuple faster than a NamedTuple)."""
        rule = self._memo_route(path)
        if rule is None:
            return _NO_RULE_RAW if is_routable(path) else _NOT_ROUTABLE_RAW
        raw = rule.answers.get(origin)
        if raw is not None:
            return raw
        answer = rule.actual(origin)
        # An origin no static entry allows, on a rule with a function: ask it (its answers
        # expire, so they are cached by the function's own TTL, not here).
        answers = self.origin_answers
        if answer is rule.refused and answers is not None and origin is not None:
            answer = rule.ask_function(origin, answers)
            return _raw_actual(answer)
        raw = _raw_actual(answer)
        if origin is None or len(origin) <= MAX_ORIGIN_LENGTH:
            self._answer_memo.remember(rule.answers, origin, raw)
        return raw

    def answer_preflight(
        self, path: str, origin: str, method: str, request_headers: str, private_network: str
    ) -> RawPreflight:
        """:meth:`preflight` as a plain tuple, memoised when small and final.

        Its key in ``preflight_answers`` leaves out an empty *private_network*, as the
        request path looks preflights without one up: ``(path, origin, method,
        request_headers)``.
        """
        key: PreflightKey = (path, origin, method, request_headers)
        if private_network:
            key = (*key, private_network)
        raw = self.preflight_answers.get(key)
        if raw is not None:
            return raw
        rule = self._memo_route(path)
        if rule is None:
            # Not a preflight this policy answers: the middleware treats it as any request.
            raw = _raw_preflight(PreflightAnswer(self._pass_through(path), None, ()))
        elif rule.rule.origin_func is not None:
            # Its answer may come from the function, and expire: never memoised here.
            answers = self.origin_answers
            answer = rule.preflight(origin, method, request_headers, private_network, answers)
            return _raw_preflight(answer)
        else:
            answer = rule.preflight(origin, method, request_headers, private_network)
            raw = _raw_preflight(answer)
        size = len(path) + len(origin) + len(method) + len(request_headers) + len(private_network)
        if size <= MAX_MEMO_KEY_LENGTH:
            self._preflight_memo.remember(self.preflight_answers, key, raw)
        return raw

    @staticmethod
    def _pass_through(path: str) -> Decision:
        return NO_RULE if is_routable(path) else _NOT_ROUTABLE


class DynamicOriginsPolicy(Policy):
    """A policy with at least one ``allow_origin_func``: answers that depend on a function
    expire with its TTL, so they are cached in :class:`OriginFuncAnswers`, never in the
    request memos. The four memos share the one budget: an eighth each for routes and
    preflights, a quarter for function answers, half for answers to actual requests.
    """

    def _divide_budget(self, memo_size: int) -> None:
        """Build the memos: an eighth of the budget each for routes and preflights, a quarter
        for function answers, the rest for answers to actual requests."""
        eighth, quarter = memo_size // 8, memo_size // 4
        self._route_memo = Memo(eighth)
        self._preflight_memo = Memo(eighth)
        self._answer_memo = Memo(memo_size - 2 * eighth - quarter)
        self.origin_answers = OriginFuncAnswers(quarter)


def _raw_actual(answer: ActualAnswer) -> RawActual:
    # A function typed to return the variadic tuple, so that mypyc makes the tuple object once
    # (it keeps a fixed-size tuple literal unboxed, and would box it anew at each use).
    return (answer.decision, answer.headers, answer.vary_origin, answer.appended)


def _raw_preflight(answer: PreflightAnswer) -> RawPreflight:
    # As _raw_actual.
    return (answer.decision, answer.status, answer.headers)


def compile_policy(
    rules: object = None,
    options: Mapping[str, object] | None = None,
    *,
    preflight_status: object = 204,
    memo_size: object = DEFAULT_MEMO_SIZE,
    debug_header: object = False,
    report_only: object = None,
) -> tuple[Policy | None, Findings]:
    """Check *rules* (or the single-rule *options*), and the *report_only* rules, and compile
    them; the report-only policy becomes the enforced one's ``candidate``.

    :returns: the policy (``None`` when there are errors) and everything the checks found.
    """
    findings = Findings()
    status = check_preflight_status(preflight_status, findings)
    memo_size = check_memo_size(memo_size, findings)
    debug = check_debug_header(debug_header, findings)
    checked = check_rules(rules, options or {}, findings)
    candidate_rules: list[CheckedRule] | None = None
    if report_only is not None:
        candidate_findings = Findings()
        candidate_rules = check_rules(report_only, {}, candidate_findings)
        candidate_findings.annotate(
            lambda problem: dataclasses.replace(
                problem, location=re.sub(r"^rules\b", "report_only", problem.location)
            )
        )
        findings.extend(candidate_findings)
    if findings.errors:
        return None, findings
    # With report-only rules, a quarter of the one memo budget is theirs.
    candidate_size = 0 if candidate_rules is None else memo_size // 4
    policy = _build(checked, status, memo_size - candidate_size, debug)
    if candidate_rules is not None:
        policy.candidate = _build(candidate_rules, status, candidate_size, debug=False)
    return policy, findings


def _build(rules: list[CheckedRule], status: int, memo_size: int, debug: bool) -> Policy:
    kind = DynamicOriginsPolicy if any(rule.origin_func for rule in rules) else Policy
    return kind(rules, preflight_status=status, memo_size=memo_size, debug_header=debug)
