"""One build's measuring process: every contender of every scenario, timed in rounds on command.

    python benchmarks/worker.py --build pure|compiled [--quick]

Started by run.py, one per build, and driven over stdin/stdout (one JSON line per answer):
``round N`` times one batch of requests per (scenario, contender) and prints nanoseconds per
request for each; ``construction`` times building a 1000-rule middleware; ``quit`` ends it.
run.py alternates the workers round by round, so both builds see the same machine.

Timing is the thread's CPU time (``time.thread_time_ns``), which a busy neighbour on the machine
disturbs far less than wall time. Within a round the contenders of a scenario run one batch
each, in an order shuffled anew every round; each batch is calibrated once to last about
``--batch-ms``. Before anything is timed, every contender answers its scenario once and CORS
layers are checked to answer it correctly, so no number comes from a misconfigured contender.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import random
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import builds  # this folder's, before any wsgicors import: it decides which build loads

if TYPE_CHECKING:
    from collections.abc import Callable

TABLE = "behaviour-table"
CONSTRUCTION = "construction-1000-rules"
FRAMEWORKS = ("flask", "django", "falcon")
#: The peers' CORS layers, on the framework each belongs to; measured in the pure worker only
#: (they do not depend on the build of wsgicors).
PEERS = {
    "flask+flask-cors": "flask",
    "django+django-cors-headers": "django",
    "falcon+falcon-cors": "falcon",
}
#: Layers that have no path scoping: they cannot leave a path uncovered.
NO_PATHS = {"falcon+falcon-cors", "starlette+cors", "wsgi-cors-middleware"}
#: Layers whose answers are checked against the scenario (wsgi-cors-middleware sends one fixed
#: Access-Control-Allow-Origin to everything: the floor of a header-adding layer, not a policy).
CHECKED = {"wsgicors", "wsgicors-0.7", "starlette+cors", *PEERS} | {
    f"{framework}+wsgicors" for framework in FRAMEWORKS
}


@dataclass
class Measurement:
    """A contender on a scenario: ``run(loops)`` serves ``loops * requests`` requests."""

    key: str
    run: Callable[[int], None]
    requests: int = 1
    loops: int = 1

    def time(self) -> float:
        """Serve one batch; return CPU nanoseconds per request.

        One untimed request first: the contender before it in the round may have evicted this
        one's code and data from the CPU caches, a cost a server under steady traffic does not
        pay on every request.
        """
        self.run(1)
        start = time.thread_time_ns()
        self.run(self.loops)
        return (time.thread_time_ns() - start) / (self.loops * self.requests)


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def wsgi_runner(app: Any, scenario: Any) -> Callable[[int], None]:
    template = scenario.environ
    unique = scenario.unique_origins
    served = [1]  # request 0 was the answer check; unique origins never repeat

    def run(loops: int) -> None:
        first = served[0]
        served[0] += loops
        for number in range(first, first + loops):
            environ = template.copy()  # a server builds a fresh environ for every request
            if unique:
                environ["HTTP_ORIGIN"] = f"https://u{number}.example.com"
            body = app(environ, start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return run


def asgi_runner(caller: Any, scenario: Any) -> Callable[[int], None]:
    template = scenario.environ
    unique = scenario.unique_origins
    served = [1]

    def run(loops: int) -> None:
        first = served[0]
        served[0] += loops
        for number in range(first, first + loops):
            environ = template.copy()
            if unique:
                environ["HTTP_ORIGIN"] = f"https://u{number}.example.com"
            caller(environ)

    return run


def answer(app: Any, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]]]:
    """Serve one request; return its status code and headers."""
    seen: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = int(status.split(maxsplit=1)[0]), list(headers)

    body = app(environ, capture)
    for _chunk in body:
        pass
    close = getattr(body, "close", None)
    if close is not None:
        close()
    return seen["status"], seen["headers"]


def check(name: str, scenario: Any, status: int, headers: list[tuple[str, str]]) -> None:
    # Only CORS layers are checked: a bare framework may refuse a preflight (405), and that
    # is its real answer without a CORS layer.
    if name not in CHECKED or scenario.allows is None:
        return
    if scenario.allows and status >= 400:
        raise SystemExit(f"{scenario.name}|{name} answered {status}")
    sent = any(key.lower() == "access-control-allow-origin" for key, _ in headers)
    if sent != scenario.allows:
        raise SystemExit(
            f"{scenario.name}|{name}: Access-Control-Allow-Origin {'sent' if sent else 'missing'}"
            f" (expected {'sent' if scenario.allows else 'none'}): {headers}"
        )


def contenders_for(scenario: Any, build: str, origin: str) -> list[str]:
    names = ["bare", "closure", "class", "minimal", "wsgicors"]
    if scenario.legacy is not None:
        names.append("wsgicors-0.7")
    for framework in FRAMEWORKS:
        names += [framework, f"{framework}+wsgicors"]
    if build == "pure":
        if scenario.peer_origins == [origin]:
            names.append("wsgi-cors-middleware")  # it sends one fixed origin
        for peer, framework in PEERS.items():
            if framework == "falcon" and scenario.peer_regexes:
                continue  # Falcon's CORSMiddleware takes exact origins only
            if scenario.peer_origins is not None:
                names.append(peer)
        names.append("starlette")
        if scenario.peer_origins is not None:
            names.append("starlette+cors")
    if scenario.name == "uncovered":
        names = [name for name in names if name not in NO_PATHS]
    return names


def build_measurements(build: str) -> list[list[Measurement]]:
    """Every (scenario, contender), grouped by scenario, each checked once."""
    from benchmarks import contenders as c

    framework_pairs = {"flask": c.flask_pair, "django": c.django_pair, "falcon": c.falcon_pair}
    groups: list[list[Measurement]] = []
    for scenario in c.SCENARIOS:
        pairs = {name: make(scenario) for name, make in framework_pairs.items()}
        group = []
        for name in contenders_for(scenario, build, c.ORIGIN):
            if name.startswith("starlette"):
                bare, wrapped = c.starlette_pair(scenario)
                caller = c.AsgiCaller(wrapped if name == "starlette+cors" else bare)
                caller(scenario.request_environ(0))
                check(name, scenario, caller.status, caller.headers)
                group.append(Measurement(f"{scenario.name}|{name}", asgi_runner(caller, scenario)))
                continue
            app = make_app(c, pairs, scenario, name)
            check(name, scenario, *answer(app, scenario.request_environ(0)))
            group.append(Measurement(f"{scenario.name}|{name}", wsgi_runner(app, scenario)))
        groups.append(group)
    groups.append(table_measurements(c))
    return groups


def make_app(c: Any, pairs: dict[str, Any], scenario: Any, name: str) -> Any:
    framework, _, layer = name.partition("+")
    if name == "bare":
        return c.hello
    if name == "closure":
        return c.closure_passthrough(c.hello)
    if name == "class":
        return c.ClassPassthrough(c.hello)
    if name == "minimal":
        return c.MinimalRewrite(c.hello)
    if name == "wsgicors":
        return c.build_wsgicors(c.hello, scenario)
    if name == "wsgicors-0.7":
        return c.build_wsgicors_07(c.hello, scenario)
    if name == "wsgi-cors-middleware":
        return c.build_wsgi_cors_middleware(c.hello, scenario)
    bare, wrapped = pairs[framework]
    if layer == "":
        return bare
    if layer == "wsgicors":
        return c.build_wsgicors(bare, scenario)
    return wrapped


def table_measurements(c: Any) -> list[Measurement]:
    """Every case of the behaviour table (tests/cases.py) as one scenario: each case's own
    middleware and request, checked against the table's expected answer first."""
    from tests.cases import CASES
    from wsgicors import CORSMiddleware

    # Cases whose origin function fails log its traceback at ERROR on every request: time the
    # logging call, not the terminal. Levels stay as they are, so the DEBUG check is unchanged.
    logger = logging.getLogger("wsgicors")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False

    bare_apps, middlewares, environs = [], [], []
    for case in CASES:
        environ = c.request(case.method, case.path, HOST="localhost")
        environ.update(SERVER_NAME="localhost", SERVER_PORT="80")
        for header, value in case.headers.items():
            environ["HTTP_" + header.upper().replace("-", "_")] = value
        c.check_environ_size(environ)
        called: list[bool] = []
        app = case_app(case, called)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            middleware = CORSMiddleware(
                app, case.rules, preflight_status=case.preflight_status, **case.options
            )
        status, headers = answer(middleware, environ.copy())
        cors = [
            (name, value)
            for name, value in headers
            if name.lower().startswith("access-control-") or name.lower() == "vary"
        ]
        if (status, cors, bool(called)) != (case.status, case.cors, case.app_called):
            raise SystemExit(
                f"{TABLE}: case {case.id} answered {status} {cors} (app called: {bool(called)})"
            )
        bare_apps.append(case_app(case, None))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            middlewares.append(
                CORSMiddleware(
                    bare_apps[-1],
                    case.rules,
                    preflight_status=case.preflight_status,
                    **case.options,
                )
            )
        environs.append(environ)

    def runner(apps: list[Any]) -> Callable[[int], None]:
        pairs = list(zip(apps, environs, strict=True))

        def run(loops: int) -> None:
            for _ in range(loops):
                for app, template in pairs:
                    body = app(template.copy(), start_response)
                    for _chunk in body:
                        pass
                    close = getattr(body, "close", None)
                    if close is not None:
                        close()

        return run

    return [
        Measurement(f"{TABLE}|bare", runner(bare_apps), len(CASES)),
        Measurement(f"{TABLE}|wsgicors", runner(middlewares), len(CASES)),
    ]


