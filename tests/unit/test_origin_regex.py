r"""Origin regexes judged from their parse tree (wsgicors.origin_regex; docs/contract.md,
section 5).

Every table row states the exact list of (severity, code) findings. Unless a test says
otherwise, the regex is compiled with ``re.ASCII`` (as the configuration compiles strings),
credentials are allowed, and a small stand-in decides what a public suffix is.
"""

from __future__ import annotations

import re

import pytest

from wsgicors.origin_regex import RegexFinding, judge_origin_regex, pinned_domains

DOT = ("error", "regex-unescaped-dot")
NESTED = ("error", "regex-nested-quantifier")
CHAINED = ("error", "regex-chained-repeats")
UNPINNED = ("error", "credentials-regex-unpinned")
PUBLIC = ("error", "credentials-public-suffix")
INSECURE = ("error", "credentials-insecure-origin")
UNPINNED_WARNING = ("warning", "origin-regex-unpinned")
PUBLIC_WARNING = ("warning", "origin-public-suffix")


def stand_in_public_suffix(domain: str) -> bool:
    """A few Public Suffix List answers: every single label, plus some multi-label suffixes."""
    return "." not in domain or domain in {"co.uk", "netlify.app", "github.io"}


def judge(
    regex: str | re.Pattern[str],
    *,
    credentials: bool = True,
    allow_insecure_origins: bool = False,
) -> list[RegexFinding]:
    pattern = regex if isinstance(regex, re.Pattern) else re.compile(regex, re.ASCII)
    return judge_origin_regex(
        pattern,
        credentials=credentials,
        allow_insecure_origins=allow_insecure_origins,
        is_public_suffix=stand_in_public_suffix,
    )


def codes(findings: list[RegexFinding]) -> list[tuple[str, str]]:
    return [(finding.severity, finding.code) for finding in findings]


