"""The recipes in examples/recipes/ work as the docs show them: served by real servers.

Each recipe folder is served exactly as its docs page says (real gunicorn, PasteDeploy through
gunicorn, Werkzeug's development server, ``wsgicors serve``), from that folder, and gets the
request sequence a browser would send: a preflight, the actual request, and a refused origin.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.servers import free_port, http, running, wait_until_up

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.servers, pytest.mark.frameworks]

RECIPES = Path(__file__).resolve().parents[2] / "examples" / "recipes"
FRONT_END = "https://app.example.com"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
PYTHON = shlex.quote(sys.executable)


def in_folder(folder: Path, command: str, **env: str) -> list[str]:
    """A shell command line run from *folder*, as a user types it there (``exec`` keeps the
    server's process id, so stopping it stops the server)."""
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    return ["bash", "-c", f"cd {shlex.quote(str(folder))} && {assignments} exec {command}"]


def gunicorn(folder: Path, target: str, port: int, *options: str, **env: str) -> list[str]:
    arguments = " ".join(shlex.quote(part) for part in (*options, target))
    return in_folder(
        folder, f"{PYTHON} -m gunicorn --bind 127.0.0.1:{port} --workers 1 {arguments}", **env
    )


def send(
    url: str, method: str, headers: dict[str, str], body: object
) -> tuple[int, dict[str, str], bytes]:
    """Send *body* as JSON."""
    json_headers = {"Content-Type": "application/json", **headers}
    return http(url, method, json_headers, json.dumps(body).encode())


def cors_headers(headers: dict[str, str]) -> dict[str, str]:
    """The Access-Control-* and Vary headers of a response."""
    return {
        name: value
        for name, value in headers.items()
        if name.lower().startswith("access-control-") or name.lower() == "vary"
    }


def json_post_sequence(base: str) -> None:
    """A page on FRONT_END POSTs JSON with fetch(): preflight, POST, then reads the list."""
    status, headers, body = http(
        f"{base}/api/items",
        "OPTIONS",
        {
            "Origin": FRONT_END,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert (status, body) == (204, b"")
    assert cors_headers(headers) == {
        "Access-Control-Allow-Origin": FRONT_END,
        "Access-Control-Allow-Headers": "content-type",
        "Access-Control-Max-Age": "600",
        "Vary": PREFLIGHT_VARY,
    }

    status, headers, body = send(f"{base}/api/items", "POST", {"Origin": FRONT_END}, {"id": 7})
    assert status == 201
    assert json.loads(body) == {"id": 7}
    assert headers["Access-Control-Allow-Origin"] == FRONT_END
    assert "Origin" in [token.strip() for token in headers["Vary"].split(",")]

    status, headers, body = http(f"{base}/api/items", "GET", {"Origin": FRONT_END})
    assert status == 200
    assert json.loads(body) == {"items": [{"id": 7}]}
    assert headers["Access-Control-Allow-Origin"] == FRONT_END


def refused_origin(base: str, method: str = "POST") -> None:
    """A page on another origin: its preflight is refused before the app is reached."""
    status, headers, body = http(
        f"{base}/api/items",
        "OPTIONS",
        {
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert (status, body) == (403, b"")
    assert cors_headers(headers) == {"Vary": PREFLIGHT_VARY}


@pytest.mark.parametrize("framework", ["flask", "pyramid", "bottle", "falcon"])
def test_framework_recipe_serves_a_json_post(framework: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(gunicorn(RECIPES / framework, "app:app", port), f"{base}/"):
        json_post_sequence(base)
        refused_origin(base)


def django_csrf_sequence(base: str) -> tuple[int, dict[str, str], bytes]:
    """The front end fetches a CSRF token with cookies, then POSTs JSON with it."""
    status, headers, body = http(f"{base}/api/csrf", "GET", {"Origin": FRONT_END})
    assert status == 200
    assert cors_headers(headers) == {
        "Access-Control-Allow-Origin": FRONT_END,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Cookie, Origin",
    }
    token = json.loads(body)["csrfToken"]
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    assert cookie.startswith("csrftoken=")

    status, headers, body = http(
        f"{base}/api/items",
        "OPTIONS",
        {
            "Origin": FRONT_END,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-csrftoken",
        },
    )
    assert (status, body) == (204, b"")
    assert cors_headers(headers) == {
        "Access-Control-Allow-Origin": FRONT_END,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Headers": "content-type, x-csrftoken",
        "Access-Control-Max-Age": "600",
        "Vary": PREFLIGHT_VARY,
    }
    return send(
        f"{base}/api/items",
        "POST",
        {"Origin": FRONT_END, "Cookie": cookie, "X-CSRFToken": token},
        {"id": 7},
    )


def test_django_recipe_credentialed_post_passes_csrf() -> None:
    """gunicorn mysite.wsgi, as documented: boots (DJANGO_SETTINGS_MODULE is set in wsgi.py)
    and a credentialed cross-origin POST passes Django's CSRF check (CSRF_TRUSTED_ORIGINS)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = gunicorn(RECIPES / "django", "mysite.wsgi", port)
    with running(command, f"{base}/api/items"):
        status, headers, body = django_csrf_sequence(base)
        assert status == 201, body
        assert json.loads(body) == {"id": 7}
        assert headers["Access-Control-Allow-Origin"] == FRONT_END
        assert headers["Access-Control-Allow-Credentials"] == "true"
        refused_origin(base)


def test_django_recipe_without_csrf_trusted_origins_refuses_the_post(tmp_path: Path) -> None:
    """Why settings.py sets CSRF_TRUSTED_ORIGINS: without it, Django refuses the same POST."""
    (tmp_path / "untrusted_settings.py").write_text(
        "from mysite.settings import *  # noqa: F403\n"
        "CSRF_TRUSTED_ORIGINS = []\n"
        "DEBUG = True  # so that the 403 page names the reason\n"
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = gunicorn(
        RECIPES / "django",
        "mysite.wsgi",
        port,
        DJANGO_SETTINGS_MODULE="untrusted_settings",
        PYTHONPATH=str(tmp_path),
    )
    with running(command, f"{base}/api/items"):
        status, headers, body = django_csrf_sequence(base)
    assert status == 403
    assert (
        b"Origin checking failed - https://app.example.com does not match any trusted origins."
        in body
    )
    # CORS still lets the page read the refusal; CSRF is what refused it.
    assert headers["Access-Control-Allow-Origin"] == FRONT_END


class OutputReader:
    """Collect a server's output lines in a thread, so a test can wait for one of them."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stdout is not None
        self._stream = process.stdout
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with contextlib.suppress(ValueError):  # the stream is closed when the server stops
            for line in self._stream:
                self.lines.append(line.rstrip("\n"))

    def wait_for_text(self, text: str, seconds: float = 10) -> str:
        """Return the first line containing *text*, waiting up to *seconds* for it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no line with {text!r} in:\n" + "\n".join(self.lines))


def put_sequence(base: str) -> None:
    """The cors.toml of the gunicorn, paste and devserver recipes: a PUT with JSON."""
    status, headers, _ = http(
        f"{base}/api/items/7",
        "OPTIONS",
        {
            "Origin": FRONT_END,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert status == 204
    assert cors_headers(headers) == {
        "Access-Control-Allow-Origin": FRONT_END,
        "Access-Control-Allow-Methods": "PUT",
        "Access-Control-Allow-Headers": "content-type",
        "Access-Control-Max-Age": "600",
        "Vary": PREFLIGHT_VARY,
    }
    status, headers, body = send(f"{base}/api/items/7", "PUT", {"Origin": FRONT_END}, {})
    assert status == 200
    assert json.loads(body) == {"path": "/api/items/7"}
    assert cors_headers(headers) == {"Vary": "Origin", "Access-Control-Allow-Origin": FRONT_END}
    refused_origin(base, "PUT")


def test_gunicorn_recipe_wraps_any_app_and_logs_decisions() -> None:
    """gunicorn 'wsgicors.serve:wrap(...)' --log-level debug, with the recipe's
    gunicorn.conf.py read from the folder: the decisions appear in gunicorn's log."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    target = 'wsgicors.serve:wrap("app:app", "cors.toml")'
    command = gunicorn(RECIPES / "gunicorn", target, port, "--log-level", "debug")
    with running(command, f"{base}/") as process:
        log = OutputReader(process)
        put_sequence(base)
        line = log.wait_for_text(
            "[DEBUG] preflight 'OPTIONS' '/api/items' origin='https://evil.example' rule=rules[0] "
            "allowed=False code=origin-not-allowed reason="
        )
    assert line.split(" reason=", 1)[1] == "origin 'https://evil.example' not allowed by this rule"


def test_paste_recipe_serves_the_pipeline() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = gunicorn(RECIPES / "paste", "paste.ini", port, "--paste")
    with running(command, f"{base}/"):
        put_sequence(base)


@contextlib.contextmanager
def running_group(command: list[str], url: str) -> Iterator[None]:
    """Like tests.servers.running, for servers that fork a reloader child: the server gets
    its own process group, and the whole group is stopped."""
    process = subprocess.Popen(  # noqa: S603 (the recipe's documented command)
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until_up(url, process)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def test_devserver_recipe_reloads_and_serves() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = in_folder(RECIPES / "devserver", f"{PYTHON} devserver.py", PORT=str(port))
    with running_group(command, f"{base}/"):
        try:
            put_sequence(base)
        except TimeoutError:
            # The reloader restarts its child when a watched file changes (the test suite
            # writes files while it runs); a request caught in a restart times out, as a
            # developer's would. Once the child is back, the sequence must pass.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    http(f"{base}/")
                    break
            put_sequence(base)


def test_wsgicors_serve_from_the_app_folder() -> None:
    """Regression: `wsgicors serve app:app` run from the app's folder imports it, as gunicorn
    and `flask run` do."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    wsgicors = shlex.quote(str(Path(sys.executable).parent / "wsgicors"))
    # No --reload here: the reloader has its own test above, and a reload racing a request
    # made this one flaky. What this test is about is the import from the working directory.
    command = in_folder(
        RECIPES / "devserver", f"{wsgicors} serve app:app --config cors.toml --port {port}"
    )
    with running_group(command, f"{base}/"):
        put_sequence(base)
