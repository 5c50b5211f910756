"""Problems and codes: :class:`Problem`, :class:`ConfigError`, :class:`ConfigWarning`, and the
catalogues of every decision code the middleware records and every problem code a check
reports.

Validation never stops at the first mistake. Checks append a :class:`Problem` for each one to a
:class:`Findings` (where it is, the offending value, a stable code, how to fix it) and return;
only the public entry points turn findings into one :class:`ConfigError` or into
:class:`ConfigWarning` warnings.
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from types import FrameType

__all__ = [
    "DECISION_CODES",
    "PROBLEM_CODES",
    "ConfigError",
    "ConfigWarning",
    "Findings",
    "Problem",
    "escape",
]

#: Every ``Decision.code`` the middleware can record, with what it means. Stable: logs,
#: metrics and alerts may key on them.
DECISION_CODES: Final[Mapping[str, str]] = {
    # No rule applies (kind "pass-through"): the app answers alone, byte for byte.
    "no-rule": "no rule's path matches: the request passes through untouched",
    "path-not-routable": (
        "the path has a '.' or '..' segment or a control character, which a proxy or the app "
        "may normalise into a path another rule covers: the app answers, with its own "
        "Access-Control-* headers removed"
    ),
    # A rule applies.
    "no-origin": "no Origin header: not a CORS request (the response still varies on Origin)",
    "any-origin": "a '*' rule without credentials: every origin may read the response",
    "origin-allowed": "the Origin is allowed by the rule",
    "origin-not-allowed": "the Origin is a valid origin that the rule does not allow",
    "origin-malformed": "the Origin is not a serialized origin as browsers send it",
    "origin-func-failed": "allow_origin_func raised or did not return a bool: refused",
    "origin-func-throttled": (
        "allow_origin_func was already asked as often as it may be this second (a flood of "
        "unknown origins): refused without asking"
    ),
    "deny-rule": "a deny rule covers the path: CORS is disabled there",
    "preflight-allowed": "the preflight asked for nothing the rule does not allow",
    "method-invalid": "Access-Control-Request-Method is not a method token",
    "method-not-allowed": "the requested method is not in allow_methods",
    "request-headers-invalid": (
        "Access-Control-Request-Headers is too long, names too many headers, or has a name "
        "that is not a token"
    ),
    "header-not-allowed": "a requested header is not in allow_headers",
    "wildcard-with-credentials": (
        "the preflight asked for the method or header '*' on a rule with credentials, where "
        "browsers would read an echoed '*' literally"
    ),
    "private-network-not-allowed": (
        "the preflight asked for Private Network Access on a rule without allow_private_network"
    ),
}

#: Every ``Problem.code`` a configuration can produce, errors and warnings (``ConfigWarning``)
#: alike, with what it means. Stable: tools and tests may key on them.
PROBLEM_CODES: Final[Mapping[str, str]] = {
    # Shape of the configuration and the middleware's own options.
    "unknown-key": "a key or keyword wsgicors does not know; the fix names the closest known one",
    "option-with-rules": "rule options given beside rules: put them in each rule instead",
    "rules-type": "rules is not a list of Rule objects, or one of its items is not a Rule",
    "rules-empty": "warning: rules is an empty list, so every request passes through",
    "type-bare-string": "a single string where a list is expected: write a list of one",
    "type-list": "a value that must be a list (in files, an array of tables) is something else",
    "type-bool": "a value that must be true or false is something else",
    "name-type": "a rule's name is not printable text",
    "preflight-status": "preflight_status is neither 204 nor 200",
    "memo-size": "memo_size is not a whole number of entries, 8 or more",
    "debug-header": "warning: debug_header is on, so every client learns why it was refused",
    "hook-type": "a hook given to the middleware (on_decision, on_report) is not callable",
    # Paths.
    "path-type": (
        "a path is neither a string nor a compiled regex of str (or path_regex is not a string)"
    ),
    "path-empty": "a path is empty: write '*' for every path",
    "path-control-char": "a path contains control characters",
    "path-relative": "a path starts with neither '/' nor '*': paths are matched against PATH_INFO",
    "path-query": "a path contains '?' or '#': rules match the path only, never the query",
    "path-dot-segment": "a path has a '.' or '..' segment, and such request paths match no rule",
    "path-percent-encoded": (
        "a path is percent-encoded, but PATH_INFO arrives decoded once, so it would match only "
        "double-encoded requests"
    ),
    "path-regex-non-ascii": (
        "a path regex is written as text, not as PATH_INFO carries a path (its UTF-8 bytes as "
        "latin-1 characters), so it never matches"
    ),
    "path-regex-nested-quantifier": (
        "a path regex repeats a group whose iterations can split or match the same text in more "
        "than one way, so a crafted path can make matching take exponential time"
    ),
    "path-regex-chained-repeats": (
        "a path regex has more than two unbounded repeats in a row that can share out the same "
        "characters, so a long crafted path makes matching slow"
    ),
    "path-regex-too-deep": "a path regex nests groups too deep to be judged",
    "path-both": "a rule in a file has both path and path_regex",
    "path-missing": "a rule in a file has neither path nor path_regex",
    "rule-shadowed": (
        "warning: an earlier rule matches every path this rule does, so it never applies"
    ),
    # Origins.
    "rule-no-origins": "a rule that is not a deny rule allows no origin",
    "origin-type": "an allow_origins item is neither a string nor a compiled regex",
    "origin-empty": "an allowed origin is the empty string",
    "origin-whitespace": "an allowed origin contains whitespace or control characters",
    "origin-non-ascii": "an allowed origin is not ASCII: write international names as punycode",
    "origin-no-scheme": "an allowed origin has no scheme: write https://host",
    "origin-file": "a file: origin, which browsers send as 'null'",
    "origin-malformed": (
        "an allowed origin is not a valid origin (its scheme or host is invalid, or it is written "
        "in a form browsers never send)"
    ),
    "origin-userinfo": "an allowed origin contains user:password@, which browsers never send",
    "origin-trailing-slash": "an allowed origin ends with '/': an origin has no path",
    "origin-path": "an allowed origin has a path, a query or a fragment",
    "origin-port": "an allowed origin's port is not 1 to 65535 without leading zeros, nor '*'",
    "origin-default-port": (
        "an allowed origin spells out its scheme's default port, which browsers omit"
    ),
    "origin-wildcard-misplaced": (
        "a '*' in an allowed origin that is not the whole origin, its leading labels or its port"
    ),
    "origin-null": (
        "warning: 'null' is allowed, and sandboxed iframes, file: pages and redirects from "
        "anywhere send it"
    ),
    "origin-public-suffix": (
        "warning: a glob or regex covers a public suffix (such as *.github.io), under which anyone "
        "can register a matching name"
    ),
    "private-network-any-origin": (
        "warning: '*' with allow_private_network lets every public site reach this private-network "
        "service"
    ),
    "origin-func-type": "allow_origin_func is not callable",
    "origin-func-ttl": "allow_origin_func_ttl is not a number of seconds, 0 or more",
    # Origin regexes.
    "regex-invalid": "a regex (allow_origin_regex or path_regex) does not compile",
    "regex-type": "an origin regex is neither a string nor a compiled regex of str",
    "regex-unescaped-dot": (
        "an origin regex has an unescaped '.' where a literal dot between host labels is meant, so "
        "it matches other hosts"
    ),
    "regex-nested-quantifier": (
        "an origin regex repeats a group whose iterations can split or match the same text in "
        "more than one way, so a crafted Origin can make matching take exponential time"
    ),
    "regex-chained-repeats": (
        "an origin regex has more than two unbounded repeats in a row that can share out the "
        "same characters, so a crafted Origin makes matching slow"
    ),
    "regex-too-deep": "an origin regex nests groups too deep to be judged",
    "origin-regex-unpinned": (
        "warning: an origin regex does not end in a domain of its own, so it admits sites you do "
        "not control"
    ),
    # Credentials.
    "credentials-wildcard": (
        "'*' with allow_credentials, which would let every site read users' data"
    ),
    "credentials-null": "'null' with allow_credentials: any sandboxed page or file can send it",
    "credentials-public-suffix": (
        "with allow_credentials, a glob or regex covers a public suffix, under which anyone can "
        "register a matching name"
    ),
    "credentials-regex-unpinned": (
        "with allow_credentials, an origin regex does not pin a registrable domain (a literal "
        "scheme and '://', ending in a domain you control)"
    ),
    "credentials-insecure-origin": (
        "with allow_credentials, a non-loopback http: origin, or a regex admitting a scheme "
        "other than https: anyone on the network path can impersonate those origins"
    ),
    "credentials-subdomain-glob": (
        "warning: with allow_credentials, a subdomain glob trusts every subdomain: a takeover of "
        "any one exposes users' data"
    ),
    "credentials-expose-wildcard": (
        "expose_headers=['*'] with allow_credentials, which browsers read as a header named '*'"
    ),
    # Methods and headers.
    "method-invalid": "an allow_methods entry is not a method name",
    "method-forbidden": "CONNECT, TRACE or TRACK in allow_methods: browsers never send them",
    "header-invalid": "an allow_headers or expose_headers entry is not a header name",
    "header-cors-protocol": (
        "a CORS protocol header (Origin, Access-Control-*) in allow_headers or expose_headers: the "
        "middleware handles those"
    ),
    "header-forbidden": (
        "a header browsers set themselves (Cookie, Host, Sec-*...) in allow_headers: a page can "
        "never send it"
    ),
    "expose-safelisted": (
        "warning: an expose_headers name pages can always read, such as Content-Type (it is left "
        "out)"
    ),
    "expose-forbidden": (
        "warning: Set-Cookie in expose_headers, which pages can never read (it is left out)"
    ),
    # max_age.
    "max-age-type": "max_age is not a whole number of seconds",
    "max-age-range": "max_age is outside 0 to 86400 seconds",
    "max-age-capped": (
        "warning: max_age is above 7200 seconds, Chromium's cap, so Chromium caches preflights for "
        "less time than asked"
    ),
    # Files and formats.
    "config-format": "the configuration file is not a .toml, .json, .ini or .cfg file",
    "config-unreadable": "the configuration file cannot be read, or is not UTF-8 text",
    "config-syntax": "the configuration file is not valid TOML, JSON or INI",
    "config-type": "the configuration is not a table of keys",
    "config-duplicate-key": (
        "a JSON object has the same key twice (JSON readers keep the last one silently)"
    ),
    "config-unknown-section": "an INI section that is neither [wsgicors] nor a rule's section",
    "import-string": "a function named in a file is not written as 'module:attribute'",
    "import-failed": "a function named in a file cannot be imported",
    # PasteDeploy, and the keys of the 2017 wsgicors package.
    "paste-config-and-keys": "a PasteDeploy filter has other keys beside config = FILE",
    "legacy-config": (
        "warning: a PasteDeploy filter uses the 2017 wsgicors keys; they were translated, and the "
        "fix shows the new keys"
    ),
    "legacy-no-policy": "2017 keys: policy names no policy",
    "legacy-no-origin": "2017 keys: a policy has no NAME_origin",
    "legacy-unsafe-credentials": (
        "2017 keys: 'copy' or '*' origins with NAME_credentials = true, which would let any site "
        "read users' data"
    ),
    "legacy-fnmatch": (
        "2017 keys: an fnmatch pattern with '?' or '[...]' in NAME_origin, which has no equivalent"
    ),
    "legacy-matchstrategy": "2017 keys: matchstrategy is neither firstmatch nor verbmatch",
    "legacy-multiple-policies": (
        "2017 keys: policies that grant different access to different origins, where wsgicors "
        "chooses rules by path"
    ),
    "config-unknown-key": (
        "2017 keys: a key beside policy that is not NAME_origin, NAME_methods... for a listed "
        "policy"
    ),
}


def escape(text: str) -> str:
    """Return *text* with every non-printable character written as an escape (``\\n``,
    ``\\x1b``, ``\\u2028``).

    Messages and locations carry values from configuration files and command lines; escaping
    keeps a crafted key from forging extra lines (line and paragraph separators included),
    terminal sequences or reordered text (bidirectional overrides).
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake (or, for warnings, one risk) in a configuration.

    :param location: where it is, such as ``rules[1].allow_origins[0]``.
    :param code: a stable identifier for the kind of problem, such as ``origin-path``.
    :param message: what is wrong, naming the offending value.
    :param hint: how to fix it.
    :param source: the configuration file it is in, if any.
    :param line: the line in that file, where the format allows finding it.
    """

    location: str
    code: str
    message: str
    hint: str
    source: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = escape(self.location) or "configuration"
        if self.source:
            line = "" if self.line is None else f":{self.line}"
            where = f"{escape(self.source)}{line}: {where}"
        hint = "\n         ".join(escape(part) for part in self.hint.split("\n"))
        return f"{where}: {escape(self.message)} [{self.code}]\n    fix: {hint}"


class ConfigError(ValueError):
    """Raised when a configuration is invalid; :attr:`problems` lists every mistake found."""

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        heading = f"invalid CORS configuration: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([heading, *(f"  {problem}" for problem in self.problems)]))


class ConfigWarning(UserWarning):
    """Emitted for settings that are legal but risky or pointless; ``problem`` says which."""

    problem: Problem

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class Findings:
    """The errors and warnings found while a configuration is checked, as data."""

    __slots__ = ("errors", "warnings")

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, location: str, code: str, message: str, hint: str) -> None:
        """Record a mistake that makes the configuration unusable."""
        self.errors.append(Problem(location, code, message, hint))

    def warn(self, location: str, code: str, message: str, hint: str) -> None:
        """Record a legal but risky or pointless setting."""
        self.warnings.append(Problem(location, code, message, hint))

    def extend(self, other: Findings) -> None:
        """Add everything *other* found."""
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)

    def annotate(self, annotate: Callable[[Problem], Problem]) -> None:
        """Rewrite every finding (to add a file and line, or to rename a location)."""
        self.errors = [annotate(problem) for problem in self.errors]
        self.warnings = [annotate(problem) for problem in self.warnings]

    def in_source_order(self, source: str) -> None:
        """Give every finding without a file *source*, and sort them by line in that file.

        Findings without a line keep their relative order after the located ones of their
        kind, so the report reads top to bottom like the file.
        """
        for name in ("errors", "warnings"):
            problems = [
                dataclasses.replace(problem, source=problem.source or source)
                for problem in getattr(self, name)
            ]
            problems.sort(key=lambda problem: (problem.line is None, problem.line or 0))
            setattr(self, name, problems)

    def raise_or_warn(self) -> None:
        """Raise every error as one :class:`ConfigError`, else warn once per warning, pointing
        at the first caller outside wsgicors.
        """
        if self.errors:
            raise ConfigError(self.errors)
        # Count our own frames above the caller's. A module compiled with mypyc has no Python
        # frame, so a fixed stacklevel would point past the caller in the compiled build.
        frame: FrameType | None = sys._getframe()
        level = 1
        while frame is not None and frame.f_globals.get("__name__", "").startswith("wsgicors."):
            frame = frame.f_back
            level += 1
        for problem in self.warnings:
            warnings.warn(ConfigWarning(problem), stacklevel=level)
