r"""The typed parse tree of a regex and its generic analyses (wsgicors.regex_tree).

Trees are compared through :func:`render`, which writes them back as a small regex dialect:
a position as its character or a class of ranges (``.`` for an unescaped dot that matches
every ASCII character but a newline, ``ANY`` for any ASCII character), a repeat as
``(body){low,high}`` (``{low,}`` when unbounded), an alternation as ``(a|b)`` and an
assertion as ``(?=body)``. The regexes are compiled with ``re.ASCII`` unless a row says
otherwise.
"""

from __future__ import annotations

import re
import warnings

import pytest

from wsgicors.regex_tree import (
    MAX_DEPTH,
    Alternation,
    Assertion,
    Concatenation,
    Node,
    Position,
    Repeat,
    TooDeepError,
    characters,
    choices,
    first_positions,
    follow_positions,
    has_unseparated_nested_repeat,
    last_positions,
    parse_tree,
    positions,
)

ASCII = frozenset(map(chr, range(128)))


def render_class(chars: frozenset[str]) -> str:
    """Write *chars* as one character or a class; a large set by its complement.

    Runs of three or more consecutive characters are written as ranges.
    """
    if chars == ASCII:
        return "ANY"
    if len(chars) == 1:
        return next(iter(chars))
    negated = len(chars) > len(ASCII) // 2
    codes = sorted(map(ord, ASCII - chars if negated else chars))
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][-1] == code - 1:
            runs[-1].append(code)
        else:
            runs.append([code])
    shown = "".join(
        f"{show(run[0])}-{show(run[-1])}" if len(run) > 2 else "".join(map(show, run))
        for run in runs
    )
    return f"[{'^' if negated else ''}{shown}]"


def show(code: int) -> str:
    return ascii(chr(code))[1:-1]


def render(sequence: Concatenation) -> str:
    return "".join(map(render_node, sequence))


def render_node(node: Node) -> str:
    if isinstance(node, Position):
        if node.wildcard:
            return "." if node.chars == ASCII - {"\n"} else f".{render_class(node.chars)}"
        return render_class(node.chars)
    if isinstance(node, Repeat):
        high = "" if node.high is None else node.high
        return f"({render(node.body)}){{{node.low},{high}}}"
    if isinstance(node, Alternation):
        return f"({'|'.join(map(render, node.alternatives))})"
    return f"(?={render(node.body)})"


def tree(regex: str, flags: int = re.ASCII) -> str:
    return render(parse_tree(regex, flags))


