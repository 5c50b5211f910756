"""Issue 8's path holes, met the way a user meets them: real gunicorn, real HTTP requests.

A deny rule must hold for the spellings a real server hands over: a non-ASCII rule path
(``/café/*``) against the PEP 3333 ``PATH_INFO`` gunicorn builds from ``/caf%C3%A9/x``, and a
control character (``%0A``) in a path that a Werkzeug-routed app still serves. The same rules are
served three ways (Python, a TOML file through ``wsgicors.serve:wrap``, an INI rules file behind
``gunicorn --paste``), and a credentialed unpinned regex must stop gunicorn's boot with the
problem printed once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import pytest

from tests.servers import free_port, running

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.servers]

APP = "https://app.example.com"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "x-token",
}

# A Werkzeug-routed app that says which route served a request and the PATH_INFO it got.
ROUTED_APP = '''\
"""The app behind the middleware in tests/integration/test_safety_servers.py."""

import json
import re

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule as Route
from werkzeug.wrappers import Request, Response

from wsgicors import CORSMiddleware, Rule

ROUTES = Map(
    [
        Route("/café/<part>", endpoint="cafe"),
        Route("/private/<part>", endpoint="private"),
        Route("/public/<part>", endpoint="public"),
    ]
)


@Request.application
def app(request):
    try:
        endpoint, arguments = ROUTES.bind_to_environ(request.environ).match()
    except HTTPException as error:
        return error
    path_info = request.environ["PATH_INFO"]
    body = {"endpoint": endpoint, "part": arguments["part"], "path_info": path_info}
    return Response(json.dumps(body), content_type="application/json")


def make_app(global_conf, **settings):
    return app


wrapped = CORSMiddleware(
    app,
    [
        Rule("/café/*", deny=True),
        Rule(re.compile("/private/.*"), deny=True),
        Rule(
            "*",
            allow_origins=["https://app.example.com"],
            allow_credentials=True,
            allow_methods=["PUT"],
            allow_headers=["x-token"],
        ),
    ],
)
'''

# The same three rules as a TOML file and as an INI rules file.
RULES_TOML = """\
[[rules]]
path = "/café/*"
deny = true

[[rules]]
path_regex = "/private/.*"
deny = true

