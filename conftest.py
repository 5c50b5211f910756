"""Run every example in README.md and docs/*.md under pytest (Sybil), marked ``docs``.

What runs, per Markdown document, in a fresh temporary working directory:

- ```` ```python ```` blocks are executed in order in one namespace (``>>>`` blocks are
  doctests); the namespace starts with ``app``, a hello-world WSGI app, because the examples
  wrap "your app", and ``__name__`` is ``"__main__"`` as in a script.
- ```` ```toml ````, ```` ```json ```` and ```` ```ini ```` blocks are loaded by the real loader
  (:meth:`wsgicors.CORSMiddleware.from_config`); an INI block with ``[filter:...]`` sections is a
  PasteDeploy file, each filter loaded through ``paste.deploy.loadfilter``. Each must load
  with no problem and no warning, unless a ``% expect-config-problems: CODE ...`` or
  ``% expect-config-warnings: CODE ...`` comment right before it names the exact codes.
- A block written with ``:caption: NAME`` is saved as the file NAME in the working directory
  before it is checked, so later blocks can use it (``wsgicors check cors.toml``,
  ``python with_handler.py``); a captioned Python block is saved, not executed in place.
- ```` ```console ```` blocks run each ``$ command`` with bash in the working directory, with
  this interpreter's ``bin`` first on ``PATH``; the command must exit 0 and print exactly the
  lines shown under it (stdout and stderr together, trailing spaces ignored).
- ```` ```bash ````/```` ```sh ```` blocks are refused: a shell block shows its output (console)
  or says why it is not run, with ``% skip: next "why"`` (``<!-- skip: next "why" -->`` in
  README.md) right before it.

The generated pages (docs/browser.md, docs/benchmarks.md) are test output, not examples.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from paste.deploy import loadfilter  # type: ignore[import-untyped]  # no type hints
from sybil import Document, Example, Region, Sybil
from sybil.integration.pytest import SybilItem
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer, FencedCodeBlockLexer
from sybil.parsers.myst import PythonCodeBlockParser, SkipParser
from sybil.parsers.myst.lexers import DirectiveInPercentCommentLexer, DirectiveLexer

from wsgicors import CORSMiddleware
from wsgicors.errors import ConfigError, ConfigWarning

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

# Namespace keys of the harness; user-facing names never start with "_docs".
_WORKDIR = "_docs_workdir"
_PREVIOUS_CWD = "_docs_previous_cwd"
_EXPECTED = "_docs_expected"
_CONFIG_LANGUAGES = {"toml": ".toml", "json": ".json", "ini": ".ini"}
_SHELL_LANGUAGES = {"bash", "sh", "shell"}
_FILE_NAME = re.compile(r"[\w.-]+(/[\w.-]+)*")
_COMMAND_TIMEOUT = 120


def hello_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The ``app`` every document starts with: it answers every request with a greeting."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


# --- Lexing: every fenced block, plain (```toml) or as a directive (```{code-block} toml).


@dataclass(frozen=True)
class Block:
    """A code block: its language, its source, and the file name it is shown as, if any."""

    language: str
    source: str
    file_name: str | None


_FENCE_LEXER = FencedCodeBlockLexer(
    language=r"[\w+-]+", mapping={"language": "arguments", "source": "source"}
)
_DIRECTIVE_LEXER = DirectiveLexer(directive=r"code-block|sourcecode|code", arguments=r"[\w+-]+")


def _blocks(document: Document) -> Iterator[tuple[Region, Block]]:
    for lexer in (_FENCE_LEXER, _DIRECTIVE_LEXER):
        for region in lexer(document):
            options: dict[str, str] = region.lexemes.get("options") or {}
            caption = options.get("caption")
            # Only a relative name inside the working directory is a file to write.
            if caption is not None and (
                not _FILE_NAME.fullmatch(caption) or ".." in Path(caption).parts
            ):
                caption = None
            yield region, Block(region.lexemes["arguments"], str(region.lexemes["source"]), caption)


# --- Evaluators.


def _write_file(example: Example) -> Path:
    block: Block = example.parsed
    path = Path(block.file_name or f"example-line-{example.line}{_suffix(block.language)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(block.source, encoding="utf-8")
    return path


def _suffix(language: str) -> str:
    return _CONFIG_LANGUAGES.get(language, ".txt")


def evaluate_file(example: Example) -> None:
    """A captioned block that is not configuration: save it for the commands that use it."""
    _write_file(example)


@dataclass
class Expected:
    """The problem and warning codes a configuration block is expected to produce."""

    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def evaluate_expectation(example: Example) -> None:
    kind, codes = example.parsed
    expected: Expected = example.namespace.setdefault(_EXPECTED, Expected())
    setattr(expected, kind, tuple(codes.split()))


def evaluate_config(example: Example) -> str | None:
    """Load a configuration block with the real loader; compare the codes it produced."""
    path = _write_file(example)
    expected: Expected = example.namespace.pop(_EXPECTED, Expected())
    problems: tuple[str, ...] = ()
    messages = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if _is_paste_file(path):
                _load_paste_filters(path)
            else:
                CORSMiddleware.from_config(_no_app, path)
        except ConfigError as error:
            problems = tuple(problem.code for problem in error.problems)
            messages = str(error)
    unexpected = [w for w in caught if not isinstance(w.message, ConfigWarning)]
    if unexpected:
        return f"{path} raised other warnings: {[str(w.message) for w in unexpected]}"
    got_warnings = tuple(
        w.message.problem.code for w in caught if isinstance(w.message, ConfigWarning)
    )
    if problems != expected.problems:
        return f"{path}: problems {problems}, expected {expected.problems}\n{messages}"
    if got_warnings != expected.warnings:
        return f"{path}: warnings {got_warnings}, expected {expected.warnings}"
    return None


def _no_app(environ: object, start_response: object) -> list[bytes]:  # pragma: no cover
    raise AssertionError("configuration blocks are loaded, never served")


def _is_paste_file(path: Path) -> bool:
    if path.suffix != ".ini":
        return False
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    return any(section.startswith("filter:") for section in parser.sections())


def _load_paste_filters(path: Path) -> None:
    """Load each ``[filter:NAME]`` through PasteDeploy and wrap a hello app with it."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    for section in parser.sections():
        if section.startswith("filter:"):
            make_filter = loadfilter(f"config:{path.resolve()}", name=section[len("filter:") :])
            wrapped = make_filter(hello_app)
            if not isinstance(wrapped, CORSMiddleware):
                raise TypeError(f"[{section}] built {type(wrapped).__name__}, not CORSMiddleware")


