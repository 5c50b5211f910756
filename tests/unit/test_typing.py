"""The single-rule keyword options are typed (docs/contract.md, section 1), so
``mypy --strict`` rejects a misspelt option or a value of the wrong type in user code, and
accepts a correct call.

Each snippet is a user's module, checked by mypy as a user's project would check it: with its
own configuration (strict, nothing else), against the installed wsgicors. A line that must
fail ends with ``# error: CODE``; the test asserts that exactly those lines fail, with exactly
those codes.
"""

from __future__ import annotations

import re
import textwrap
from typing import TYPE_CHECKING

import pytest
from mypy import api as mypy_api

if TYPE_CHECKING:
    from pathlib import Path

# What every snippet starts with: a correctly typed WSGI app to wrap.
PRELUDE = """\
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from wsgicors import CORSMiddleware, Rule

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


ORIGINS = ["https://app.example.com"]
"""

SNIPPETS = [
    pytest.param(
        """\
        CORSMiddleware(app, allow_origin=["https://app.example.com"])  # error: call-arg
        """,
        id="misspelt-option",
    ),
    pytest.param(
        """\
        CORSMiddleware(app, allow_origins=ORIGINS, max_age="ten")  # error: arg-type
        """,
        id="max-age-string",
    ),
    pytest.param(
        """\
        CORSMiddleware(app, allow_origins=ORIGINS, allow_credentials="yes")  # error: arg-type
        CORSMiddleware(app, allow_origins=ORIGINS, allow_methods=[b"PUT"])  # error: list-item
        CORSMiddleware(app, allow_origns=ORIGINS, max_age=None)  # error: call-arg
        """,
        id="one-error-per-wrong-line",
    ),
    pytest.param(
        """\
        strict = CORSMiddleware(
            app,
            allow_origins=["https://app.example.com", re.compile(r"https://[a-z]+\\.example\\.com")],
            allow_origin_regex=r"https://preview-[0-9]+\\.example\\.com",
            allow_methods=["GET", "PUT"],
            allow_headers=["content-type"],
            expose_headers=["x-request-id"],
            allow_credentials=True,
            max_age=600,
            allow_private_network=False,
            name="api",
        )
        ruled = CORSMiddleware(app, [Rule("/api/*", allow_origins=["https://a.example"])])
        shorthand = CORSMiddleware(app, path="/api/*", allow_origins=["https://a.example"])
        """,
        id="correct-calls",
    ),
]

_EXPECTED = re.compile(r"# error: (?P<code>[a-z-]+)$")
_ERROR_LINE = re.compile(r"^[^:]+:(?P<line>\d+): error: (?P<message>.*)  \[(?P<code>[a-z-]+)\]$")


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for every snippet: the standard library and wsgicors are analysed once."""
    return tmp_path_factory.mktemp("mypy-cache")


def expected_errors(source: str) -> list[tuple[int, str]]:
    """The (line, code) pairs the ``# error: CODE`` comments in *source* ask for."""
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        match = _EXPECTED.search(line)
        if match:
            found.append((number, match["code"]))
    return found


def run_mypy(source: str, tmp_path: Path, cache: Path) -> tuple[list[tuple[int, str, str]], int]:
    """Check *source* as a user's module under ``mypy --strict``; return its errors and status."""
    module = tmp_path / "user_app.py"
    module.write_text(source, encoding="utf-8")
    config = tmp_path / "mypy.ini"
    # The user's configuration, not this repository's: strict and nothing else.
    config.write_text("[mypy]\nstrict = True\n", encoding="utf-8")
    stdout, stderr, status = mypy_api.run(
        [
            "--strict",
            "--config-file",
            str(config),
            "--cache-dir",
            str(cache),
            "--show-error-codes",
            "--no-error-summary",
            "--no-color-output",
            str(module),
        ]
    )
    assert stderr == ""
    errors = []
    for line in stdout.splitlines():
        match = _ERROR_LINE.match(line)
        if match:
            errors.append((int(match["line"]), match["code"], match["message"]))
        else:
            # Anything else mypy prints is a note attached to an error above it.
            assert ": note: " in line, line
    return errors, status


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_mypy_strict_judges_the_keyword_options(
    snippet: str, tmp_path: Path, mypy_cache: Path
) -> None:
    source = PRELUDE + textwrap.dedent(snippet)
    errors, status = run_mypy(source, tmp_path, mypy_cache)
    expected = expected_errors(source)
    assert [(line, code) for line, code, _ in errors] == expected
    assert status == (1 if expected else 0)


def test_the_errors_name_the_option_and_the_expected_type(tmp_path: Path, mypy_cache: Path) -> None:
    source = PRELUDE + textwrap.dedent(
        """\
        CORSMiddleware(app, allow_origin=["https://app.example.com"])
        CORSMiddleware(app, allow_origins=["https://app.example.com"], max_age="ten")
        """
    )
    errors, status = run_mypy(source, tmp_path, mypy_cache)
    assert status == 1
    first = PRELUDE.count("\n") + 1
    assert errors == [
        (
            first,
            "call-arg",
            'Unexpected keyword argument "allow_origin" for "CORSMiddleware"; '
            'did you mean "allow_origins" or "allow_origin_regex"?',
        ),
        (
            first + 1,
            "arg-type",
            'Argument "max_age" to "CORSMiddleware" has incompatible type "str"; '
            'expected "int | None"',
        ),
    ]
