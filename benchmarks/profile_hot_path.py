"""Where the time goes on the allowed-GET path: an ablation of CORSMiddleware.__call__.

Each variant adds one step of the real hot path to the previous one (same calls, same
objects); the difference between neighbours is that step's cost. Writes JSON for report.py.

    python benchmarks/profile_hot_path.py -o benchmarks/profile.json
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import contenders as c
from wsgicors.middleware import _debug_enabled
from wsgicors.policy import rewrite_headers

SCENARIO = next(s for s in c.SCENARIOS if s.name == "allowed")
MIDDLEWARE = c.build_wsgicors(c.hello, SCENARIO)
MEMO = MIDDLEWARE.policy.memo_route
APP = c.hello


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


class Entry:
    """Step 1: a class entry point (CORSMiddleware is a class)."""

    def __call__(self, environ: dict[str, Any], start: Any) -> Any:
        return APP(environ, start)


class Route(Entry):
    def __call__(self, environ: dict[str, Any], start: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        rule, passed = MEMO(path) if len(path) <= 1024 else (None, None)
        return APP(environ, start)


class Classify(Entry):
    def __call__(self, environ: dict[str, Any], start: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        rule, passed = MEMO(path) if len(path) <= 1024 else (None, None)
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and environ.get("REQUEST_METHOD") == "OPTIONS":
            raise AssertionError
        tail, extra, decision = (rule.actual if len(origin) <= 300 else rule.decide_actual)(origin)
        return APP(environ, start)


class Record(Entry):
    def __call__(self, environ: dict[str, Any], start: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        rule, passed = MEMO(path) if len(path) <= 1024 else (None, None)
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and environ.get("REQUEST_METHOD") == "OPTIONS":
            raise AssertionError
        tail, extra, decision = (rule.actual if len(origin) <= 300 else rule.decide_actual)(origin)
        environ["wsgicors.decision"] = decision
        if _debug_enabled(10):
            raise AssertionError
        return APP(environ, start)


class Rewrite(Entry):
    def __call__(self, environ: dict[str, Any], start: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        rule, passed = MEMO(path) if len(path) <= 1024 else (None, None)
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and environ.get("REQUEST_METHOD") == "OPTIONS":
            raise AssertionError
        tail, extra, decision = (rule.actual if len(origin) <= 300 else rule.decide_actual)(origin)
        environ["wsgicors.decision"] = decision
        if _debug_enabled(10):
            raise AssertionError

        def cors_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            for name, _ in headers:
                if name[:1] in "aAvV":
                    headers = rewrite_headers(headers, extra, rule.vary_origin)
                    break
            else:
                headers = [*headers, *tail]
            return start(status, headers, exc_info)

        return APP(environ, cors_start_response)


STEPS = [
    ("bare hello app", APP),
    ("+ class entry point", Entry()),
    ("+ route the path (environ.get, length check, LRU hit)", Route()),
    ("+ classify and decide (Origin, OPTIONS check, memoised answer)", Classify()),
    ("+ record the decision and check the DEBUG logger", Record()),
    ("+ start_response wrapper: closure, header scan, append", Rewrite()),
    ("CORSMiddleware itself", MIDDLEWARE),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--number", type=int, default=200_000)
    args = parser.parse_args()
    environ = SCENARIO.environ
    results = []
    for label, app in STEPS:

        def run(app: Any = app) -> None:
            for _ in app(environ.copy(), start_response):
                pass

        best = min(timeit.repeat(run, number=args.number, repeat=7)) / args.number * 1e9
        results.append({"step": label, "ns": round(best, 1)})
        print(f"{label:70s} {best:7.1f} ns")
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
