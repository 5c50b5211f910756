"""wsgicors' decisions as a Prometheus counter, by rule and decision code."""

from typing import Any

from prometheus_client import Counter

from wsgicors import Decision

# Exposed as wsgicors_decisions_total. Both labels come from fixed sets (your rules' names and
# wsgicors' catalogue of codes), so the number of series stays small; never label by Origin,
# which any client can set to anything.
CORS_DECISIONS = Counter(
    "wsgicors_decisions", "CORS decisions made by wsgicors, by rule and code", ["rule", "code"]
)


def count_decision(environ: dict[str, Any], decision: Decision) -> None:
    """The on_decision hook: wsgicors calls it once per request."""
    # A request no rule covers has no rule: an empty label value, as Prometheus has it.
    CORS_DECISIONS.labels(rule=decision.rule or "", code=decision.code).inc()
