"""Turn a run (run.py, extra.py, profile_hot_path.py) into docs/benchmarks.md and its chart,
and print the targets of issue 10 with what was measured.

    python benchmarks/report.py benchmarks/results.json benchmarks/extra.json \\
        --profile benchmarks/profile.json [--out docs]

Every number is derived here from the recorded rounds: a contender's time is the lower
quartile of its per-request times over the rounds (:meth:`Runs.time` says why), and its
overhead is that minus the time of what it wraps, timed in the same process.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
BUILD_LABELS = {"compiled": "compiled (mypyc)", "pure": "pure Python"}
FRAMEWORKS = ("flask", "django", "falcon", "starlette")
#: (label in the chart and tables, build whose worker measured it, contender)
SERIES = [
    ("wsgicors, compiled", "compiled", "wsgicors"),
    ("wsgicors, pure Python", "pure", "wsgicors"),
    ("wsgicors 0.7 (2017)", "pure", "wsgicors-0.7"),
    ("floor: minimal rewrite", "pure", "minimal"),
    ("floor: do-nothing class", "pure", "class"),
    ("wsgi-cors-middleware", "pure", "wsgi-cors-middleware"),
    ("flask-cors", "pure", "flask+flask-cors"),
    ("django-cors-headers", "pure", "django+django-cors-headers"),
    ("Falcon CORSMiddleware", "pure", "falcon+falcon-cors"),
    ("Starlette CORSMiddleware (ASGI)", "pure", "starlette+cors"),
]
TABLE_ONLY = [
    ("closure floor", "pure", "closure"),
    ("flask + wsgicors, compiled", "compiled", "flask+wsgicors"),
    ("flask + wsgicors, pure", "pure", "flask+wsgicors"),
    ("django + wsgicors, compiled", "compiled", "django+wsgicors"),
    ("django + wsgicors, pure", "pure", "django+wsgicors"),
    ("falcon + wsgicors, compiled", "compiled", "falcon+wsgicors"),
    ("falcon + wsgicors, pure", "pure", "falcon+wsgicors"),
]
#: peer -> its contender key
PEERS = {
    "flask-cors": "flask+flask-cors",
    "django-cors-headers": "django+django-cors-headers",
    "Falcon": "falcon+falcon-cors",
    "Starlette (ASGI)": "starlette+cors",
    "wsgi-cors-middleware": "wsgi-cors-middleware",
}


class Runs:
    """The rounds of one build: per-request times by scenario and contender."""

    def __init__(self, rounds: list[dict[str, float]]) -> None:
        self.rounds = rounds

    def has(self, scenario: str, name: str) -> bool:
        return bool(self.rounds) and f"{scenario}|{name}" in self.rounds[0]

    def time(self, scenario: str, name: str) -> float:
        """ns per request: the lower quartile over rounds.

        Other processes on the machine only ever add time to a batch, so the lower quartile
        is the undisturbed cost; on a shared machine it is far steadier than the median (in
        this project's runs, a 95% bootstrap interval of about ±2% instead of ±25% on the
        ratios of the targets), and less at the mercy of one lucky batch than the minimum.
        """
        values = [r[f"{scenario}|{name}"] for r in self.rounds]
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=4, method="inclusive")[0]

    def overhead(self, scenario: str, name: str) -> float:
        """The contender's time minus the time of what it wraps, in ns."""
        return self.time(scenario, name) - self.time(scenario, reference_of(name))


def ratio(value: float, reference: float) -> float | None:
    """*value* / *reference*, or None when the reference is not a positive time (noise)."""
    return value / reference if reference > 0 else None


def reference_of(name: str) -> str:
    """What a contender wraps: the bare hello app, or its framework's bare app."""
    framework, plus, _ = name.partition("+")
    return framework if plus and framework in FRAMEWORKS else "bare"


