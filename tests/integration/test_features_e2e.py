"""The recipes of docs/features/ served by the real components: SQLite, the Django ORM,
prometheus_client, gunicorn with several workers, and Chromium.

Each test copies its recipe folder from examples/recipes/ to a temporary folder (the recipes
keep their databases and files beside their code) and serves it as its docs page says. Where
the TTL of ``allow_origin_func`` matters, the copy's TTL is one second instead of 60. Which
gunicorn worker answered each request is read from gunicorn's access log, so that "every
worker" is a fact, not a hope.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from wsgiref.simple_server import make_server

import pytest
from playwright.sync_api import sync_playwright
from prometheus_client.parser import text_string_to_metric_families

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, FETCH_JS, page_app
from tests.integration.test_recipes import OutputReader, gunicorn
from tests.servers import free_port, http, running
from tests.support import SpyApp, request
from wsgicors import CORSMiddleware, Rule

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

pytestmark = [pytest.mark.servers]

RECIPES = Path(__file__).resolve().parents[2] / "examples" / "recipes"
TTL = 1  # seconds: the TTL of allow_origin_func in the copies under test
TENANT = "https://shop.example.net"
FRONT_END = "https://app.example.com"
# One access-log line per request: the probe number the test sent, and the worker's pid.
ACCESS_LOG = ["--access-logfile", "-", "--access-logformat", "probe %({x-probe}i)s by %(p)s"]
PROBES = itertools.count(1)


class Answer(NamedTuple):
    status: int
    allow_origin: str | None
    vary: str | None
    body: bytes
    worker: str


class Server:
    """A gunicorn started with ACCESS_LOG: requests, and which worker answered each."""

    def __init__(self, process: subprocess.Popen[str], base: str) -> None:
        self.process = process
        self.base = base
        self.log = OutputReader(process)

    def ask(self, path: str, origin: str | None) -> Answer:
        probe = next(PROBES)
        headers = {"X-Probe": str(probe)}
        if origin is not None:
            headers["Origin"] = origin
        status, response_headers, body = http(self.base + path, "GET", headers)
        line = self.log.wait_for_text(f"probe {probe} by ")
        worker = line.rsplit(" by ", 1)[1]
        return Answer(
            status,
            response_headers.get("Access-Control-Allow-Origin"),
            response_headers.get("Vary"),
            body,
            worker,
        )

    def ask_every_worker(
        self, path: str, origin: str | None, workers: int = 2, seconds: float = 20
    ) -> list[Answer]:
        """Send concurrent batches until *workers* distinct workers have answered."""
        answers: list[Answer] = []
        deadline = time.monotonic() + seconds
        with ThreadPoolExecutor(8) as pool:
            while len({answer.worker for answer in answers}) < workers:
                assert time.monotonic() < deadline, f"only these workers answered: {answers}"
                answers += pool.map(lambda _: self.ask(path, origin), range(8))
        return answers

    def booted_workers(self) -> list[str]:
        return [line for line in self.log.lines if "Booting worker with pid" in line]


@contextlib.contextmanager
def serve(
    folder: Path, target: str, *options: str, workers: int = 2, ready: str = "/", **env: str
) -> Iterator[Server]:
    """gunicorn serving *target* from *folder* with *workers* workers and ACCESS_LOG."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = gunicorn(
        folder, target, port, "--workers", str(workers), *ACCESS_LOG, *options, **env
    )
    with running(command, base + ready) as process:
        yield Server(process, base)


