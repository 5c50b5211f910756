"""wsgicors: correct, fast CORS middleware for any WSGI application.

The documentation, including the behaviour contract, is in ``docs/`` (built with Sphinx).
"""

from wsgicors.errors import DECISION_CODES, PROBLEM_CODES, ConfigError, ConfigWarning, Problem
from wsgicors.middleware import DECISION_KEY, CORSMiddleware
from wsgicors.policy import Decision
from wsgicors.rules import Rule, RuleOptions

__version__ = "0.1.0"

__all__ = [
    "DECISION_CODES",
    "DECISION_KEY",
    "PROBLEM_CODES",
    "CORSMiddleware",
    "ConfigError",
    "ConfigWarning",
    "Decision",
    "Problem",
    "Rule",
    "RuleOptions",
    "__version__",
]
