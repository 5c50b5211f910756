"""The benchmarks run once in quick mode so they never rot. No assertion on time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.servers]

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = [
    "uncovered", "no-origin", "allowed", "disallowed", "preflight", "100-origins",
    "100-regexes", "1000-paths", "64k-origin", "64k-request-headers", "unique-origins",
]  # fmt: skip


def run(*args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own benchmark scripts)
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_quick_benchmark_run_and_report(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    extra = tmp_path / "extra.json"
    run("benchmarks/run.py", "--quick", "--quiet", "-o", str(results))
    run("benchmarks/extra.py", "--quick", "-o", str(extra))
    profile = tmp_path / "profile.json"
    run("benchmarks/profile_hot_path.py", "--number", "200", "-o", str(profile))
    run(
        "benchmarks/report.py", str(results), str(extra), "--out", str(tmp_path),
        "--profile", str(profile),
    )  # fmt: skip

    names = {bench["metadata"]["name"] for bench in json.loads(results.read_text())["benchmarks"]}
    for scenario in SCENARIOS:
        for contender in ("bare", "class", "minimal", "wsgicors", "flask+wsgicors"):
            assert f"{scenario}|{contender}" in names
    assert "allowed|flask+flask-cors" in names
    assert "allowed|django+django-cors-headers" in names
    assert "allowed|falcon+falcon-cors" in names
    assert "allowed|starlette+cors" in names
    assert "allowed|wsgi-cors-middleware" in names
    assert "construction-1000-rules|wsgicors" in names
    measured = json.loads(extra.read_text())
    assert measured["memory"]["requests"] == 30_000
    report = (tmp_path / "benchmarks.md").read_text()
    for scenario in SCENARIOS:
        assert f"| {scenario} |" in report
    assert "| CORSMiddleware itself |" in report
    assert (tmp_path / "benchmarks.png").read_bytes().startswith(b"\x89PNG")
