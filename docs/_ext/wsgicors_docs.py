"""Sphinx directives that render reference material from the code, so the docs cannot drift.

Use them inside ```` ```{eval-rst} ```` blocks (docstrings are reStructuredText):

- ``.. wsgicors-options:: rule`` (or ``middleware``): each keyword with its type, default and
  description, read from the signature and the docstring's ``:param:`` fields;
- ``.. wsgicors-decision-codes::``: the catalogue ``wsgicors.errors.DECISION_CODES``;
- ``.. wsgicors-problem-codes::``: the catalogue ``wsgicors.errors.PROBLEM_CODES``;
- ``.. wsgicors-cli:: [COMMAND]``: what ``wsgicors [COMMAND] --help`` prints.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import re
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes  # type: ignore[import-untyped]  # stubs are types-docutils
from docutils.statemachine import StringList  # type: ignore[import-untyped]
from sphinx.util.docutils import SphinxDirective

import wsgicors.errors
from wsgicors import CORSMiddleware, Rule
from wsgicors.cli import main

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from sphinx.application import Sphinx

# ":param name: text" up to the next field or the end of the docstring.
_PARAM_FIELD = re.compile(r":param (\w+):(.*?)(?=\n\s*:\w|\Z)", re.DOTALL)
# argparse wraps its help to the terminal width; fix it so every build prints the same.
_HELP_COLUMNS = "88"


def param_descriptions(obj: object) -> dict[str, str]:
    """Return ``{name: description}`` from the ``:param name:`` fields of *obj*'s docstring."""
    doc = inspect.getdoc(obj) or ""
    return {name: " ".join(text.split()) for name, text in _PARAM_FIELD.findall(doc)}


def _options(target: str) -> Iterator[tuple[str, str, str, str]]:
    """Yield (name, type, default, description) for the keywords of *target*."""
    owner: Any = Rule if target == "rule" else CORSMiddleware
    descriptions = param_descriptions(owner)
    for parameter in inspect.signature(owner).parameters.values():
        if parameter.name == "app" or parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        annotation = parameter.annotation
        type_text = (
            annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
        )
        if parameter.default is inspect.Parameter.empty:
            default = "required"
        else:
            default = repr(parameter.default)
        yield parameter.name, type_text, default, descriptions.get(parameter.name, "")


def _table(header: list[str], widths: list[int]) -> tuple[nodes.table, nodes.tbody]:
    table = nodes.table(classes=["wsgicors-reference"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    row = nodes.row()
    for title in header:
        row += nodes.entry("", nodes.paragraph(text=title))
    head += row
    group += head
    body = nodes.tbody()
    group += body
    return table, body


class OptionsDirective(SphinxDirective):
    """A table of the keyword options of :class:`wsgicors.Rule` or of the middleware."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {}

    def run(self) -> list[nodes.Node]:
        target = self.arguments[0]
        if target not in {"rule", "middleware"}:
            raise self.error(f"wsgicors-options takes 'rule' or 'middleware', not {target!r}")
        table, body = _table(["option", "type", "default", "what it does"], [18, 22, 14, 46])
        for name, type_text, default, description in _options(target):
            row = nodes.row()
            row += nodes.entry("", nodes.paragraph("", "", nodes.literal(text=name)))
            row += nodes.entry("", nodes.paragraph("", "", nodes.literal(text=type_text)))
            row += nodes.entry("", nodes.paragraph("", "", nodes.literal(text=default)))
            cell = nodes.entry()
            # Docstrings are reStructuredText: parse them, roles and literals included.
            self.state.nested_parse(StringList([description], self.get_source_info()[0]), 0, cell)
            row += cell
            body += row
        return [table]


def _codes_table(catalogue: Mapping[str, str], anchor: str) -> nodes.table:
    """A two-column table of a code catalogue; each row is a link target ``{anchor}-{code}``."""
    table, body = _table(["code", "what it means"], [30, 70])
    for code, description in catalogue.items():
        row = nodes.row()
        code_paragraph = nodes.paragraph("", "", nodes.literal(text=code))
        row += nodes.entry("", code_paragraph, ids=[nodes.make_id(f"{anchor}-{code}")])
        row += nodes.entry("", nodes.paragraph(text=description))
        body += row
    return table


class DecisionCodesDirective(SphinxDirective):
    """A table of every decision code the middleware can record, from the code's catalogue."""

    def run(self) -> list[nodes.Node]:
        # The catalogue arrives with the decision codes; older versions have none.
        catalogue: dict[str, str] | None = getattr(wsgicors.errors, "DECISION_CODES", None)
        if catalogue is None:
            text = (
                "This version of wsgicors records no decision codes: read the decision's "
                "reason instead."
            )
            return [nodes.paragraph(text=text)]
        return [_codes_table(catalogue, "decision")]


class ProblemCodesDirective(SphinxDirective):
    """A table of every code a configuration problem or warning can carry."""

    def run(self) -> list[nodes.Node]:
        return [_codes_table(wsgicors.errors.PROBLEM_CODES, "problem")]


def cli_help(command: str | None) -> str:
    """Return what ``wsgicors [command] --help`` prints."""
    argv = [command, "--help"] if command else ["--help"]
    output = io.StringIO()
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = _HELP_COLUMNS
    try:
        with contextlib.redirect_stdout(output), contextlib.suppress(SystemExit):
            main(argv)
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    return output.getvalue()


class CliDirective(SphinxDirective):
    """What ``wsgicors [COMMAND] --help`` prints, as a literal block."""

    optional_arguments = 1

    def run(self) -> list[nodes.Node]:
        command = self.arguments[0] if self.arguments else None
        text = cli_help(command)
        if not text.startswith("usage:"):
            raise self.error(f"'wsgicors {command or ''} --help' printed no usage: {text!r}")
        block = nodes.literal_block(text, text, language="text")
        return [block]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("wsgicors-options", OptionsDirective)
    app.add_directive("wsgicors-decision-codes", DecisionCodesDirective)
    app.add_directive("wsgicors-problem-codes", ProblemCodesDirective)
    app.add_directive("wsgicors-cli", CliDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
