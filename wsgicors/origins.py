"""Origins: parse request ``Origin`` values strictly; parse and compile allowed-origin entries.

A request's ``Origin`` is trusted only if it is a serialized origin exactly as a browser
writes it (Fetch "serializing a request origin", URL standard "origin serialization"):
``scheme "://" host [":" port]``, lower case, no default port, nothing else. Anything else is
refused and never reflected.

Allowed origins are configured as exact strings, ``*``, ``null``, globs (``*`` as the leading
DNS labels or as the port) and full-match regexes. Globs compile to one anchored pattern per
rule; exact entries are a set lookup.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from wsgicors._http import DEFAULT_PORTS, MAX_ORIGIN_LENGTH

__all__ = [
    "AllowedOrigin",
    "OriginMatcher",
    "compile_globs",
    "is_loopback_host",
    "is_serialized_origin",
    "parse_allowed_origin",
]

NULL: Final = "null"
WILDCARD: Final = "*"

# A host label as the URL standard lets a browser serialize it after IDNA processing.
_LABEL = r"[a-z0-9_\-]{1,63}"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*"
_REQUEST_ORIGIN = re.compile(
    rf"(?P<scheme>[a-z][a-z0-9+.\-]*)://"
    rf"(?:(?P<host>{_HOST})|\[(?P<ipv6>[0-9a-f:.]+)\])"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?",
    re.ASCII,
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*", re.ASCII)
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.ASCII)
_MAX_HOST_LENGTH = 253
_MAX_PORT = 65535


def is_serialized_origin(value: str) -> bool:
    """Return whether *value* is a serialized origin exactly as a browser sends it.

    ``null`` (an opaque origin) counts. The check is bounded: values longer than
    ``MAX_ORIGIN_LENGTH`` are rejected before any pattern runs.
    """
    if value == NULL:
        return True
    if len(value) > MAX_ORIGIN_LENGTH:
        return False
    match = _REQUEST_ORIGIN.fullmatch(value)
    if match is None:
        return False
    port = match["port"]
    if port is not None:
        number = int(port)
        if number > _MAX_PORT or DEFAULT_PORTS.get(match["scheme"]) == number:
            return False
    host = match["host"]
    if host is None:
        # Bracketed IPv6: only the canonical (RFC 5952) text a browser would serialize.
        text = match["ipv6"]
        try:
            return ipaddress.IPv6Address(text).compressed == text
        except ValueError:
            return False
    if len(host) > _MAX_HOST_LENGTH:
        return False
    # URL standard: a host whose last label is numeric is an IPv4 address, and browsers
    # serialize it in dotted-decimal form.
    if _NUMERIC_LABEL.fullmatch(host.rpartition(".")[2]):
        try:
            return str(ipaddress.IPv4Address(host)) == host
        except ValueError:
            return False
    return True


def is_loopback_host(host: str) -> bool:
    """Return whether *host* (as in a serialized origin) names this machine."""
    if host == "localhost" or host.endswith(".localhost") or host == "[::1]":
        return True
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class AllowedOrigin:
    """One parsed ``allow_origins`` entry.

    :param kind: ``"any"``, ``"null"``, ``"exact"`` or ``"glob"``.
    :param text: the normalised entry (lower case).
    :param scheme: the scheme, empty for ``any`` and ``null``.
    :param host: the host; for a subdomain glob, the fixed suffix after ``*.``.
    :param subdomain_glob: whether leading labels are a wildcard.
    :param port_glob: whether the port is a wildcard.
    :param port: the explicit port, or ``None``.
    """

    kind: str
    text: str
    scheme: str = ""
    host: str = ""
    subdomain_glob: bool = False
    port_glob: bool = False
    port: int | None = None

    @property
    def is_loopback(self) -> bool:
        """Whether every origin this entry matches is on this machine."""
        if self.subdomain_glob:
            # Every name under localhost is loopback (RFC 6761); under anything else, not.
            return self.host == "localhost" or self.host.endswith(".localhost")
        return is_loopback_host(self.host)


def parse_allowed_origin(raw: str) -> AllowedOrigin | tuple[str, str, str]:
    """Parse and normalise one ``allow_origins`` string.

    :returns: the parsed entry, or ``(code, message, hint)`` describing why it is invalid.
    """
    if raw == "":
        return ("origin-empty", "empty origin", "remove it, or write https://host")
    if not raw.isprintable() or any(char.isspace() for char in raw):
        return (
            "origin-whitespace",
            f"origin {raw!r} contains whitespace or control characters",
            "write the origin without spaces, tabs or line breaks",
        )
    if not raw.isascii():
        return (
            "origin-non-ascii",
            f"origin {raw!r} is not ASCII",
            "write international names in their punycode form (https://xn--...)",
        )
    text = raw.lower()
    if text == WILDCARD:
        return AllowedOrigin("any", WILDCARD)
    if text == NULL:
        return AllowedOrigin("null", NULL)
    scheme, separator, rest = text.partition("://")
    if not separator:
        return (
            "origin-no-scheme",
            f"origin {raw!r} has no scheme",
            f"write it with its scheme, such as 'https://{text}'",
        )
    if scheme == "file":
        return (
            "origin-file",
            f"origin {raw!r} uses file:, whose origin browsers send as 'null'",
            "serve the page over http(s), or allow 'null' explicitly if you must",
        )
    if "*" in scheme:
        return _misplaced_wildcard(raw)
    if not _SCHEME.fullmatch(scheme):
        return ("origin-malformed", f"origin {raw!r} has an invalid scheme", "use https://host")
    if "@" in rest:
        return (
            "origin-userinfo",
            f"origin {raw!r} contains user information",
            "browsers never send user:password@ in Origin; remove it",
        )
    if rest and rest.find("/") == len(rest) - 1 and not any(char in rest for char in "?#"):
        return (
            "origin-trailing-slash",
            f"origin {raw!r} ends with a slash",
            f"write it as {text[:-1]!r}: an origin never has a path",
        )
    if any(char in rest for char in "/?#"):
        return (
            "origin-path",
            f"origin {raw!r} has a path, query or fragment",
            "an origin is only scheme://host[:port]; remove everything after the host and port",
        )
    if rest.startswith("["):
        host, bracket, port_text = rest.partition("]")
        host += bracket
        if port_text and not port_text.startswith(":"):
            return ("origin-malformed", f"origin {raw!r} is malformed", "write https://[::1]:8080")
        port_text = port_text[1:]
        has_port = bool(port_text) or rest.endswith(":")
    else:
        host, colon, port_text = rest.partition(":")
        has_port = bool(colon)
    subdomain_glob = False
    if "*" in host:
        labels = host.split(".")
        if labels[0] != WILDCARD or len(labels) < 2 or WILDCARD in "".join(labels[1:]):
            return _misplaced_wildcard(raw)
        subdomain_glob = True
        host = ".".join(labels[1:])
    port: int | None = None
    port_glob = False
    if has_port:
        if port_text == WILDCARD:
            port_glob = True
        elif "*" in port_text:
            return _misplaced_wildcard(raw)
        elif not port_text.isdigit() or port_text.startswith("0") or int(port_text) > 65535:
            return (
                "origin-port",
                f"origin {raw!r} has an invalid port",
                "use a port from 1 to 65535 without leading zeros, or ':*' for any port",
            )
        else:
            port = int(port_text)
            if DEFAULT_PORTS.get(scheme) == port:
                return (
                    "origin-default-port",
                    f"origin {raw!r} spells out the default port {port}",
                    f"browsers omit it: write '{scheme}://{host}'",
                )
    # Check the fixed parts with the same grammar as request origins.
    probe_host = f"a.{host}" if subdomain_glob else host
    probe = f"{scheme}://{probe_host}" + (f":{port}" if port is not None else "")
    if not is_serialized_origin(probe):
        return (
            "origin-malformed",
            f"origin {raw!r} is not a valid origin",
            "write scheme://host[:port] with a DNS name, an IPv4 address or a bracketed IPv6",
        )
    unusable = _unusable_host(host)
    if unusable is not None:
        return ("origin-malformed", f"origin {raw!r} {unusable}", "write the host as browsers do")
    return AllowedOrigin(
        kind="glob" if subdomain_glob or port_glob else "exact",
        text=text,
        scheme=scheme,
        host=host,
        subdomain_glob=subdomain_glob,
        port_glob=port_glob,
        port=port,
    )


def _unusable_host(host: str) -> str | None:
    """Say why a syntactically valid *host* can never be an origin a browser sends, if so."""
    if host.startswith("["):
        if ipaddress.IPv6Address(host[1:-1]).ipv4_mapped is not None:
            return "is an IPv4-mapped IPv6 address; browsers send the IPv4 form"
        return None
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                decoded = label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                decoded = ""
            # What IDNA would have produced: non-ASCII, printable, lower case, NFC, and the
            # canonical encoding of itself.
            if (
                decoded.isascii()
                or not decoded.isprintable()
                or decoded != unicodedata.normalize("NFC", decoded.lower())
                or decoded.encode("punycode") != label[4:].encode("ascii")
            ):
                return f"has the label {label!r}, which is not valid punycode"
    return None


def _misplaced_wildcard(raw: str) -> tuple[str, str, str]:
    return (
        "origin-wildcard-misplaced",
        f"origin {raw!r} has a '*' where wsgicors does not allow one",
        (
            "use '*' alone, as the leading labels ('https://*.example.com') or as the port "
            "('http://localhost:*'); for anything else use allow_origin_regex"
        ),
    )


def compile_globs(entries: list[AllowedOrigin]) -> re.Pattern[str]:
    """Compile glob entries into one anchored pattern (callers use ``fullmatch``).

    The pattern only runs on values :func:`is_serialized_origin` accepted, so a label wildcard
    cannot reach across ``:``, ``/`` or ``@``: none of them can appear in a label.
    """
    alternatives = []
    for entry in entries:
        host = re.escape(entry.host)
        if entry.subdomain_glob:
            host = rf"{_HOST}\.{host}"
        if entry.port_glob:
            port = r"(?::[0-9]{1,5})?"
        elif entry.port is not None:
            port = f":{entry.port}"
        else:
            port = ""
        alternatives.append(f"(?:{re.escape(entry.scheme)}://{host}{port})")
    return re.compile("|".join(alternatives), re.ASCII)


class OriginMatcher:
    """Decides whether a request ``Origin`` is allowed by one rule.

    Exact entries (and ``null`` when listed) are a set lookup. ``*`` accepts any serialized
    origin. Globs and regexes run only on serialized origins other than ``null``. Answers are
    not memoised here: the rule memoises whole decisions, so this runs once per new origin.
    """

    __slots__ = ("any_origin", "exact", "patterns")

    def __init__(
        self,
        exact: frozenset[str],
        patterns: tuple[re.Pattern[str], ...],
        *,
        any_origin: bool,
    ) -> None:
        self.exact = exact
        self.patterns = patterns
        self.any_origin = any_origin

    def is_empty(self) -> bool:
        """Whether no origin at all can be allowed."""
        return not self.exact and not self.patterns and not self.any_origin

    def allows(self, origin: str) -> bool:
        """Return whether the request *origin* is allowed."""
        if origin in self.exact:
            return True
        if self.any_origin:
            return is_serialized_origin(origin)
        if not self.patterns or origin == NULL or not is_serialized_origin(origin):
            return False
        return any(pattern.fullmatch(origin) for pattern in self.patterns)