ACCEPTED_WITH_CREDENTIALS = [
    # What users write (docs/contract.md, section 5).
    pytest.param(r"https://([a-z0-9-]+\.)?example\.com", id="optional-subdomain"),
    pytest.param(r"https://(www\.)?example\.com", id="optional-www"),
    pytest.param(r"https://[a-z0-9-]+\.example\.com", id="one-subdomain-label"),
    pytest.param(r"https://pr-[0-9]+\.preview\.example\.com", id="preview-deployments"),
    pytest.param(r"https://([a-z0-9-]+\.)*example\.com(:[0-9]+)?", id="any-depth-any-port"),
    pytest.param(r"https://app\.example\.com(:[0-9]{1,5})?", id="bounded-port"),
    pytest.param(r"https://(app|admin)\.example\.com", id="alternative-subdomains"),
    pytest.param(r"http://localhost(:[0-9]+)?", id="http-localhost"),
    # Classes that deliberately admit dots are not typos.
    pytest.param(r"https://[a-z0-9.-]+\.example\.com", id="class-with-dot"),
    pytest.param(r"https://[^/:.]+\.example\.com", id="negated-class"),
    # A single-label wildcard between '://' and an escaped dot is not a typo either, nor a dot
    # next to another unescaped dot: '..*' is '.+'.
    pytest.param(r"https://.\.example\.com", id="one-character-label"),
    pytest.param(r"https://..*\.example\.com", id="dot-dot-star"),
    # Each alternative pinned separately, also exact names under a public suffix.
    pytest.param(r"https://(a\.com|b\.com)", id="alternative-domains"),
    pytest.param(r"https://(app|admin)\.github\.io", id="exact-names-under-public-suffix"),
    pytest.param(r"https://github\.io", id="exact-public-suffix-host"),
    pytest.param(r"https://([a-z]+\.)?example\.co\.uk", id="under-co-uk"),
    pytest.param(r"https://(?:http|https)\.example\.com", id="scheme-like-label"),
    pytest.param(r"(https://app\.example\.com)", id="scheme-inside-group"),
    pytest.param(r"https://ab(x\.)?example\.com", id="two-exact-names"),
    # Schemes, ports, anchors and flags.
    pytest.param(r"^https://app\.example\.com$", id="anchors"),
    pytest.param(r"https://app\.example\.com:8443", id="fixed-port"),
    pytest.param(r"https://app\.example\.com(?::\d{1,5})?", id="non-capturing-port"),
    pytest.param(r"https://(a\.com|b\.com:8080)", id="port-inside-alternative"),
    pytest.param(r"(?i)https://APP\.Example\.com", id="ignorecase"),
    pytest.param(r"(?i:HTTPS)://app\.example\.com", id="local-ignorecase-scheme"),
    pytest.param(r"http://127\.0\.0\.1:[0-9]+", id="http-loopback-ipv4"),
    pytest.param(r"http://\[::1\](:[0-9]+)?", id="http-loopback-ipv6"),
    pytest.param(r"http://([a-z0-9-]+\.)?localhost(:[0-9]+)?", id="http-localhost-subdomains"),
    # Linear-time nesting: a mandatory separator the inner repeat cannot match.
    pytest.param(r"https://app(\.[a-z0-9-]+)*\.example\.com", id="separator-first"),
    pytest.param(r"https://([a-z]+\.+)*example\.com", id="touching-disjoint-repeats"),
    pytest.param(r"https://(([a-z]+\.)+x-\.)*example\.com", id="separated-at-two-levels"),
    pytest.param(r"https://([a-z0-9-]{1,63}\.){0,3}example\.com", id="counted-separated"),
    pytest.param(r"https://(?>[a-z0-9-]+\.)?example\.com", id="atomic-group"),
    pytest.param(r"https://[a-z0-9-]++\.example\.com", id="possessive"),
    # Linear-time repeats whose iterations split one way only.
    pytest.param(r"https://([a-z0-9]-?)+\.example\.com", id="optional-hyphen-after"),
    pytest.param(r"https://(-?[a-z0-9])+\.example\.com", id="optional-hyphen-before"),
    pytest.param(r"https://pr-[0-9]+(\.[a-z]{2,3})+\.example\.com", id="repeated-counted-label"),
    pytest.param(r"https://((app|api)-)*web\.example\.com", id="repeated-alternation"),
    # Two unbounded repeats sharing a run are quadratic at worst: 0.35 ms on an Origin.
    pytest.param(r"https://.*.*\.example\.com", id="two-chained"),
    pytest.param(r"https://[a-z]+-[a-z]+-[a-z]+\.example\.com", id="pinned-by-hyphens"),
    # An Origin's port has 5 digits at most: a port part is no third repeat.
    pytest.param(r"https://.*-.*\.example\.com(:[0-9]+)?", id="two-chained-and-a-port"),
    # Lookarounds, back references and conditionals are over-approximated, still pinned.
    pytest.param(r"https://(?!admin)[a-z]+\.example\.com", id="lookahead"),
    pytest.param(r"https://([a-z]+)\.\1\.example\.com", id="back-reference"),
    pytest.param(r"https://(www\.)?(?(1)app|web)\.example\.com", id="conditional"),
    pytest.param(r"https://(www\.)?(?(1)app)\.example\.com", id="conditional-without-no"),
    pytest.param(r"https://x{0}app\.example\.com", id="repeat-zero-times"),
    # Too many optional groups to expand all: the unexpanded ending is still pinned.
    pytest.param(
        r"https://(a\.)?(b\.)?(c\.)?(d\.)?(e\.)?(f\.)?(g\.)?(h\.)?example\.com",
        id="expansion-budget",
    ),
]


@pytest.mark.parametrize("regex", ACCEPTED_WITH_CREDENTIALS)
def test_accepted_with_credentials(regex: str) -> None:
    assert codes(judge(regex)) == []
    assert codes(judge(regex, credentials=False)) == []


