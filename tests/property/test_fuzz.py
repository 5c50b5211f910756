"""Differential fuzzing of the whole middleware against tests/reference.py (the behaviour
contract, docs/contract.md, written by hand).

Each example draws a random valid policy and a batch of hostile requests. CI runs a short
profile; the long run (over 1,000,000 requests) is a separate command in the README:

    WSGICORS_FUZZ_EXAMPLES=20000 WSGICORS_FUZZ_BATCH=50 \
        python -m pytest tests/property/test_fuzz.py --no-cov -p no:cacheprovider
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.cases import CASES
from tests.reference import RuleSpec, decide
from wsgicors import CORSMiddleware, Rule

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support import Case

EXAMPLES = int(os.environ.get("WSGICORS_FUZZ_EXAMPLES", "150"))
BATCH = int(os.environ.get("WSGICORS_FUZZ_BATCH", "20"))
COUNT = {"requests": 0}

ORIGIN_ENTRIES = [
    "https://app.example.com",
    "http://localhost:*",
    "https://*.example.org",
    "http://127.0.0.1:8080",
    "https://[::1]:8443",
    "https://*.a.example.org:*",
    "null",
    "*",
]
REGEXES = [r"https://pr-[0-9]+\.example\.net", r"https?://(a|b)\.example\.io(:[0-9]+)?"]
# With credentials, http: regexes are refused at construction (docs/contract.md, section 5).
SECURE_REGEXES = [r"https://pr-[0-9]+\.example\.net", r"https://(a|b)\.example\.io(:[0-9]+)?"]
METHODS = ["PUT", "PATCH", "DELETE", "purge", "*"]
HEADERS = ["x-token", "content-type", "authorization", "*"]
PATHS = ["*", "/api/*", "/api/items", "/v*/x", "/r/*/x", "/café/*"]
PATH_REGEXES = ["/r/[0-9]+", "/api/.*"]

latin1 = st.text(alphabet=st.characters(max_codepoint=255), max_size=30)
REQUEST_ORIGINS = [
    "https://app.example.com", "https://a.example.org", "https://b.a.example.org:444",
    "https://example.org", "https://pr-12.example.net", "http://b.example.io:81",
    "http://localhost", "http://localhost:3000", "http://127.0.0.1:8080", "https://[::1]:8443",
    "https://APP.example.com", "https://app.example.com/", "https://app.example.com:443",
    "null", "", "https://app.example.com, https://evil.example", "https://app.example.com\x00",
    "https://evil.example", "http://localhost.evil.example", "https://" + "a" * 400 + ".org",
]  # fmt: skip
REQUEST_PATHS = [
    "/", "", "/api", "/api/", "/api/items", "/api/./x", "/api/../x", "/v1/x", "/v1/y/x",
    "/r/12", "/r/x", "/r/1/x", "/API/items", "/api/items?x", "/api/%2e%2e/x",
    # /café/x as PEP 3333 carries it (UTF-8 bytes read as latin-1), and spellings that are not.
    "/caf\xc3\xa9/x", "/café/x", "/caf%C3%A9/x",
    # Control characters a decoded %0A, %09 or %7F leaves in PATH_INFO.
    "/api/a\nb", "/api/\t", "/api/items\x7f", "/\x1f",
]  # fmt: skip


@st.composite
def rule_specs(draw: st.DrawFn) -> RuleSpec:
    if draw(st.booleans()):
        path, is_regex = draw(st.sampled_from(PATH_REGEXES)), True
    else:
        path, is_regex = draw(st.sampled_from(PATHS)), False
    if draw(st.integers(0, 9)) == 0:
        return RuleSpec(path, is_regex, deny=True)
    credentials = draw(st.booleans())
    pool = [e for e in ORIGIN_ENTRIES if not credentials or e not in {"*", "null"}]
    origins = tuple(draw(st.lists(st.sampled_from(pool), max_size=3, unique=True)))
    regex_pool = SECURE_REGEXES if credentials else REGEXES
    regexes = tuple(draw(st.lists(st.sampled_from(regex_pool), max_size=2, unique=True)))
    if not origins and not regexes:
        origins = ("https://app.example.com",)
    # content-type is safelisted and set-cookie never readable: both are left out of ACEH.
    expose_pool = ["x-total", "x-page", "content-type", "Set-Cookie"] + (
        [] if credentials else ["*"]
    )
    return RuleSpec(
        path=path,
        path_is_regex=is_regex,
        origins=origins,
        regexes=regexes,
        methods=tuple(draw(st.lists(st.sampled_from(METHODS), max_size=3, unique=True))),
        headers=tuple(draw(st.lists(st.sampled_from(HEADERS), max_size=3, unique=True))),
        expose=tuple(draw(st.lists(st.sampled_from(expose_pool), max_size=2, unique=True))),
        credentials=credentials,
        max_age=draw(st.sampled_from([None, 0, 600])),
        private_network=draw(st.booleans()),
    )


def to_rule(spec: RuleSpec) -> Rule:
    path: Any = re.compile(spec.path) if spec.path_is_regex else spec.path
    if spec.deny:
        return Rule(path, deny=True)
    return Rule(
        path,
        allow_origins=list(spec.origins),
        allow_origin_regex=list(spec.regexes),
        allow_methods=list(spec.methods),
        allow_headers=list(spec.headers),
        expose_headers=list(spec.expose),
        allow_credentials=spec.credentials,
        max_age=spec.max_age,
        allow_private_network=spec.private_network,
    )


header_lists = st.one_of(
    st.none(),
    latin1,
    st.lists(
        st.sampled_from(
            ["x-token", "X-Token", "content-type", "authorization", "x-other", " ", "", "*"]
        ),
        max_size=4,
    ).map(",".join),
    st.integers(60, 70).map(lambda n: ",".join(f"x-{i}" for i in range(n))),
    st.just("x-token," * 700),
)
requests = st.tuples(
    st.sampled_from(["GET", "POST", "OPTIONS", "OPTIONS", "PUT", "options"]),
    st.one_of(st.sampled_from(REQUEST_PATHS), latin1.map(lambda text: "/" + text)),
    st.one_of(st.none(), st.sampled_from(REQUEST_ORIGINS), latin1),
    st.one_of(
        st.none(),
        st.sampled_from(["GET", "PUT", "PATCH", "purge", "TRACE", "P T", "", "*"]),
        latin1,
    ),
    header_lists,
    st.sampled_from([None, "true", "false"]),
)


def call(
    middleware: CORSMiddleware, request: tuple[Any, ...]
) -> tuple[str, list[tuple[str, str]], bool]:
    method, path, origin, acrm, acrh, private_network = request
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path}
    environ.update(
        (key, value)
        for key, value in [
            ("HTTP_ORIGIN", origin),
            ("HTTP_ACCESS_CONTROL_REQUEST_METHOD", acrm),
            ("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", acrh),
            ("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", private_network),
        ]
        if value is not None
    )
    called: list[bool] = []
    sent: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        called.append(True)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Cookie"),
                                  ("Access-Control-Allow-Origin", "*")])  # fmt: skip
        return [b"ok"]

    middleware.app = app

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        sent.update(status=status, headers=headers)
        return None

    body = middleware(environ, start_response)
    assert list(body) == ([b"ok"] if called else [])
    return sent["status"], sent["headers"], bool(called)


# --- The behaviour table as seeds: every row's request, under its row's policy -------------
# Hypothesis runs them first, every time, against the same reference: the table's expectations
# and the reference's reading of the contract are checked against each other too.

# Fetch normalises these six method names; configurations write them in any case
# (docs/contract.md, section 5).
NORMALISED_METHODS = {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}
# What a Rule can say that the reference models; allow_insecure_origins and name change nothing
# once the policy is built.
MODELLED_OPTIONS = {
    "path",
    "allow_origins",
    "allow_origin_regex",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "allow_credentials",
    "max_age",
    "allow_private_network",
    "allow_insecure_origins",
    "deny",
    "name",
}
REQUEST_HEADERS = (
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
)


def spec_of(rule: Rule) -> RuleSpec:
    """Write a table rule as the reference reads rules: normalised, regexes as strings."""
    path = rule.path
    regexes = rule.allow_origin_regex
    if isinstance(regexes, str | re.Pattern):
        regexes = [regexes]
    origins = [entry for entry in rule.allow_origins if isinstance(entry, str)]
    patterns = [entry for entry in rule.allow_origins if isinstance(entry, re.Pattern)]
    return RuleSpec(
        path=path.pattern if isinstance(path, re.Pattern) else path,
        path_is_regex=isinstance(path, re.Pattern),
        origins=tuple(origin.lower() for origin in origins),
        regexes=tuple(r if isinstance(r, str) else r.pattern for r in [*patterns, *regexes]),
        methods=tuple(
            method.upper() if method.upper() in NORMALISED_METHODS else method
            for method in rule.allow_methods
        ),
        headers=tuple(name.lower() for name in rule.allow_headers),
        expose=tuple(rule.expose_headers),
        credentials=rule.allow_credentials,
        max_age=rule.max_age,
        private_network=rule.allow_private_network,
        deny=rule.deny,
    )


def seed_rules(case: Case) -> list[Rule] | None:
    """The row's rules, or None if they say something the reference does not model."""
    if not set(case.options) <= MODELLED_OPTIONS:
        return None
    options = dict(case.options)
    rules = list(case.rules or [Rule(options.pop("path", "*"), **options)])
    for rule in rules:
        for field in fields(Rule):
            if field.name not in MODELLED_OPTIONS and getattr(rule, field.name) != field.default:
                return None
    return rules


