"""What each feature of docs/features/ costs per request when it is on.

Each row times the real middleware twice on the same realistic request (about 35 environ keys,
as gunicorn builds them, copied per request as a server builds a fresh one): once with a
configuration, once with the same configuration plus the feature. Both are timed in turns, in
one process, and the best of the repeats is kept (timeit: the least disturbed run).

    python benchmarks/features.py                  # the table
    python benchmarks/features.py --number 2000    # a quick look
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import timeit
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import contenders as c
from wsgicors import CORSMiddleware, Rule

ORIGIN = c.ORIGIN
TENANT = "https://shop.example.net"
RULE_OPTIONS: dict[str, Any] = {
    "allow_methods": ["PUT"],
    "allow_headers": ["content-type"],
    "expose_headers": ["x-total"],
    "max_age": 600,
}
CONFIG = """[[rules]]
path = "/api/*"
allow_origins = ["https://app.example.com"]
allow_methods = ["PUT"]
allow_headers = ["content-type"]
expose_headers = ["x-total"]
max_age = 600
"""


def browser_request(origin: str) -> dict[str, Any]:
    """A GET as Chromium sends it, with the keys gunicorn adds: 36 environ keys."""
    environ = c.request(
        ORIGIN=origin,
        USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36",
        ACCEPT="*/*",
        ACCEPT_LANGUAGE="en-GB,en;q=0.9",
        ACCEPT_ENCODING="gzip, deflate, br, zstd",
        REFERER=origin + "/",
        CONNECTION="keep-alive",
        SEC_FETCH_DEST="empty",
        SEC_FETCH_MODE="cors",
        SEC_FETCH_SITE="same-site",
        SEC_CH_UA='"Chromium";v="126", "Not.A/Brand";v="24"',
        SEC_CH_UA_MOBILE="?0",
        SEC_CH_UA_PLATFORM='"Linux"',
        PRIORITY="u=1, i",
    )
    environ.update(
        {
            "RAW_URI": environ["PATH_INFO"],
            "SERVER_SOFTWARE": "gunicorn/23.0.0",
            "REMOTE_ADDR": "10.0.0.7",
            "REMOTE_PORT": "53124",
            "wsgi.file_wrapper": object,
            "wsgi.input_terminated": True,
            "gunicorn.socket": None,
        }
    )
    return environ


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def no_op(*arguments: Any) -> None:
    return None


def is_tenant_origin(origin: str) -> bool:
    return origin == TENANT


@dataclass
class Pair:
    """The same request through a middleware without the feature and one with it."""

    feature: str
    without: Any
    with_feature: Any
    environ: dict[str, Any]


def quiet() -> Any:
    """Build middlewares without printing their ConfigWarnings (debug_header warns)."""
    catcher = warnings.catch_warnings()
    catcher.__enter__()
    warnings.simplefilter("ignore")
    return catcher


def pairs(folder: Path) -> list[Pair]:
    base = [Rule("/api/*", allow_origins=[ORIGIN], **RULE_OPTIONS)]
    both_static = [Rule("/api/*", allow_origins=[ORIGIN, TENANT], **RULE_OPTIONS)]
    asking = [
        Rule("/api/*", allow_origins=[ORIGIN], allow_origin_func=is_tenant_origin, **RULE_OPTIONS)
    ]
    candidate = [Rule("/api/*", allow_origins=[ORIGIN], **RULE_OPTIONS)]
    tightened = [Rule("/api/*", allow_origins=["https://admin.example.com"], **RULE_OPTIONS)]
    config = folder / "cors.toml"
    config.write_text(CONFIG, encoding="utf-8")
    app = c.hello
    catcher = quiet()
    try:
        return [
            # Two identical middlewares: what the table's noise looks like on this machine.
            Pair(
                "control: nothing on either side",
                CORSMiddleware(app, base),
                CORSMiddleware(app, base),
                browser_request(ORIGIN),
            ),
            Pair(
                "allow_origin_func, a cached yes (vs the origin listed)",
                CORSMiddleware(app, both_static),
                CORSMiddleware(app, asking),
                browser_request(TENANT),
            ),
            Pair(
                "allow_origin_func on the rule, a listed origin",
                CORSMiddleware(app, base),
                CORSMiddleware(app, asking),
                browser_request(ORIGIN),
            ),
            Pair(
                "report_only, the candidate agrees",
                CORSMiddleware(app, base),
                CORSMiddleware(app, base, report_only=candidate),
                browser_request(ORIGIN),
            ),
            Pair(
                "report_only + on_report, the candidate differs",
                CORSMiddleware(app, base),
                CORSMiddleware(app, base, report_only=tightened, on_report=no_op),
                browser_request(ORIGIN),
            ),
            Pair(
                "on_decision, a no-op hook",
                CORSMiddleware(app, base),
                CORSMiddleware(app, base, on_decision=no_op),
                browser_request(ORIGIN),
            ),
            Pair(
                "debug_header",
                CORSMiddleware(app, base),
                CORSMiddleware(app, base, debug_header=True),
                browser_request(ORIGIN),
            ),
            Pair(
                "from_config(..., reload=True)",
                CORSMiddleware.from_config(app, config),
                CORSMiddleware.from_config(app, config, reload=True),
                browser_request(ORIGIN),
            ),
        ]
    finally:
        catcher.__exit__(None, None, None)


def timer(middleware: Any, environ: dict[str, Any]) -> Any:
    def once() -> None:
        for _ in middleware(environ.copy(), start_response):
            pass

    return once


def best_ns(once: Any, number: int) -> float:
    return min(timeit.repeat(once, number=number, repeat=1)) / number * 1e9


def measure(pair: Pair, number: int, repeat: int) -> tuple[float, float]:
    """Best time per request without and with the feature, timed in turns."""
    without, with_feature = (
        timer(pair.without, pair.environ),
        timer(pair.with_feature, pair.environ),
    )
    without(), with_feature()  # warm the memos and the function's cached answer
    best_without = best_with = float("inf")
    for _ in range(repeat):
        best_without = min(best_without, best_ns(without, number))
        best_with = min(best_with, best_ns(with_feature, number))
    return best_without, best_with


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000, help="requests per timing")
    parser.add_argument("--repeat", type=int, default=41, help="timings of each, best kept")
    args = parser.parse_args()
    # The report logger warns on each difference (10 a minute): to nowhere, as a quiet log.
    report_log = logging.getLogger("wsgicors.report")
    report_log.addHandler(logging.NullHandler())
    report_log.propagate = False
    with tempfile.TemporaryDirectory() as folder:
        measured = [(pair, measure(pair, args.number, args.repeat)) for pair in pairs(Path(folder))]
    environ_size = len(measured[0][0].environ)
    print(f"per request, best of {args.repeat} x {args.number:,}, {environ_size}-key environ")
    print(f"{'feature':55s} {'without':>9s} {'with':>9s} {'cost':>9s}")
    for pair, (without, with_feature) in measured:
        cost = with_feature - without
        print(f"{pair.feature:55s} {without:7.0f} ns {with_feature:7.0f} ns {cost:+7.0f} ns")


if __name__ == "__main__":
    main()
