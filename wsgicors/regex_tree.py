r"""A regex's parse tree as typed nodes, and the generic analyses that read it.

:func:`parse_tree` reads a pattern with the parser ``re.compile`` uses and turns it into a
:data:`Concatenation` of *positions* (one character out of a set of ASCII characters),
repeats, alternations and zero-width assertions. Groups are spliced into the sequence around
them. The engine itself says which ASCII characters each one-character item matches, so case
folding and ``re.ASCII`` count exactly. An assertion matches no character; a back reference
counts as any string. The tree therefore describes a superset of what the pattern matches,
and an analysis that cannot see through something sees "anything" there.

The analyses know nothing about origins: which positions can match the first or the last
character (:func:`first_positions`, :func:`last_positions`), which can come right after which
(:func:`follow_positions`), the characters a part can match, and whether a repeat holds
another repeat that lets matching try exponentially many splits
(:func:`has_unseparated_nested_repeat`).
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "MAX_DEPTH",
    "Alternation",
    "Assertion",
    "Concatenation",
    "Node",
    "Position",
    "Repeat",
    "TooDeepError",
    "characters",
    "choices",
    "first_positions",
    "follow_positions",
    "has_unseparated_nested_repeat",
    "last_positions",
    "parse_tree",
    "positions",
]

#: Groups nested deeper than this are refused: judging them would exhaust the stack.
MAX_DEPTH: Final = 64
_ASCII: Final = frozenset(map(chr, range(128)))
_REPEAT_OPCODES: Final = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_CHARACTER_OPCODES: Final = frozenset({"ANY", "LITERAL", "NOT_LITERAL", "IN"})
# The flags that change which characters a one-character item matches.
_CHARACTER_FLAGS: Final = re.IGNORECASE | re.ASCII | re.DOTALL


@dataclass(frozen=True, slots=True, eq=False)
class Position:
    """One character out of ``chars``; compared by identity, as a place in the pattern.

    :param chars: the ASCII characters it matches.
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


def parse_tree(source: str, flags: int) -> Concatenation:
    """Return the tree of the pattern *source* compiled with *flags*.

    :raises TooDeepError: when groups nest deeper than :data:`MAX_DEPTH`.
    """
    raw, unbounded = _sre_parse(source, flags)
    return _convert(raw, flags, unbounded, 0)


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


def _convert(items: Any, flags: int, unbounded: int, depth: int) -> Concatenation:
    if depth > MAX_DEPTH:
        raise TooDeepError
    depth += 1
    nodes: list[Node] = []
    for opcode, argument in items:
        name = str(opcode.name)
        if name == "SUBPATTERN":
            _, added, removed, body = argument
            nodes.extend(_convert(body, (flags | added) & ~removed, unbounded, depth))
        elif name == "ATOMIC_GROUP":
            nodes.extend(_convert(argument, flags, unbounded, depth))
        elif name in _REPEAT_OPCODES:
            low, high, body = argument
            high = None if high >= unbounded else high
            nodes.append(Repeat(low, high, _convert(body, flags, unbounded, depth)))
        elif name in {"BRANCH", "GROUPREF_EXISTS"}:
            # BRANCH is (None, alternatives); GROUPREF_EXISTS is (group, yes, no or None).
            alternatives = argument[1] if name == "BRANCH" else (argument[1], argument[2] or ())
            nodes.append(
                Alternation(tuple(_convert(each, flags, unbounded, depth) for each in alternatives))
            )
        elif name in {"ASSERT", "ASSERT_NOT", "AT"}:
            nodes.append(
                Assertion(() if name == "AT" else _convert(argument[1], flags, unbounded, depth))
            )
        elif name in _CHARACTER_OPCODES:
            chars = _ascii_matches(_one_character_source(name, argument), flags & _CHARACTER_FLAGS)
            nodes.append(Position(chars, wildcard=name == "ANY"))
        else:
            # A back reference, FAILURE (3.13), or an opcode a later Python adds: any string.
            nodes.append(Repeat(0, None, (Position(_ASCII),)))
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
def _ascii_matches(source: str, flags: int) -> frozenset[str]:
    """Return the ASCII characters the one-character pattern *source* matches."""
    one_character = re.compile(source, flags)
    return frozenset(char for char in _ASCII if one_character.fullmatch(char))


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


def _varies(sequence: Concatenation) -> bool:
    """Return whether *sequence* contains a repeat that iterates a varying number of times."""
    return any(_can_repeat(node) and node.high != node.low for node in _repeats(sequence))


def _repeats(sequence: Concatenation) -> list[Repeat]:
    return [node for node in _walk(sequence) if isinstance(node, Repeat)]


def has_unseparated_nested_repeat(root: Concatenation) -> bool:
    """Return whether a repeat in *root* lets matching try exponentially many splits.

    That is a repeat that can iterate more than once whose body holds a repeat that iterates
    a varying number of times, unless the body is separated: read cyclically, between each
    item holding such a repeat and the next one (itself, if alone) there is a mandatory
    position that neither can match, or nothing at all if the two share no character.
    """
    return any(_can_repeat(node) and not _separated(node.body) for node in _repeats(root))


def _separated(body: Concatenation) -> bool:
    varying = [index for index, node in enumerate(body) if _varies((node,))]
    for number, start in enumerate(varying):
        end = varying[(number + 1) % len(varying)]
        gap = body[start + 1 : end] if start < end else body[start + 1 :] + body[:end]
        around = characters(body[start]) | characters(body[end])
        if gap and not any(isinstance(node, Position) and not node.chars & around for node in gap):
            return False
        if not gap and characters(body[start]) & characters(body[end]):
            return False
    return True
