"""A slow reference decision written straight from the behaviour contract (docs/contract.md),
for differential fuzzing.

It shares no code with the package: paths, origins, methods and header lists are handled
with plain string operations, the way the contract describes them.
"""

from __future__ import annotations

import ipaddress
import re
import string
from dataclasses import dataclass, field

TOKEN_CHARS = set("!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits)
LABEL_CHARS = set(string.ascii_lowercase + string.digits + "-_")
SCHEME_CHARS = set(string.ascii_lowercase + string.digits + "+.-")
DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the fuzzer generates it (already in normalised form)."""

    path: str
    path_is_regex: bool = False
    origins: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    expose: tuple[str, ...] = ()
    credentials: bool = False
    max_age: int | None = None
    private_network: bool = False
    deny: bool = False


@dataclass
class Expected:
    app_called: bool
    status: int | None = None  # None: whatever the app answers
    cors: dict[str, str] = field(default_factory=dict)  # lower-case name -> value
    vary_origin: bool = False
    pass_through: bool = False


def is_token(text: str) -> bool:
    return bool(text) and set(text) <= TOKEN_CHARS


def split_origin(origin: str) -> tuple[str, str, str] | None:
    """(scheme, host, port) of a serialized origin, or None (``null`` is handled apart)."""
    if len(origin) > 300 or "://" not in origin:
        return None
    scheme, rest = origin.split("://", 1)
    if not scheme or scheme[0] not in string.ascii_lowercase or not set(scheme) <= SCHEME_CHARS:
        return None
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            return None
        host, after = rest[: close + 1], rest[close + 1 :]
        if after and not after.startswith(":"):
            return None
        port, has_port = after[1:], bool(after)
        try:
            if ipaddress.IPv6Address(host[1:-1]).compressed != host[1:-1]:
                return None
        except ValueError:
            return None
    else:
        host, colon, port = rest.partition(":")
        has_port = bool(colon)
        labels = host.split(".")
        if len(host) > 253:
            return None
        for label in labels:
            if not label or len(label) > 63 or not set(label) <= LABEL_CHARS:
                return None
        if labels[-1].isdigit() or labels[-1].startswith("0x"):
            try:
                if str(ipaddress.IPv4Address(host)) != host:
                    return None
            except ValueError:
                return None
    if has_port:
        if not (port.isascii() and port.isdigit()) or port[0] == "0" or int(port) > 65535:
            return None
        if DEFAULT_PORTS.get(scheme) == port:
            return None
    return scheme, host, port


def valid_origin(origin: str) -> bool:
    return origin == "null" or split_origin(origin) is not None


def entry_matches(entry: str, origin: str) -> bool:
    """Does one allow_origins entry (exact, null or glob) match a valid origin?"""
    if entry == "null" or "*" not in entry:
        return entry == origin
    parts = split_origin(origin)
    if parts is None:
        return False
    scheme, host, port = parts
    entry_scheme, rest = entry.split("://", 1)
    if rest.startswith("*."):
        rest = rest[2:]
        host_pattern, _, port_pattern = rest.partition(":")
        suffix = "." + host_pattern
        if not host.endswith(suffix) or host == suffix[1:] or not host[: -len(suffix)]:
            return False
    else:
        host_pattern, _, port_pattern = rest.partition(":")
        if host != host_pattern:
            return False
    if port_pattern == "*":
        return scheme == entry_scheme
    return scheme == entry_scheme and port == port_pattern


def origin_allowed(rule: RuleSpec, origin: str) -> bool:
    if not valid_origin(origin):
        return False
    if "*" in rule.origins:
        return True
    if any(entry_matches(entry, origin) for entry in rule.origins):
        return True
    return origin != "null" and any(re.fullmatch(r, origin, re.ASCII) for r in rule.regexes)


def path_matches(rule: RuleSpec, path: str) -> bool:
    if rule.path_is_regex:
        return re.fullmatch(rule.path, path) is not None
    # A glob as a regex: slow on hostile paths, but an independent statement of the meaning.
    # Rule paths are text; PATH_INFO carries the request's UTF-8 bytes one latin-1 char each.
    wsgi_path = rule.path.encode("utf-8").decode("latin-1")
    pattern = ".*".join(re.escape(piece) for piece in wsgi_path.split("*"))
    return re.fullmatch(pattern, path, re.DOTALL) is not None


def decide(
    rules: list[RuleSpec],
    preflight_status: int,
    method: str,
    path: str,
    origin: str | None,
    acrm: str | None,
    acrh: str | None,
    private_network: str | None,
) -> Expected:
    # A path that could reach another rule once normalised matches none, and fails closed:
    # the app's own Access-Control-* headers are removed, none are added, Vary is untouched.
    if any(segment in {".", ".."} for segment in path.split("/")):
        return Expected(app_called=True, vary_origin=False)
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        return Expected(app_called=True, vary_origin=False)
    rule = next((r for r in rules if path_matches(r, path)), None)
    if rule is None:
        return Expected(app_called=True, pass_through=True)
    wildcard = "*" in rule.origins
    if method == "OPTIONS" and origin is not None and acrm is not None:
        return _preflight(rule, preflight_status, origin, acrm, acrh or "", private_network)
    if rule.deny:
        return Expected(app_called=True)
    cors: dict[str, str] = {}
    if wildcard:
        cors["access-control-allow-origin"] = "*"
    elif origin is not None and origin_allowed(rule, origin):
        cors["access-control-allow-origin"] = origin
        if rule.credentials:
            cors["access-control-allow-credentials"] = "true"
    # Safelisted names are always readable and set-cookie never: neither is listed.
    unlisted = {"cache-control", "content-language", "content-length", "content-type", "expires",
                "last-modified", "pragma", "set-cookie", "set-cookie2"}  # fmt: skip
    expose = [name.lower() for name in rule.expose if name.lower() not in unlisted]
    if cors and expose:
        # "*" among other names exposes everything; it is sent alone.
        exposed = "*" if "*" in expose else ", ".join(expose)
        cors["access-control-expose-headers"] = exposed
    return Expected(app_called=True, cors=cors, vary_origin=not wildcard)


def _preflight(
    rule: RuleSpec,
    preflight_status: int,
    origin: str,
    method: str,
    request_headers: str,
    private_network: str | None,
) -> Expected:
    vary = PREFLIGHT_VARY
    if rule.private_network:
        vary += ", Access-Control-Request-Private-Network"
    refused = Expected(app_called=False, status=403, cors={"vary": vary})
    if rule.deny or not origin_allowed(rule, origin):
        return refused
    if len(method) > 64 or not is_token(method):
        return refused
    cors = {"access-control-allow-origin": "*" if "*" in rule.origins else origin}
    if rule.credentials:
        cors["access-control-allow-credentials"] = "true"
    if method not in {"GET", "HEAD", "POST"}:
        if method == "*" and rule.credentials:
            return refused  # a "*" is never echoed next to credentials
        allowed = method in rule.methods or (
            "*" in rule.methods and method.upper() not in {"CONNECT", "TRACE", "TRACK"}
        )
        if not allowed:
            return refused
        cors["access-control-allow-methods"] = method
    if len(request_headers) > 4096:
        return refused
    names: list[str] = []
    for part in request_headers.split(","):
        name = part.strip(" \t")
        if not name:
            continue
        if not is_token(name):
            return refused
        if name.lower() not in names:
            names.append(name.lower())
    if len(names) > 64:
        return refused
    for name in names:
        if name == "*" and rule.credentials:
            return refused  # a "*" is never echoed next to credentials
        if name not in rule.headers and ("*" not in rule.headers or name == "authorization"):
            return refused
    if names:
        cors["access-control-allow-headers"] = ", ".join(names)
    if rule.max_age is not None:
        cors["access-control-max-age"] = str(rule.max_age)
    if private_network == "true":
        if not rule.private_network:
            return refused
        cors["access-control-allow-private-network"] = "true"
    cors["vary"] = vary
    return Expected(app_called=False, status=preflight_status, cors=cors)
