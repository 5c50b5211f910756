r"""Judge ``allow_origin_regex`` patterns from their parse tree (docs/contract.md, section 5).

The rules read the tree :mod:`wsgicors.regex_tree` builds: *positions* (one character out of
a set of ASCII characters; origins are ASCII), repeats, alternations and zero-width
assertions, with case folding and ``re.ASCII`` counted exactly. Assertions are ignored and a
back reference counts as any string: the rules judge a superset of what the pattern matches,
so what they cannot see through is refused.

``regex-unescaped-dot`` (error): an unescaped ``.`` that cannot follow itself (``.``, ``.?``,
``.{1}``; not ``.*``, ``.+``, ``.{2}``) next to a position, before or after it through groups,
alternatives and optional parts, that may match a host-label character ``[A-Za-z0-9_-]`` and
is not itself an unescaped dot: ``https://(www.)?example\.com`` admits
``https://wwwxexample.com``, while the first dot of ``https://..*\.example\.com`` is part of a
wildcard (``..*`` is ``.+``). The other rules then judge the pattern with those dots escaped,
so the typo is reported once.

``regex-nested-quantifier`` (error): a repeat that can iterate more than once (``*``, ``+``,
``{m,n}`` with n >= 2) whose iterations can split an Origin, or match a part of it, in more
than one way (:func:`wsgicors.regex_tree.has_ambiguous_repeat`): a failing match then tries
exponentially many ways. Read the body as a sequence of items (unquantified groups spliced in),
cyclically since iterations follow each other: between each item that can match texts of
different lengths and the next such item (itself, if alone) there must be a mandatory single
character that nothing else in the body can match (the ``\.`` of ``([a-z0-9-]+\.)*``), or
nothing at all if the two share no character and the second cannot be empty
(``([a-z]+\.+)*``); and the alternatives of an alternation or optional part in it must have
no text in common. ``([a-z0-9]+-?)+``, ``(a+)+``, ``([a-z0-9][a-z0-9-]?)+``, ``(a|aa)+`` and
``(ab|ab)+`` are refused; ``([a-z0-9]-?)+`` and ``(\.[a-z]{2,3})+`` are linear.

``regex-chained-repeats`` (error): more than two unbounded repeats in a row that can share out
a run of the Origin among them (:func:`wsgicors.regex_tree.chained_repeats`), as in
``https://.*.*.*\.example\.com``: a failing match takes time growing as the Origin's length to
the power of their number (three: up to 51 ms on a 261-byte Origin; two: 0.6 ms). One that
ends before a character it cannot match does not count (``[a-z]+-[a-z]+-.*`` has one), nor
does a trailing port part, whose digits the Origin parser limits to five.

``credentials-regex-unpinned`` (error; ``origin-regex-unpinned`` warns without credentials):
the pattern must pin a domain. At top level it starts with a part matching a few schemes
(``https``, ``https?``, ``(?:http|https)``) and a literal ``://``. The optional or alternative
items right before the trailing literal run of the rest are expanded into *endings*
(``(www\.)?example\.com`` pins ``www.example.com`` and ``example.com``; ``(a\.com|b\.com)``
pins both). Each ending, less a trailing port part (``(:[0-9]+)?``, ``(?::\d{1,5})?``,
``:8443``: ``:`` then digits only), ends in a literal domain that follows a literal dot of the
run (``.*\.example\.com`` pins ``example.com``), or is the whole run if the run follows
``://`` or every position that can precede it matches only ``.``.

``credentials-public-suffix`` (error; ``origin-public-suffix`` warns without credentials): a
pinned domain that admits subdomains is a public suffix (``https://.*\.com``;
``https://[a-z0-9-]+--myapp\.netlify\.app`` pins only ``netlify.app``). ``localhost`` is not.

``credentials-insecure-origin`` (error, with credentials only): the pattern admits a scheme
other than ``https``, ``allow_insecure_origins`` is off, and a pinned domain is not loopback
(``localhost``, ``*.localhost``, 127.0.0.0/8, ``[::1]``).

``regex-too-deep`` (error, alone): groups nested more than 64 deep (or too deep for the
parser) are not judged at all.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from wsgicors.origins import is_loopback_host, is_serialized_origin
from wsgicors.regex_tree import (
    MAX_CHAINED_REPEATS,
    MAX_DEPTH,
    Alternation,
    Assertion,
    Position,
    Repeat,
    TooDeepError,
    chained_repeats,
    characters,
    choices,
    follow_positions,
    has_ambiguous_repeat,
    last_positions,
    parse_tree,
    positions,
    show_source,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from wsgicors.regex_tree import Concatenation, Node

__all__ = ["RegexFinding", "judge_origin_regex", "pinned_domains"]

# Every character a serialized origin can contain (wsgicors.origins.is_serialized_origin).
_ORIGIN_CHARS: Final = frozenset(string.ascii_lowercase + string.digits + "+-._:/[]")
_LABEL_CHARS: Final = frozenset(string.ascii_letters + string.digits + "_-")
_DIGITS: Final = frozenset(string.digits)
_SCHEME: Final = re.compile(r"[a-z][a-z0-9+.\-]*", re.ASCII)
_MAX_SCHEMES: Final = 16
_MAX_ENDINGS: Final = 64
# Sample origins for messages prefer characters a reader recognises in a host name, and put
# an attacker's name where the pattern takes any run of characters.
_SAMPLE_ORDER: Final = string.ascii_lowercase + string.digits + "-_.:/+[]"
_ATTACKER_NAMES: Final = ((".attacker.test", "attacker"), ("attacker.test", "attacker"))
# Message and hint templates by finding code, less its "credentials-" or "origin-" prefix.
_MESSAGES: Final = {
    "unescaped-dot": "origin regex {regex} has an unescaped '.', which matches any character, "
    "where a literal dot between host labels is meant, so it admits other hosts{such_as}",
    "nested-quantifier": "origin regex {regex} repeats a group whose iterations can split or "
    "match the same text in more than one way: a crafted Origin can make matching take "
    "exponential time",
    "chained-repeats": "origin regex {regex} has {count} unbounded repeats in a row that can "
    "share out the same run of characters: a crafted Origin can make matching take time "
    "growing as its length to the power {count}",
    "regex-unpinned": "origin regex {regex} does not pin a registrable domain (a literal scheme "
    "and '://', then a literal domain right after '://' or an escaped dot), so it admits "
    "origins of sites you do not control{such_as}",
    "public-suffix": "origin regex {regex} pins only {suffix!r}, a public suffix under which "
    "anyone can register a name{such_as}",
    "insecure-origin": "origin regex {regex} admits {schemes} origins with credentials: anyone "
    "on the network path can impersonate them",
    "too-deep": f"origin regex {{regex}} nests groups more than {MAX_DEPTH} deep, too deep to "
    "judge",
}
_HINTS: Final = {
    "unescaped-dot": "escape the dot: {fixed}",
    "nested-quantifier": "end each iteration in a character the rest of it cannot match, as in "
    r"r'https://([a-z0-9-]+\.)*example\.com', give alternatives no text in common, or drop "
    "the outer repeat",
    "chained-repeats": "merge them (one '.*' for '.*.*'), or end each one before a character "
    r"it cannot match (r'[^.]*\.' rather than '.*\.'), so that at most "
    f"{MAX_CHAINED_REPEATS} share a run",
    "regex-unpinned": "end it in a domain you control, such as "
    r"r'https://([a-z0-9-]+\.)?example\.com'",
    "public-suffix": "list the exact origins you trust, or pin a name registered under it, "
    r"such as r'https://([a-z0-9-]+\.)?your-name\.{escaped_suffix}'",
    "insecure-origin": "use https:// in the regex, or set allow_insecure_origins=True for local "
    "development",
    "too-deep": "write it flat: a scheme, a host pattern and an optional port group",
}


@dataclass(frozen=True, slots=True)
class RegexFinding:
    """One problem with an origin regex.

    :param severity: ``"error"`` refuses the configuration; ``"warning"`` is only reported.
    :param code: a stable identifier, one of those in the module docstring.
    :param message: what is wrong, naming the regex and, when one can be built, an origin it
        admits that it should not.
    :param hint: a fix that fits this regex.
    """

    severity: Literal["error", "warning"]
    code: str
    message: str
    hint: str


@dataclass(frozen=True, slots=True)
class _Pin:
    domain: str
    subdomains: bool


def _typo_dots(root: Concatenation) -> list[Position]:
    follow = follow_positions(root)
    typos = []
    for dot in positions(root):
        if dot.wildcard and dot not in follow[dot]:
            before = {position for position, after in follow.items() if dot in after}
            # Next to another unescaped dot it is a wildcard too: '..*' is '.+'.
            around = [position for position in before | follow[dot] if not position.wildcard]
            if any(position.chars & _LABEL_CHARS for position in around):
                typos.append(dot)
    return typos


def _literal(node: Node) -> str | None:
    """Return the one origin character *node* can match, if it is a literal."""
    if isinstance(node, Position) and len(chars := node.chars & _ORIGIN_CHARS) == 1:
        return next(iter(chars))
    return None


def _strings(sequence: Concatenation) -> set[str] | None:
    """Return the origin strings *sequence* matches, or None if they are not few and bounded."""
    strings = {""}
    for node in sequence:
        if isinstance(node, Position | Assertion):
            options = set(node.chars & _ORIGIN_CHARS) if isinstance(node, Position) else {""}
        else:
            options = set()
            for choice in choices(node) or [None]:
                choice_strings = None if choice is None else _strings(choice)
                if choice_strings is None:
                    return None
                options |= choice_strings
        strings = {start + end for start in strings for end in options}
        if len(strings) > _MAX_SCHEMES:
            return None
    return strings


def _split_scheme(root: Concatenation) -> tuple[frozenset[str], Concatenation] | None:
    """Split *root* at its first top-level ``://`` into the schemes before it and the rest."""
    for index in range(len(root) - 2):
        if [_literal(node) for node in root[index : index + 3]] == [":", "/", "/"]:
            strings = _strings(root[:index]) or set()
            schemes = frozenset(each for each in strings if _SCHEME.fullmatch(each))
            return (schemes, root[index + 3 :]) if schemes else None
    return None


