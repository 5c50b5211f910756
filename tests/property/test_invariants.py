"""What must never happen (docs/contract.md, section 6), checked on arbitrary (hostile)
requests with Hypothesis."""

from __future__ import annotations

import re
import warnings
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import SpyApp, make_environ, run
from wsgicors import CORSMiddleware, Rule
from wsgicors.origins import is_serialized_origin

APP = "https://app.example.com"

POLICIES: list[dict[str, Any]] = [
    {"allow_origins": ["*"], "allow_methods": ["*"], "allow_headers": ["*"], "max_age": 60},
    {
        "allow_origins": [APP, "null", "http://localhost:*"],
        "allow_methods": ["PUT", "*"],
        "allow_headers": ["x-token", "*"],
        "expose_headers": ["x-total"],
        "max_age": 600,
    },
    {
        "allow_origins": [APP, "https://*.example.com"],
        "allow_origin_regex": r"https://pr-[0-9]+\.preview\.example\.net",
        "allow_methods": ["PATCH"],
        "allow_headers": ["authorization", "x-token"],
        "expose_headers": ["x-total"],
        "allow_credentials": True,
        "allow_private_network": True,
        "max_age": 0,
    },
    {
        "rules": [
            Rule("/private/*", deny=True),
            Rule(re.compile(r"/v[0-9]/.*"), allow_origins=[APP], allow_credentials=True),
            Rule("/api/*", allow_origins=["*"], expose_headers=["*"]),
        ]
    },
]

# Latin-1 text, as WSGI hands header values over, with the characters that cause trouble.
latin1 = st.text(alphabet=st.characters(max_codepoint=255), max_size=40)
origin_values = st.one_of(
    st.none(),
    latin1,
    st.sampled_from(
        [APP, "null", "https://a.b.example.com", "http://localhost:3000", "https://evil.com",
         f"{APP}\r\nSet-Cookie: x=1", f"{APP}\x00", f"{APP}, https://evil.com",
         "https://pr-7.preview.example.net", "https://" + "a" * 5000 + ".example.com"]
    ),
)  # fmt: skip
method_values = st.one_of(st.sampled_from(["GET", "PUT", "PATCH", "patch", "TRACE", "X"]), latin1)
request_header_values = st.one_of(
    st.none(),
    latin1,
    st.sampled_from(["x-token", "authorization, x-token", ",,,", "x-token\r\nx: y", "a" * 9000]),
    st.integers(1, 5000).map(lambda count: "x," * count),
)
paths = st.one_of(
    st.sampled_from(["/", "/api/x", "/private/p", "/v1/items", "/v1/../private/p", "/api/./x"]),
    latin1.map(lambda text: "/" + text),
)
app_headers = st.lists(
    st.sampled_from(
        [("Vary", "Accept-Encoding"), ("Vary", "*"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
         ("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true"),
         ("access-control-max-age", "5"), ("X-Total", "3")]
    ),
    max_size=5,
)  # fmt: skip


def build(policy: dict[str, Any], app: SpyApp) -> CORSMiddleware:
    options = dict(policy)
    rules = options.pop("rules", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CORSMiddleware(app, rules, **options)


@settings(max_examples=400)
@given(
    policy=st.sampled_from(POLICIES),
    request_method=st.sampled_from(["GET", "OPTIONS", "POST", "PUT"]),
    path=paths,
    origin=origin_values,
    acrm=st.one_of(st.none(), method_values),
    acrh=request_header_values,
    private_network=st.sampled_from([None, "true", "false", "\x00"]),
    headers=app_headers,
)
def test_never(
    policy: dict[str, Any],
    request_method: str,
    path: str,
    origin: str | None,
    acrm: str | None,
    acrh: str | None,
    private_network: str | None,
    headers: list[tuple[str, str]],
) -> None:
    app = SpyApp(headers=[("Content-Type", "text/plain"), *headers])
    middleware = build(policy, app)
    environ = make_environ(request_method, path)
    for key, value in [
        ("HTTP_ORIGIN", origin),
        ("HTTP_ACCESS_CONTROL_REQUEST_METHOD", acrm),
        ("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", acrh),
        ("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", private_network),
    ]:
        if value is not None:
            environ[key] = value

    result = run(middleware, environ)
    decision = result.decision
    sent = {name.lower(): [] for name, _ in result.headers}
    for name, value in result.headers:
        sent[name.lower()].append(value)

    if decision.code == "no-rule":
        assert result.headers == app.headers
        return
    if decision.code == "path-not-routable":
        # Fails closed: the app's response, less its own Access-Control-* headers.
        assert result.headers == [
            header for header in app.headers if not header[0].lower().startswith("access-control-")
        ]
        return

    # One ACAO at most; never "*" with credentials; a reflected value passed parser and matcher.
    allow_origin = sent.get("access-control-allow-origin", [])
    assert len(allow_origin) <= 1
    credentials = "access-control-allow-credentials" in sent
    if allow_origin == ["*"]:
        assert not credentials
    elif allow_origin:
        assert allow_origin == [origin]
        assert origin is not None
        assert is_serialized_origin(origin)
        assert decision.allowed is True
    # No wildcard in the list headers when credentials are allowed.
    if credentials:
        for name in ("methods", "headers"):
            for value in sent.get(f"access-control-allow-{name}", []):
                assert "*" not in value.split(", ")
        for value in sent.get("access-control-expose-headers", []):
            assert "*" not in value.split(", ")
    # Never CR, LF or NUL in a header.
    for name, value in result.headers:
        assert not set("\r\n\x00") & set(name + value)
    # The app never answers a covered preflight; Max-Age only ever on a preflight.
    is_preflight = request_method == "OPTIONS" and origin is not None and acrm is not None
    assert app.called is not is_preflight
    if app.called:
        assert "access-control-max-age" not in sent
        assert "access-control-allow-methods" not in sent
        # The app's Vary tokens and every Set-Cookie line survive.
        app_vary = [v for n, v in headers if n == "Vary"]
        got_vary = ", ".join(sent.get("vary", [])).lower()
        for value in app_vary:
            assert value.lower() in got_vary
        assert sent.get("set-cookie", []) == [v for n, v in headers if n == "Set-Cookie"]
        assert result.body == b"hello"
    else:
        assert result.body == b""
