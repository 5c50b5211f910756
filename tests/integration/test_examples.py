"""The framework examples in examples/ work as written."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import request

pytestmark = [pytest.mark.frameworks]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APP = "https://app.example.com"


def test_flask_example() -> None:
    spec = importlib.util.spec_from_file_location("flask_example", EXAMPLES / "flask_app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    middleware = module.app.wsgi_app
    result = request(
        middleware,
        "OPTIONS",
        "/api/items/3",
        {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "PUT"},
    )
    assert result.status == "204 No Content"
    assert result.get_all("Access-Control-Allow-Origin") == ["http://localhost:5173"]
    got = request(middleware, "GET", "/api/items", {"Origin": APP})
    assert got.body == b'{"items":[1,2,3]}\n'
    assert got.get_all("Access-Control-Allow-Origin") == [APP]


def test_django_example_project() -> None:
    """In a subprocess: Django settings are per process, and the tests configure their own."""
    script = (
        "from wsgi import application\n"
        "from werkzeug.test import Client\n"
        "response = Client(application).get('/api/items', headers={'Origin': '" + APP + "'})\n"
        "print(response.status_code, response.headers['Access-Control-Allow-Origin'],"
        " response.headers['Access-Control-Allow-Credentials'], response.headers['Vary'])\n"
    )
    done = subprocess.run(  # noqa: S603 (our own example project)
        [sys.executable, "-c", script],
        cwd=EXAMPLES / "django_project",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"200 {APP} true Cookie, Origin"
