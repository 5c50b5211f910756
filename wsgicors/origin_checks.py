"""The safety checks of a rule's allowed origins (docs/contract.md, section 5), and its origin
matcher.

Each ``allow_origins`` entry is parsed by :mod:`wsgicors.origins` and each regex judged by
:mod:`wsgicors.origin_regex`; what is risky depends on the rule (credentials, insecure origins,
private network access), so this module applies those rules and builds the matcher from the
entries that passed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from wsgicors.origin_regex import judge_origin_regex
from wsgicors.origins import AllowedOrigin, OriginMatcher, compile_globs, parse_allowed_origin
from wsgicors.public_suffixes import is_public_suffix, public_suffix_below

if TYPE_CHECKING:
    from collections.abc import Sequence

    from wsgicors.errors import Findings

__all__ = ["check_origins"]


def check_origins(
    origins: Sequence[tuple[str, object]],
    regexes: Sequence[tuple[str, object]],
    *,
    credentials: bool,
    allow_insecure_origins: bool,
    private_network: bool,
    findings: Findings,
) -> OriginMatcher:
    """Check a rule's ``allow_origins`` and ``allow_origin_regex`` items and build its matcher.

    :param origins: ``(location, item)`` for each ``allow_origins`` entry.
    :param regexes: ``(location, item)`` for each ``allow_origin_regex`` entry.
    Problems go to *findings* (docs/contract.md, section 5); the matcher holds only the valid
    entries.
    """
    entries: list[AllowedOrigin] = []
    patterns: list[re.Pattern[str]] = []

    def judge(pattern: re.Pattern[str], location: str) -> None:
        errors_before = len(findings.errors)
        _check_regex(
            pattern,
            location,
            credentials=credentials,
            allow_insecure_origins=allow_insecure_origins,
            findings=findings,
        )
        if len(findings.errors) == errors_before:
            patterns.append(pattern)

    for location, item in origins:
        if isinstance(item, re.Pattern):
            judge(item, location)
        elif isinstance(item, str):
            parsed = parse_allowed_origin(item)
            if isinstance(parsed, AllowedOrigin):
                _check_entry(parsed, location, credentials, allow_insecure_origins, findings)
                if parsed.kind == "any" and private_network:
                    findings.warn(
                        location,
                        "private-network-any-origin",
                        "'*' with allow_private_network=True lets every public site reach this "
                        "private-network service",
                        "list the origins that may reach it",
                    )
                entries.append(parsed)
            else:
                findings.error(location, *parsed)
        else:
            findings.error(
                location,
                "origin-type",
                f"expected an origin string or a compiled regex, got {type(item).__name__}",
                "write 'https://app.example.com'",
            )
    for location, item in regexes:
        if isinstance(item, str):
            try:
                item = re.compile(item, re.ASCII)  # noqa: PLW2901 (checked in compiled form)
            except (re.error, RecursionError, OverflowError) as error:
                findings.error(
                    location,
                    "regex-invalid",
                    f"regex {item!r} does not compile: {error}",
                    "fix the regex syntax",
                )
                continue
        if isinstance(item, re.Pattern):
            judge(item, location)
        else:
            findings.error(
                location,
                "regex-type",
                f"expected a regex string or a compiled regex, got {type(item).__name__}",
                r"write 'https://[a-z]+\.example\.com'",
            )
    globs = [entry for entry in entries if entry.kind == "glob"]
    if globs:
        patterns.insert(0, compile_globs(globs))
    return OriginMatcher(
        frozenset(entry.text for entry in entries if entry.kind in {"exact", "null"}),
        tuple(patterns),
        any_origin=any(entry.kind == "any" for entry in entries),
    )


def _check_regex(
    pattern: re.Pattern[str],
    location: str,
    *,
    credentials: bool,
    allow_insecure_origins: bool,
    findings: Findings,
) -> None:
    """Judge one origin regex; its findings go to *findings*."""
    if not isinstance(pattern.pattern, str):
        findings.error(location, "regex-type", "regex must be a str pattern", "use re.compile(str)")
        return
    for finding in judge_origin_regex(
        pattern,
        credentials=credentials,
        allow_insecure_origins=allow_insecure_origins,
        is_public_suffix=_is_public_suffix,
    ):
        if finding.severity == "error":
            findings.error(location, finding.code, finding.message, finding.hint)
        else:
            findings.warn(location, finding.code, finding.message, finding.hint)


def _is_public_suffix(domain: str) -> bool:
    """Whether a wildcard over *domain* reaches names strangers register: it is a public
    suffix, or one lies below it (``amazonaws.com`` above ``s3.amazonaws.com``)."""
    # Names under localhost never leave this machine (RFC 6761): no one else can register them.
    if domain == "localhost":
        return False
    return is_public_suffix(domain) or public_suffix_below(domain) is not None


def _check_entry(
    entry: AllowedOrigin,
    location: str,
    credentials: bool,
    allow_insecure_origins: bool,
    findings: Findings,
) -> None:
    """Apply the credential and wildcard safety checks (docs/contract.md, section 5) to one
    entry."""
    no_credentials = "or set allow_credentials=False"
    if entry.kind == "any" and credentials:
        findings.error(
            location,
            "credentials-wildcard",
            "'*' with allow_credentials=True would let every site read users' data",
            f"list the exact origins that may send credentials, {no_credentials}",
        )
    elif entry.kind == "null":
        if credentials:
            findings.error(
                location,
                "credentials-null",
                "'null' with allow_credentials=True: any sandboxed page or file can send it",
                f"remove 'null', {no_credentials}",
            )
        else:
            findings.warn(
                location,
                "origin-null",
                "'null' is sent by sandboxed iframes, file: pages and redirects from anywhere",
                "allow real origins instead, unless you need opaque origins",
            )
    if entry.subdomain_glob:
        if _is_public_suffix(entry.host):
            below = public_suffix_below(entry.host)
            suffix = "a public suffix" if below is None else f"the public suffix {below!r}"
            message = f"{entry.text!r} covers {suffix}: anyone can register a match"
            hint = (
                f"name your own domain, such as '{entry.scheme}://*.example.{entry.host}'"
                if below is None
                else "list the exact origins you trust, or a glob under a name you own"
            )
            if credentials:
                findings.error(location, "credentials-public-suffix", message, hint)
            else:
                findings.warn(location, "origin-public-suffix", message, hint)
        elif credentials and not entry.is_loopback:
            findings.warn(
                location,
                "credentials-subdomain-glob",
                f"{entry.text!r} lets every subdomain send credentials",
                "a takeover of any subdomain exposes users' data; list them if you can",
            )
    insecure = entry.scheme == "http" and not entry.is_loopback
    if credentials and insecure and not allow_insecure_origins:
        findings.error(
            location,
            "credentials-insecure-origin",
            f"{entry.text!r} is plain http: a network attacker can act as it",
            "use https, or set allow_insecure_origins=True if you accept that risk",
        )
