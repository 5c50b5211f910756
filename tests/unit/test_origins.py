"""The request-origin parser and the compiled matchers, against a naive reference
(docs/contract.md, section 3)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.reference import LABEL_CHARS
from tests.reference import split_origin as reference_split
from wsgicors.origins import (
    AllowedOrigin,
    OriginMatcher,
    compile_globs,
    is_loopback_host,
    is_serialized_origin,
    parse_allowed_origin,
)

# --- the reference written straight from docs/contract.md, section 3 (tests/reference.py) --


def reference_matches(entry: AllowedOrigin, origin: str) -> bool:
    parts = reference_split(origin)
    if parts is None:
        return False
    scheme, host, port = parts
    if scheme != entry.scheme:
        return False
    if entry.subdomain_glob:
        prefix = host[: -len(entry.host) - 1]
        if not host.endswith("." + entry.host) or not prefix:
            return False
    elif host != entry.host:
        return False
    if entry.port_glob:
        return True
    return port == ("" if entry.port is None else str(entry.port))


# --- strategies ---------------------------------------------------------------------------

label = st.text(alphabet="abz09-_A.é", min_size=0, max_size=4)
host_text = st.one_of(
    st.lists(label, min_size=1, max_size=3).map(".".join),
    st.sampled_from(
        ["example.com", "a.example.com", "a.b.example.com", "example.com.evil", "localhost",
         "127.0.0.1", "[::1]", "[::0:1]", "1.2.3", "0x7f.1", "xexample.com", "a.localhost"]
    ),
)  # fmt: skip
scheme_text = st.sampled_from(["http", "https", "ws", "HTTPS", "", "h+x", "1a", "file"])
port_text = st.one_of(
    st.none(),
    st.integers(0, 70000).map(str),
    st.sampled_from(["", "*", "080", "443", "80", "8080", "٣"]),
)
tail = st.sampled_from(["", "/", "/x", "@evil.com", ":1", ".", "?q", " ", "\r\n", "\x00"])


@st.composite
def origins(draw: st.DrawFn) -> str:
    port = draw(port_text)
    return (
        draw(scheme_text)
        + draw(st.sampled_from(["://", ":/", "//"]))
        + draw(host_text)
        + ("" if port is None else ":" + port)
        + draw(tail)
    )


@st.composite
def glob_entries(draw: st.DrawFn) -> AllowedOrigin:
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(st.sampled_from(["example.com", "b.example.com", "localhost", "a-b.test"]))
    subdomain = draw(st.booleans())
    port = draw(st.sampled_from(["", ":*", ":8080"]))
    text = f"{scheme}://{'*.' if subdomain else ''}{host}{port}"
    parsed = parse_allowed_origin(text)
    assert isinstance(parsed, AllowedOrigin), parsed
    return parsed


any_origin = st.one_of(origins(), st.text(max_size=40))


@given(any_origin)
@example("https://a.example.com")
@example("null")
@example("http://[::1]:8080")
@example("https://xn--bcher-kva.example")
def test_parser_agrees_with_reference(origin: str) -> None:
    expected = origin == "null" or reference_split(origin) is not None
    assert is_serialized_origin(origin) is expected


@given(st.lists(glob_entries(), min_size=1, max_size=3), origins())
def test_compiled_globs_agree_with_reference(entries: list[AllowedOrigin], origin: str) -> None:
    matcher = OriginMatcher(frozenset(), (compile_globs(entries),), any_origin=False)
    expected = any(reference_matches(entry, origin) for entry in entries)
    assert matcher.allows(origin) is expected


@given(
    prefix=st.text(alphabet="ab.:/@-_", max_size=8),
    suffix=st.text(alphabet="ab.:/@-_", max_size=4),
)
def test_subdomain_glob_never_crosses_a_boundary(prefix: str, suffix: str) -> None:
    """``https://*.example.com`` matches only whole leading labels, and nothing after."""
    matcher = OriginMatcher(
        frozenset(),
        (compile_globs([AllowedOrigin("glob", "", "https", "example.com", subdomain_glob=True)]),),
        any_origin=False,
    )
    origin = f"https://{prefix}example.com{suffix}"
    labels = prefix.split(".")
    whole_labels = (
        prefix.endswith(".")
        and len(labels) > 1
        and all(label and set(label) <= LABEL_CHARS for label in labels[:-1])
    )
    assert matcher.allows(origin) is (whole_labels and suffix == "")


@given(port=st.text(alphabet="0123456789:/@a", max_size=6))
def test_port_glob_matches_only_a_port(port: str) -> None:
    matcher = OriginMatcher(
        frozenset(),
        (compile_globs([AllowedOrigin("glob", "", "http", "localhost", port_glob=True)]),),
        any_origin=False,
    )
    origin = f"http://localhost{port}"
    expected = port == "" or (
        port.startswith(":")
        and port[1:].isdigit()
        and port[1] != "0"
        and int(port[1:]) <= 65535
        and port != ":80"
    )
    assert matcher.allows(origin) is expected


@pytest.mark.parametrize(
    ("origin", "valid"),
    [
        ("https://a.example.com", True),
        ("https://a.example.com:8443", True),
        ("http://127.0.0.1:8000", True),
        ("http://[::1]", True),
        ("http://[2001:db8::1]:8080", True),
        ("chrome-extension://abcdefghijklmnop", True),
        ("null", True),
        ("Null", False),
        ("http://[::0:1]", False),
        ("http://[2001:DB8::1]", False),
        ("http://[zz]", False),
        ("http://[1:::2]", False),
        ("http://[::1.2.3.4]", False),
        ("http://127.1", False),
        ("http://0x7f.0.0.1", False),
        ("http://999.0.0.1", False),
        ("https://a.example.com:65536", False),
        ("https://" + "a" * 64 + ".com", False),
        ("https://" + ".".join(["abcdefghij"] * 24), False),
        ("https://a.example.com" + "x" * 300, False),
    ],
)
def test_parser_examples(origin: str, valid: bool) -> None:
    assert is_serialized_origin(origin) is valid


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("a.localhost", True), ("127.0.0.1", True), ("127.9.9.9", True),
     ("[::1]", True), ("localhost.evil.com", False), ("128.0.0.1", False), ("example.com", False)],
)  # fmt: skip
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_loopback_property_of_entries() -> None:
    parsed = parse_allowed_origin("http://*.localhost")
    assert isinstance(parsed, AllowedOrigin)
    # Regression (loopback globs refused with credentials): every name under localhost is
    # loopback (RFC 6761), so the glob is as local as "http://foo.localhost".
    assert parsed.is_loopback is True
    under_localhost = parse_allowed_origin("http://*.dev.localhost:*")
    assert isinstance(under_localhost, AllowedOrigin)
    assert under_localhost.is_loopback is True
    elsewhere = parse_allowed_origin("http://*.localhost.example.com")
    assert isinstance(elsewhere, AllowedOrigin)
    assert elsewhere.is_loopback is False
    exact = parse_allowed_origin("http://localhost:3000")
    assert isinstance(exact, AllowedOrigin)
    assert exact.is_loopback is True