def copy_recipe(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    ignore = shutil.ignore_patterns("__pycache__", "*.sqlite3")
    shutil.copytree(RECIPES / name, folder, ignore=ignore)
    return folder


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def run_in(folder: Path, *arguments: str, **env: str) -> str:
    """Run ``python ARGUMENTS`` in *folder*, as the docs show it; return what it printed."""
    done = subprocess.run(  # noqa: S603 (the recipe's own commands)
        [sys.executable, *arguments],
        cwd=folder,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def wait_for_lines(server: Server, text: str, count: int, seconds: float = 20) -> list[str]:
    """Wait until *count* lines of the server's output contain *text*; return them."""
    deadline = time.monotonic() + seconds
    while True:
        lines = [line for line in list(server.log.lines) if text in line]
        if len(lines) >= count:
            return lines
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{len(lines)} of {count} lines with {text!r} in:\n" + "\n".join(server.log.lines)
            )
        time.sleep(0.05)


def pid_of(line: str) -> str:
    """The process id in a gunicorn error-log line: ``[time] [pid] [LEVEL] message``."""
    match = re.match(r"\[[^]]+\] \[(\d+)\] ", line)
    assert match is not None, line
    return match[1]


def assert_refused(answers: list[Answer], body: object) -> None:
    """Every answer is the app's, without CORS headers but varying on Origin."""
    for answer in answers:
        assert (answer.status, answer.allow_origin, answer.vary) == (200, None, "Origin"), answer
        assert json.loads(answer.body) == body


def assert_allowed(answers: list[Answer], origin: str, body: object) -> None:
    for answer in answers:
        assert (answer.status, answer.allow_origin, answer.vary) == (200, origin, "Origin"), answer
        assert json.loads(answer.body) == body


# --- allow_origin_func: SQLite --------------------------------------------------------------

SHOP_BODY = {"path": "/api/products", "products": ["tea", "cups"]}


def sqlite_recipe(tmp_path: Path) -> Path:
    """The SQLite recipe with a one-second TTL, and its (empty) table created."""
    folder = copy_recipe("tenants_sqlite", tmp_path)
    replace_once(folder / "app.py", "allow_origin_func_ttl=60", f"allow_origin_func_ttl={TTL}")
    assert run_in(folder, "tenants.py", "list") == "\n"
    return folder


def test_sqlite_tenants_follow_the_table_in_every_worker_without_a_restart(
    tmp_path: Path,
) -> None:
    folder = sqlite_recipe(tmp_path)
    with serve(folder, "app:application") as server:
        assert_refused(server.ask_every_worker("/api/products", TENANT), SHOP_BODY)

        assert run_in(folder, "tenants.py", "add", TENANT) == f"{TENANT}\n"
        # Every worker cached its "no" before the row existed: after the TTL, all ask again.
        time.sleep(TTL + 0.5)
        assert_allowed(server.ask_every_worker("/api/products", TENANT), TENANT, SHOP_BODY)
        # A preflight asks the same question (answered from the cache now).
        preflight = {
            "Origin": TENANT,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
        status, headers, body = http(server.base + "/api/products", "OPTIONS", preflight)
        assert (status, body) == (204, b"")
        assert {
            name: value for name, value in headers.items() if name.startswith(("Access", "Vary"))
        } == {
            "Access-Control-Allow-Origin": TENANT,
            "Access-Control-Allow-Headers": "content-type",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        }

        assert run_in(folder, "tenants.py", "remove", TENANT) == "\n"
        time.sleep(TTL + 0.5)
        assert_refused(server.ask_every_worker("/api/products", TENANT), SHOP_BODY)

        # The fixed entry never depended on the table.
        assert_allowed(server.ask_every_worker("/api/products", FRONT_END), FRONT_END, SHOP_BODY)
        assert server.process.poll() is None
        assert len(server.booted_workers()) == 2  # no worker was restarted


def test_touching_a_watched_config_empties_every_workers_answers(tmp_path: Path) -> None:
    """What docs/features/dynamic-origins.md promises: with reload=True, ``touch cors.toml``
    makes every worker ask the function again, long before the TTL."""
    folder = sqlite_recipe(tmp_path)
    (folder / "cors.toml").write_text(
        '[[rules]]\npath = "/api/*"\nallow_origin_func = "tenants:is_tenant_origin"\n'
        "allow_origin_func_ttl = 3600\n",
        encoding="utf-8",
    )
    target = 'wsgicors.serve:wrap("app:api", "cors.toml", reload=True)'
    with serve(folder, target, "--threads", "2") as server:
        assert_refused(server.ask_every_worker("/api/products", TENANT), SHOP_BODY)
        run_in(folder, "tenants.py", "add", TENANT)
        # Each worker holds its "no" for an hour...
        assert_refused(server.ask_every_worker("/api/products", TENANT), SHOP_BODY)
        os.utime(folder / "cors.toml")
        # ...until the file's modification time changes and every worker reloads it.
        deadline = time.monotonic() + 15
        while True:
            answers = server.ask_every_worker("/api/products", TENANT)
            if all(answer.allow_origin == TENANT for answer in answers):
                break
            assert time.monotonic() < deadline, answers
            time.sleep(0.2)
        assert_allowed(answers, TENANT, SHOP_BODY)
        assert len(server.booted_workers()) == 2


@pytest.mark.browser
def test_chromium_allows_a_tenant_page_once_its_row_exists_without_a_restart(
    tmp_path: Path,
) -> None:
    folder = sqlite_recipe(tmp_path)
    with serve(folder, "app:application") as server:
        api = server.base.replace("127.0.0.1", "api.example.test")
        pages = make_server("127.0.0.1", 0, page_app(api))
        threading.Thread(target=pages.serve_forever, daemon=True).start()
        tenant_page = f"http://shop.example.test:{pages.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page()
                page.goto(tenant_page + "/")

                def fetch() -> dict[str, Any]:
                    init = {"cache": "no-store"}
                    result: dict[str, Any] = page.evaluate(
                        FETCH_JS, {"url": api + "/api/products", "init": init}
                    )
                    return result

                refused = fetch()
                assert refused["ok"] is False
                assert "Failed to fetch" in refused["error"]

                run_in(folder, "tenants.py", "add", tenant_page)
                time.sleep(TTL + 0.5)
                for _ in range(4):  # whichever worker answers
                    allowed = fetch()
                    assert allowed["ok"] is True, allowed
                    assert allowed["status"] == 200
                    assert json.loads(allowed["body"]) == SHOP_BODY

                run_in(folder, "tenants.py", "remove", tenant_page)
                time.sleep(TTL + 0.5)
                assert fetch()["ok"] is False
                browser.close()
        finally:
            pages.shutdown()
            pages.server_close()
        assert len(server.booted_workers()) == 2


# --- allow_origin_func: Django ORM ----------------------------------------------------------


@pytest.mark.frameworks
def test_django_tenants_follow_the_model_in_every_worker_without_a_restart(
    tmp_path: Path,
) -> None:
    folder = copy_recipe("tenants_django", tmp_path)
    # The docs' way to change a setting for one deployment: a settings module of its own.
    (folder / "fast_settings.py").write_text(
        f"from storefront.settings import *  # noqa: F403\n\nCORS_TENANT_TTL = {TTL}\n",
        encoding="utf-8",
    )
    env = {"DJANGO_SETTINGS_MODULE": "fast_settings"}
    # The shipped migration is the one the model needs.
    run_in(folder, "manage.py", "makemigrations", "--check", "--dry-run", **env)
    run_in(folder, "manage.py", "migrate", "-v", "0", **env)
    body = {"products": ["tea", "cups"]}
    with serve(folder, "storefront.wsgi", **env) as server:
        assert_refused(server.ask_every_worker("/api/products", TENANT), body)

        added = run_in(folder, "manage.py", "tenant_origins", "add", TENANT, "--name", "Tea", **env)
        assert added == f"Tea ({TENANT})\n"
        time.sleep(TTL + 0.5)
        assert_allowed(server.ask_every_worker("/api/products", TENANT), TENANT, body)

        assert run_in(folder, "manage.py", "tenant_origins", "remove", TENANT, **env) == ""
        time.sleep(TTL + 0.5)
        assert_refused(server.ask_every_worker("/api/products", TENANT), body)
        assert len(server.booted_workers()) == 2


# --- on_decision: prometheus_client and logging ---------------------------------------------


def test_prometheus_counts_every_workers_decisions(tmp_path: Path) -> None:
    folder = copy_recipe("metrics", tmp_path)
    counts = tmp_path / "prometheus"
    counts.mkdir()
    with serve(
        folder, "app:application", ready="/metrics", PROMETHEUS_MULTIPROC_DIR=str(counts)
    ) as server:
        allowed = server.ask_every_worker("/api/items", FRONT_END)
        for _ in range(2):
            assert server.ask("/api/items", "https://evil.example").allow_origin is None
        assert server.ask("/api/items", None).status == 200
        assert server.ask("/health", FRONT_END).status == 200
        for method, status in (("PUT", 204), ("PATCH", 403)):
            preflight = {"Origin": FRONT_END, "Access-Control-Request-Method": method}
            assert http(server.base + "/api/items", "OPTIONS", preflight)[0] == status
        status, headers, text = http(server.base + "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    samples = {
        (sample.labels["rule"], sample.labels["code"]): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
        if sample.name == "wsgicors_decisions_total"
    }
    assert samples == {
        ("api", "origin-allowed"): len(allowed),
        ("api", "origin-not-allowed"): 2,
        ("api", "no-origin"): 1,
        ("", "no-rule"): 1,
        ("api", "preflight-allowed"): 1,
        ("api", "method-not-allowed"): 1,
    }
    # Both workers counted (one file of counts per process).
    assert len(list(counts.glob("counter_*.db"))) == 2


def test_decision_log_prints_one_json_line_per_refusal(tmp_path: Path) -> None:
    folder = copy_recipe("decision_log", tmp_path)
    with serve(folder, "app:application", workers=1) as server:
        assert server.ask("/api/items", FRONT_END).allow_origin == FRONT_END
        assert server.ask("/api/items", "https://evil.example").allow_origin is None
        (line,) = wait_for_lines(server, '"logger": "myapp.cors"', 1)
    entry = json.loads(line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", entry.pop("time"))
    assert entry == {
        "level": "INFO",
        "logger": "myapp.cors",
        "message": "CORS refused: origin not allowed by this rule",
        "cors_rule": "api",
        "cors_code": "origin-not-allowed",
        "cors_kind": "actual",
        "cors_origin": "https://evil.example",
        "cors_path": "/api/items",
    }


# --- report_only ----------------------------------------------------------------------------


def test_report_only_warnings_appear_in_gunicorns_log(tmp_path: Path) -> None:
    folder = copy_recipe("report_only", tmp_path)
    blog = "https://blog.example.com"
    body = {"path": "/api/items"}
    with serve(folder, "app:application", workers=1) as server:
        assert_allowed([server.ask("/api/items", FRONT_END)], FRONT_END, body)
        # The enforced rules still allow the blog: only the candidate would refuse it.
        assert_allowed([server.ask("/api/items", blog) for _ in range(2)], blog, body)
        report = (
            f"[WARNING] report-only rules decide differently: 'GET' '/api/items' origin='{blog}' "
            "enforced=api/True/origin-allowed candidate=api-tightened/False/origin-not-allowed"
        )
        rollout = (
            f"[WARNING] tightened rules: '{blog}' would get origin-not-allowed "
            "(today: origin-allowed) on '/api/items'"
        )
        assert len(wait_for_lines(server, report, 2)) == 2  # each request
        assert len(wait_for_lines(server, rollout, 1)) == 1  # each origin, once
        warnings = [line for line in server.log.lines if "[WARNING]" in line]
    assert [line for line in warnings if FRONT_END in line] == []


# --- live reconfiguration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "options"),
    [
        pytest.param('wsgicors.serve:wrap("app:app", "cors.toml", reload=True)', (), id="wrap"),
        pytest.param("paste.ini", ("--paste",), id="paste"),
    ],
)
def test_live_reload_under_gunicorn_threads(
    tmp_path: Path, target: str, options: tuple[str, ...]
) -> None:
    folder = copy_recipe("live_reload", tmp_path)
    config = folder / "cors.toml"
    admin = "https://admin.example.com"
    body = {"path": "/api/items"}
    with serve(folder, target, "--threads", "4", *options) as server:
        assert_allowed(server.ask_every_worker("/api/items", FRONT_END), FRONT_END, body)
        assert_refused(server.ask_every_worker("/api/items", admin), body)

        # A deployment's edit: the new file written beside the old one, then renamed over it.
        new = folder / "cors.toml.new"
        new.write_text(config.read_text(encoding="utf-8").replace(FRONT_END, admin))
        os.replace(new, config)
        reloaded = wait_for_lines(server, "changed: its new policy is serving", 2)
        assert len({pid_of(line) for line in reloaded}) == 2  # each worker, once
        assert_allowed(server.ask_every_worker("/api/items", admin), admin, body)
        assert_refused(server.ask_every_worker("/api/items", FRONT_END), body)

        # A broken edit, written in place: logged at ERROR by each worker, and ignored.
        config.write_text(config.read_text(encoding="utf-8").replace(admin, admin + "/"))
        errors = wait_for_lines(server, "changed but has problems; keeping the old policy", 2)
        assert all("] [ERROR] " in line for line in errors), errors
        assert len({pid_of(line) for line in errors}) == 2
        wait_for_lines(server, "ends with a slash [origin-trailing-slash]", 2)
        assert_allowed(server.ask_every_worker("/api/items", admin), admin, body)
        assert_refused(server.ask_every_worker("/api/items", FRONT_END), body)
        assert len(server.booted_workers()) == 2


# --- regressions: what the runtime once got wrong ----------------------------------------


def no_tenants(origin: str) -> bool:
    """Named below as tests.integration.test_features_e2e:no_tenants."""
    return False


def test_wsgicors_check_imports_the_origin_function_from_the_working_directory(
    tmp_path: Path,
) -> None:
    folder = sqlite_recipe(tmp_path)
    (folder / "cors.toml").write_text(
        '[[rules]]\npath = "/api/*"\nallow_origin_func = "tenants:is_tenant_origin"\n',
        encoding="utf-8",
    )
    wsgicors = Path(sys.executable).parent / "wsgicors"
    done = subprocess.run(  # noqa: S603 (our own command)
        [str(wsgicors), "check", "cors.toml"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok: cors.toml: 1 rule\n", "")


def test_ini_takes_a_fractional_ttl(tmp_path: Path) -> None:
    config = tmp_path / "cors.ini"
    config.write_text(
        "[wsgicors]\nallow_origin_func = tests.integration.test_features_e2e:no_tenants\n"
        "allow_origin_func_ttl = 1.5\n",
        encoding="utf-8",
    )
    middleware = CORSMiddleware.from_config(SpyApp(), config)
    assert middleware.policy.rules[0].rule.origin_func_ttl == 1.5


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_flood_does_not_cut_off_a_tenant_whose_answer_just_expired(tmp_path: Path) -> None:
    folder = copy_recipe("tenants_sqlite", tmp_path)
    run_in(folder, "tenants.py", "add", TENANT)
    tenants = load_module(folder / "tenants.py", "flooded_tenants")
    rule = Rule("/api/*", allow_origin_func=tenants.is_tenant_origin, allow_origin_func_ttl=0.2)
    middleware = CORSMiddleware(SpyApp(), [rule])

    def code(origin: str) -> str:
        return request(middleware, "GET", "/api/x", {"Origin": origin}).decision.code

    flood = (f"https://flood-{number}.example" for number in itertools.count())
    assert code(TENANT) == "origin-allowed"
    for _ in range(20):
        time.sleep(0.3)  # the tenant's answer expires
        while code(next(flood)) != "origin-func-throttled":
            pass
        second = int(time.monotonic())
        verdict = code(TENANT)
        if int(time.monotonic()) == second:  # asked while the flood's second lasted
            break
    assert verdict == "origin-allowed"


class Timeout(BaseException):
    """Like gevent.Timeout or eventlet.Timeout: a BaseException, which ``except Exception``
    does not catch, raised inside whatever code was running when it fired."""


def test_an_interrupted_lookup_does_not_block_its_origin() -> None:
    calls: list[str] = []

    def lookup(origin: str) -> bool:
        calls.append(origin)
        if len(calls) == 1:
            raise Timeout
        return True

    middleware = CORSMiddleware(SpyApp(), [Rule("/api/*", allow_origin_func=lookup)])
    with pytest.raises(Timeout):
        request(middleware, "GET", "/api/x", {"Origin": TENANT})
    codes: list[str] = []
    thread = threading.Thread(
        target=lambda: codes.append(
            request(middleware, "GET", "/api/x", {"Origin": TENANT}).decision.code
        ),
        daemon=True,
    )
    thread.start()
    thread.join(3)
    assert codes == ["origin-allowed"]