@pytest.mark.parametrize(
    ("regex", "flags", "rendered"),
    [
        # Groups of every kind are spliced into the sequence around them.
        pytest.param("a(bc)d", re.ASCII, "abcd", id="group"),
        pytest.param("a(?:bc)d", re.ASCII, "abcd", id="non-capturing-group"),
        pytest.param("a(?>bc)d", re.ASCII, "abcd", id="atomic-group"),
        # Repeats: greedy, lazy and possessive are all the same repeat.
        pytest.param("a*", re.ASCII, "(a){0,}", id="star"),
        pytest.param("a+?", re.ASCII, "(a){1,}", id="lazy-plus"),
        pytest.param("a++", re.ASCII, "(a){1,}", id="possessive-plus"),
        pytest.param("a?", re.ASCII, "(a){0,1}", id="optional"),
        pytest.param("a{2,5}", re.ASCII, "(a){2,5}", id="counted"),
        pytest.param("a{0}", re.ASCII, "(a){0,0}", id="zero-times"),
        pytest.param("(ab)*", re.ASCII, "(ab){0,}", id="repeated-group"),
        # Alternations, and conditionals as an alternation of their two parts.
        pytest.param("a|bc", re.ASCII, "(a|bc)", id="alternation"),
        pytest.param("(a)(?(1)b|c)", re.ASCII, "a(b|c)", id="conditional"),
        pytest.param("(a)(?(1)b)", re.ASCII, "a(b|)", id="conditional-without-no"),
        # Assertions match no character; a lookaround keeps its body.
        pytest.param(r"^a\b$", re.ASCII, "(?=)a(?=)(?=)", id="anchors"),
        pytest.param("(?=ab)c", re.ASCII, "(?=ab)c", id="lookahead"),
        pytest.param("(?<!a)b", re.ASCII, "(?=a)b", id="negative-lookbehind"),
        # A back reference counts as any string.
        pytest.param(r"(a)\1", re.ASCII, "a(ANY){0,}", id="back-reference"),
        # What each one-character item matches comes from the engine.
        pytest.param(".", re.ASCII, ".", id="dot"),
        pytest.param(".", re.ASCII | re.DOTALL, ".ANY", id="dot-all"),
        pytest.param("[a-c_]", re.ASCII, "[_a-c]", id="class-with-range"),
        pytest.param(r"\d", re.ASCII, "[0-9]", id="digit-category"),
        pytest.param(r"[\w.]", re.ASCII, "[.0-9A-Z_a-z]", id="word-category-in-class"),
        pytest.param(r"\W", re.ASCII, r"[^0-9A-Z_a-z]", id="negated-category"),
        pytest.param("[^/:.]", re.ASCII, "[^./:]", id="negated-class"),
        pytest.param("[^a]", re.ASCII, "[^a]", id="not-literal"),
        # Flags count, also when set or cleared for one group.
        pytest.param("k", re.ASCII | re.IGNORECASE, "[Kk]", id="ignorecase"),
        pytest.param("(?i:a)b", re.ASCII, "[Aa]b", id="local-ignorecase"),
        pytest.param("(?-i:a)b", re.ASCII | re.IGNORECASE, "a[Bb]", id="local-case-sensitive"),
        # Without re.ASCII the Kelvin sign folds to 'k'; with it, it matches no ASCII character.
        pytest.param("\u212a", re.IGNORECASE, "[Kk]", id="kelvin-folds"),
        pytest.param("\u212a", re.ASCII | re.IGNORECASE, "[]", id="kelvin-ascii"),
    ],
)
def test_tree_shapes(regex: str, flags: int, rendered: str) -> None:
    assert tree(regex, flags) == rendered


def test_depth_limit() -> None:
    nested = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert MAX_DEPTH == 64
    assert tree(nested) == "a"
    with pytest.raises(TooDeepError):
        parse_tree(f"({nested})", re.ASCII)
    # Deep enough that following it by recursion would exhaust the stack.
    with pytest.raises(TooDeepError):
        parse_tree("(" * 400 + "a" + ")*" * 400, re.ASCII)


def test_parsing_again_issues_no_warning() -> None:
    # re.compile warns about a possible nested set; the pattern was compiled already.
    with pytest.warns(FutureWarning, match="nested set"):
        re.compile("[[a]", re.ASCII)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert tree("[[a]") == "[[a]"
    assert caught == []


@pytest.mark.parametrize(
    ("regex", "first", "last"),
    [
        pytest.param("ab", "a", "b", id="sequence"),
        pytest.param("a?b", "ab", "b", id="optional-first"),
        pytest.param("ab*", "a", "ab", id="repeated-last"),
        pytest.param("(a|bc)d?", "ab", "acd", id="alternation"),
        pytest.param("x{0}y", "y", "y", id="zero-times-skipped"),
        pytest.param("(?=a)b(?!c)", "b", "b", id="assertions-match-nothing"),
        pytest.param("a*", "a", "a", id="nothing-mandatory"),
        pytest.param("", "", "", id="empty"),
    ],
)
def test_first_and_last_positions(regex: str, first: str, last: str) -> None:
    root = parse_tree(regex, re.ASCII)
    assert "".join(sorted(render_class(each.chars) for each in first_positions(root))) == first
    assert "".join(sorted(render_class(each.chars) for each in last_positions(root))) == last