REFUSED_WITH_CREDENTIALS = [
    # Admits any origin.
    pytest.param(r"https://.*", [UNPINNED], id="dot-star"),
    pytest.param(r"https://.+", [UNPINNED], id="dot-plus"),
    pytest.param(r"https://[^/]+", [UNPINNED], id="not-slash"),
    pytest.param(r"https://\S+", [UNPINNED], id="not-space"),
    pytest.param(r"https://(.*)", [UNPINNED], id="group-dot-star"),
    pytest.param(r"https://.*\.com", [PUBLIC], id="only-a-public-suffix"),
    # Admits https://a.example.com.attacker.test.
    pytest.param(r"https://\w*\.?example\.com.*", [UNPINNED], id="wildcard-after-domain"),
    # Admits https://evilexample.com: the domain it can pin is only 'com'.
    pytest.param(r"https://[a-z]+example\.com", [PUBLIC], id="label-glued-to-domain"),
    # Not pinned to a name the user owns: anyone can register x--myapp.netlify.app, since
    # netlify.app is a public suffix; the literal part only pins 'netlify.app'.
    pytest.param(r"https://[a-z0-9-]+--myapp\.netlify\.app", [PUBLIC], id="netlify-preview"),
    pytest.param(r"https://[a-z0-9-]+\.github\.io", [PUBLIC], id="github-pages-wildcard"),
    pytest.param(r"https://[a-z.]*example\.com", [PUBLIC], id="class-with-dot-glued"),
    pytest.param(r"https://app\.example\.com(:[0-9a-z]+)?", [UNPINNED], id="not-a-port-group"),
    pytest.param(r"https://app\.example\.com(:[0-9]+)*", [UNPINNED], id="repeated-port-group"),
    pytest.param(r"https://.*\.\[::1\]", [UNPINNED], id="subdomains-of-ipv6"),
    pytest.param(r"https://app:x", [UNPINNED], id="colon-in-domain"),
    pytest.param(r"https://([a-z]+)\1", [UNPINNED], id="ends-in-back-reference"),
    # The scheme is not a small literal set, or there is no top-level '://'.
    pytest.param(r"[a-z]+://app\.example\.com", [UNPINNED], id="any-scheme"),
    pytest.param(r"[a-z]://app\.example\.com", [UNPINNED], id="too-many-schemes"),
    pytest.param(r"HTTPS://app\.example\.com", [UNPINNED], id="upper-case-scheme"),
    pytest.param(r"app\.example\.com", [UNPINNED], id="no-scheme"),
    # Case folding is the engine's: the Kelvin sign matches 'k' under IGNORECASE.
    pytest.param(re.compile("https://\u212a*example\\.com", re.IGNORECASE), [PUBLIC], id="kelvin"),
    # Unescaped dots between host labels (also next to groups, classes and quantifiers).
    pytest.param(r"https://api.example.com", [DOT], id="dots-between-labels"),
    pytest.param(r"https://(www.)?example\.com", [DOT], id="dot-before-close-paren"),
    pytest.param(r"https://www.(example|test)\.com", [DOT], id="dot-before-open-paren"),
    pytest.param(r"https://([a-z0-9-]+.)?example\.com", [DOT], id="dot-after-class"),
    pytest.param(r"https://api.[a-z]+\.com", [DOT, PUBLIC], id="dot-before-class"),
    pytest.param(r"https://api.{1}example\.com", [DOT], id="dot-before-brace"),
    pytest.param(r"https://api.?example\.com", [DOT], id="optional-dot"),
    pytest.param(r"https://api.{0,1}example\.com", [DOT], id="dot-zero-or-one"),
    pytest.param(r"https://api.\w+\.example\.com", [DOT], id="dot-before-backslash"),
    pytest.param(r"https://[A-Z]+.example\.com", [DOT], id="upper-case-class"),
    pytest.param(r"(?i)https://API.example\.com", [DOT], id="ignorecase-dot"),
    pytest.param(r"https://(foo|ba.r)\.example\.com", [DOT], id="dot-in-alternative"),
    pytest.param(r"https://.*.example\.com", [DOT], id="dot-after-wildcard"),
    pytest.param(r"https://..example\.com", [DOT], id="second-of-two-dots"),
    # Non-https schemes with credentials.
    pytest.param(r"http://app\.example\.com", [INSECURE], id="http"),
    pytest.param(r"https?://app\.example\.com", [INSECURE], id="http-optional-s"),
    pytest.param(r"(?:http|https)://app\.example\.com", [INSECURE], id="http-alternative"),
    pytest.param(r"wss?://app\.example\.com", [INSECURE], id="websocket-schemes"),
    pytest.param(r"http://.*", [UNPINNED, INSECURE], id="http-anything"),
    pytest.param(r"http://.*\.0\.0\.1", [UNPINNED, INSECURE], id="http-numeric-suffix"),
    # Nested unbounded quantifiers (exponential backtracking); test_regex_tree.py has the
    # cases of the analysis itself.
    pytest.param(r"https://([a-z0-9]+-?)+\.example\.com", [NESTED], id="optional-separator"),
    pytest.param(r"(a*)*", [NESTED, UNPINNED], id="star-star"),
    # Repeats whose iterations can split an Origin more than one way (exponential time).
    pytest.param(r"https://([a-z0-9][a-z0-9-]?)+\.example\.com", [NESTED], id="optional-char"),
    pytest.param(r"https://(a|aa)+\.example\.com", [NESTED], id="prefix-alternatives"),
    pytest.param(r"https://(ab|ab)+\.example\.com", [NESTED], id="equal-alternatives"),
    pytest.param(
        r"https://(?:[a-z0-9]{2}|[a-z]{2})+\.example\.com", [NESTED], id="counted-alternatives"
    ),
    # Three or more unbounded repeats sharing a run (polynomial time of degree 3 or more).
    pytest.param(r"https://.*.*.*\.example\.com", [CHAINED], id="three-chained"),
    pytest.param(r"https://(.*)(.*)(.*)(.*)(.*)\.example\.com", [CHAINED], id="five-chained"),
    pytest.param(r"https://.*-.*-.*\.example\.com", [CHAINED], id="separator-in-wildcard"),
    pytest.param(r"https://.*.*.*\.example\.com(:[0-9]+)?", [CHAINED], id="three-and-a-port"),
    pytest.param(r"https://.*[a-z.]{0,60}.*\.example\.com", [CHAINED], id="long-bounded-repeat"),
    pytest.param(r"(?:a*){3}", [NESTED, CHAINED, UNPINNED], id="nested-and-chained"),
]


