r"""A regex's parse tree as typed nodes, and the generic analyses that read it.

:func:`parse_tree` reads a pattern with the parser ``re.compile`` uses and turns it into a
:data:`Concatenation` of *positions* (one character out of a set drawn from an alphabet:
ASCII for origins, latin-1 for ``PATH_INFO``), repeats, alternations and zero-width
assertions. Groups are spliced into the sequence around them. The engine itself says which
characters of the alphabet each one-character item matches, so case folding and ``re.ASCII``
count exactly. An assertion matches no character; a back reference counts as any string. The
tree therefore describes a superset of what the pattern matches, and an analysis that cannot
see through something sees "anything" there.

The analyses know nothing about origins: which positions can match the first or the last
character (:func:`first_positions`, :func:`last_positions`), which can come right after which
(:func:`follow_positions`), the characters a part can match, and the two shapes that make a
backtracking matcher slow: a repeat that can match a text in more than one way
(:func:`has_ambiguous_repeat`, exponential time) and unbounded repeats in a row that can share
out a run of text (:func:`chained_repeats`, time polynomial in the text's length).
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, product
from typing import TYPE_CHECKING, Any, Final, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "ASCII",
    "LATIN_1",
    "MAX_CHAINED_REPEATS",
    "MAX_DEPTH",
    "Alternation",
    "Assertion",
    "Concatenation",
    "Node",
    "Position",
    "Repeat",
    "TooDeepError",
    "chained_repeats",
    "characters",
    "choices",
    "first_positions",
    "follow_positions",
    "has_ambiguous_repeat",
    "last_positions",
    "parse_tree",
    "positions",
    "show_source",
]

#: Groups nested deeper than this are refused: judging them would exhaust the stack.
MAX_DEPTH: Final = 64
#: The most unbounded repeats a regex may chain (see :func:`chained_repeats`). Measured with
#: ``timeit`` (CPython 3.11, a loaded 2-core machine), fullmatch failing on the worst text of
#: a search: two, at most 0.6 ms on a 261-byte Origin (a 253-byte host) and 4.5 ms on a
#: 1,024-byte path (13 ms with a 3-way bounded repeat between them); three, 24 to 51 ms on
#: that Origin (``https://.*.*.*\.?example\.com``) and 1.4 s on that path (``/api/.*/.*/.*``).
MAX_CHAINED_REPEATS: Final = 2
# A bounded repeat that can iterate this many different times counts as unbounded: between
# two chained '.*', one that can iterate n different times makes matching about n times slower.
_MANY_LENGTHS: Final = 4
#: The alphabets a tree's positions are drawn from.
ASCII: Final = frozenset(map(chr, range(128)))
LATIN_1: Final = frozenset(map(chr, range(256)))
_REPEAT_OPCODES: Final = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_CHARACTER_OPCODES: Final = frozenset({"ANY", "LITERAL", "NOT_LITERAL", "IN"})
# The flags that change which characters a one-character item matches.
_CHARACTER_FLAGS: Final = re.IGNORECASE | re.ASCII | re.DOTALL


@dataclass(frozen=True, slots=True, eq=False)
class Position:
    """One character out of ``chars``; compared by identity, as a place in the pattern.

    :param chars: the characters of the alphabet it matches.
    :param wildcard: whether it is an unescaped ``.``.
    """

    chars: frozenset[str]
    wildcard: bool = False


@dataclass(frozen=True, slots=True)
class Repeat:
    """``body`` matched from ``low`` to ``high`` times; ``high`` is None when unbounded."""

    low: int
    high: int | None
    body: Concatenation


@dataclass(frozen=True, slots=True)
class Alternation:
    """One of ``alternatives``; also a conditional group, whose missing "no" part is empty."""

    alternatives: tuple[Concatenation, ...]


@dataclass(frozen=True, slots=True)
class Assertion:
    """A zero-width assertion; a lookaround keeps its body for the nested-repeat analysis."""

    body: Concatenation


Node: TypeAlias = Position | Repeat | Alternation | Assertion
#: Nodes matched one after another.
Concatenation: TypeAlias = tuple[Node, ...]


class TooDeepError(Exception):
    """The pattern nests groups deeper than :data:`MAX_DEPTH`."""


def parse_tree(source: str, flags: int, alphabet: frozenset[str] = ASCII) -> Concatenation:
    """Return the tree of the pattern *source* compiled with *flags*, over *alphabet*.

    :raises TooDeepError: when groups nest deeper than :data:`MAX_DEPTH`, or so deep that
        the parser itself runs out of stack.
    """
    try:
        raw, unbounded = _sre_parse(source, flags)
    except RecursionError:
        raise TooDeepError from None
    return _convert(raw, flags, unbounded, alphabet, 0)


def _sre_parse(source: str, flags: int) -> tuple[Any, int]:
    """Parse *source* with the parser ``re.compile`` uses; also return its unbounded count.

    ``re._parser`` (the deprecated ``sre_parse`` before Python 3.11) is private and typeshed
    has no stub for it, so its tree is ``Any`` here and :func:`_convert` is its only reader.
    The tree has the same shape on Python 3.11, 3.12 and 3.13.
    """
    parser = importlib.import_module("re._parser")
    with warnings.catch_warnings():
        # The pattern was compiled already, which issued its warnings (a possible nested set);
        # parsing it again must not issue them twice, nor fail where they are errors.
        warnings.simplefilter("ignore")
        return parser.parse(source, flags), int(parser.MAXREPEAT)


def _convert(
    items: Any, flags: int, unbounded: int, alphabet: frozenset[str], depth: int
) -> Concatenation:
    if depth > MAX_DEPTH:
        raise TooDeepError
    inner = (unbounded, alphabet, depth + 1)
    nodes: list[Node] = []
    for opcode, argument in items:
        name = str(opcode.name)
        if name == "SUBPATTERN":
            _, added, removed, body = argument
            nodes.extend(_convert(body, (flags | added) & ~removed, *inner))
        elif name == "ATOMIC_GROUP":
            nodes.extend(_convert(argument, flags, *inner))
        elif name in _REPEAT_OPCODES:
            low, high, body = argument
            high = None if high >= unbounded else high
            nodes.append(Repeat(low, high, _convert(body, flags, *inner)))
        elif name in {"BRANCH", "GROUPREF_EXISTS"}:
            # BRANCH is (None, alternatives); GROUPREF_EXISTS is (group, yes, no or None).
            alternatives = argument[1] if name == "BRANCH" else (argument[1], argument[2] or ())
            nodes.append(Alternation(tuple(_convert(each, flags, *inner) for each in alternatives)))
        elif name in {"ASSERT", "ASSERT_NOT", "AT"}:
            nodes.append(Assertion(() if name == "AT" else _convert(argument[1], flags, *inner)))
        elif name in _CHARACTER_OPCODES:
            source = _one_character_source(name, argument)
            chars = _matches(source, flags & _CHARACTER_FLAGS, alphabet)
            nodes.append(Position(chars, wildcard=name == "ANY"))
        else:
            # A back reference, FAILURE (3.13), or an opcode a later Python adds: any string.
            nodes.append(Repeat(0, None, (Position(alphabet),)))
    return tuple(nodes)


def _one_character_source(name: str, argument: Any) -> str:
    if name == "ANY":
        return "."
    if name != "IN":
        return f"[^{_code_point(argument)}]" if name == "NOT_LITERAL" else _code_point(argument)
    members = []
    for member, value in argument:  # NEGATE comes first when present
        kind = str(member.name)
        if kind == "NEGATE":
            members.append("^")
        elif kind == "RANGE":
            members.append(f"{_code_point(value[0])}-{_code_point(value[1])}")
        elif kind == "CATEGORY":  # CATEGORY_DIGIT is \d, CATEGORY_NOT_WORD is \W, and so on
            category = str(value.name)
            letter = category.rpartition("_")[2][0].lower()
            members.append("\\" + (letter.upper() if "_NOT_" in category else letter))
        else:
            members.append(_code_point(value))
    return f"[{''.join(members)}]"


def _code_point(value: int) -> str:
    return f"\\U{value:08x}"


@lru_cache(maxsize=4096)
def _matches(source: str, flags: int, alphabet: frozenset[str]) -> frozenset[str]:
    """Return the characters of *alphabet* the one-character pattern *source* matches."""
    one_character = re.compile(source, flags)
    return frozenset(char for char in alphabet if one_character.fullmatch(char))


def _children(node: Node) -> tuple[Concatenation, ...]:
    if isinstance(node, Position):
        return ()
    return node.alternatives if isinstance(node, Alternation) else (node.body,)


def _walk(sequence: Concatenation) -> Iterator[Node]:
    """Yield the nodes of *sequence* and all the nodes inside them, in source order."""
    for node in sequence:
        yield node
        for child in _children(node):
            yield from _walk(child)


def positions(sequence: Concatenation) -> list[Position]:
    """Return every position in *sequence*, nested ones included, in source order."""
    return [node for node in _walk(sequence) if isinstance(node, Position)]


def characters(node: Node) -> frozenset[str]:
    """Return every character some position in *node* can match."""
    return frozenset().union(*(position.chars for position in positions((node,))))


def choices(node: Node) -> tuple[Concatenation, ...] | None:
    """Return what an alternation or an optional item can stand for, else None."""
    if isinstance(node, Alternation):
        return node.alternatives
    if isinstance(node, Repeat) and node.high is not None and node.high <= 1:
        return tuple(node.body * count for count in range(node.low, node.high + 1))
    return None


def _can_be_empty(node: Node) -> bool:
    if isinstance(node, Position):
        return False
    if isinstance(node, Repeat):
        return node.low == 0 or all(map(_can_be_empty, node.body))
    if isinstance(node, Alternation):
        return any(all(map(_can_be_empty, each)) for each in node.alternatives)
    return True


def first_positions(sequence: Concatenation) -> set[Position]:
    """Return the positions that can match the first character of *sequence*."""
    return _edge(sequence, last=False)


def last_positions(sequence: Concatenation) -> set[Position]:
    """Return the positions that can match the last character of *sequence*."""
    return _edge(sequence, last=True)


def _edge(sequence: Concatenation, *, last: bool) -> set[Position]:
    found: set[Position] = set()
    for node in reversed(sequence) if last else sequence:
        if isinstance(node, Position):
            found.add(node)
        elif isinstance(node, Alternation) or (isinstance(node, Repeat) and node.high != 0):
            for child in _children(node):
                found |= _edge(child, last=last)
        if not _can_be_empty(node):
            break
    return found


def follow_positions(root: Concatenation) -> defaultdict[Position, set[Position]]:
    """Return which positions can come right after each position (Glushkov's follow sets)."""
    follow: defaultdict[Position, set[Position]] = defaultdict(set)
    _link(root, follow)
    return follow


def _link(sequence: Concatenation, follow: defaultdict[Position, set[Position]]) -> None:
    trailing: set[Position] = set()
    for node in sequence:
        for position in trailing:
            follow[position] |= first_positions((node,))
        ends = last_positions((node,))
        trailing = trailing | ends if _can_be_empty(node) else ends
        for child in _children(node):
            _link(child, follow)
        if _can_repeat(node):
            for position in last_positions((node,)):
                follow[position] |= first_positions((node,))


def _can_repeat(node: Node) -> bool:
    """Return whether *node* is a repeat that can match its body more than once."""
    return isinstance(node, Repeat) and (node.high is None or node.high > 1)


def _repeats(sequence: Concatenation) -> list[Repeat]:
    return [node for node in _walk(sequence) if isinstance(node, Repeat)]


def _lengths(sequence: Concatenation) -> tuple[int, int | None]:
    """Return the fewest and the most characters *sequence* can match (None: no limit)."""
    lows, highs = zip(*map(_node_lengths, sequence), strict=True) if sequence else ((), ())
    return sum(lows), None if None in highs else sum(high or 0 for high in highs)


def _node_lengths(node: Node) -> tuple[int, int | None]:
    if isinstance(node, Alternation):
        lows, highs = zip(*map(_lengths, node.alternatives), strict=True)
        return min(lows), None if None in highs else max(high or 0 for high in highs)
    if not isinstance(node, Repeat):
        return (1, 1) if isinstance(node, Position) else (0, 0)
    low, high = _lengths(node.body)
    if node.high == 0 or high == 0:
        return 0, 0
    return node.low * low, None if node.high is None or high is None else node.high * high


def _varies(node: Node) -> bool:
    low, high = _node_lengths(node)
    return low != high


def has_ambiguous_repeat(root: Concatenation) -> bool:
    """Return whether a repeat in *root* may match some text in more than one way.

    A failing match then tries every way: exponentially many in the number of iterations. A
    repeat that can iterate more than once passes when its body, read as a sequence of items
    and cyclically (iterations follow each other), splits one way only:

    - between each item that can match texts of different lengths (``x?``, ``x+``, ``(a|bc)``)
      and the next such item (itself, if alone) there is a *marker*, or nothing at all when the
      two share no character and the second cannot be empty (``([a-z]+\\.+)*``). A marker is a
      position of the body such that each position in the body that can match one of its
      characters is a position of the body itself, matching only characters of it (the
      ``\\.`` of ``([a-z0-9-]+\\.)*``): a text's marker characters are then matched by those
      positions, in order, whichever way the rest of it is matched;
    - the alternatives of each alternation and optional part in it (at any depth; never
      inside a lookaround, which the engine does not backtrack into) have no text in common,
      and each splits one way only by the same rule, read from start to end.
    """
    return any(_can_repeat(node) and not _one_way(node.body, True) for node in _repeats(root))


def _one_way(sequence: Concatenation, cyclic: bool) -> bool:
    for node in sequence:
        options = choices(node) or ()
        if not all(_one_way(option, False) for option in options):
            return False
        if any(_common_text(one, other) for one, other in combinations(options, 2)):
            return False
    own = {node for node in sequence if isinstance(node, Position)}
    every = positions(sequence)
    near = [(mark, other) for mark in own for other in every if mark.chars & other.chars]
    markers = own - {mark for mark, other in near if other not in own or other.chars - mark.chars}
    varying = [index for index, node in enumerate(sequence) if _varies(node)]
    ends = varying[1:] + varying[:1] if cyclic else varying[1:]
    for start, end in zip(varying, ends, strict=False):
        gap = sequence[start + 1 : end] if start < end else sequence[start + 1 :] + sequence[:end]
        touching = characters(sequence[start]) & characters(sequence[end])
        if not markers.intersection(gap) and (gap or touching or _can_be_empty(sequence[end])):
            return False
    return True


def _common_text(one: Concatenation, other: Concatenation) -> bool:
    """Return whether some text can match both *one* and *other*: a walk over pairs of
    positions, one of each, that can match the same character, from first positions along
    follow positions, looking for a pair of last positions."""
    if all(map(_can_be_empty, one)) and all(map(_can_be_empty, other)):
        return True
    follow = (follow_positions(one), follow_positions(other))
    ends = (last_positions(one), last_positions(other))
    starts = product(first_positions(one), first_positions(other))
    pending = [(mine, theirs) for mine, theirs in starts if mine.chars & theirs.chars]
    seen = set(pending)
    while pending:
        mine, theirs = pending.pop()
        if mine in ends[0] and theirs in ends[1]:
            return True
        for pair in product(follow[0][mine], follow[1][theirs]):
            if pair not in seen and pair[0].chars & pair[1].chars:
                seen.add(pair)
                pending.append(pair)
    return False


def chained_repeats(root: Concatenation) -> int:
    """Return the most unbounded repeats in a row that can share out a run of text freely.

    In each sequence of *root*, every item counts the unbounded repeats on one path through it
    (the most; a bounded repeat that can iterate 4 or more different times counts as one),
    less one if its end is pinned before the next item that counts: a mandatory position it
    cannot match comes first, or that item comes right after it, cannot be empty and cannot
    start with a character it matches. A failing match over a text of length n can try about
    n to the power of the count ways (``.*.*.*`` counts 3, ``[a-z]+-[a-z]+-.*`` counts 1).
    """
    memo: dict[int, int] = {}  # by node identity: a counted repeat's copies are the same nodes
    sequences = [root, *(child for node in _walk(root) for child in _children(node))]
    return max(_chain(sequence, memo) for sequence in sequences)


def _chain(sequence: Concatenation, memo: dict[int, int]) -> int:
    counts = [_unbounded(node, memo) for node in sequence]
    holding = [index for index, count in enumerate(counts) if count]
    total = 0
    for index, following in zip(holding, [*holding[1:], None], strict=False):
        total += counts[index]
        if following is not None:
            chars, after = characters(sequence[index]), sequence[following]
            gap = sequence[index + 1 : following]
            starts = [position.chars & chars for position in first_positions((after,))]
            separated = any(isinstance(each, Position) and not each.chars & chars for each in gap)
            total -= separated or not (gap or _can_be_empty(after) or any(starts))
    return total


def _unbounded(node: Node, memo: dict[int, int]) -> int:
    """Return how many unbounded repeats one path through *node* can pass."""
    if id(node) not in memo:
        count = int(isinstance(node, Repeat) and _node_lengths(node)[1] is None)
        if isinstance(node, Alternation):
            count = max(_chain(each, memo) for each in node.alternatives)
        elif isinstance(node, Repeat) and node.high is not None:
            # Enough copies to pass the limit: the exact count is not needed beyond it.
            copies = _chain(node.body * min(node.high, MAX_CHAINED_REPEATS + 1), memo)
            many = node.high - node.low + 1 >= _MANY_LENGTHS and _varies(node)
            count = min(copies, MAX_CHAINED_REPEATS + 1) or int(many)
        memo[id(node)] = count
    return memo[id(node)]


def show_source(source: str) -> str:
    """Show a regex as a raw string literal when that is exact, else with repr escaping."""
    if source.isprintable() and "'" not in source and not source.endswith("\\"):
        return f"r'{source}'"
    return repr(source)
