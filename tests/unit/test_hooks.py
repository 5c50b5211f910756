"""Decision hooks, report-only rules, the debug header, and live reconfiguration from a file."""

from __future__ import annotations

import logging
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any

import pytest

from tests.cases import preflight
from tests.support import SpyApp, make_environ, request
from wsgicors import ConfigError, ConfigWarning, CORSMiddleware, Decision, Rule
from wsgicors.cli import main
from wsgicors.watch import watch

if TYPE_CHECKING:
    from pathlib import Path

APP = "https://app.example.com"
OTHER = "https://other.example.org"


def test_no_hook_and_no_report_only_means_no_observer() -> None:
    assert CORSMiddleware(SpyApp(), allow_origins=[APP])._observe is None


# --- on_decision -------------------------------------------------------------------------


def test_on_decision_is_called_once_per_request_with_the_recorded_decision() -> None:
    seen: list[tuple[str, Decision]] = []
    middleware = CORSMiddleware(
        SpyApp(),
        [Rule("/api/*", allow_origins=[APP], allow_methods=["PUT"])],
        on_decision=lambda environ, decision: seen.append((environ["PATH_INFO"], decision)),
    )
    results = [
        request(middleware, "GET", "/api/x", {"Origin": APP}),
        request(middleware, "OPTIONS", "/api/x", preflight(APP, "PUT")),
        request(middleware, "GET", "/other"),
    ]
    assert [(path, decision.code) for path, decision in seen] == [
        ("/api/x", "origin-allowed"),
        ("/api/x", "preflight-allowed"),
        ("/other", "no-rule"),
    ]
    assert [decision for _, decision in seen] == [result.decision for result in results]


def test_a_failing_hook_is_logged_and_never_reaches_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def hook(environ: Any, decision: Decision) -> None:
        raise RuntimeError("metrics backend down")

    app = SpyApp()
    middleware = CORSMiddleware(app, allow_origins=[APP], on_decision=hook)
    result = request(middleware, headers={"Origin": APP})
    assert (result.status, app.called, result.body) == ("200 OK", True, b"hello")
    (record,) = caplog.records
    assert (record.levelno, record.getMessage()) == (
        logging.ERROR,
        "on_decision raised; the request goes on",
    )


def test_hooks_must_be_callable() -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), allow_origins=[APP], on_decision="metrics", on_report=5)  # type: ignore[arg-type]
    assert [(p.location, p.code) for p in caught.value.problems] == [
        ("on_report", "hook-type"),
        ("on_decision", "hook-type"),
    ]


# --- report-only -------------------------------------------------------------------------

ENFORCED = [Rule("/api/*", allow_origins=[APP, OTHER])]
CANDIDATE = [Rule("/api/*", allow_origins=[APP])]


def test_report_only_reports_only_differences(caplog: pytest.LogCaptureFixture) -> None:
    reports: list[tuple[str, str, str]] = []
    middleware = CORSMiddleware(
        SpyApp(),
        ENFORCED,
        report_only=CANDIDATE,
        on_report=lambda environ, enforced, candidate: reports.append(
            (environ["HTTP_ORIGIN"], enforced.code, candidate.code)
        ),
    )
    same = request(middleware, "GET", "/api/x", {"Origin": APP})
    differs = request(middleware, "GET", "/api/x", {"Origin": OTHER})
    # The enforced rules decide the response.
    assert differs.cors_headers() == [("Vary", "Origin"), ("Access-Control-Allow-Origin", OTHER)]
    assert same.decision.allowed is differs.decision.allowed is True
    assert reports == [(OTHER, "origin-allowed", "origin-not-allowed")]
    (record,) = [r for r in caplog.records if r.name == "wsgicors.report"]
    assert (record.levelno, record.getMessage()) == (
        logging.WARNING,
        "report-only rules decide differently: 'GET' '/api/x' origin='https://other.example.org' "
        "enforced=rules[0]/True/origin-allowed candidate=rules[0]/False/origin-not-allowed",
    )