def case_app(case: Any, called: list[bool] | None) -> Any:
    """The case's app: its status and headers; records its calls in *called* if given."""
    status, headers = case.app_status, list(case.app_headers)

    def app(environ: dict[str, Any], start: Any) -> list[bytes]:
        if called is not None:
            called.append(True)
        start(status, list(headers))
        return [b"hello"]

    return app


def calibrate(groups: list[list[Measurement]], batch_ns: float) -> None:
    for group in groups:
        for measurement in group:
            measurement.loops = 1
            measurement.time()  # warm caches, memos and lazy imports
            while True:
                spent = measurement.time() * measurement.requests * measurement.loops
                if spent >= batch_ns or measurement.loops >= 1 << 20:
                    break
                wanted = int(measurement.loops * batch_ns / max(spent, 1.0))
                measurement.loops = max(measurement.loops * 2, wanted)


def run_round(groups: list[list[Measurement]], number: int) -> dict[str, float]:
    """One batch of every contender; the order within a scenario is shuffled each round (a
    fixed cycle would always run a framework right after the same neighbour)."""
    order = random.Random(number)  # noqa: S311 (an order of batches, not a secret)
    results: dict[str, float] = {}
    for group in groups:
        for measurement in order.sample(group, len(group)):
            results[measurement.key] = measurement.time()
    return results


