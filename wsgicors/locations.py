"""Where a location is in a configuration file: the line of ``rules[1].max_age``.

TOML and INI are read as text (the N-th rule header, then the key's line); JSON is walked value
by value, which also finds the duplicate keys the standard parser silently drops.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wsgicors.errors import Findings

__all__ = ["Locate", "json_values_and_lines", "line_finder"]

Locate = Callable[[str], int | None]


def json_values_and_lines(text: str, findings: Findings) -> tuple[object, dict[str, int]]:
    """Read valid JSON *text* again, recording the line of every value by its location
    (``rules[1].allow_origins[0]``) and reporting duplicate keys, which ``json`` keeps silently.

    :returns: the data, and the line of each location.
    """
    lines: dict[str, int] = {}
    decoder = json.JSONDecoder()

    def line_of(index: int) -> int:
        return text.count("\n", 0, index) + 1

    def skip(index: int) -> int:
        while index < len(text) and text[index] in " \t\r\n":
            index += 1
        return index

    def value(index: int, location: str) -> tuple[object, int]:
        index = skip(index)
        lines[location] = line_of(index)
        if text[index] == "{":
            result: dict[str, object] = {}
            index = skip(index + 1)
            while text[index] != "}":
                key, index = decoder.raw_decode(text, index)
                where = f"{location}.{key}" if location else key
                if key in result:
                    findings.error(
                        where,
                        "config-duplicate-key",
                        f"key {key!r} appears twice in one object; JSON readers keep the last",
                        "keep one of them",
                    )
                result[key], index = value(skip(index) + 1, where)
                index = skip(index)
                index = skip(index + 1) if text[index] == "," else index
            return result, index + 1
        if text[index] == "[":
            items: list[object] = []
            index = skip(index + 1)
            while text[index] != "]":
                item, index = value(index, f"{location}[{len(items)}]")
                items.append(item)
                index = skip(index)
                index = skip(index + 1) if text[index] == "," else index
            return items, index + 1
        return decoder.raw_decode(text, index)

    data, _ = value(0, "")
    return data, lines


def line_finder(text: str, rule_header: str, top_section: str | None) -> Locate:
    """Return a function finding the line of a location such as ``rules[1].max_age``.

    It reads the text as written: the N-th rule header, then the first ``key =`` line before
    the next header. Good enough for the usual layouts; ``None`` when not found.
    """
    lines = text.splitlines()
    header = re.compile(rf"\s*{rule_header}")
    any_header = re.compile(r"\s*\[")
    top = re.compile(rf"\s*\[\s*{re.escape(top_section)}\s*\]") if top_section else None
    starts = [number for number, line in enumerate(lines) if header.match(line)]
    sections = {line.strip(): number for number, line in enumerate(lines) if any_header.match(line)}

    def locate(location: str) -> int | None:
        if location in sections:
            return sections[location] + 1
        match = re.match(r"(?:rules\[(\d+)\]\.?)?([A-Za-z_]*)", location)
        if match is None:  # pragma: no cover (every part of the pattern is optional)
            return None
        index, key = match.group(1), match.group(2)
        if index is not None:
            if int(index) >= len(starts):
                return None
            if not key:
                return starts[int(index)] + 1
            begin = starts[int(index)] + 1
        elif not key:
            return None
        else:
            found = [n for n, line in enumerate(lines) if top and top.match(line)]
            begin = found[0] + 1 if found else 0
        key_line = re.compile(rf"\s*{re.escape(key)}\s*[=:]")
        for number in range(begin, len(lines)):
            if any_header.match(lines[number]):
                break
            if key_line.match(lines[number]):
                return number + 1
        return None

    return locate
