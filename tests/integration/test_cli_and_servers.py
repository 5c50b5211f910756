"""The `wsgicors` command (check, explain, serve) and gunicorn, run for real."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port, http, running
from wsgicors.cli import main

pytestmark = [pytest.mark.servers]

APP = "https://app.example.com"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cors.toml"
CONFIG = """\
[[rules]]
path = "/api/*"
allow_origins = ["https://app.example.com"]
allow_methods = ["PUT"]
allow_headers = ["X-Token"]
max_age = 60
"""
BAD = """\
[[rules]]
path = "api/*"
allow_origins = ["https://app.example.com/", "*"]
allow_credentials = true
"""
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "x-token",
}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cors.toml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def bad_config(tmp_path: Path) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-m", "wsgicors", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )


def test_check_ok(config: Path) -> None:
    done = run_cli("check", str(config))
    assert (done.returncode, done.stdout, done.stderr) == (0, f"ok: {config}: 1 rule\n", "")


def test_check_reports_every_problem(bad_config: Path) -> None:
    done = run_cli("check", str(bad_config))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "invalid CORS configuration: 3 problems",
        f"  {bad_config}:2: rules[0].path: path 'api/*' does not start with '/' [path-relative]",
        "    fix: write '/api/*' (paths are matched against PATH_INFO)",
        f"  {bad_config}:3: rules[0].allow_origins[0]: origin 'https://app.example.com/' ends "
        "with a slash [origin-trailing-slash]",
        "    fix: write it as 'https://app.example.com': an origin never has a path",
        f"  {bad_config}:3: rules[0].allow_origins[1]: '*' with allow_credentials=True would let "
        "every site read users' data [credentials-wildcard]",
        "    fix: list the exact origins that may send credentials, or set allow_credentials=False",
    ]


def test_check_prints_warnings_and_passes() -> None:
    done = run_cli("check", str(EXAMPLE))
    assert done.returncode == 0
    assert done.stdout == f"ok: {EXAMPLE}: 4 rules\n"
    assert done.stderr == ""


def test_check_missing_file() -> None:
    done = run_cli("check", "nope.toml")
    assert (done.returncode, done.stderr) == (2, "wsgicors: no such file: nope.toml\n")


def test_console_script_is_installed(config: Path) -> None:
    script = shutil.which("wsgicors")
    assert script is not None
    done = subprocess.run(  # noqa: S603 (our own command)
        [script, "check", str(config)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout == f"ok: {config}: 1 rule\n"


def test_explain_preflighted_request(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["explain", str(config), "--path", "/api/items", "--origin", APP]
    assert main([*args, "--method", "PUT", "--header", "X-Token"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"request: PUT /api/items from {APP}",
        "  with headers: X-Token",
        "rule: rules[0] (path '/api/*')",
        "",
        "the browser first sends a preflight: OPTIONS",
        "  decision: allowed (preflight, preflight-allowed): preflight allowed",
        "  response: 204 No Content (from wsgicors; app not called)",
        f"    Access-Control-Allow-Origin: {APP}",
        "    Access-Control-Allow-Methods: PUT",
        "    Access-Control-Allow-Headers: x-token",
        "    Access-Control-Max-Age: 60",
        "    Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        "",
        "the actual request: PUT",
        "  decision: allowed (actual, origin-allowed): origin allowed",
        "  response: 200 OK",
        "    Vary: Origin",
        f"    Access-Control-Allow-Origin: {APP}",
    ]


def test_explain_refused_preflight(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["explain", str(config), "--path", "/api/items", "--origin", APP]
    assert main([*args, "--method", "PUT", "--header", "X-Admin", "--private-network"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[5] == (
        "  decision: refused (preflight, header-not-allowed): request header 'x-admin' not in "
        "allow_headers"
    )
    assert out[-1] == "the browser stops here: the actual request is never sent"


def test_explain_simple_and_uncovered(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(config), "--path", "/api/x", "--origin", "https://e.example"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "request: GET /api/x from https://e.example",
        "rule: rules[0] (path '/api/*')",
        "",
        "the actual request: GET",
        "  decision: refused (actual, origin-not-allowed): origin not allowed by this rule",
        "  response: 200 OK",
        "    Vary: Origin",
    ]
    assert main(["explain", str(config), "--path", "/static/x", "--origin", APP]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "rule: none (no rule matches this path): wsgicors passes the request through untouched"
    )


def test_explain_private_network(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["explain", str(config), "--path", "/api/items", "--origin", APP]
    assert main([*args, "--private-network"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[3:5] == [
        "the browser first sends a preflight: OPTIONS",
        "  decision: refused (preflight, private-network-not-allowed): private network access "
        "asked for, allow_private_network is off",
    ]


def test_explain_bad_config(bad_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(bad_config), "--path", "/", "--origin", APP]) == 2
    assert "invalid CORS configuration: 3 problems" in capsys.readouterr().err


def test_serve_errors(config: Path, bad_config: Path) -> None:
    done = run_cli("serve", "tests.no_such_module:app", "--config", str(config))
    assert done.returncode == 2
    assert done.stderr.startswith("wsgicors: cannot import 'tests.no_such_module'")
    done = run_cli("serve", "tests.wsgi_apps:missing", "--config", str(config))
    assert (done.returncode, done.stderr) == (
        2,
        "wsgicors: 'tests.wsgi_apps' has no attribute 'missing'\n",
    )
    done = run_cli("serve", "tests.wsgi_apps:not_callable", "--config", str(config))
    assert (done.returncode, done.stderr) == (
        2,
        "wsgicors: 'tests.wsgi_apps:not_callable' is not a WSGI application (not callable)\n",
    )
    done = run_cli("serve", "tests.wsgi_apps:hello", "--config", str(bad_config))
    assert done.returncode == 1
    assert done.stderr.startswith("invalid CORS configuration: 3 problems")
    done = run_cli("serve", "tests.wsgi_apps:hello", "--config", "nope.toml")
    assert (done.returncode, done.stderr) == (2, "wsgicors: no such file: nope.toml\n")


def check_server(base: str) -> None:
    status, headers, body = http(base + "/api/items", "OPTIONS", PREFLIGHT)
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Methods"] == "PUT"
    assert headers["Access-Control-Allow-Headers"] == "x-token"
    assert headers["Access-Control-Max-Age"] == "60"
    assert body == b""
    status, headers, body = http(base + "/api/items", "PUT", {"Origin": APP, "X-Token": "t"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Vary"] == "Accept-Encoding, Origin"
    assert body == f"hello PUT {APP}".encode()
    status, headers, _ = http(base + "/api/items", headers={"Origin": "https://evil.example"})
    assert status == 200
    assert "Access-Control-Allow-Origin" not in headers


def test_serve_runs_werkzeug(config: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "wsgicors", "serve", "tests.wsgi_apps:hello"]
    command += ["--config", str(config), "--port", str(port)]
    with running(command, f"http://127.0.0.1:{port}/"):
        check_server(f"http://127.0.0.1:{port}")


@pytest.mark.parametrize("worker", ["sync", "gthread"])
def test_gunicorn_one_liner(config: Path, worker: str) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--worker-class", worker,
        # gunicorn turns a sync worker into gthread when --threads > 1.
        "--threads", "2" if worker == "gthread" else "1",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
        f'wsgicors.serve:wrap("tests.wsgi_apps:hello", "{config}")',
    ]  # fmt: skip
    with running(command, f"http://127.0.0.1:{port}/") as server:
        check_server(f"http://127.0.0.1:{port}")
        server.terminate()
        assert server.stdout is not None
        log = server.stdout.read()
    assert f"Using worker: {worker}" in log


def test_gunicorn_bad_config_aborts_the_boot(bad_config: Path) -> None:
    port = free_port()
    done = subprocess.run(  # noqa: S603 (fixed test command)
        [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
            "--chdir", str(ROOT),
            f'wsgicors.serve:wrap("tests.wsgi_apps:hello", "{bad_config}")',
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "invalid CORS configuration: 3 problems" in done.stderr
    assert "[credentials-wildcard]" in done.stderr
