"""Measure every contender on every scenario in one pyperf run; write the results as JSON.

    python benchmarks/run.py -o benchmarks/results.json      # the full comparison
    python benchmarks/run.py --quick -o /tmp/smoke.json      # one value each (CI smoke)

Then ``python benchmarks/report.py benchmarks/results.json`` writes docs/benchmarks.md and the
chart. pyperf runs each benchmark in fresh worker processes and keeps every value.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyperf

from benchmarks import contenders as c

SCENARIOS = {scenario.name: scenario for scenario in c.SCENARIOS}
WSGI = ["bare", "closure", "class", "minimal", "wsgicors", "wsgi-cors-middleware"]
FRAMEWORKS = {"flask": c.flask_pair, "django": c.django_pair, "falcon": c.falcon_pair}
PEER_NAMES = {"flask": "flask-cors", "django": "django-cors-headers", "falcon": "falcon-cors"}
_APPS: dict[tuple[str, str], Any] = {}


def contenders_for(scenario: c.Scenario) -> list[str]:
    names = list(WSGI)
    if scenario.peer_origins != [c.ORIGIN]:
        names.remove("wsgi-cors-middleware")
    for framework, peer in PEER_NAMES.items():
        names += [framework, f"{framework}+wsgicors"]
        if scenario.peer_origins is not None and not (
            framework == "falcon" and scenario.peer_regexes
        ):
            names.append(f"{framework}+{peer}")
    names.append("starlette")
    if scenario.peer_origins is not None:
        names.append("starlette+cors")
    return names


def build(scenario: c.Scenario, name: str) -> Any:
    key = (scenario.name, name)
    if key in _APPS:
        return _APPS[key]
    app: Any
    if name == "bare":
        app = c.hello
    elif name == "closure":
        app = c.closure_passthrough(c.hello)
    elif name == "class":
        app = c.ClassPassthrough(c.hello)
    elif name == "minimal":
        app = c.MinimalRewrite(c.hello)
    elif name == "wsgicors":
        app = c.build_wsgicors(c.hello, scenario)
    elif name == "wsgi-cors-middleware":
        app = c.build_wsgi_cors_middleware(c.hello, scenario)
    elif name.startswith("starlette"):
        bare, wrapped = c.starlette_pair(scenario)
        app = c.asgi_caller(wrapped if name.endswith("+cors") else bare, scenario.environ)
    else:
        framework, _, layer = name.partition("+")
        bare, wrapped = FRAMEWORKS[framework](scenario)
        app = {"": bare, "wsgicors": None}.get(layer, wrapped)
        if layer == "wsgicors":
            app = c.build_wsgicors(bare, scenario)
    _APPS[key] = app
    return app


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def time_requests(loops: int, scenario_name: str, name: str) -> float:
    scenario = SCENARIOS[scenario_name]
    app = build(scenario, name)
    environ = scenario.environ
    unique = scenario.unique_origins
    if name.startswith("starlette"):
        start = time.perf_counter()
        for _ in range(loops):
            app()
        return time.perf_counter() - start
    start = time.perf_counter()
    for number in range(loops):
        request = environ.copy()  # a server builds a fresh environ for every request
        if unique:
            request["HTTP_ORIGIN"] = f"https://u{number}.example.com"
        body = app(request, start_response)
        for _chunk in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return time.perf_counter() - start


def time_construction(loops: int) -> float:
    rules = [*c.MANY_PATHS, c.base_rule()]
    start = time.perf_counter()
    for _ in range(loops):
        c.build_wsgicors(c.hello, c.Scenario("construction", "", {}, rules))
    return time.perf_counter() - start


def main() -> None:
    quick = "--quick" in sys.argv
    if quick:
        sys.argv.remove("--quick")
        sys.argv.append("--debug-single-value")
    elif not any(arg.startswith(("--processes", "-p", "--fast", "--rigorous")) for arg in sys.argv):
        sys.argv += ["--processes", "4", "--values", "3", "--min-time", "0.05"]
    runner = pyperf.Runner()
    runner.metadata["description"] = "wsgicors and peers, per-request cost"
    for scenario in c.SCENARIOS:
        for name in contenders_for(scenario):
            runner.bench_time_func(f"{scenario.name}|{name}", time_requests, scenario.name, name)
    runner.bench_time_func("construction-1000-rules|wsgicors", time_construction)


if __name__ == "__main__":
    main()
