r"""The typed parse tree of a regex and its generic analyses (wsgicors.regex_tree).

Trees are compared through :func:`render`, which writes them back as a small regex dialect:
a position as its character or a class of ranges (``.`` for an unescaped dot that matches
every ASCII character but a newline, ``ANY`` for any ASCII character), a repeat as
``(body){low,high}`` (``{low,}`` when unbounded), an alternation as ``(a|b)`` and an
assertion as ``(?=body)``. The regexes are compiled with ``re.ASCII`` unless a row says
otherwise.

The repeat analysis is also checked against an independent reference: a Thompson automaton of
the tree, whose paths are the ways a backtracking matcher can go, is exponentially ambiguous
exactly when some state can return to itself along two different paths reading the same text.
"""

from __future__ import annotations

import inspect
import re
import sys
import warnings
from itertools import product
from typing import TYPE_CHECKING

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from wsgicors import regex_tree
from wsgicors.regex_tree import (
    ASCII,
    LATIN_1,
    MAX_CHAINED_REPEATS,
    MAX_DEPTH,
    Alternation,
    Assertion,
    Concatenation,
    Node,
    Position,
    Repeat,
    TooDeepError,
    chained_repeats,
    characters,
    choices,
    first_positions,
    follow_positions,
    has_ambiguous_repeat,
    last_positions,
    parse_tree,
    positions,
    show_source,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


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


def test_parser_out_of_stack_is_too_deep() -> None:
    # A pattern compiled higher up the stack (or under a larger recursion limit) can exhaust
    # it when parsed again here: that is too deep as well, not a RecursionError.
    nested = "(" * 60 + "a" + ")" * 60
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)
    try:
        with pytest.raises(TooDeepError):
            parse_tree(nested, re.ASCII)
    finally:
        sys.setrecursionlimit(limit)
    assert tree(nested) == "a"


def test_positions_over_latin_1() -> None:
    # PATH_INFO is latin-1 text: \w and negated classes reach past ASCII, a character past
    # latin-1 matches nothing there, and a back reference stands for any latin-1 string.
    word, other, beyond, _, reference = parse_tree(r"\w[^a]日(x)\1", 0, LATIN_1)
    assert isinstance(word, Position)
    assert isinstance(other, Position)
    assert isinstance(beyond, Position)
    assert isinstance(reference, Repeat)
    assert {"é", "ÿ", "a", "_"} <= word.chars
    assert "÷" not in word.chars
    assert other.chars == LATIN_1 - {"a"}
    assert beyond.chars == frozenset()
    assert [position.chars for position in positions(reference.body)] == [LATIN_1]


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


AMBIGUOUS_REPEATS = [
    # Nested repeats with nothing between iterations.
    pytest.param("(a*)*", id="star-star"),
    pytest.param("(a+)+", id="plus-plus"),
    pytest.param(r"([a-z0-9]+-?)+", id="optional-separator"),
    pytest.param("(?:[a-z]+)*", id="non-capturing"),
    pytest.param(r"([a-z]+\.[a-z]+)*", id="unseparated-wrap"),
    pytest.param("([a-z]{1,5})+", id="bounded-inner"),
    pytest.param("([a-z]+[a-z.])*", id="separator-overlaps"),
    pytest.param(r"(a+\b)*", id="only-an-assertion-between"),
    pytest.param("(?=(a+)+)b", id="inside-lookahead"),
    pytest.param("x(y|(a+)+)", id="inside-alternation"),
    # An optional part beside a position it overlaps: 'aa' is one iteration or two.
    pytest.param("([a-z0-9][a-z0-9-]?)+", id="optional-after-overlapping"),
    pytest.param("([a-z]?[a-z])+", id="optional-before-overlapping"),
    # Alternatives with text in common, or of different lengths that overlap.
    pytest.param("(a|aa)+", id="prefix-alternatives"),
    pytest.param("(ab|ab)+", id="equal-alternatives"),
    pytest.param("(?:[a-z0-9]{2}|[a-z]{2})+", id="overlapping-counted-alternatives"),
    pytest.param("(a|b|ab)+", id="pieces-and-whole"),
    pytest.param(r"((?:xy|[a-z]y)\.)+", id="alternatives-with-common-text"),
    pytest.param(r"((a?)?b)+", id="optional-of-optional"),
    pytest.param(r"((a*)?b)+", id="optional-of-nullable"),
    # Splits inside a part of the body: each iteration has several ways.
    pytest.param(r"((a+a+|c)\.)+", id="split-inside-alternative"),
    pytest.param(r"(x(?:a?){2}b)+", id="split-inside-counted"),
    # Touching repeats that share no character, but the second can be empty.
    pytest.param(r"([a-z]+\.*)*", id="touching-nullable"),
    pytest.param(r"/files/([a-z]+/?)*\.txt", id="touching-optional"),
    # The separator's character is matched elsewhere in the body too, so two ways of
    # matching can stay one character apart from iteration to iteration.
    pytest.param(r"(?:[^a]\.[^a](?:[ab]){1,3}[^a]-[a-])*", id="separator-not-a-marker"),
]