@pytest.mark.parametrize(("regex", "expected"), REFUSED_WITH_CREDENTIALS)
def test_refused_with_credentials(
    regex: str | re.Pattern[str], expected: list[tuple[str, str]]
) -> None:
    assert codes(judge(regex)) == expected


WITHOUT_CREDENTIALS = [
    pytest.param(r"https://.*", [UNPINNED_WARNING], id="unpinned-warns"),
    pytest.param(r"https://.*\.com", [PUBLIC_WARNING], id="public-suffix-warns"),
    pytest.param(r"http://app\.example\.com", [], id="http-is-fine"),
    pytest.param(r"http://.*", [UNPINNED_WARNING], id="http-anything-warns-once"),
    pytest.param(r"https://api.example.com", [DOT], id="dot-still-an-error"),
    pytest.param(r"(a+)+", [NESTED, UNPINNED_WARNING], id="nested-still-an-error"),
]


@pytest.mark.parametrize(("regex", "expected"), WITHOUT_CREDENTIALS)
def test_without_credentials(regex: str, expected: list[tuple[str, str]]) -> None:
    assert codes(judge(regex, credentials=False)) == expected


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        pytest.param(r"http://app\.example\.com", [], id="http"),
        pytest.param(r"https?://.*", [UNPINNED], id="still-unpinned"),
    ],
)
def test_allow_insecure_origins(regex: str, expected: list[tuple[str, str]]) -> None:
    assert codes(judge(regex, allow_insecure_origins=True)) == expected


def test_localhost_is_never_a_public_suffix() -> None:
    # The stand-in calls every single label public; localhost is loopback, not registrable.
    assert stand_in_public_suffix("localhost")
    assert codes(judge(r"https://([a-z]+\.)?localhost")) == []