def construction(repeats: int) -> list[float]:
    """Milliseconds to build a middleware with 1000 rules, *repeats* times."""
    from benchmarks import contenders as c

    rules = [*c.MANY_PATHS, c.base_rule()]
    scenario = c.Scenario(CONSTRUCTION, "", {}, rules)
    values = []
    for _ in range(repeats):
        start = time.thread_time_ns()
        c.build_wsgicors(c.hello, scenario)
        values.append((time.thread_time_ns() - start) / 1e6)
    return values


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True, choices=builds.BUILDS)
    parser.add_argument("--quick", action="store_true", help="tiny batches: a smoke run")
    parser.add_argument("--batch-ms", type=float, default=2.0)
    args = parser.parse_args()
    builds.select(args.build)
    groups = build_measurements(args.build)
    if args.quick:
        for group in groups:
            for measurement in group:
                measurement.loops = 2
    else:
        calibrate(groups, args.batch_ms * 1e6)
    gc.collect()
    print(json.dumps({"ready": args.build, "keys": [m.key for g in groups for m in g]}), flush=True)
    for line in sys.stdin:
        command, *rest = line.split()
        if command == "round":
            print(json.dumps(run_round(groups, int(rest[0]))), flush=True)
        elif command == "construction":
            print(json.dumps(construction(int(rest[0]))), flush=True)
        elif command == "quit":
            return
        else:
            raise SystemExit(f"unknown command {line!r}")


if __name__ == "__main__":
    main()
