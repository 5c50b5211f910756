"""wsgicors: correct, fast CORS middleware for any WSGI application.

See the README for a tour and ``SPEC.md`` for the behaviour contract.
"""

from wsgicors.errors import ConfigError, ConfigWarning, Problem
from wsgicors.middleware import DECISION_KEY, CORSMiddleware
from wsgicors.policy import Decision, Rule

__all__ = [
    "DECISION_KEY",
    "CORSMiddleware",
    "ConfigError",
    "ConfigWarning",
    "Decision",
    "Problem",
    "Rule",
]