def _without_port(sequence: Concatenation) -> Concatenation:
    """Drop a trailing port part: ``(:[0-9]+)?``, or ``:`` then items matching digits only."""
    if (
        sequence
        and isinstance(sequence[-1], Repeat)
        and sequence[-1].high == 1
        and _is_port(sequence[-1].body)
    ):
        return sequence[:-1]
    index = len(sequence)
    while index > 0 and characters(sequence[index - 1]) & _ORIGIN_CHARS <= _DIGITS:
        index -= 1
    return sequence[: index - 1] if index > 0 and _is_port(sequence[index - 1 :]) else sequence


def _is_port(sequence: Concatenation) -> bool:
    digits_only = all(characters(node) & _ORIGIN_CHARS <= _DIGITS for node in sequence[1:])
    return bool(sequence) and _literal(sequence[0]) == ":" and digits_only


def _run_start(sequence: Concatenation) -> int:
    """Return where the trailing run of literal characters (and assertions) starts."""
    index = len(sequence)
    while index > 0 and (
        isinstance(sequence[index - 1], Assertion) or _literal(sequence[index - 1])
    ):
        index -= 1
    return index


def _endings(rest: Concatenation) -> list[Concatenation]:
    """Expand the optional or alternative items right before the literal ending of *rest*."""
    endings, pending, budget = [], [rest], _MAX_ENDINGS
    while pending:
        sequence = _without_port(pending.pop())
        start = _run_start(sequence)
        options = choices(sequence[start - 1]) if start else None
        if options is None or len(options) > budget:
            endings.append(sequence)
        else:
            budget -= len(options)
            pending.extend(sequence[: start - 1] + option + sequence[start:] for option in options)
    return endings


