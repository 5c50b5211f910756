"""Checks of the options written in the Fetch vocabulary: methods, request and exposed header
names, and ``max_age``, each against what browsers actually send and honour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsgicors._http import (
    ACCESS_CONTROL_PREFIX,
    BROWSER_MAX_AGE_CAP,
    FORBIDDEN_METHODS,
    FORBIDDEN_RESPONSE_HEADERS,
    MAX_AGE_LIMIT,
    NORMALIZED_METHODS,
    SAFELISTED_RESPONSE_HEADERS,
    is_forbidden_request_header,
    is_token,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from wsgicors.errors import Findings

__all__ = ["check_expose_headers", "check_max_age", "check_methods", "check_request_headers"]


def check_methods(
    items: Iterable[tuple[str, object]], findings: Findings
) -> tuple[frozenset[str], bool]:
    """Check ``allow_methods`` items (``(location, value)`` pairs).

    :returns: the methods, normalised as browsers send them, and whether ``*`` was listed.
    """
    methods: set[str] = set()
    any_method = False
    for location, method in items:
        if method == "*":
            any_method = True
        elif not isinstance(method, str) or not is_token(method):
            findings.error(location, "method-invalid", f"{method!r} is not a method", "write 'PUT'")
        elif method.upper() in FORBIDDEN_METHODS:
            findings.error(
                location,
                "method-forbidden",
                f"{method!r} is a forbidden method: browsers never send it",
                "remove it",
            )
        else:
            upper = method.upper()
            methods.add(upper if upper in NORMALIZED_METHODS else method)
    return frozenset(methods), any_method


def _header_name_problem(name: object, location: str, findings: Findings) -> bool:
    """Report a value that is not a header name, or a CORS protocol name; return if so."""
    if not isinstance(name, str) or not is_token(name):
        suggestion = "-".join(str(name).split()).lower() if isinstance(name, str) else ""
        hint = (
            f"write {suggestion!r}" if suggestion and is_token(suggestion) else "write 'x-api-key'"
        )
        findings.error(location, "header-invalid", f"{name!r} is not a header name", hint)
        return True
    lowered = name.lower()
    if lowered.startswith(ACCESS_CONTROL_PREFIX) or lowered == "origin":
        findings.error(
            location,
            "header-cors-protocol",
            f"{name!r} belongs to the CORS protocol itself; the middleware handles it",
            "remove it",
        )
        return True
    return False


def check_request_headers(
    items: Iterable[tuple[str, object]], findings: Findings
) -> tuple[frozenset[str], bool]:
    """Check ``allow_headers`` items.

    :returns: the lowercased names, and whether ``*`` was listed.
    """
    names: set[str] = set()
    any_header = False
    for location, name in items:
        if name == "*":
            any_header = True
        elif _header_name_problem(name, location, findings):
            continue
        elif is_forbidden_request_header(str(name).lower()):
            hint = "allow_credentials=True sends cookies" if str(name).lower() == "cookie" else ""
            findings.error(
                location,
                "header-forbidden",
                f"{name!r} is set by the browser itself; a page can never send it",
                hint or "remove it",
            )
        else:
            names.add(str(name).lower())
    return frozenset(names), any_header


def check_expose_headers(
    items: Iterable[tuple[str, object]], credentials: bool, findings: Findings
) -> str:
    """Check ``expose_headers`` items.

    :returns: the ``Access-Control-Expose-Headers`` value; names every page can already read
        (or never can) are left out.
    """
    names: dict[str, None] = {}
    star = False
    for location, name in items:
        if name == "*":
            if credentials:
                findings.error(
                    location,
                    "credentials-expose-wildcard",
                    "browsers read expose_headers=['*'] literally when credentials are allowed",
                    "list the header names to expose",
                )
            star = True
        elif _header_name_problem(name, location, findings):
            continue
        elif str(name).lower() in SAFELISTED_RESPONSE_HEADERS:
            findings.warn(
                location,
                "expose-safelisted",
                f"{name!r} is always readable; exposing it does nothing (it is left out)",
                "remove it",
            )
        elif str(name).lower() in FORBIDDEN_RESPONSE_HEADERS:
            findings.warn(
                location,
                "expose-forbidden",
                f"{name!r} is never readable by a page, whatever the server says (it is left out)",
                "remove it",
            )
        else:
            names[str(name).lower()] = None
    return "*" if star else ", ".join(names)


def check_max_age(value: object, location: str, findings: Findings) -> int | None:
    """Check ``max_age``: an int of seconds in 0..86400; above the browsers' caps, a warning."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        findings.error(
            location, "max-age-type", f"max_age must be an int, got {value!r}", "write 600"
        )
        return None
    if not 0 <= value <= MAX_AGE_LIMIT:
        findings.error(
            location,
            "max-age-range",
            f"max_age {value} is outside 0..{MAX_AGE_LIMIT}",
            "use seconds from 0 to 86400",
        )
        return None
    if value > BROWSER_MAX_AGE_CAP:
        findings.warn(
            location,
            "max-age-capped",
            f"max_age {value} exceeds Chromium's cap of {BROWSER_MAX_AGE_CAP} seconds",
            f"use at most {BROWSER_MAX_AGE_CAP} to get what you ask for",
        )
    return value
