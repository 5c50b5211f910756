"""Measurements that are not per-request timings, on both builds: memory under unique origins,
and gunicorn throughput with and without the middleware under wrk.

    python benchmarks/extra.py -o benchmarks/extra.json            # full
    python benchmarks/extra.py --quick -o /tmp/extra.json          # smoke (small counts)

The memory of each build is measured in a process of that build (``--build``, run by this
script). Throughput: gunicorn serves the bare hello app and the app wrapped by each build, all
three running at once, and wrk loads each in turn for a short run, in many rounds (the load
generator and other processes share the machine, so single runs are noisy). A build's ratio is
the median over rounds of its requests per second over the bare app's in the same round.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import builds

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = builds.ROOT


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def memory(total: int) -> dict[str, Any]:
    """RSS after the memos fill, and after *total* unique origins and paths (this process)."""
    from benchmarks import contenders as c

    scenario = next(s for s in c.SCENARIOS if s.name == "unique-origins")
    app = c.build_wsgicors(c.hello, scenario)

    def start_response(*args: Any) -> None:
        return None

    warm = max(total // 10, 10_000)  # well past the memo budget
    after_warmup = 0
    for number in range(total):
        environ = scenario.environ.copy()
        environ["HTTP_ORIGIN"] = f"https://u{number}.example.com"
        environ["PATH_INFO"] = f"/api/{number}"
        for _ in app(environ, start_response):
            pass
        if number + 1 == warm:
            after_warmup = rss_kib()
    after_all = rss_kib()
    return {
        "requests": total,
        "warmup_requests": warm,
        "rss_kib_after_warmup": after_warmup,
        "rss_kib_after_all": after_all,
        "growth_kib": after_all - after_warmup,
    }


@contextlib.contextmanager
def serving(build: str, target: str) -> Iterator[str]:
    """Run gunicorn (2 sync workers) on *build* serving *target*; yield its URL."""
    from tests.servers import free_port, wait_until_up

    port = free_port()
    url = f"http://127.0.0.1:{port}/api/items"
    # Started in benchmarks/: python -m puts the working folder first on sys.path, and the
    # project root there would shadow the compiled build (wsgi_targets selects the build).
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(  # noqa: S603 (fixed benchmark command)
            [builds.interpreter(build), "-m", "gunicorn", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", f"wsgi_targets:{target}"],
            cwd=ROOT / "benchmarks",
            env=builds.environment(build),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        try:
            try:
                wait_until_up(url, server)
            except RuntimeError as error:
                log.seek(0)
                raise RuntimeError(f"gunicorn on {build}: {error}\n{log.read()}") from None
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def load(wrk: str, url: str, seconds: int) -> float:
    """Load *url* with wrk for *seconds*; return requests per second."""
    from benchmarks.contenders import ORIGIN

    done = subprocess.run(  # noqa: S603 (fixed benchmark command)
        [wrk, "-t", "1", "-c", "16", "-d", f"{seconds}s", "-H", f"Origin: {ORIGIN}", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    if "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
        raise RuntimeError(done.stdout)
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    assert match is not None, done.stdout
    return float(match[1])


def throughput(build_names: list[str], seconds: int, rounds: int) -> dict[str, Any]:
    """Every server runs for the whole measurement (an idle one costs nothing); each round
    loads each of them once, in a shuffled order."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    sys.path.insert(0, str(ROOT))  # this process only coordinates: tests/ and benchmarks/
    names = ["bare", *build_names]
    runs: dict[str, list[float]] = {name: [] for name in names}
    with contextlib.ExitStack() as stack:
        urls = {"bare": stack.enter_context(serving("pure", "bare"))}
        for build in build_names:
            urls[build] = stack.enter_context(serving(build, "wrapped"))
        order = random.Random(0)  # noqa: S311 (an order of runs, not a secret)
        for _ in range(rounds):
            for name in order.sample(names, len(names)):
                runs[name].append(load(wrk, urls[name], seconds))
    results: dict[str, Any] = {
        name: {"requests_per_second": statistics.median(values), "runs": values}
        for name, values in runs.items()
    }
    for build in build_names:
        # Paired: each round's wrapped run against that round's bare run, since the load that
        # other processes put on the machine drifts between rounds.
        paired = [w / b for w, b in zip(runs[build], runs["bare"], strict=True)]
        results[build]["ratio"] = statistics.median(paired)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--build", choices=builds.BUILDS, help="internal: measure memory here")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--builds", default=",".join(builds.BUILDS))
    args = parser.parse_args()
    if args.build:
        builds.select(args.build)
        print(json.dumps(memory(args.requests)))
        return
    if not args.output:
        parser.error("-o is required")
    build_names = [name for name in args.builds.split(",") if name]
    requests = 30_000 if args.quick else args.requests
    results: dict[str, Any] = {"memory": {}}
    for build in build_names:
        done = subprocess.run(  # noqa: S603 (this script, on the build's interpreter)
            builds.command(build, "extra.py", "--requests", str(requests)),
            capture_output=True,
            text=True,
            check=True,
            env=builds.environment(build),
        )
        results["memory"][build] = json.loads(done.stdout)
    results["throughput"] = (
        throughput(build_names, 1, 1) if args.quick else throughput(build_names, 2, 25)
    )
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
