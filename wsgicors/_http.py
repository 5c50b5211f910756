"""HTTP and Fetch vocabulary: header names, safelisted and forbidden sets, limits, helpers.

Everything here is a constant or a small pure function. The sets come from the WHATWG Fetch
standard (sections "Methods", "Terminology: headers", "CORS protocol") and RFC 9110.
"""

from __future__ import annotations

import re
from typing import Final

# Response headers the middleware writes (canonical spelling).
ACAO: Final = "Access-Control-Allow-Origin"
ACAC: Final = "Access-Control-Allow-Credentials"
ACAM: Final = "Access-Control-Allow-Methods"
ACAH: Final = "Access-Control-Allow-Headers"
ACEH: Final = "Access-Control-Expose-Headers"
ACMA: Final = "Access-Control-Max-Age"
ACAPN: Final = "Access-Control-Allow-Private-Network"
VARY: Final = "Vary"

# Request headers, as WSGI environ keys (PEP 3333: HTTP_ + upper case, "-" -> "_").
ENV_ORIGIN: Final = "HTTP_ORIGIN"
ENV_ACRM: Final = "HTTP_ACCESS_CONTROL_REQUEST_METHOD"
ENV_ACRH: Final = "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"
ENV_ACRPN: Final = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"

# Every response header whose lowercased name starts with this belongs to the middleware.
ACCESS_CONTROL_PREFIX: Final = "access-control-"

STATUS_LINES: Final = {200: "200 OK", 204: "204 No Content", 403: "403 Forbidden"}

# Fetch "CORS-safelisted method": a preflight for these needs no Access-Control-Allow-Methods.
SAFELISTED_METHODS: Final = frozenset({"GET", "HEAD", "POST"})
# Fetch "normalize a method": browsers upper-case these six, and only these, before sending.
NORMALIZED_METHODS: Final = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
# Fetch "forbidden method": a browser never sends them, so allowing them is always a mistake.
FORBIDDEN_METHODS: Final = frozenset({"CONNECT", "TRACE", "TRACK"})

# Fetch "forbidden request-header": a page can never set these, so allowing one means the
# configuration misunderstands CORS.
FORBIDDEN_REQUEST_HEADERS: Final = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "access-control-request-private-network",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
FORBIDDEN_REQUEST_HEADER_PREFIXES: Final = ("proxy-", "sec-")

# Fetch: the `*` wildcard in Access-Control-Allow-Headers never covers Authorization.
AUTHORIZATION: Final = "authorization"

# Fetch "CORS-safelisted response-header name": always readable, listing them does nothing.
SAFELISTED_RESPONSE_HEADERS: Final = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
# Fetch "forbidden response-header name": filtered out of every response a page can read.
FORBIDDEN_RESPONSE_HEADERS: Final = frozenset({"set-cookie", "set-cookie2"})

# Chromium caps Access-Control-Max-Age at two hours; Firefox at one day (our hard limit).
BROWSER_MAX_AGE_CAP: Final = 7200
MAX_AGE_LIMIT: Final = 86400

# Hard caps applied to hostile input before any matching work.
MAX_ORIGIN_LENGTH: Final = 300
MAX_METHOD_LENGTH: Final = 64
MAX_REQUEST_HEADERS_LENGTH: Final = 4096
MAX_REQUEST_HEADER_NAMES: Final = 64
# Longer paths and header lists are still answered, but not memoised: the LRUs bound the
# number of entries, and this bounds the size of each.
MAX_MEMO_KEY_LENGTH: Final = 1024

# Default ports (WHATWG URL "special schemes"); a serialized origin never spells them out.
DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}

# RFC 9110 section 5.6.2 "token".
TOKEN_RE: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", re.ASCII)

_LOG_PREVIEW = 200


def is_token(value: str) -> bool:
    """Return whether *value* is an RFC 9110 token (method and header-name syntax)."""
    return TOKEN_RE.fullmatch(value) is not None


def is_forbidden_request_header(name: str) -> bool:
    """Return whether the lowercased header *name* is one a page can never set."""
    return name in FORBIDDEN_REQUEST_HEADERS or name.startswith(FORBIDDEN_REQUEST_HEADER_PREFIXES)


def for_log(value: str | None) -> str:
    """Render an untrusted value for a log line or a message.

    ``ascii()`` escapes CR, LF, NUL, every other control character and all non-ASCII text, so
    the result can never forge a second log line. Long values are cut to a preview.
    """
    if value is None:
        return "-"
    if len(value) > _LOG_PREVIEW:
        return f"{value[:_LOG_PREVIEW]!a}...({len(value)} chars)"
    return ascii(value)