# Refused although the reference finds no exponential ambiguity: the analysis is simpler.
CONSERVATIVE = [
    # Polynomial, not exponential: one '[a-z]+' after another.
    pytest.param("([a-z]+){2}", id="counted-outer"),
    # The engine stops a repeat whose iteration matched nothing.
    pytest.param("(a?)+", id="optional-alone"),
    # An optional separator is not a marker, though here the repeat splits one way.
    pytest.param(r"(\.[a-z]+(?:\.)?)*", id="separator-also-optional"),
]

ONE_WAY_REPEATS = [
    # A marker (a character only it matches in the body) between the varying parts.
    pytest.param(r"([a-z0-9-]+\.)*", id="separator-last"),
    pytest.param(r"(\.[a-z0-9-]+)*", id="separator-first"),
    pytest.param(r"(\.[a-z]+\.[0-9]+)*", id="one-marker-character-twice"),
    pytest.param(r"(([a-z]+\.)+x-\.)*", id="separated-at-two-levels"),
    pytest.param(r"([a-z0-9-]{1,63}\.){0,3}", id="counted-separated"),
    pytest.param(r"(\.[a-z]{2,3})+", id="counted-inner"),
    pytest.param("([a-z0-9]-?)+", id="optional-marker"),
    pytest.param("(-?[a-z0-9])+", id="optional-marker-first"),
    # Touching repeats that share no character and cannot be empty.
    pytest.param(r"([a-z]+\.+)*", id="touching-disjoint-repeats"),
    # Bodies of one length, alternatives with nothing in common.
    pytest.param("(a{3})*", id="inner-count-fixed"),
    pytest.param("(ab|ac)+", id="merged-alternatives"),
    pytest.param(r"(?:[a-z]{2}|[0-9]{2})+", id="disjoint-counted-alternatives"),
    pytest.param(r"((?:x|[a-z]+y)\.)+", id="disjoint-varying-alternatives"),
    pytest.param(r"((a|ab)c)+", id="alternatives-of-different-lengths"),
    pytest.param(r"((?:[a-z]+-)?[0-9]\.)+", id="optional-not-nullable"),
    # Nothing repeats more than once, or nothing inside varies.
    pytest.param("(a+){0,1}", id="outer-at-most-once"),
    pytest.param("a*b*", id="not-nested"),
    pytest.param(r"(\b)*", id="empty-body"),
    pytest.param(r"(?:a(?=b|bb))+", id="lookaround-not-backtracked"),
]


@pytest.mark.parametrize("regex", AMBIGUOUS_REPEATS)
def test_ambiguous_repeat(regex: str) -> None:
    root = parse_tree(regex, re.ASCII)
    assert has_ambiguous_repeat(root)
    assert exponentially_ambiguous(root)


@pytest.mark.parametrize("regex", CONSERVATIVE)
def test_repeat_refused_conservatively(regex: str) -> None:
    root = parse_tree(regex, re.ASCII)
    assert has_ambiguous_repeat(root)
    assert not exponentially_ambiguous(root)


@pytest.mark.parametrize("regex", ONE_WAY_REPEATS)
def test_repeat_that_splits_one_way(regex: str) -> None:
    root = parse_tree(regex, re.ASCII)
    assert not has_ambiguous_repeat(root)
    assert not exponentially_ambiguous(root)


# --- The reference: a Thompson automaton of the tree and its exponential ambiguity ----------


