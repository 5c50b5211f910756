"""Where the time goes on the hot path, timed on the real functions, on each build.

Each row times one real piece of the request path on the scenario's environ (no copies of
``CORSMiddleware.__call__`` that could drift from it): the bare app, the whole middleware on
an allowed GET, a preflight and an uncovered path, and the calls it makes on a memo hit.
Without ``--build`` it runs itself once per build (each in that build's interpreter) and
writes one JSON for report.py.

    python benchmarks/profile_hot_path.py -o benchmarks/profile.json
    python benchmarks/profile_hot_path.py --build compiled      # print one build's table
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import builds


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def steps() -> list[tuple[str, Any]]:
    """Each step as a zero-argument callable running the real code once."""
    from types import MethodType

    from benchmarks import contenders as c
    from wsgicors import middleware as m

    scenarios = {scenario.name: scenario for scenario in c.SCENARIOS}
    allowed, preflight = scenarios["allowed"], scenarios["preflight"]
    middleware = c.build_wsgicors(c.hello, allowed)
    policy = middleware.policy  # type: ignore[attr-defined]
    environ = allowed.environ
    path, origin = environ["PATH_INFO"], environ["HTTP_ORIGIN"]
    answer = policy.answer_actual(path, origin)
    request_headers = [preflight.environ[f"HTTP_ACCESS_CONTROL_REQUEST_{name}"]
                       for name in ("METHOD", "HEADERS")]  # fmt: skip
    preflight_key = (path, origin, *request_headers)
    policy.answer_preflight(*preflight_key, "")
    plain = [("Content-Type", "text/plain"), ("Content-Length", "5")]
    with_vary = [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")]
    do_nothing = c.ClassPassthrough(c.hello)

    def bind() -> Any:  # as __call__ binds it in this build
        if m._COMPILED:
            return m._closure(start_response, answer)
        return MethodType(m._cors_start_response, (start_response, answer))

    wrapper = bind()

    def run(app: Any, template: dict[str, Any]) -> Any:
        def once() -> None:
            for _ in app(template.copy(), start_response):
                pass

        return once

    return [
        ("bare hello app (with the environ copy)", run(c.hello, environ)),
        ("do-nothing class middleware", run(do_nothing, environ)),
        ("minimal rewrite floor", run(c.MinimalRewrite(c.hello), environ)),
        ("CORSMiddleware, allowed GET", run(middleware, environ)),
        ("CORSMiddleware, preflight", run(middleware, preflight.environ)),
        (
            "CORSMiddleware, uncovered path",
            run(c.build_wsgicors(c.hello, scenarios["uncovered"]), scenarios["uncovered"].environ),
        ),
        ("memo hit, actual request: routes.get(path), then .get(origin)",
         lambda: policy.routes.get(path).get(origin)),
        ("memo hit, preflight: the four-value key and its lookup",
         lambda: policy.preflight_answers.get(preflight_key)),
        ("the DEBUG check (logging's own memo)", lambda: m._enabled_memo.get(m._DEBUG)),
        ("binding the start_response wrapper to the answer", bind),
        ("the app's start_response through the wrapper (two plain headers)",
         lambda: wrapper("200 OK", plain)),
        ("the same, when the app sends Vary (the full rewrite)",
         lambda: wrapper("200 OK", with_vary)),
    ]  # fmt: skip


def measure(number: int) -> list[dict[str, Any]]:
    """Each step's best time, less the cost of calling an empty function the same way (the
    timing's own overhead, shown as the first row)."""

    def best(once: Any) -> float:
        return min(timeit.repeat(once, number=number, repeat=7)) / number * 1e9

    empty = best(lambda: None)
    results = [{"step": "timing overhead (an empty call, subtracted below)", "ns": round(empty, 1)}]
    for label, once in steps():
        results.append({"step": label, "ns": round(best(once) - empty, 1)})
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output")
    parser.add_argument("--build", choices=builds.BUILDS, help="profile this build only")
    parser.add_argument("--number", type=int, default=200_000)
    parser.add_argument("--json", action="store_true", help="with --build: print JSON")
    args = parser.parse_args()
    if args.build:
        builds.select(args.build)
        results = measure(args.number)
        if args.json:
            print(json.dumps(results))
        else:
            show(results)
        return
    if not args.output:
        parser.error("-o is required to profile every build")
    profile = {}
    for build in builds.available():
        done = subprocess.run(  # noqa: S603 (this script, on the build's interpreter)
            builds.command(build, "profile_hot_path.py", "--number", str(args.number), "--json"),
            capture_output=True, text=True, check=True, env=builds.environment(build),
        )  # fmt: skip
        profile[build] = json.loads(done.stdout)
    Path(args.output).write_text(json.dumps(profile, indent=2) + "\n")
    for build, results in profile.items():
        print(f"-- {build}")
        show(results)


def show(results: list[dict[str, Any]]) -> None:
    for step in results:
        print(f"{step['step']:70s} {step['ns']:8.1f} ns")


if __name__ == "__main__":
    main()
