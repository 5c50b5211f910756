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
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from wsgicors._http import MAX_ORIGIN_LENGTH
from wsgicors.answers import ActualAnswer, CompiledRule, Decision, PreflightAnswer
from wsgicors.errors import Findings
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

__all__ = [
    "DEFAULT_MEMO_SIZE",
    "ActualAnswer",
    "Decision",
    "DynamicOriginsPolicy",
    "Policy",
    "PreflightAnswer",
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
_NO_RULE = Decision(None, "pass-through", None, "no-rule", "no rule matches this path")
# No rule covers the path: the app's response passes untouched.
_NO_RULE_ANSWER: Final = ActualAnswer(_NO_RULE, None, False, ())
# A path that could reach another rule once normalised matches none, and fails closed
# (docs/contract.md, section 2): the app's own Access-Control-* headers are removed, none
# are added.
_NOT_ROUTABLE_ANSWER: Final = ActualAnswer(_NOT_ROUTABLE, (), False, ())


class Policy:
    """An immutable, compiled list of rules, with its memos.

    :param rules: the checked rules, in declared order.
    :param preflight_status: the status of a successful preflight, 200 or 204.
    :param memo_size: memo entries in all: three quarters for actual requests, the rest for
        preflights.
    :param debug_header: add ``X-CORS-Decision: <code>`` to every covered response.
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
        self._divide_budget(memo_size)

    def _divide_budget(self, memo_size: int) -> None:
        """Build the memos: three quarters of the budget for actual requests, a quarter for
        preflights."""
        preflights = memo_size // 4
        self._memo_actual = lru_cache(maxsize=memo_size - preflights)(self._answer_actual)
        self._memo_preflight = lru_cache(maxsize=preflights)(self._answer_preflight)

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
            return _NO_RULE_ANSWER if is_routable(path) else _NOT_ROUTABLE_ANSWER
        return rule.actual(origin)

    def _answer_preflight(
        self, path: str, origin: str, method: str, request_headers: str, private_network: str
    ) -> PreflightAnswer:
        rule = self.route(path)
        if rule is None:
            # Not a preflight this policy answers: the middleware treats it as any request.
            return PreflightAnswer(self._pass_through(path), None, ())
        return rule.preflight(origin, method, request_headers, private_network)

    @staticmethod
    def _pass_through(path: str) -> Decision:
        return _NO_RULE if is_routable(path) else _NOT_ROUTABLE


class DynamicOriginsPolicy(Policy):
    """A policy with at least one ``allow_origin_func``: answers that depend on a function
    expire with its TTL, so they are cached in :class:`OriginFuncAnswers`, never in the
    request memos. A request memo hit that says "no static entry allows this origin" on a rule
    with a function is the cue to ask it; preflights on such rules are routed through a memo
    of their own. The four share the one budget: half for actual requests, an eighth each for
    preflights and routes, a quarter for function answers.
    """

    def _divide_budget(self, memo_size: int) -> None:
        """Build the memos: an eighth of the budget each for preflights and routes, a quarter
        for function answers, the rest for actual requests."""
        eighth, quarter = memo_size // 8, memo_size // 4
        actual = memo_size - 2 * eighth - quarter
        self._memo_actual = lru_cache(maxsize=actual)(self._answer_actual)
        self._memo_preflight = lru_cache(maxsize=eighth)(self._answer_preflight)
        self._memo_route = lru_cache(maxsize=eighth)(self.route)
        self.origin_answers = OriginFuncAnswers(quarter)
        # The memoised "not allowed statically" answer of each rule with a function, by
        # identity: the memo hands back that very object, so one dict lookup finds the rule.
        self._asking_rules = {
            id(rule.refused): rule for rule in self.rules if rule.rule.origin_func is not None
        }

    def memo_entries(self) -> int:
        """How many answers and routes are memoised now (never more than ``memo_size``)."""
        routes = self._memo_route.cache_info().currsize
        return super().memo_entries() + routes + len(self.origin_answers)

    def _asking_rule(self, path: str) -> CompiledRule | None:
        rule = self._memo_route(path) if len(path) <= MAX_MEMO_KEY_LENGTH else self.route(path)
        return rule if rule is not None and rule.rule.origin_func is not None else None

    def actual(self, path: str, origin: str | None) -> ActualAnswer:
        """Answer a request that is not a preflight, asking ``allow_origin_func`` if needed."""
        answer = super().actual(path, origin)
        rule = self._asking_rules.get(id(answer))
        if rule is None or origin is None:
            return answer
        return rule.ask_function(origin, self.origin_answers)

    def preflight(
        self, path: str, origin: str, method: str, request_headers: str, private_network: str
    ) -> PreflightAnswer:
        """Answer a preflight, asking ``allow_origin_func`` if needed."""
        rule = self._asking_rule(path)
        if rule is not None:
            return rule.preflight(
                origin, method, request_headers, private_network, self.origin_answers
            )
        return super().preflight(path, origin, method, request_headers, private_network)


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