def _parse_console(source: str) -> list[tuple[str, list[str]]]:
    """Split a console block into (command, expected output lines) pairs."""
    steps: list[tuple[str, list[str]]] = []
    for line in source.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif not steps:
            raise ValueError(f"console output before any '$ ' command: {line!r}")
        else:
            steps[-1][1].append(line.rstrip())
    return steps


def _trimmed(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines = lines[:-1]
    return lines


def evaluate_console(example: Example) -> str | None:
    """Run each ``$ command`` and compare what it printed with the lines shown."""
    block: Block = example.parsed
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "100",
        "PYTHONUNBUFFERED": "1",
    }
    for command, expected in _parse_console(block.source):
        done = subprocess.run(  # noqa: S603 (the documented command, run as a user would)
            ["bash", "-c", command],  # noqa: S607 (bash from PATH, as in a terminal)
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            timeout=_COMMAND_TIMEOUT,
            check=False,
        )
        got = _trimmed([line.rstrip() for line in done.stdout.splitlines()])
        if done.returncode != 0:
            return f"$ {command}\nexited {done.returncode}:\n{done.stdout}"
        if got != _trimmed(expected):
            shown = "\n".join(expected)
            return f"$ {command}\nprinted:\n{done.stdout}\nthe docs show:\n{shown}"
    return None


def refuse_shell_block(example: Example) -> str:
    block: Block = example.parsed
    return (
        f"a ```{block.language} block is neither run nor skipped: write it as a console block "
        "with '$ ' prompts and the output, or put a skip comment with the reason before it"
    )


# --- Parsers.


def parse_blocks(document: Document) -> Iterator[Region]:
    """Every non-Python block this harness checks, with its evaluator."""
    for region, block in _blocks(document):
        if block.language in _CONFIG_LANGUAGES:
            evaluator: Any = evaluate_config
        elif block.language == "console":
            evaluator = evaluate_console
        elif block.language in _SHELL_LANGUAGES:
            evaluator = refuse_shell_block
        elif block.language == "python" and block.file_name:
            evaluator = evaluate_file
        else:
            continue
        yield Region(region.start, region.end, block, evaluator)


def parse_python(document: Document) -> Iterator[Region]:
    """Python blocks run in place, except captioned ones (files, saved by parse_blocks)."""
    files = {region.start for region, block in _blocks(document) if block.file_name}
    for region in PythonCodeBlockParser()(document):
        if region.start not in files:
            yield region


_EXPECT_DIRECTIVE = r"expect-config-(?:problems|warnings)"
_EXPECT_LEXERS = (
    DirectiveInPercentCommentLexer(directive=_EXPECT_DIRECTIVE),
    DirectiveInHTMLCommentLexer(directive=_EXPECT_DIRECTIVE),
)


def parse_expectations(document: Document) -> Iterator[Region]:
    for lexer in _EXPECT_LEXERS:
        for region in lexer(document):
            kind = region.lexemes["directive"].rsplit("-", 1)[1]
            arguments = region.lexemes["arguments"] or ""
            yield Region(region.start, region.end, (kind, arguments), evaluate_expectation)


# --- Per-document setup: a fresh working directory and the starting namespace.


def setup_document(namespace: dict[str, Any]) -> None:
    workdir = tempfile.mkdtemp(prefix="wsgicors-docs-")
    namespace[_WORKDIR] = workdir
    namespace[_PREVIOUS_CWD] = os.getcwd()
    namespace["app"] = hello_app
    # As in a script: frameworks such as Flask find their root folder from __name__.
    namespace["__name__"] = "__main__"
    os.chdir(workdir)


def teardown_document(namespace: dict[str, Any]) -> None:
    os.chdir(namespace[_PREVIOUS_CWD])
    # Leave nothing behind: the directory holds only what the examples wrote.
    shutil.rmtree(namespace[_WORKDIR])
    if _EXPECTED in namespace:
        raise AssertionError("an expect-config comment is not followed by a configuration block")


pytest_collect_file = Sybil(
    parsers=[SkipParser(), parse_expectations, parse_python, parse_blocks],
    patterns=["README.md", "docs/*.md", "docs/**/*.md"],
    excludes=["docs/browser.md", "docs/benchmarks.md", "docs/_build/**"],
    setup=setup_document,
    teardown=teardown_document,
    name="docs",
).pytest()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every documentation example ``docs`` (``-m "not docs"`` leaves them out)."""
    for item in items:
        if isinstance(item, SybilItem):
            item.add_marker(pytest.mark.docs)
