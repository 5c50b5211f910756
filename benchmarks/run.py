"""Measure every contender on every scenario, on both builds in one run; write JSON.

    python benchmarks/run.py -o benchmarks/results.json            # the full comparison
    python benchmarks/run.py --quick -o /tmp/results.json          # one tiny round (smoke)

One worker process per build (benchmarks/worker.py: the pure build on this interpreter, the
compiled one on the venv scripts/compiled-venv.sh made) builds every contender and waits. This
coordinator then asks them for rounds in turn, alternating which goes first, so that both
builds see the same machine over the same minutes; a round times one batch of every
(scenario, contender) in one process, so each build's overheads are measured against floors
timed right beside them. Every round's values are kept; report.py takes lower quartiles.

Then ``python benchmarks/report.py`` turns the results into docs/benchmarks.md and the chart.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import builds
import legacy

PEER_DISTRIBUTIONS = [
    "flask", "flask-cors", "django", "django-cors-headers", "falcon", "starlette",
    "wsgi-cors-middleware",
]  # fmt: skip


def cpu() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def versions() -> dict[str, str]:
    found = {}
    for name in PEER_DISTRIBUTIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "missing"
    found["wsgicors"] = legacy.VERSION  # the 2017 package, loaded as wsgicors_0_7
    return found


class Worker:
    """A worker process on one build, answering one JSON line per command."""

    def __init__(self, build: str, quick: bool, batch_ms: float) -> None:
        self.build = build
        extra = ["--quick"] if quick else ["--batch-ms", str(batch_ms)]
        self.process = subprocess.Popen(  # noqa: S603 (our worker, on our interpreters)
            builds.command(build, "worker.py", *extra),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=builds.environment(build),
        )

    def ask(self, command: str) -> Any:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def read(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise SystemExit(f"the {self.build} worker exited ({code}); its error is above")
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
            self.process.wait(timeout=60)


def measure(build_names: list[str], rounds: int, quick: bool, batch_ms: float) -> dict[str, Any]:
    workers = [Worker(build, quick, batch_ms) for build in build_names]
    try:
        keys = {worker.build: worker.read()["keys"] for worker in workers}
        results: dict[str, Any] = {
            worker.build: {"keys": keys[worker.build], "rounds": []} for worker in workers
        }
        started = time.monotonic()
        for number in range(rounds):
            order = workers if number % 2 == 0 else workers[::-1]
            for worker in order:
                results[worker.build]["rounds"].append(worker.ask(f"round {number}"))
            if not quick:
                elapsed = time.monotonic() - started
                print(f"round {number + 1}/{rounds} ({elapsed:.0f} s)", file=sys.stderr)
        for worker in workers:
            results[worker.build]["construction_ms"] = worker.ask(
                f"construction {1 if quick else 5}"
            )
        return results
    finally:
        for worker in workers:
            worker.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--quick", action="store_true", help="one round of tiny batches")
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--batch-ms", type=float, default=2.0)
    parser.add_argument(
        "--builds",
        default=",".join(builds.BUILDS),
        help="comma-separated: compiled,pure (the compiled one needs scripts/compiled-venv.sh)",
    )
    args = parser.parse_args()
    build_names = [name for name in args.builds.split(",") if name]
    missing = [name for name in build_names if name not in builds.available()]
    if missing:
        raise SystemExit(
            f"no {', '.join(missing)} build here: bash scripts/compiled-venv.sh "
            f"{builds.COMPILED_VENV}"
        )
    legacy.fetch()
    rounds = 1 if args.quick else args.rounds
    results = {
        "meta": {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
            "cpu": cpu(),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "versions": versions(),
            "rounds": rounds,
            "batch_ms": None if args.quick else args.batch_ms,
            "quick": args.quick,
        },
        "builds": measure(build_names, rounds, args.quick, args.batch_ms),
    }
    Path(args.output).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