def _pin(sequence: Concatenation) -> _Pin | None:
    """Return the domain one ending pins, or None."""
    start = _run_start(sequence)
    text = "".join(_literal(node) or "" for node in sequence[start:])
    before = [position.chars & _ORIGIN_CHARS for position in last_positions(sequence[:start])]
    dots = [index for index, char in enumerate(text) if char == "."]
    for boundary in ([-1] if all(chars <= {"."} for chars in before) else []) + dots:
        domain, subdomains = text[boundary + 1 :], boundary >= 0 or any(before)
        # A host alone: no port, and a bracketed IPv6 address has no subdomains.
        bracketed = domain.startswith("[")
        alone = not subdomains and domain.endswith("]") if bracketed else ":" not in domain
        if alone and is_serialized_origin(f"https://{domain}"):
            return _Pin(domain, subdomains)
    return None


def _pinning(root: Concatenation) -> tuple[frozenset[str], tuple[_Pin, ...] | None]:
    """Return the schemes and the pins of *root*; the pins are None when it is unpinned."""
    split = _split_scheme(root)
    if split is None:
        return frozenset(), None
    schemes, rest = split
    pins = [_pin(ending) for ending in _endings(rest)]
    known = tuple(pin for pin in pins if pin is not None)
    return schemes, known if len(known) == len(pins) else None


