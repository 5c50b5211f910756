"""Load on a real threaded server: gunicorn gthread serving a wrapped app on loopback.

Concurrent clients send a bounded number of requests, each with its own origin and path: no
errors, every response carries its own request's origin (no cross-talk), and the worker's
memory stays flat under a flood of unique origins and paths.
"""

from __future__ import annotations

import http.client
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.servers import free_port, running

pytestmark = [pytest.mark.servers]

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """\
[[rules]]
path = "/api/*"
allow_origin_regex = ['https://c[0-9]+\\.example\\.com']
allow_origins = ["https://*.glob.example.net"]
allow_methods = ["PUT"]
allow_headers = ["x-token"]
"""
CLIENTS = 16
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")  # pragma: no cover (Linux always reports it)


def client(port: int, numbers: range) -> int:
    """Send one request per number on a kept-alive connection; check each answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    checked = 0
    try:
        for number in numbers:
            refused = number % 5 == 0
            origin = f"https://evil{number}.example.org" if refused else (
                f"https://c{number}.example.com" if number % 2 else f"https://n{number}.glob.example.net"
            )  # fmt: skip
            if number % 3 == 0:
                connection.request(
                    "OPTIONS",
                    f"/api/{number}",
                    headers={
                        "Origin": origin,
                        "Access-Control-Request-Method": "PUT",
                        "Access-Control-Request-Headers": "x-token",
                    },
                )
                response = connection.getresponse()
                response.read()
                assert response.status == (403 if refused else 204)
            else:
                connection.request("GET", f"/api/{number}", headers={"Origin": origin})
                response = connection.getresponse()
                body = response.read()
                assert response.status == 200
                # The body echoes the Origin the app saw: the request really is this one.
                assert body == f"hello GET {origin}".encode()
            allowed = response.getheader("Access-Control-Allow-Origin")
            assert allowed == (None if refused else origin), (number, origin, allowed)
            expected_vary = PREFLIGHT_VARY if number % 3 == 0 else "Accept-Encoding, Origin"
            assert response.getheader("Vary") == expected_vary
            checked += 1
    finally:
        connection.close()
    return checked


def flood(port: int, start: int, count: int) -> int:
    step = count // CLIENTS
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [
            pool.submit(client, port, range(start + i * step, start + (i + 1) * step))
            for i in range(CLIENTS)
        ]
        return sum(future.result() for future in futures)


def test_gthread_under_load_with_unique_origins(tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(CONFIG)
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", "1",
        "--threads", "8", "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
        f'wsgicors.serve:wrap("tests.wsgi_apps:hello", "{config}")',
    ]  # fmt: skip
    with running(command, f"http://127.0.0.1:{port}/") as server:
        worker = worker_pid(server.pid)
        # Fill every bounded cache (4,096 entries each) with unique origins and paths first.
        assert flood(port, 1, 6_400) == 6_400
        assert flood(port, 100_000, 12_800) == 12_800
        before = rss_kib(worker)
        assert flood(port, 200_000, 12_800) == 12_800
        after = rss_kib(worker)
    # 12,800 more unique origins and paths once the caches are full and the allocator has
    # warmed up: the caches churn, they do not grow. Unbounded memos would add ~6 MiB here.
    assert after - before < 1024, (before, after)