def test_report_only_compares_preflights_too() -> None:
    reports: list[str] = []
    middleware = CORSMiddleware(
        SpyApp(),
        [Rule("/api/*", allow_origins=[APP], allow_methods=["PUT"])],
        report_only=[Rule("/api/*", allow_origins=[APP])],
        on_report=lambda environ, enforced, candidate: reports.append(candidate.code),
    )
    assert request(middleware, "OPTIONS", "/api/x", preflight(APP, "PUT")).status == (
        "204 No Content"
    )
    assert reports == ["method-not-allowed"]


def test_report_warnings_are_rate_limited_and_escaped(caplog: pytest.LogCaptureFixture) -> None:
    middleware = CORSMiddleware(SpyApp(), ENFORCED, report_only=CANDIDATE)
    for number in range(25):
        environ = make_environ("GET", f"/api/{number}\x85")
        environ["HTTP_ORIGIN"] = OTHER
        middleware(environ, lambda status, headers, exc_info=None: lambda data: None)
    lines = [r.getMessage() for r in caplog.records if r.name == "wsgicors.report"]
    assert len(lines) == 10
    assert "'/api/0\\x85'" in lines[0]


def test_a_failing_report_hook_never_reaches_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def hook(environ: Any, enforced: Decision, candidate: Decision) -> None:
        raise RuntimeError("boom")

    middleware = CORSMiddleware(SpyApp(), ENFORCED, report_only=CANDIDATE, on_report=hook)
    assert request(middleware, "GET", "/api/x", {"Origin": OTHER}).status == "200 OK"
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "on_report raised; the request goes on"
    ]


def test_report_only_problems_are_located_under_report_only() -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), ENFORCED, report_only=[Rule("api", allow_origins=[APP])])
    assert [(p.location, p.code) for p in caught.value.problems] == [
        ("report_only[0].path", "path-relative")
    ]


def test_report_only_share_of_the_memo_budget() -> None:
    middleware = CORSMiddleware(SpyApp(), ENFORCED, report_only=CANDIDATE, memo_size=400)
    assert middleware.policy.memo_size == 300
    assert middleware.policy.candidate is not None
    assert middleware.policy.candidate.memo_size == 100


def test_report_only_from_files_and_explain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = tmp_path / "cors.toml"
    toml.write_text(
        f'[[rules]]\npath = "/api/*"\nallow_origins = ["{APP}", "{OTHER}"]\n\n'
        f'[[report_only]]\npath = "/api/*"\nallow_origins = ["{APP}"]\n',
        encoding="utf-8",
    )
    ini = tmp_path / "cors.ini"
    ini.write_text(
        f"[rule:api]\npath = /api/*\nallow_origins = {APP} {OTHER}\n\n"
        f"[report:api]\npath = /api/*\nallow_origins = {APP}\n",
        encoding="utf-8",
    )
    for path in (toml, ini):
        policy = CORSMiddleware.from_config(SpyApp(), path).policy
        assert policy.candidate is not None
        assert [rule.label for rule in policy.candidate.rules] == [
            "rules[0]" if path is toml else "api"
        ]
    assert main(["explain", str(toml), "--path", "/api/x", "--origin", OTHER]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index("the actual request: GET") + 1
    assert out[start : start + 2] == [
        "  decision: allowed (actual, origin-allowed): origin allowed",
        "  report-only rules would decide: refused (actual, origin-not-allowed): origin not "
        "allowed by this rule",
    ]


# --- debug header -------------------------------------------------------------------------


def test_debug_header_carries_the_code_on_covered_responses_only() -> None:
    with pytest.warns(ConfigWarning, match=r"\[debug-header\]"):
        middleware = CORSMiddleware(
            SpyApp(), [Rule("/api/*", allow_origins=[APP])], debug_header=True
        )
    allowed = request(middleware, "GET", "/api/x", {"Origin": APP})
    assert allowed.cors_headers() == [
        ("Vary", "Origin"),
        ("Access-Control-Allow-Origin", APP),
    ]
    assert allowed.get_all("X-CORS-Decision") == ["origin-allowed"]
    refused = request(middleware, "OPTIONS", "/api/x", preflight(OTHER, "GET"))
    assert refused.get_all("X-CORS-Decision") == ["origin-not-allowed"]
    ok = request(middleware, "OPTIONS", "/api/x", preflight(APP, "GET"))
    assert ok.get_all("X-CORS-Decision") == ["preflight-allowed"]
    assert request(middleware, "GET", "/api/x").get_all("X-CORS-Decision") == ["no-origin"]
    assert request(middleware, "GET", "/x", {"Origin": APP}).get_all("X-CORS-Decision") == []


def test_debug_header_must_be_a_bool() -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), allow_origins=[APP], debug_header="yes")
    assert [(p.location, p.code) for p in caught.value.problems] == [("debug_header", "type-bool")]