def test_public_suffix_is_asked_only_about_domains_that_admit_subdomains() -> None:
    asked: list[str] = []

    def recording(domain: str) -> bool:
        asked.append(domain)
        return False

    pattern = re.compile(r"https://(www\.)?example\.com|https://[a-z]+\.example\.org", re.ASCII)
    findings = judge_origin_regex(
        pattern, credentials=True, allow_insecure_origins=False, is_public_suffix=recording
    )
    assert findings == []
    assert asked == ["example.org"]


def test_unescaped_dot_message_and_hint() -> None:
    assert judge(r"https://api.example.com") == [
        RegexFinding(
            "error",
            "regex-unescaped-dot",
            "origin regex r'https://api.example.com' has an unescaped '.', which matches any "
            "character, where a literal dot between host labels is meant, so it admits other "
            "hosts, such as 'https://apixexample.com'",
            r"escape the dot: r'https://api\.example\.com'",
        )
    ]


def test_unescaped_dot_hint_escapes_only_the_typos() -> None:
    # The wildcard, the escaped dot and the dot in a class stay as they are.
    [finding] = judge(r"https://(www.)?[a-z.]*.*\.example\.com")
    assert finding.code == "regex-unescaped-dot"
    assert finding.hint == r"escape the dot: r'https://(www\.)?[a-z.]*.*\.example\.com'"
    assert finding.message.endswith("such as 'https://wwwx.example.com'")


def test_unpinned_message_and_hint() -> None:
    assert judge(r"https://\w*\.?example\.com.*") == [
        RegexFinding(
            "error",
            "credentials-regex-unpinned",
            r"origin regex r'https://\w*\.?example\.com.*' does not pin a registrable domain "
            "(a literal scheme and '://', then a literal domain right after '://' or an escaped "
            "dot), so it admits origins of sites you do not control, such as "
            "'https://attackerexample.com.attacker.test'",
            r"end it in a domain you control, such as r'https://([a-z0-9-]+\.)?example\.com'",
        )
    ]


def test_public_suffix_message_and_hint() -> None:
    assert judge(r"https://[a-z0-9-]+--myapp\.netlify\.app", credentials=False) == [
        RegexFinding(
            "warning",
            "origin-public-suffix",
            r"origin regex r'https://[a-z0-9-]+--myapp\.netlify\.app' pins only 'netlify.app', "
            "a public suffix under which anyone can register a name, such as "
            "'https://attacker--myapp.netlify.app'",
            "list the exact origins you trust, or pin a name registered under it, such as "
            r"r'https://([a-z0-9-]+\.)?your-name\.netlify\.app'",
        )
    ]


def test_insecure_and_nested_messages() -> None:
    [insecure] = judge(r"https?://app\.example\.com")
    assert insecure.message == (
        r"origin regex r'https?://app\.example\.com' admits http origins with credentials: "
        "anyone on the network path can impersonate them"
    )
    assert insecure.hint == (
        "use https:// in the regex, or set allow_insecure_origins=True for local development"
    )
    [alternatives] = judge(r"x(?:a|bc)://app\.example\.com")
    assert alternatives.message.startswith(
        r"origin regex r'x(?:a|bc)://app\.example\.com' admits xa and xbc origins"
    )
    [nested] = judge(r"https://([a-z0-9]+-?)+\.example\.com")
    assert nested.message == (
        r"origin regex r'https://([a-z0-9]+-?)+\.example\.com' repeats a group whose iterations "
        "can split or match the same text in more than one way: a crafted Origin can make "
        "matching take exponential time"
    )
    assert nested.hint == (
        r"end each iteration in a character the rest of it cannot match, as in "
        r"r'https://([a-z0-9-]+\.)*example\.com', give alternatives no text in common, or drop "
        "the outer repeat"
    )
    [chained] = judge(r"https://.*.*.*.*\.example\.com")
    assert chained == RegexFinding(
        "error",
        "regex-chained-repeats",
        r"origin regex r'https://.*.*.*.*\.example\.com' has 4 unbounded repeats in a row that "
        "can share out the same run of characters: a crafted Origin can make matching take "
        "time growing as its length to the power 4",
        "merge them (one '.*' for '.*.*'), or end each one before a character it cannot match "
        r"(r'[^.]*\.' rather than '.*\.'), so that at most 2 share a run",
    )