@pytest.mark.parametrize(
    ("regex", "follow"),
    [
        pytest.param("ab*c", {"a": "bc", "b": "bc", "c": ""}, id="star-in-the-middle"),
        pytest.param("(ab)+", {"a": "b", "b": "a"}, id="repeat-wraps-around"),
        pytest.param(
            "(a|be)c?d", {"a": "cd", "b": "e", "e": "cd", "c": "d"}, id="alternation-optional"
        ),
        pytest.param("a(?=x)b", {"a": "b", "x": ""}, id="through-assertion"),
        pytest.param("(ab){0}c", {"a": "b", "b": ""}, id="zero-times"),
    ],
)
def test_follow_positions(regex: str, follow: dict[str, str]) -> None:
    root = parse_tree(regex, re.ASCII)
    found = follow_positions(root)
    by_char = {render_class(position.chars): position for position in positions(root)}
    assert {
        char: "".join(sorted(render_class(after.chars) for after in found[by_char[char]]))
        for char in follow
    } == follow


def test_positions_and_characters() -> None:
    [repeat] = parse_tree(r"(a(?=q)[bc]|d)+", re.ASCII)
    assert isinstance(repeat, Repeat)
    assert [render_class(position.chars) for position in positions((repeat,))] == [
        "a",
        "q",
        "[bc]",
        "d",
    ]
    assert characters(repeat) == frozenset("abcdq")
    assert characters(Assertion(())) == frozenset()


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        pytest.param("a|bc", ["a", "bc"], id="alternation"),
        pytest.param("a?", ["", "a"], id="optional"),
        pytest.param("(ab){0,1}", ["", "ab"], id="optional-group"),
        pytest.param("a{1}", ["a"], id="once"),
        pytest.param("a{0}", [""], id="zero-times"),
        pytest.param("a*", None, id="star"),
        pytest.param("a{2}", None, id="twice"),
        pytest.param("a", None, id="position"),
        pytest.param("^", None, id="assertion"),
    ],
)
def test_choices(regex: str, expected: list[str] | None) -> None:
    [node] = parse_tree(regex, re.ASCII)
    found = choices(node)
    assert (None if found is None else [render(each) for each in found]) == expected


@pytest.mark.parametrize(
    ("regex", "hazard"),
    [
        # A mandatory character the inner repeat cannot match separates the iterations.
        pytest.param(r"([a-z0-9-]+\.)*", False, id="separator-last"),
        pytest.param(r"(\.[a-z0-9-]+)*", False, id="separator-first"),
        pytest.param(r"([a-z]+\.+)*", False, id="touching-disjoint-repeats"),
        pytest.param(r"(([a-z]+\.)+x-\.)*", False, id="separated-at-two-levels"),
        pytest.param(r"([a-z0-9-]{1,63}\.){0,3}", False, id="counted-separated"),
        pytest.param("(a{3})*", False, id="inner-count-fixed"),
        pytest.param("(a+){0,1}", False, id="outer-at-most-once"),
        pytest.param("a*b*", False, id="not-nested"),
        # No separator between iterations.
        pytest.param("(a*)*", True, id="star-star"),
        pytest.param("(a+)+", True, id="plus-plus"),
        pytest.param(r"([a-z0-9]+-?)+", True, id="optional-separator"),
        pytest.param("(?:[a-z]+)*", True, id="non-capturing"),
        pytest.param(r"([a-z]+\.[a-z]+)*", True, id="unseparated-wrap"),
        pytest.param("([a-z]{1,5})+", True, id="bounded-inner"),
        pytest.param("([a-z]+){2}", True, id="counted-outer"),
        pytest.param("([a-z]+[a-z.])*", True, id="separator-overlaps"),
        pytest.param(r"(a+\b)*", True, id="only-an-assertion-between"),
        pytest.param("(?=(a+)+)b", True, id="inside-lookahead"),
        pytest.param("x(y|(a+)+)", True, id="inside-alternation"),
    ],
)
def test_has_unseparated_nested_repeat(regex: str, hazard: bool) -> None:
    assert has_unseparated_nested_repeat(parse_tree(regex, re.ASCII)) is hazard