[[rules]]
path = "*"
allow_origins = ["https://app.example.com"]
allow_credentials = true
allow_methods = ["PUT"]
allow_headers = ["x-token"]
"""
RULES_INI = """\
[rule:cafe]
path = /café/*
deny = true

[rule:private]
path_regex = /private/.*
deny = true

[rule:everything]
path = *
allow_origins = https://app.example.com
allow_credentials = true
allow_methods = PUT
allow_headers = x-token
"""
PASTE_INI = """\
[app:routed]
use = call:safety_app:make_app

[filter:cors]
use = egg:wsgicors-ng#cors
config = %(here)s/cors.ini

[pipeline:main]
pipeline = cors routed
"""
UNPINNED_TOML = """\
[[rules]]
path = "/api/*"
allow_origin_regex = ["https://.*"]
allow_credentials = true
"""

Headers = list[tuple[str, str]]


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, Headers, bytes]:
    """Send one request; return the status, every response header in order, and the body."""
    request = urllib.request.Request(url, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, list(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, list(error.headers.items()), error.read()


def cors_headers(headers: Headers) -> Headers:
    """The Access-Control-* and Vary headers, in order, exactly as received."""
    return [
        (name, value)
        for name, value in headers
        if name.lower().startswith("access-control-") or name.lower() == "vary"
    ]


def gunicorn(folder: Path, port: int, *arguments: str) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
        "--chdir", str(folder), *arguments,
    ]  # fmt: skip


@pytest.fixture(scope="module", params=["python", "toml", "paste"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """gunicorn serving the routed app behind the rules, configured the *param* way."""
    folder = tmp_path_factory.mktemp(f"safety-{request.param}")
    (folder / "safety_app.py").write_text(ROUTED_APP, encoding="utf-8")
    (folder / "cors.toml").write_text(RULES_TOML, encoding="utf-8")
    (folder / "cors.ini").write_text(RULES_INI, encoding="utf-8")
    (folder / "paste.ini").write_text(PASTE_INI, encoding="utf-8")
    target = {
        "python": ["safety_app:wrapped"],
        "toml": ['wsgicors.serve:wrap("safety_app:app", "cors.toml")'],
        "paste": ["--paste", str(folder / "paste.ini")],
    }[request.param]
    port = free_port()
    with running(gunicorn(folder, port, *target), f"http://127.0.0.1:{port}/"):
        yield f"http://127.0.0.1:{port}"


def test_the_permissive_rule_grants_credentials_elsewhere(server: str) -> None:
    """The control: without the deny rules, this is what a covered path would get."""
    status, headers, body = fetch(f"{server}/public/x", headers={"Origin": APP})
    assert status == 200
    assert json.loads(body) == {"endpoint": "public", "part": "x", "path_info": "/public/x"}
    assert cors_headers(headers) == [
        ("Vary", "Origin"),
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
    ]


def test_non_ascii_deny_rule_covers_the_path_gunicorn_sends(server: str) -> None:
    """``/caf%C3%A9/x`` reaches the middleware as PATH_INFO ``/cafÃ©/x`` (PEP 3333): the deny
    rule written as ``/café/*`` covers it, so the app answers with no CORS header at all."""
    status, headers, body = fetch(f"{server}/caf%C3%A9/x", headers={"Origin": APP})
    assert status == 200
    assert json.loads(body) == {"endpoint": "cafe", "part": "x", "path_info": "/cafÃ©/x"}
    assert cors_headers(headers) == []


def test_non_ascii_deny_rule_refuses_the_preflight(server: str) -> None:
    status, headers, body = fetch(f"{server}/caf%C3%A9/x", "OPTIONS", PREFLIGHT)
    assert (status, body) == (403, b"")
    assert cors_headers(headers) == [("Vary", PREFLIGHT_VARY)]
    assert ("Content-Type", "text/plain") in headers
    assert ("Content-Length", "0") in headers


def test_deny_rule_holds_for_the_plain_spelling(server: str) -> None:
    status, headers, body = fetch(f"{server}/private/ab", headers={"Origin": APP})
    assert status == 200
    assert json.loads(body) == {"endpoint": "private", "part": "ab", "path_info": "/private/ab"}
    assert cors_headers(headers) == []


@pytest.mark.parametrize(
    ("encoded", "character"),
    [
        ("%0A", "\n"),
        ("%0D", "\r"),
        ("%00", "\x00"),
        ("%09", "\t"),
        ("%1B", "\x1b"),
        ("%7F", "\x7f"),
    ],
)
def test_control_character_does_not_skip_the_deny_rule(
    server: str, encoded: str, character: str
) -> None:
    """``/private/.*`` does not match across a newline, so before the fix ``/private/a%0Ab``
    fell through to the permissive rule. Now the path matches no rule: the request passes
    through untouched (no Access-Control-* header, no Vary), and the app, whose Werkzeug route
    does match it, still serves it."""
    status, headers, body = fetch(f"{server}/private/a{encoded}b", headers={"Origin": APP})
    assert status == 200
    assert json.loads(body) == {
        "endpoint": "private",
        "part": f"a{character}b",
        "path_info": f"/private/a{character}b",
    }
    assert cors_headers(headers) == []


def test_control_character_preflight_reaches_the_app_without_cors(server: str) -> None:
    """A preflight on such a path is passed through too: the app answers it itself (here its
    route serves OPTIONS like GET), and no CORS header grants anything."""
    status, headers, body = fetch(f"{server}/private/a%0Ab", "OPTIONS", PREFLIGHT)
    assert status == 200
    assert json.loads(body)["endpoint"] == "private"
    assert cors_headers(headers) == []


def test_credentialed_unpinned_regex_stops_the_gunicorn_boot(tmp_path: Path) -> None:
    """One worker loads the app and fails: the problem is printed once, without a traceback,
    and gunicorn exits with its "app failed to load" status."""
    (tmp_path / "safety_app.py").write_text(ROUTED_APP, encoding="utf-8")
    (tmp_path / "cors.toml").write_text(UNPINNED_TOML, encoding="utf-8")
    command = gunicorn(tmp_path, free_port(), 'wsgicors.serve:wrap("safety_app:app", "cors.toml")')
    done = subprocess.run(  # noqa: S603 (fixed test command)
        command, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 4
    assert done.stderr.count("[credentials-regex-unpinned]") == 1
    assert done.stderr.count("invalid CORS configuration: 1 problem\n") == 1
    assert "  cors.toml:3: rules[0].allow_origin_regex[0]: origin regex r'https://.*'" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
    assert "Reason: App failed to load." in done.stderr
