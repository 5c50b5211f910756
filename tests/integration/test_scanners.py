"""External CORS scanners as judges: CORScanner and corsair-scan, run for real.

They must flag a deliberately vulnerable control app, and find nothing on the demo and the
example configuration served by wsgicors. Paths under a rule with ``allow_origins=["*"]`` are
public by design and are left out (corsair reports every ``*`` as a finding).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from tests import vulnerable_app
from tests.servers import free_port, running

pytestmark = [pytest.mark.scanners, pytest.mark.servers]

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def control() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, vulnerable_app.app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def ours() -> Iterator[list[str]]:
    """URLs served by wsgicors: the demo's API and the example configuration."""
    demo_port, page_port, example_port = free_port(), free_port(), free_port()
    demo = [sys.executable, str(ROOT / "examples" / "demo.py")]
    demo += ["--api-port", str(demo_port), "--page-port", str(page_port)]
    example = [sys.executable, "-m", "wsgicors", "serve", "tests.wsgi_apps:hello"]
    example += ["--config", str(ROOT / "examples" / "cors.toml"), "--port", str(example_port)]
    demo_base = f"http://127.0.0.1:{demo_port}"
    example_base = f"http://127.0.0.1:{example_port}"
    with running(demo, demo_base + "/api/items/1"), running(example, example_base + "/"):
        yield [
            demo_base + "/api/items/1",
            demo_base + "/api/private/secret",
            example_base + "/api/items",
            example_base + "/admin/users",
        ]


def corscanner(urls: list[str], tmp_path: Path) -> list[dict[str, object]]:
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    output = tmp_path / "corscanner.json"
    executable = shutil.which("corscanner")
    assert executable is not None, "corscanner is not installed"
    done = subprocess.run(  # noqa: S603 (a scanner on loopback URLs we started)
        [executable, "-i", str(listing), "-t", "4", "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Finished CORS scanning" in done.stdout + done.stderr
    if not output.exists():  # CORScanner writes no file when it found nothing
        return []
    findings: list[dict[str, object]] = json.loads(output.read_text() or "[]")
    return findings


def corsair(urls: list[str], tmp_path: Path) -> dict[str, list[dict[str, object]]]:
    requests = [{"url": url, "verb": "GET", "headers": {"Accept": "*/*"}} for url in urls]
    source = tmp_path / "corsair.json"
    source.write_text(json.dumps(requests))
    output = tmp_path / "corsair-report.json"
    executable = shutil.which("corsair")
    assert executable is not None, "corsair-scan is not installed"
    done = subprocess.run(  # noqa: S603 (a scanner on loopback URLs we started)
        [executable, str(source), "-r", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(output.read_text())
    # Every URL must have been scanned, or an empty summary would prove nothing.
    assert sorted(item["url"] for item in report["report"]) == sorted(urls)
    summary: dict[str, list[dict[str, object]]] = report["summary"]
    return summary


def test_corscanner_flags_the_control(control: str, tmp_path: Path) -> None:
    findings = corscanner([control + "/account"], tmp_path)
    assert {finding["type"] for finding in findings} >= {"reflect_origin"}
    assert all(finding["credentials"] == "true" for finding in findings)


def test_corscanner_finds_nothing_on_wsgicors(ours: list[str], tmp_path: Path) -> None:
    assert corscanner(ours, tmp_path) == []


def test_corsair_flags_the_control(control: str, tmp_path: Path) -> None:
    summary = corsair([control + "/account"], tmp_path)
    (finding,) = summary["misconfigured"]
    assert finding["credentials"] is True
    assert "fake_origin" in finding["misconfigured_test"]  # type: ignore[operator]


def test_corsair_finds_nothing_on_wsgicors(ours: list[str], tmp_path: Path) -> None:
    summary = corsair(ours, tmp_path)
    assert summary["misconfigured"] == []
    assert summary["error"] == []