@dataclass
class Target:
    label: str
    #: build -> (measured value, limit)
    values: dict[str, tuple[float | None, float]]
    #: whether a larger value is better
    at_least: bool
    percent: bool = False

    def cells(self, build: str) -> list[str]:
        value, limit = self.values[build]
        sign = "≥" if self.at_least else "≤"
        shown_limit = f"{sign} {limit:.0%}" if self.percent else f"{sign} {limit:g}"
        if value is None:
            return ["not measured", shown_limit, "-"]
        if math.isnan(value):  # a reference overhead was not positive
            return ["not measurable", shown_limit, "-"]
        met = value >= limit if self.at_least else value <= limit
        shown = f"{value:.1%}" if self.percent else f"{value:.2f}"
        return [shown, shown_limit, "met" if met else "NOT MET"]


def targets(runs: dict[str, Runs], extra: dict[str, Any]) -> list[Target]:
    """The targets of issue 10, for each build."""
    limits = {
        "worst GET": {"compiled": 1.25, "pure": 2.0},
        "legacy": {"compiled": 2.0, "pure": 1.0},
        "uncovered": {"compiled": 2.0, "pure": 3.0},
        "preflight": {"compiled": 2.0, "pure": 2.6},
        "many": {"compiled": 1.1, "pure": 1.1},
        "throughput": {"compiled": 0.97, "pure": 0.97},
    }

    def per_build(name: str, compute: Any) -> dict[str, tuple[float | None, float]]:
        values: dict[str, tuple[float | None, float]] = {}
        for build, limit in limits[name].items():
            value = compute(runs[build]) if build in runs else None
            values[build] = (float("nan") if build in runs and value is None else value, limit)
        return values

    def worst_get(r: Runs) -> float | None:
        found = [
            ratio(r.overhead(scenario, "wsgicors"), r.overhead(scenario, "minimal"))
            for scenario in ("no-origin", "allowed", "disallowed")
        ]
        return None if None in found else max(found)  # type: ignore[type-var]

    def relative(scenario: str) -> Any:
        return lambda r: ratio(r.overhead(scenario, "wsgicors"), r.overhead("allowed", "wsgicors"))

    found = [
        Target(
            "worst of no-Origin / allowed / disallowed GET over the minimal rewrite floor",
            per_build("worst GET", worst_get),
            at_least=False,
        ),
        Target(
            "wsgicors 0.7 overhead / ours, allowed GET",
            per_build(
                "legacy",
                lambda r: ratio(
                    r.overhead("allowed", "wsgicors-0.7"), r.overhead("allowed", "wsgicors")
                ),
            ),
            at_least=True,
        ),
        Target(
            "uncovered path over a do-nothing class middleware",
            per_build(
                "uncovered",
                lambda r: ratio(
                    r.overhead("uncovered", "wsgicors"), r.overhead("uncovered", "class")
                ),
            ),
            at_least=False,
        ),
        Target(
            "repeated preflight, total time over one bare hello call",
            per_build(
                "preflight",
                lambda r: ratio(r.time("preflight", "wsgicors"), r.time("preflight", "bare")),
            ),
            at_least=False,
        ),
        Target(
            "100 regexes vs 1 rule (repeat traffic)",
            per_build("many", relative("100-regexes")),
            at_least=False,
        ),
        Target(
            "1000 path rules vs 1 rule (repeat traffic)",
            per_build("many", relative("1000-paths")),
            at_least=False,
        ),
    ]
    through = extra.get("throughput", {})
    found.append(
        Target(
            "gunicorn + wrk throughput, wrapped vs bare",
            {
                build: (through[build]["ratio"] if build in through else None, limit)
                for build, limit in limits["throughput"].items()
            },
            at_least=True,
            percent=True,
        )
    )
    return found


def targets_table(found: list[Target]) -> list[str]:
    lines = [
        "| target | compiled | limit | | pure Python | limit | |",
        "|---|---|---|---|---|---|---|",
    ]
    for target in found:
        cells = [*target.cells("compiled"), *target.cells("pure")]
        lines.append(f"| {target.label} | " + " | ".join(cells) + " |")
    return lines