# --- live reconfiguration from a file -----------------------------------------------------


def wait_for(predicate: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_from_config_reload_swaps_in_a_changed_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(f'allow_origins = ["{APP}"]\n', encoding="utf-8")
    middleware = CORSMiddleware.from_config(SpyApp(), config, reload=True)
    first = middleware.policy
    # A broken edit is logged at ERROR and the old policy keeps serving.
    config.write_text('allow_origins = ["https://bad.example/"]\n', encoding="utf-8")
    wait_for(lambda: any(r.levelno == logging.ERROR for r in caplog.records))
    assert middleware.policy is first
    assert "origin-trailing-slash" in caplog.records[-1].getMessage()
    config.write_text(f'allow_origins = ["{OTHER}"]\nallow_origins_x = 1\n', encoding="utf-8")
    config.write_text(f'allow_origins = ["{OTHER}"]\n', encoding="utf-8")
    wait_for(lambda: middleware.policy is not first)
    assert request(middleware, headers={"Origin": OTHER}).decision.allowed is True
    assert request(middleware, headers={"Origin": APP}).decision.allowed is False


def test_watch_stops_with_its_event_and_skips_mappings(tmp_path: Path) -> None:
    assert watch({"allow_origins": [APP]}, lambda policy: None) is None
    config = tmp_path / "cors.toml"
    config.write_text(f'allow_origins = ["{APP}"]\n', encoding="utf-8")
    installed: list[object] = []
    stop = watch(config, installed.append, interval=0.05)
    assert stop is not None
    stop.set()
    time.sleep(0.2)
    config.write_text(f'allow_origins = ["{OTHER}"]\n', encoding="utf-8")
    time.sleep(0.2)
    assert installed == []


def test_reconfigure_under_load_never_mixes_two_policies() -> None:
    """Threads hammer the middleware while its policy flips 100 times: every response is
    entirely the old policy's answer or entirely the new one's."""
    first = {"allow_origins": [APP], "expose_headers": ["x-one"]}
    second = {"allow_origins": [APP], "expose_headers": ["x-two"], "allow_credentials": True}
    expected = {
        (("Access-Control-Expose-Headers", "x-one"),),
        (
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Expose-Headers", "x-two"),
        ),
    }
    middleware = CORSMiddleware(SpyApp(), **first)  # type: ignore[arg-type]
    stop = threading.Event()
    seen: list[tuple[tuple[str, str], ...]] = []
    errors: list[BaseException] = []

    def hammer() -> None:
        while not stop.is_set():
            try:
                headers = request(middleware, headers={"Origin": APP}).cors_headers()
                seen.append(tuple(h for h in headers[2:]))
            except BaseException as error:  # noqa: BLE001 (reported below)
                errors.append(error)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)
        for flip in range(100):
            middleware.reconfigure(**(second if flip % 2 == 0 else first))  # type: ignore[arg-type]
            time.sleep(0.001)
    stop.set()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(seen) > 100
    assert set(seen) <= expected


