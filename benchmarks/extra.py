"""Measurements that are not per-request timings: memory under unique origins, and gunicorn
throughput with and without the middleware under wrk.

    python benchmarks/extra.py -o benchmarks/extra.json            # full
    python benchmarks/extra.py --quick -o /tmp/extra.json          # CI smoke (small counts)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import contenders as c  # noqa: E402


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def memory(total: int) -> dict[str, Any]:
    """RSS after the caches fill, and after *total* unique origins and paths."""
    scenario = next(s for s in c.SCENARIOS if s.name == "unique-origins")
    app = c.build_wsgicors(c.hello, scenario)

    def start_response(*args: Any) -> None:
        return None

    checkpoints: dict[str, int] = {}
    warm = max(total // 10, 10_000)  # well past the 4,096-entry caches
    for number in range(total):
        environ = scenario.environ.copy()
        environ["HTTP_ORIGIN"] = f"https://u{number}.example.com"
        environ["PATH_INFO"] = f"/api/{number}"
        for _ in app(environ, start_response):
            pass
        if number + 1 == warm:
            checkpoints["after_warmup"] = rss_kib()
    checkpoints["after_all"] = rss_kib()
    return {
        "requests": total,
        "warmup_requests": warm,
        "rss_kib_after_warmup": checkpoints["after_warmup"],
        "rss_kib_after_all": checkpoints["after_all"],
        "growth_kib": checkpoints["after_all"] - checkpoints["after_warmup"],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_and_load(wrk: str, target: str, seconds: int) -> float:
    """Start gunicorn (2 sync workers) on *target*, load it with wrk; return requests/s."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (fixed benchmark command)
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(ROOT),
            target,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        done = subprocess.run(  # noqa: S603 (fixed benchmark command)
            [
                wrk,
                "-t",
                "1",
                "-c",
                "16",
                "-d",
                f"{seconds}s",
                "-H",
                f"Origin: {c.ORIGIN}",
                f"http://127.0.0.1:{port}/api/items",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
    if "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
        raise RuntimeError(done.stdout)
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    assert match is not None, done.stdout
    return float(match[1])


def throughput(seconds: int, rounds: int) -> dict[str, Any]:
    """wrk against gunicorn serving the bare and the wrapped hello app, alternating rounds
    (the load generator shares the machine, so single runs are noisy); medians reported."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    runs: dict[str, list[float]] = {"bare": [], "wsgicors": []}
    for _ in range(rounds):
        runs["bare"].append(_serve_and_load(wrk, "benchmarks.wsgi_targets:bare", seconds))
        runs["wsgicors"].append(_serve_and_load(wrk, "benchmarks.wsgi_targets:wrapped", seconds))
    results: dict[str, Any] = {
        name: {"requests_per_second": statistics.median(values), "runs": values}
        for name, values in runs.items()
    }
    results["ratio"] = (
        results["wsgicors"]["requests_per_second"] / results["bare"]["requests_per_second"]
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results = {
        "memory": memory(30_000 if args.quick else 1_000_000),
        "throughput": throughput(1, 1) if args.quick else throughput(5, 5),
    }
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