def scenarios_of(runs: dict[str, Runs]) -> list[str]:
    some = next(iter(runs.values()))
    seen: dict[str, None] = {}
    for key in some.rounds[0]:
        seen[key.partition("|")[0]] = None
    return list(seen)


def series_value(runs: dict[str, Runs], build: str, scenario: str, name: str) -> float | None:
    if build not in runs or not runs[build].has(scenario, name):
        return None
    return runs[build].overhead(scenario, name)


def chart(runs: dict[str, Runs], scenarios: list[str], out: Path) -> None:
    fig, ax = plt.subplots(figsize=(15, 6.5))
    width = 0.85 / len(SERIES)
    for index, (label, build, name) in enumerate(SERIES):
        bars = []
        for number, scenario in enumerate(scenarios):
            value = series_value(runs, build, scenario, name)
            if value is not None and value > 0:
                bars.append((number + index * width, value))
        ax.bar([p for p, _ in bars], [v for _, v in bars], width, label=label)
    ax.set_yscale("log")
    ax.set_ylabel("overhead per request (ns, log scale)")
    ax.set_xticks([n + 0.425 - width / 2 for n in range(len(scenarios))])
    ax.set_xticklabels(scenarios, rotation=30, ha="right")
    ax.set_title(
        "CORS layer overhead over the app it wraps (lower is better; no bar: not applicable, "
        "or the layer made the request cheaper)"
    )
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def overhead_table(runs: dict[str, Runs], scenarios: list[str]) -> list[str]:
    columns = [*SERIES, *TABLE_ONLY]
    lines = [
        "| scenario | " + " | ".join(label for label, _, _ in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for scenario in scenarios:
        cells = [number(series_value(runs, b, scenario, n)) for _, b, n in columns]
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    return lines


def peers_table(runs: dict[str, Runs], scenarios: list[str]) -> list[str]:
    builds = [build for build in BUILD_LABELS if build in runs]
    lines = [
        "| scenario | " + " | ".join(f"{peer} / wsgicors {b}" for peer in PEERS for b in builds),
        "|---" * (len(PEERS) * len(builds) + 1) + "|",
    ]
    lines[0] += " |"
    for scenario in scenarios:
        cells = []
        for key in PEERS.values():
            theirs = series_value(runs, "pure", scenario, key)
            for build in builds:
                ours = series_value(runs, build, scenario, "wsgicors")
                ok = theirs is not None and ours is not None and theirs > 0 and ours > 0
                cells.append(f"{theirs / ours:.1f}x" if ok else "-")  # type: ignore[operator]
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    return lines


def profile_section(profile: dict[str, list[dict[str, Any]]]) -> list[str]:
    builds = [build for build in BUILD_LABELS if build in profile]
    steps = [step["step"] for step in profile[builds[0]]]
    lines = [
        "",
        "## Where the time goes",
        "",
        "`benchmarks/profile_hot_path.py` times the real pieces of the allowed-GET path on each",
        "build (best of 7 timeit repeats, wall time, one process per build): the whole",
        "middleware, and each call it makes on a memo hit.",
        "",
        "| piece | " + " | ".join(f"{BUILD_LABELS[b]}, ns" for b in builds) + " |",
        "|---" * (len(builds) + 1) + "|",
    ]
    by_build = {b: {step["step"]: step["ns"] for step in profile[b]} for b in builds}
    for step in steps:
        cells = [number(by_build[b].get(step)) for b in builds]
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    return lines


def unmet_section(found: list[Target]) -> list[str]:
    """Name the targets this run missed, and where their cost is broken down."""
    missed = [
        f"{target.label} ({BUILD_LABELS[build]})"
        for target in found
        for build in ("compiled", "pure")
        if target.cells(build)[2] == "NOT MET"
    ]
    if not missed:
        return []
    return [
        "",
        "Not met in this run: " + "; ".join(missed) + ". Every step the request path takes",
        "is priced under *Where the time goes*: each is work the contract requires (find the",
        "route and the answer, read the CORS request headers, record the decision, check the",
        "DEBUG logger, scan the app's headers), so what is left is the interpreter's cost of",
        "doing it.",
    ]


def report(
    results: dict[str, Any], extra: dict[str, Any], profile: dict[str, Any] | None, out: Path
) -> tuple[str, list[Target]]:
    meta = results["meta"]
    runs = {build: Runs(data["rounds"]) for build, data in results["builds"].items()}
    scenarios = scenarios_of(runs)
    found = targets(runs, extra)
    versions = ", ".join(f"{name} {version}" for name, version in meta["versions"].items())
    lines = [
        "# Benchmarks",
        "",
        "Generated by `benchmarks/report.py` from the last full run; do not edit. Reproduce with",
        "(about eight minutes on two cores; needs a C compiler and `wrk`):",
        "",
        "```bash",
        "python -m pip install -e '.[dev]' && apt-get install -y wrk",
        "bash benchmarks/run_all.sh",
        "```",
        "",
        f"Run of {meta['date']} on {meta['cpu']}, {meta['system']}, Python {meta['python']}"
        f"{' (quick smoke run: the numbers mean nothing)' if meta['quick'] else ''}. "
        f"Versions: {versions}.",
        "",
        "## How it is measured",
        "",
        "- Both builds of the same source in one run: the pure Python package, and the wheel",
        "  compiled with mypyc (`WSGICORS_COMPILE=1`), each in its own worker process. The",
        f"  workers take turns, {meta['rounds']} rounds each; a round times one batch (about",
        f"  {meta['batch_ms']} ms) of every contender of every scenario, in an order shuffled anew",
        "  every round.",
        "- Time is the thread's CPU time per request, and a contender's time is the lower",
        "  quartile of its values over the rounds: other processes on a shared machine only ever",
        "  add time, so it is the undisturbed cost, and far steadier than the median. An overhead",
        "  is a contender's time minus the time of what it wraps, timed in the same process: the",
        "  bare hello app for WSGI middlewares, the same framework app without a CORS layer for",
        "  framework peers and for wsgicors around a framework app, the bare Starlette app for",
        "  Starlette's middleware (ASGI). Each build's ratios use the floors timed in its own",
        "  worker; the floors, wsgicors 0.7 and the peers shown below are the pure worker's.",
        "- Each request gets a fresh copy of a ~35-key environ, as gunicorn builds it for a",
        "  browser (the harness refuses an environ whose copy would resize when the middleware",
        "  adds its key, a trap that charges ~100 ns no real server pays).",
        "- Before timing, every CORS layer answers its scenario once and is checked to allow or",
        "  refuse it as it should; `behaviour-table` first checks every case of",
        "  `tests/cases.py` against its expected status, headers and app call.",
        "",
        "## Targets",
        "",
        *targets_table(found),
        *unmet_section(found),
    ]
    memory = extra.get("memory", {})
    if memory:
        lines += [
            "",
            "Memory after the memos fill, with a new origin and path on every request:",
            "",
        ]
        lines += [
            f"- {BUILD_LABELS[b]}: {m['growth_kib']:+,} KiB RSS from request "
            f"{m['warmup_requests']:,} to {m['requests']:,} (flat: "
            f"{'yes' if m['growth_kib'] < 1024 else 'NO'})."
            for b, m in memory.items()
        ]
    through = extra.get("throughput", {})
    if "skipped" in through:
        lines += ["", f"gunicorn throughput: not measured ({through['skipped']})."]
    elif through:
        rounds = len(through.get("bare", {}).get("runs", []))
        lines += [
            "",
            f"gunicorn (2 sync workers) under wrk, allowed GET, {rounds} rounds of one short run",
            "per server (all three up at once, in a shuffled order): medians of the requests per",
            "second, and of each round's ratio to the bare app in that round:",
            "",
        ]
        bare = through.get("bare")
        if bare:
            lines.append(f"- bare hello app: {bare['requests_per_second']:,.0f} requests/s")
        lines += [
            f"- wrapped, {BUILD_LABELS[b]}: {t['requests_per_second']:,.0f} requests/s "
            f"(ratio {t['ratio']:.1%})"
            for b, t in through.items()
            if b in BUILD_LABELS
        ]
    construction = {b: d.get("construction_ms") for b, d in results["builds"].items()}
    lines += ["", "Construction of a middleware with 1000 rules (median):", ""]
    lines += [
        f"- {BUILD_LABELS[b]}: {statistics.median(values):,.1f} ms"
        for b, values in construction.items()
        if values
    ]
    lines += [
        "",
        "## Overhead per request (ns)",
        "",
        "![overhead per scenario](benchmarks.png)",
        "",
        "`behaviour-table` is every case of the behaviour table (`tests/cases.py`), each with its",
        "own configuration and request, one after the other: the mean overhead per request.",
        "",
        *overhead_table(runs, scenarios),
        "",
        "## Peers relative to wsgicors",
        "",
        "A peer's overhead (on its framework, if any) divided by wsgicors' (above 1: the peer",
        "costs more; `-`: the peer cannot express the scenario, or an overhead was not",
        "positive). wsgicors does the same work whatever it wraps, so its overhead is the one",
        "timed around the bare hello app: around a framework it is lost in the framework's own",
        "variation (the `+ wsgicors` columns above).",
        "",
        *peers_table(runs, scenarios),
    ]
    if profile:
        lines += profile_section(profile)
    lines += [
        "",
        "## Reading the numbers",
        "",
        "- wsgicors answers preflights itself, so around a framework the framework (routing,",
        "  request objects, views) never runs: negative overheads, shown as `-` in the chart.",
        "- A framework request costs 20 to 60 µs here, and varies by more than wsgicors' whole",
        "  overhead from batch to batch: the `+ wsgicors` columns of actual requests are that",
        "  variation (a few µs, of either sign), not a cost.",
        "- wsgi-cors-middleware sends one fixed Access-Control-Allow-Origin to every request and",
        "  checks nothing, which is why it is cheap; it is the floor of a header-adding layer, not",
        "  a like-for-like policy. It is not checked, and it is left out where it cannot follow.",
        "- Falcon's and Starlette's CORS middlewares have no path scoping: they are left out of",
        "  `uncovered`. wsgicors 0.7 has no paths nor regexes: it is left out of `uncovered`,",
        "  `100-regexes` and `1000-paths`.",
        "- The per-request work wsgicors cannot skip under its contract: look up the path's",
        "  memoised route (a path no rule covers stops there), read Origin (and a preflight's",
        "  request headers), look up the memoised answer, record the decision in the environ,",
        "  check the DEBUG logger, and scan the app's headers for Access-Control-* and Vary",
        "  before appending its own. The profile prices each.",
    ]
    chart(runs, scenarios, out / "benchmarks.png")
    return "\n".join(lines) + "\n", found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("extra", nargs="?")
    parser.add_argument("--profile", help="the JSON written by profile_hot_path.py")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    extra = json.loads(Path(args.extra).read_text()) if args.extra else {}
    profile = json.loads(Path(args.profile).read_text()) if args.profile else None
    text, found = report(json.loads(Path(args.results).read_text()), extra, profile, out)
    (out / "benchmarks.md").write_text(text)
    print("\n".join(["Targets of issue 10 (measured in this run):", "", *targets_table(found)]))
    print(f"\nwrote {out / 'benchmarks.md'} and {out / 'benchmarks.png'}")


if __name__ == "__main__":
    main()