class Thompson:
    """A Thompson automaton: states are numbers, each position is one consuming edge, and a
    counted repeat is unrolled into copies of its body (so copies are distinct edges)."""

    def __init__(self, root: Concatenation) -> None:
        self.epsilon: dict[int, list[int]] = {}
        self.consuming: list[tuple[int, frozenset[str], int]] = []
        # The back edge of each unbounded repeat -> the first and last state of its body.
        self.back: dict[tuple[int, int], tuple[int, int]] = {}
        self.lookarounds: list[Concatenation] = []
        self.start = self.state()
        self.sequence(root, self.start)

    def state(self) -> int:
        self.epsilon[len(self.epsilon)] = []
        return len(self.epsilon) - 1

    def sequence(self, items: Iterable[Node], state: int) -> int:
        for item in items:
            state = self.node(item, state)
        return state

    def node(self, node: Node, state: int) -> int:
        if isinstance(node, Position):
            self.consuming.append((state, node.chars, self.state()))
            return self.consuming[-1][2]
        if isinstance(node, Assertion):  # matched on its own: never backtracked into
            self.lookarounds.append(node.body)
            return state
        end = self.state()
        if isinstance(node, Alternation):
            for alternative in node.alternatives:
                self.epsilon[state].append(first := self.state())
                self.epsilon[self.sequence(alternative, first)].append(end)
            return end
        for count in range(node.high if node.high is not None else node.low + 1):
            if count >= node.low:
                self.epsilon[state].append(end)  # stop before this copy
            self.epsilon[state].append(first := self.state())
            state = self.sequence(node.body, first)
        if node.high is None:  # the last copy loops
            self.epsilon[state].append(first)
            self.back[state, first] = (first, len(self.epsilon) - 1)
        self.epsilon[state].append(end)
        return end

    def moves(self, source: int) -> dict[int, int]:
        """Map each consuming edge to the number of epsilon paths (up to 2) from *source* to
        it. A back edge is taken only if its iteration consumed a character (the one read
        into *source*) and only once: the engine stops a repeat whose iteration was empty."""
        found: dict[int, int] = {}
        pending: list[tuple[int, frozenset[int]]] = [(source, frozenset())]
        while pending:
            state, entered = pending.pop()
            for index, (start, _, _) in enumerate(self.consuming):
                if start == state:
                    found[index] = min(2, found.get(index, 0) + 1)
            for after in self.epsilon[state]:
                body = self.back.get((state, after))
                if body is None or (body[0] not in entered and body[0] <= source <= body[1]):
                    pending.append((after, entered | {after}))
        return found


def exponentially_ambiguous(root: Concatenation) -> bool:
    """Whether some state returns to itself along two different paths reading the same text:
    in the product of the automaton with itself, a diagonal pair on a cycle through another
    pair, or through a doubled edge. A lookaround's body is an automaton of its own."""
    automaton = Thompson(root)
    if any(map(exponentially_ambiguous, automaton.lookarounds)):
        return True
    moves = [automaton.moves(after) for _, _, after in automaton.consuming]
    chars = [chars for _, chars, _ in automaton.consuming]
    graph: dict[tuple[int, int], list[tuple[tuple[int, int], bool]]] = {}
    pending = [(edge, edge) for edge in range(len(chars))]
    while pending:
        if (pair := pending.pop()) in graph:
            continue
        graph[pair] = [
            ((one, other), pair[0] == pair[1] and one == other and count == 2)
            for (one, count), other in product(moves[pair[0]].items(), moves[pair[1]])
            if chars[one] & chars[other]
        ]
        pending.extend(after for after, _ in graph[pair])
    backward: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for pair, edges in graph.items():
        for after, _ in edges:
            backward.setdefault(after, []).append(pair)
    for edge in range(len(chars)):
        cycle = reach((edge, edge), lambda pair: [after for after, _ in graph[pair]]) & reach(
            (edge, edge), lambda pair: backward.get(pair, [])
        )
        doubled = any(twice and after in cycle for pair in cycle for after, twice in graph[pair])
        if doubled or any(one != other for one, other in cycle):
            return True
    return False


def reach(
    origin: tuple[int, int], step: Callable[[tuple[int, int]], list[tuple[int, int]]]
) -> set[tuple[int, int]]:
    seen, pending = {origin}, [origin]
    while pending:
        for after in step(pending.pop()):
            if after not in seen:
                seen.add(after)
                pending.append(after)
    return seen


ATOMS = ["a", "b", "-", r"\.", "[ab]", "[a-]", ".", "[^a]"]
QUANTIFIERS = ["?", "*", "+", "{2}", "{0,2}", "{1,3}", "{2,}"]


