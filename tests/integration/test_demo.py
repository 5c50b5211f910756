"""The README's demo command, started for real and spoken to over HTTP on loopback."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytestmark = [pytest.mark.servers]

if TYPE_CHECKING:
    from collections.abc import Iterator

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, str]]:
    process = subprocess.Popen(  # noqa: S603 (our own demo, with fixed arguments)
        [sys.executable, str(DEMO), "--api-port", "0", "--page-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        api_line = process.stdout.readline()
        page_line = process.stdout.readline()
        api = re.search(r"http://127\.0\.0\.1:\d+", api_line)
        page = re.search(r"http://127\.0\.0\.1:\d+", page_line)
        assert api, api_line
        assert page, page_line
        yield api.group(0), page.group(0)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, method=method, headers=headers or {})  # noqa: S310
    with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


def test_page_names_both_origins(demo: tuple[str, str]) -> None:
    api, page = demo
    status, headers, body = fetch(page + "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    text = body.decode()
    assert f'const api = "{api}";' in text
    assert text.count("<button") == 5


def test_preflight_from_the_page_is_allowed(demo: tuple[str, str]) -> None:
    api, page = demo
    status, headers, body = fetch(
        api + "/api/items/1",
        "OPTIONS",
        {
            "Origin": page,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-token",
        },
    )
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == page
    assert headers["Access-Control-Allow-Methods"] == "PUT"
    assert headers["Access-Control-Allow-Headers"] == "x-token"
    assert headers["Access-Control-Max-Age"] == "10"
    assert body == b""


def test_private_path_refuses_the_page(demo: tuple[str, str]) -> None:
    api, page = demo
    status, headers, _ = fetch(api + "/api/private/secret", headers={"Origin": page})
    assert status == 200
    assert "Access-Control-Allow-Origin" not in headers
    assert headers["Vary"] == "Origin"


def test_public_path_is_open(demo: tuple[str, str]) -> None:
    api, _ = demo
    status, headers, body = fetch(api + "/api/public/hello", headers={"Origin": "https://x.test"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert b"hello from the API" in body