def table_seeds() -> list[tuple[list[RuleSpec], int, list[tuple[Any, ...]]]]:
    """The table's rows grouped by policy: (rule specs, preflight status, the rows' requests)."""
    seeds: dict[str, tuple[list[RuleSpec], int, list[tuple[Any, ...]]]] = {}
    for case in CASES:
        rules = seed_rules(case)
        if rules is None:
            continue
        specs = [spec_of(rule) for rule in rules]
        key = repr((specs, case.preflight_status))
        seed = seeds.setdefault(key, (specs, case.preflight_status, []))
        seed[2].append(
            (case.method, case.path, *(case.headers.get(name) for name in REQUEST_HEADERS))
        )
    return list(seeds.values())


def with_table_seeds(test: Callable[..., None]) -> Callable[..., None]:
    """Run *test* on every table seed first (Hypothesis' explicit examples), then fuzz."""
    for specs, preflight_status, batch in table_seeds():
        test = example(specs=specs, preflight_status=preflight_status, batch=batch)(test)
    return test


@with_table_seeds
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    specs=st.lists(rule_specs(), min_size=1, max_size=4),
    preflight_status=st.sampled_from([200, 204]),
    batch=st.lists(requests, min_size=BATCH, max_size=BATCH),
)
def test_middleware_agrees_with_the_reference(
    specs: list[RuleSpec], preflight_status: int, batch: list[tuple[Any, ...]]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        middleware = CORSMiddleware(
            None,  # type: ignore[arg-type]
            [to_rule(spec) for spec in specs],
            preflight_status=preflight_status,
        )
    for request in batch:
        status, headers, called = call(middleware, request)
        COUNT["requests"] += 1
        method, path, origin, acrm, acrh, private_network = request
        expected = decide(
            specs, preflight_status, method, path, origin, acrm, acrh, private_network
        )
        context = f"{request!r} under {specs!r}"
        assert called is expected.app_called, context
        for name, value in headers:
            assert not set("\r\n\x00") & set(name + value), context
        if expected.pass_through:
            assert headers == [("Content-Type", "text/plain"), ("Vary", "Cookie"),
                               ("Access-Control-Allow-Origin", "*")], context  # fmt: skip
            continue
        if expected.status is not None:
            assert int(status.split()[0]) == expected.status, context
        cors = {
            name.lower(): value
            for name, value in headers
            if name.lower().startswith("access-control-")
        }
        acao = [v for n, v in headers if n.lower() == "access-control-allow-origin"]
        assert len(acao) <= 1, context
        if not called:
            cors["vary"] = dict(headers)["Vary"]
            assert cors == expected.cors, context
            continue
        assert cors == expected.cors, context
        vary = [v for n, v in headers if n.lower() == "vary"]
        assert vary == (["Cookie, Origin"] if expected.vary_origin else ["Cookie"]), context