def compose(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    parts = st.lists(inner, min_size=2, max_size=3)
    return st.one_of(
        parts.map("".join),
        parts.map(lambda each: f"(?:{'|'.join(each)})"),
        st.tuples(inner, st.sampled_from(QUANTIFIERS)).map("(?:{0[0]}){0[1]}".format),
    )


BODIES = st.recursive(st.sampled_from(ATOMS), compose, max_leaves=7)


@settings(max_examples=400)
@given(body=BODIES, outer=st.sampled_from(["+", "*", "{2}"]))
def test_repeats_judged_one_way_are_not_exponentially_ambiguous(body: str, outer: str) -> None:
    root = parse_tree(f"(?:{body}){outer}", re.ASCII)
    judged = has_ambiguous_repeat(root)
    event("refused" if judged else "accepted")
    assert judged or not exponentially_ambiguous(root)


def test_reference_sees_what_matters() -> None:
    # The reference itself: loops that can be taken two ways, and loops that cannot.
    assert exponentially_ambiguous(parse_tree("(a|a)*", re.ASCII))
    assert exponentially_ambiguous(parse_tree("(a*)*", re.ASCII))
    assert exponentially_ambiguous(parse_tree("(?:a{1,2}){2,}", re.ASCII))
    assert not exponentially_ambiguous(parse_tree("a*a*", re.ASCII))
    assert not exponentially_ambiguous(parse_tree(r"([a-z]+\.)*(?=x)", re.ASCII))


@pytest.mark.parametrize(
    ("regex", "count"),
    [
        pytest.param(r"https://.*\.example\.com", 1, id="one"),
        pytest.param(r"https://.*.*\.example\.com", 2, id="two"),
        pytest.param(r"https://.*.*.*\.example\.com", 3, id="three"),
        pytest.param(r"https://(.*)(.*)(.*)(.*)(.*)\.example\.com", 5, id="groups-spliced"),
        pytest.param(r"[a-z0-9.-]*[a-z0-9.-]+[a-z0-9.-]*[a-z0-9.-]+", 4, id="classes"),
        # The separator between them is a character the earlier one cannot match.
        pytest.param("[a-z]+-[a-z]+-.*", 1, id="pinned-by-separator"),
        pytest.param("/users/[^/]+/posts/[^/]+/c/.*", 1, id="path-segments"),
        pytest.param("[a-z]*[a-z]*-[a-z]*[a-z]*x", 3, id="pinned-in-the-middle"),
        # The next one cannot be empty and cannot start with a character the earlier matches.
        pytest.param(r"[0-9]+(\.[a-z]{2,3})+", 1, id="touching-disjoint"),
        pytest.param("[a-z]*[0-9]*.*", 3, id="touching-nullable"),
        pytest.param("[a-z]*[a-z0-9]+.*", 3, id="touching-overlapping"),
        # A separator the earlier one can match does not pin it.
        pytest.param("/api/.*/items/.*", 2, id="separator-inside-wildcard"),
        pytest.param(r".*\b.*", 2, id="only-an-assertion-between"),
        # Inside parts: the most on one path, and copies of a counted repeat.
        pytest.param(".*(?:a.*.*|b).*", 4, id="alternation"),
        pytest.param("(?:.*){3}", 3, id="counted"),
        pytest.param("(?:.*x){100}", 3, id="counted-beyond-the-limit"),
        pytest.param("x(?:a.*.*.*|b)", 3, id="inside-an-alternative"),
        pytest.param(r"(\b)*.*", 1, id="empty-repeat-counts-nothing"),
        # A bounded repeat that can iterate 4 or more different times counts as unbounded.
        pytest.param("[a-z]{1,63}", 1, id="many-lengths"),
        pytest.param(".*[a-z.]{0,2}.*", 2, id="three-lengths"),
        pytest.param(".*[a-z.]{0,3}.*", 3, id="four-lengths"),
        pytest.param("[0-9]{1,3}", 0, id="few-lengths"),
        pytest.param(r"(www\.)?[a-z]*", 1, id="optional-group-two-lengths"),
        pytest.param(r"(?:\b){0,9}", 0, id="many-iterations-one-length"),
        pytest.param("(?:|aaaaaaaaaa)", 0, id="two-lengths-far-apart"),
        # Counted repeats are followed up to the limit, and deep ones each once.
        pytest.param("(?:(?:.*){3}){3}", 3, id="capped"),
        pytest.param("(?:" * 64 + "a" + "){2}" * 64, 0, id="deep-counted"),
        pytest.param("(?:" * 30 + ".*" + "){3}" * 30, 3, id="deep-counted-chain"),
        pytest.param("", 0, id="empty"),
    ],
)
def test_chained_repeats(regex: str, count: int) -> None:
    assert chained_repeats(parse_tree(regex, re.ASCII)) == count


def test_chained_repeats_limit() -> None:
    assert MAX_CHAINED_REPEATS == 2


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        pytest.param(r"https://a\.b", r"r'https://a\.b'", id="raw"),
        pytest.param("https://.*\t", r"'https://.*\t'", id="control-character"),
        pytest.param("https://.*'", '"https://.*\'"', id="quote"),
        pytest.param("x\\\\", r"'x\\\\'", id="trailing-backslash"),
    ],
)
def test_show_source(source: str, shown: str) -> None:
    assert show_source(source) == shown


@pytest.mark.parametrize(
    ("one", "other", "common"),
    [
        ("ab", "ac", False),  # the walk meets the pair (b, c), which no character matches
        ("ab", "ab", True),
        ("a[bc]d", "abd", True),
        ("x+y", "xxz", False),  # (x, x) comes back along the loop: already walked
        ("x+y", "xxy", True),
    ],
)
def test_common_text_walks_pairs_of_positions(one: str, other: str, common: bool) -> None:
    first, second = parse_tree(one, re.ASCII), parse_tree(other, re.ASCII)
    assert regex_tree._common_text(first, second) is common