def _sample(sequence: Concatenation, forced: Mapping[Position, str], names: tuple[str, ...]) -> str:
    """Build a string *sequence* matches (assertions aside) through the *forced* positions.

    The first of *names* that fits goes where *sequence* repeats a class without bound.
    """
    return "".join(_sample_node(node, forced, names) for node in sequence)


def _sample_node(node: Node, forced: Mapping[Position, str], names: tuple[str, ...]) -> str:
    if isinstance(node, Position):
        order = "." + _SAMPLE_ORDER if node.wildcard else _SAMPLE_ORDER
        preferred = lambda char: (order.find(char) % (len(order) + 1), char)  # noqa: E731
        return forced.get(node) or min(node.chars, key=preferred, default="")
    if isinstance(node, Assertion):
        return ""
    if isinstance(node, Alternation):
        chosen = [each for each in node.alternatives if _holds(each, forced)]
        return _sample((chosen or node.alternatives)[0], forced, names)
    holds = _holds(node.body, forced)
    if node.high is None and not holds and len(node.body) == 1:
        fitting = (name for name in names if set(name) <= characters(node))
        if (name := next(fitting, "")) and len(name) >= node.low:
            return name
    return _sample(node.body, forced, names) * max(node.low, holds)


def _holds(sequence: Concatenation, forced: Mapping[Position, str]) -> bool:
    return any(position in forced for position in positions(sequence))


def _such_as(pattern: re.Pattern[str], root: Concatenation, forced: Mapping[Position, str]) -> str:
    """Return ``, such as '<origin>'`` for an origin *pattern* admits, or ``""``.

    With *forced* positions the sample is the shortest through them; without, it names an
    attacker's host where the pattern takes any run of characters.
    """
    for names in [()] if forced else _ATTACKER_NAMES:
        origin = _sample(root, forced, names)
        if pattern.fullmatch(origin) and is_serialized_origin(origin):
            return f", such as {origin!r}"
    return ""


def _escape_dots(pattern: re.Pattern[str], root: Concatenation, typos: list[Position]) -> str:
    """Return the source of *pattern* with the *typos* dots escaped.

    Each ``.`` in the source is tried in turn: it is one of the typos if escaping it turns
    exactly that position into a literal dot. A backslash is valid before a ``.`` wherever
    the ``.`` can be (in a class, a comment, after another backslash), so each try parses.
    """
    signature = [(position.chars, position.wildcard) for position in positions(root)]
    wanted = [index for index, position in enumerate(positions(root)) if position in typos]
    source, offsets = pattern.pattern, []
    for offset in (index for index, char in enumerate(source) if char == "."):
        escaped = positions(parse_tree(f"{source[:offset]}\\{source[offset:]}", pattern.flags))
        changed = [(position.chars, position.wildcard) for position in escaped]
        if len(changed) != len(signature):
            continue
        moved = [
            index
            for index, pair in enumerate(zip(signature, changed, strict=True))
            if len(set(pair)) > 1
        ]
        if len(moved) == 1 and moved[0] in wanted:
            offsets.append(offset)
    for offset in reversed(offsets):
        source = f"{source[:offset]}\\{source[offset:]}"
    return source


