"""The README's demo command, started for real: spoken to over HTTP on loopback, and its page
clicked in Chromium, where each call's decision code and reason must show."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.servers import http

pytestmark = [pytest.mark.servers]

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Page

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


def decisions(page: str, after: int | None = None) -> dict[str, Any]:
    """Ask the page's own server what wsgicors decided, as the page's script does."""
    query = "" if after is None else f"?after={after}"
    status, headers, body = http(f"{page}/decisions{query}")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    answer: dict[str, Any] = json.loads(body)
    return answer


def test_page_names_both_origins(demo: tuple[str, str]) -> None:
    api, page = demo
    status, headers, body = http(page + "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    text = body.decode()
    assert f'const api = "{api}";' in text
    assert text.count("<button") == 5
    # The page names no favicon, so the browser asks for none.
    assert '<link rel="icon" href="data:,">' in text


@pytest.mark.parametrize("path", ["/favicon.ico", "/index.html", "/api/public/hello"])
def test_page_server_answers_404_outside_its_two_paths(demo: tuple[str, str], path: str) -> None:
    _, page = demo
    status, headers, body = http(page + path)
    assert (status, headers["Content-Type"], body) == (404, "text/plain", b"not found")


def test_preflight_from_the_page_is_allowed(demo: tuple[str, str]) -> None:
    api, page = demo
    status, headers, body = http(
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
    status, headers, _ = http(api + "/api/private/secret", headers={"Origin": page})
    assert status == 200
    assert "Access-Control-Allow-Origin" not in headers
    assert headers["Vary"] == "Origin"


def test_public_path_is_open(demo: tuple[str, str]) -> None:
    api, _ = demo
    status, headers, body = http(api + "/api/public/hello", headers={"Origin": "https://x.test"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert b"hello from the API" in body


def test_decisions_record_each_request_from_the_page(demo: tuple[str, str]) -> None:
    api, page = demo
    before = decisions(page)
    assert before["decisions"] == []
    refused = {"Origin": page, "Access-Control-Request-Method": "DELETE"}
    assert http(api + "/api/items/1", "OPTIONS", refused)[0] == 403
    assert http(api + "/api/private/secret", headers={"Origin": page})[0] == 200
    # Another origin's requests are not the page's: they are not recorded.
    assert http(api + "/api/public/hello", headers={"Origin": "https://x.test"})[0] == 200
    first = before["last"] + 1
    assert decisions(page, before["last"]) == {
        "last": first + 1,
        "decisions": [
            {
                "seq": first,
                "method": "OPTIONS",
                "status": "403 Forbidden",
                "kind": "preflight",
                "allowed": False,
                "code": "method-not-allowed",
                "reason": "method 'DELETE' not in allow_methods",
                "rule": "items",
            },
            {
                "seq": first + 1,
                "method": "GET",
                "status": "200 OK",
                "kind": "actual",
                "allowed": False,
                "code": "origin-not-allowed",
                "reason": "origin not allowed by this rule",
                "rule": "private",
            },
        ],
    }
    assert decisions(page, first + 1)["decisions"] == []


@pytest.mark.parametrize("after", ["x", "-1", "%D9%A1"])
def test_decisions_refuse_an_after_that_is_not_an_entry_number(
    demo: tuple[str, str], after: str
) -> None:
    _, page = demo
    status, _, body = http(f"{page}/decisions?after={after}")
    assert (status, body) == (400, b"after= takes an entry number")


# --- The page in Chromium: what a user sees after each click.


def table_after_click(page: Page, button: str) -> tuple[str, list[list[str]], str]:
    """Click *button*; return the script's result text, the decision rows and the note."""
    page.click(f"#{button}")
    # The buttons are disabled while a call and its decision lookup are in flight.
    page.wait_for_function(f"!document.getElementById({json.dumps(button)}).disabled")
    rows = page.eval_on_selector_all(
        "#decisions tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    return page.inner_text("#result"), rows, page.inner_text("#after")


@pytest.mark.browser
def test_the_page_shows_why_each_call_was_refused(demo: tuple[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS

    _, page_origin = demo
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            favicon_requests: list[str] = []
            page.on(
                "request",
                lambda r: favicon_requests.append(r.url) if "favicon" in r.url else None,
            )
            page.goto(page_origin + "/")

            result, rows, note = table_after_click(page, "delete")
            assert result.splitlines()[0] == "REFUSED by the browser: TypeError: Failed to fetch"
            assert rows == [
                [
                    "OPTIONS (preflight)",
                    "403 Forbidden",
                    "refused",
                    "method-not-allowed",
                    "method 'DELETE' not in allow_methods",
                    "items",
                ]
            ]
            assert note == "The browser stopped at the preflight: the DELETE was never sent."

            result, rows, note = table_after_click(page, "header")
            assert result.startswith("REFUSED by the browser")
            assert rows == [
                [
                    "OPTIONS (preflight)",
                    "403 Forbidden",
                    "refused",
                    "header-not-allowed",
                    "request header 'x-admin' not in allow_headers",
                    "items",
                ]
            ]

            result, rows, note = table_after_click(page, "private")
            assert result.startswith("REFUSED by the browser")
            assert rows == [
                [
                    "GET (actual)",
                    "200 OK",
                    "refused",
                    "origin-not-allowed",
                    "origin not allowed by this rule",
                    "private",
                ]
            ]
            assert note.startswith("The API answered 200 OK, but without CORS headers")

            result, rows, note = table_after_click(page, "item")
            assert result.splitlines()[:5] == [
                "ALLOWED 200",
                "headers JavaScript can read:",
                "  content-length: 74",
                "  content-type: application/json",
                "  x-request-id: demo-42",
            ]
            assert [row[:4] for row in rows] == [
                ["OPTIONS (preflight)", "204 No Content", "allowed", "preflight-allowed"],
                ["PUT (actual)", "200 OK", "allowed", "origin-allowed"],
            ]
            assert note == ""

            # Within Access-Control-Max-Age (10 s) the browser reuses the preflight answer.
            _, rows, note = table_after_click(page, "item")
            assert [row[:4] for row in rows] == [
                ["PUT (actual)", "200 OK", "allowed", "origin-allowed"]
            ]
            assert note.startswith("No preflight this time")
            assert favicon_requests == []
        finally:
            browser.close()
