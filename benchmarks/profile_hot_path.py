"""Where the time goes on the allowed-GET path, timed on the real functions.

Each row times one real piece of the hot path on the scenario's environ (no copies of
``CORSMiddleware.__call__`` that could drift from it): the bare app, the whole middleware,
and the calls it makes on a memo hit. Writes JSON for report.py.

    python benchmarks/profile_hot_path.py -o benchmarks/profile.json
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import contenders as c
from wsgicors.middleware import logger, rewrite_headers

SCENARIO = next(s for s in c.SCENARIOS if s.name == "allowed")
MIDDLEWARE = c.build_wsgicors(c.hello, SCENARIO)
APP = c.hello


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


class DoNothing:
    """A class entry point that only calls the app (CORSMiddleware is a class)."""

    def __call__(self, environ: dict[str, Any], start: Any) -> Any:
        return APP(environ, start)


def steps(environ: dict[str, Any]) -> list[tuple[str, Any]]:
    """Each step as a zero-argument callable running the real code once."""
    policy = MIDDLEWARE.policy
    path, origin = environ["PATH_INFO"], environ["HTTP_ORIGIN"]
    answer = policy.actual(path, origin)
    app_headers = [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")]
    do_nothing = DoNothing()

    def run(app: Any) -> Any:
        def once() -> None:
            for _ in app(environ.copy(), start_response):
                pass

        return once

    return [
        ("bare hello app (with the environ copy)", run(APP)),
        ("do-nothing class middleware", run(do_nothing)),
        ("CORSMiddleware itself", run(MIDDLEWARE)),
        ("policy.actual(path, origin): the memo hit", lambda: policy.actual(path, origin)),
        ("logger.isEnabledFor(DEBUG)", lambda: logger.isEnabledFor(logging.DEBUG)),
        (
            "rewrite_headers (only when the app sends Access-Control-* or Vary)",
            lambda: rewrite_headers(app_headers, answer.headers or (), True),
        ),
        ("appending the precomputed headers", lambda: [*app_headers, *answer.appended]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--number", type=int, default=200_000)
    args = parser.parse_args()
    results = []
    for label, once in steps(SCENARIO.environ):
        best = min(timeit.repeat(once, number=args.number, repeat=7)) / args.number * 1e9
        results.append({"step": label, "ns": round(best, 1)})
        print(f"{label:70s} {best:7.1f} ns")
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