class Owner:
    """Something a watcher installs into, that can be dropped."""

    def __init__(self) -> None:
        self.installed: list[object] = []

    def install(self, policy: object) -> None:
        self.installed.append(policy)


def replace_text(path: Path, text: str) -> None:
    """Write *text* beside *path*, then move it over *path* in one step."""
    staged = path.with_name(path.name + ".new")
    staged.write_text(text, encoding="utf-8")
    staged.replace(path)


def test_watch_survives_a_missing_file_and_logs_what_it_cannot_use(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(f'allow_origins = ["{APP}"]\n', encoding="utf-8")
    owner = Owner()
    stop = watch(config, owner.install, interval=0.02)
    assert stop is not None
    try:
        config.unlink()  # mid-deploy: the file is briefly gone
        time.sleep(0.1)
        # Each new version is moved into place whole, as a deploy does: a watcher that looks
        # while a file is half written could log a problem of the half.
        replace_text(config, "allow_origins = [\n")
        wait_for(lambda: any("cannot be read" in r.getMessage() for r in caplog.records))
        replace_text(config, 'allow_origins = ["null"]\n')
        wait_for(lambda: owner.installed != [])
    finally:
        stop.set()
    assert [r.getMessage().split("\n")[0] for r in caplog.records if r.levelno >= 30] == [
        f"{config} changed but cannot be read; keeping the old policy",
        f"{config}:1: allow_origins[0]: 'null' is sent by sandboxed iframes, file: pages and "
        "redirects from anywhere [origin-null]",
    ]


def test_watch_ends_when_its_middleware_is_gone(tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(f'allow_origins = ["{APP}"]\n', encoding="utf-8")

    def watchers() -> int:
        return sum(thread.name == f"wsgicors-watch {config}" for thread in threading.enumerate())

    owner = Owner()
    watch(config, owner.install, interval=0.02)
    assert watchers() == 1
    del owner
    wait_for(lambda: watchers() == 0)


def test_dynamic_policy_answers_other_rules_from_its_memos() -> None:
    rules = [
        Rule("/tenants/*", allow_origin_func=lambda origin: False),
        Rule("/api/*", allow_origins=[APP], allow_methods=["PUT"]),
    ]
    middleware = CORSMiddleware(SpyApp(), rules)
    for _ in range(2):
        result = request(middleware, "OPTIONS", "/api/x", preflight(APP, "PUT"))
        assert (result.status, result.decision.code) == ("204 No Content", "preflight-allowed")
        assert request(middleware, "GET", "/api/x", {"Origin": APP}).decision.allowed is True
    # The route memo, one actual answer and one preflight answer.
    assert middleware.policy.memo_entries() == 3


def test_explain_leaves_the_report_logger_as_it_found_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(
        f'[[rules]]\npath = "*"\nallow_origins = ["{OTHER}"]\n\n'
        f'[[report_only]]\npath = "*"\nallow_origins = ["{APP}"]\n',
        encoding="utf-8",
    )
    assert main(["explain", str(config), "--path", "/", "--origin", OTHER]) == 0
    assert [r for r in caplog.records if r.name == "wsgicors.report"] == []
    middleware = CORSMiddleware(SpyApp(), ENFORCED, report_only=CANDIDATE)
    request(middleware, "GET", "/api/x", {"Origin": OTHER})
    assert [r.name for r in caplog.records] == ["wsgicors.report"]


def test_a_hook_mistake_is_reported_with_every_other_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(SpyApp(), allow_origins=["https://a.example/"], on_decision=5)  # type: ignore[arg-type]
    assert [(p.location, p.code) for p in caught.value.problems] == [
        ("on_decision", "hook-type"),
        ("allow_origins[0]", "origin-trailing-slash"),
    ]
