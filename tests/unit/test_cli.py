"""The command line in-process: exit statuses, --strict, --version, and what it prints."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

from wsgicors import __version__
from wsgicors.cli import build_description, main

if TYPE_CHECKING:
    from pathlib import Path

APP = "https://app.example.com"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_check_strict_fails_on_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, "cors.toml", 'allow_origins = ["null"]\n')
    assert main(["check", config]) == 0
    assert capsys.readouterr().out == f"ok: {config}: 1 rule\n"
    assert main(["check", "--strict", config]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"warning: {config}:1: allow_origins[0]: 'null' is sent by sandboxed iframes, file: "
        "pages and redirects from anywhere [origin-null]",
        "    fix: allow real origins instead, unless you need opaque origins",
        "wsgicors: --strict: 1 warning",
    ]
    clean = write(tmp_path, "clean.toml", f'allow_origins = ["{APP}"]\n')
    assert main(["check", "--strict", clean]) == 0


def test_check_reports_a_file_it_cannot_parse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, "cors.toml", "allow_origins = [\n")
    assert main(["check", config]) == 1
    assert capsys.readouterr().err.startswith(
        f"invalid CORS configuration: 1 problem\n  {config}:1: configuration: "
    )


def test_serve_imports_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, "cors.toml", f'allow_origins = ["{APP}"]\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        sys, "path", [entry for entry in sys.path if entry not in {"", str(tmp_path)}]
    )
    assert main(["serve", "no_such_app_module:app", "--config", config]) == 2
    assert sys.path[0] == str(tmp_path)
    assert capsys.readouterr().err.startswith("wsgicors: cannot import 'no_such_app_module'")


def test_version_says_which_build(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    printed = capsys.readouterr().out
    assert printed == build_description() + "\n"
    assert printed in {
        f"wsgicors {__version__} (pure Python)\n",
        f"wsgicors {__version__} (compiled with mypyc)\n",
    }


def test_help_has_no_markup(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "``" not in capsys.readouterr().out