@pytest.mark.parametrize(
    ("regex", "ending"),
    [
        # The lookahead refuses both sample origins: no example rather than a wrong one.
        pytest.param(r"https://(?!attacker).*", "sites you do not control", id="no-example"),
        # The attacker's name is too short for the repeat: the sample repeats 'a' instead.
        pytest.param(
            r"https://[a-z.]{20,}",
            "such as 'https://aaaaaaaaaaaaaaaaaaaa'",
            id="repeat-longer-than-name",
        ),
        pytest.param(r"https://.*\.com", "such as 'https://attacker.test.com'", id="wildcard"),
    ],
)
def test_message_examples(regex: str, ending: str) -> None:
    [finding] = judge(regex)
    assert finding.message.endswith(ending)


@pytest.mark.parametrize(
    ("regex", "shown"),
    [
        pytest.param("https://.*\t", r"'https://.*\t'", id="control-character"),
        pytest.param("https://.*'", '"https://.*\'"', id="quote"),
        pytest.param("https://.*\\\\", r"'https://.*\\\\'", id="trailing-backslash"),
    ],
)
def test_regex_shown_escaped(regex: str, shown: str) -> None:
    [finding] = judge(regex)
    assert finding.message.startswith(f"origin regex {shown} does not pin")
    assert finding.message.isprintable()


@pytest.mark.parametrize(
    ("regex", "domains"),
    [
        pytest.param(r"https://(www\.)?example\.com", ("example.com", "www.example.com"), id="www"),
        pytest.param(r"https://([a-z0-9-]+\.)?example\.com", ("example.com",), id="subdomains"),
        pytest.param(r"https://(a\.com|b\.com)(:[0-9]+)?", ("a.com", "b.com"), id="alternatives"),
        pytest.param(r"https://.*\.com", ("com",), id="public-suffix"),
        pytest.param(r"http://\[::1\]:8080", ("[::1]",), id="ipv6"),
        pytest.param(r"https://.*", None, id="unpinned"),
        pytest.param(r"[a-z]+://x\.com", None, id="scheme-not-finite"),
        pytest.param(
            r"https://ab(x\.)?example\.com", ("abexample.com", "abx.example.com"), id="exact"
        ),
    ],
)
def test_pinned_domains(regex: str, domains: tuple[str, ...] | None) -> None:
    assert pinned_domains(re.compile(regex, re.ASCII)) == domains


def test_kelvin_sign_really_matches() -> None:
    # Why the kelvin row above is refused: the engine folds the Kelvin sign to 'k'.
    pattern = re.compile("https://\u212a*example\\.com", re.IGNORECASE)
    assert pattern.fullmatch("https://kkexample.com")
    assert pinned_domains(pattern) == ("com",)


@pytest.mark.parametrize(
    "regex",
    [
        pytest.param("https://" + "(" * 65 + "a" + ")" * 65 + r"\.example\.com", id="groups"),
        # Deep enough that following it by recursion would exhaust the stack.
        pytest.param("(" * 400 + "a" + ")*" * 400, id="repeated-groups"),
    ],
)
def test_too_deep_is_refused_without_judging(regex: str) -> None:
    pattern = re.compile(regex, re.ASCII)
    assert judge(pattern, credentials=False) == [
        RegexFinding(
            "error",
            "regex-too-deep",
            f"origin regex r'{regex}' nests groups more than 64 deep, too deep to judge",
            "write it flat: a scheme, a host pattern and an optional port group",
        )
    ]
    assert pinned_domains(pattern) is None


def test_sixty_four_levels_are_judged() -> None:
    regex = "https://" + "(" * 64 + "a" + ")" * 64 + r"\.example\.com"
    assert codes(judge(regex)) == []
    assert pinned_domains(re.compile(regex)) == ("a.example.com",)