def judge_origin_regex(
    pattern: re.Pattern[str],
    *,
    credentials: bool,
    allow_insecure_origins: bool,
    is_public_suffix: Callable[[str], bool],
) -> list[RegexFinding]:
    """Judge one ``allow_origin_regex`` pattern by the rules in the module docstring.

    :param pattern: the compiled pattern, used with ``fullmatch`` on serialized origins.
    :param credentials: whether its rule allows credentials: then unpinned patterns and public
        suffixes are errors rather than warnings, and insecure schemes are errors.
    :param allow_insecure_origins: whether non-https origins are allowed with credentials.
    :param is_public_suffix: whether a domain is a public suffix (the Public Suffix List).
    :returns: the findings, in the order of the rules; empty when the pattern is fine. A
        pattern nested more than 64 groups deep gets the one error ``regex-too-deep``.
    """
    values = {"regex": show_source(pattern.pattern), "such_as": ""}
    try:
        root = parse_tree(pattern.pattern, pattern.flags)
    except TooDeepError:
        return [_finding("error", "regex-too-deep", values)]
    findings = []
    if typos := _typo_dots(root):
        fixed = _escape_dots(pattern, root, typos)
        such_as = _such_as(pattern, root, {typos[0]: "x"})
        findings.append(
            _finding(
                "error", "regex-unescaped-dot", values, fixed=show_source(fixed), such_as=such_as
            )
        )
        root = parse_tree(fixed, pattern.flags)
    if has_ambiguous_repeat(root):
        findings.append(_finding("error", "regex-nested-quantifier", values))
    # The Origin parser allows a port of 5 digits at most: a trailing port part adds no run.
    if (count := chained_repeats(_without_port(root))) > MAX_CHAINED_REPEATS:
        findings.append(_finding("error", "regex-chained-repeats", values, count=str(count)))
    schemes, pins = _pinning(root)
    severity: Literal["error", "warning"] = "error" if credentials else "warning"
    prefix = "credentials" if credentials else "origin"
    public = [pin.domain for pin in pins or () if pin.subdomains and pin.domain != "localhost"]
    suffix = min(filter(is_public_suffix, public), default="")
    if pins is None or suffix:
        kind = "public-suffix" if suffix else "regex-unpinned"
        more = {"suffix": suffix, "escaped_suffix": suffix.replace(".", "\\.")}
        such_as = _such_as(pattern, root, {})
        findings.append(_finding(severity, f"{prefix}-{kind}", values, such_as=such_as, **more))
    insecure = " and ".join(sorted(schemes - {"https"}))
    loopback = pins is not None and all(is_loopback_host(pin.domain) for pin in pins)
    if credentials and insecure and not (allow_insecure_origins or loopback):
        findings.append(_finding("error", "credentials-insecure-origin", values, schemes=insecure))
    return findings


def _finding(
    severity: Literal["error", "warning"], code: str, values: Mapping[str, str], **more: str
) -> RegexFinding:
    key, fields = code.partition("-")[2], {**values, **more}
    return RegexFinding(
        severity, code, _MESSAGES[key].format(**fields), _HINTS[key].format(**fields)
    )


def pinned_domains(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Return the domains *pattern* pins, sorted, or None if it pins none.

    Every serialized origin that *pattern* fully matches has a host equal to one of them or
    ending in ``.`` and one of them.
    """
    try:
        pins = _pinning(parse_tree(pattern.pattern, pattern.flags))[1]
    except TooDeepError:
        return None
    return None if pins is None else tuple(sorted({pin.domain for pin in pins}))
