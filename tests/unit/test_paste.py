"""PasteDeploy: a real paste.ini pipeline loaded with loadapp, requests through the pipeline."""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING

import pytest
from paste.deploy import loadapp

from tests.support import request
from wsgicors import ConfigError, ConfigWarning, CORSMiddleware
from wsgicors.paste import policy_from_paste

if TYPE_CHECKING:
    from pathlib import Path

APP = "https://app.example.com"
PIPELINE = """\
[app:hello]
use = call:tests.paste_app:app_factory

[pipeline:main]
pipeline = cors hello

[filter:cors]
"""


def load(tmp_path: Path, filter_section: str) -> CORSMiddleware:
    ini = tmp_path / "paste.ini"
    ini.write_text(PIPELINE + filter_section, encoding="utf-8")
    app = loadapp(f"config:{ini}")
    assert isinstance(app, CORSMiddleware)
    return app


def preflight(app: CORSMiddleware, origin: str, method: str = "PUT") -> list[tuple[str, str]]:
    result = request(
        app, "OPTIONS", "/x", {"Origin": origin, "Access-Control-Request-Method": method}
    )
    assert "paste_app.called" not in result.environ
    return result.cors_headers()


def test_inline_keys(tmp_path: Path) -> None:
    app = load(
        tmp_path,
        """\
use = egg:wsgicors-ng#cors
allow_origins =
    https://app.example.com
    https://b.example.com
allow_methods = PUT, DELETE
allow_credentials = true
max_age = 600
""",
    )
    assert preflight(app, "https://b.example.com") == [
        ("Access-Control-Allow-Origin", "https://b.example.com"),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "PUT"),
        ("Access-Control-Max-Age", "600"),
        ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
    ]
    actual = request(app, "GET", "/x", {"Origin": APP})
    assert actual.body == b"hello"
    assert actual.environ["paste_app.called"] is True
    # The app's own "*" is replaced by the middleware's answer.
    assert actual.cors_headers() == [
        ("Vary", "Origin"),
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
    ]


def test_config_file_relative_to_the_ini(tmp_path: Path) -> None:
    (tmp_path / "cors.toml").write_text(
        '[[rules]]\npath = "/x"\n'
        'allow_origins = ["https://app.example.com"]\nallow_methods = ["PUT"]\n'
    )
    app = load(tmp_path, "use = egg:wsgicors-ng#cors\nconfig = %(here)s/cors.toml\n")
    assert preflight(app, APP)[0] == ("Access-Control-Allow-Origin", APP)
    app = load(tmp_path, "use = egg:wsgicors-ng#cors\nconfig = cors.toml\n")
    assert preflight(app, "https://evil.example") == [
        ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
    ]


def test_config_and_inline_keys_conflict(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "use = egg:wsgicors-ng#cors\nconfig = cors.toml\nmax_age = 5\n")
    assert [(p.location, p.code) for p in caught.value.problems] == [
        ("max_age", "paste-config-and-keys")
    ]


def test_bad_inline_config_lists_every_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(
            tmp_path,
            """\
use = egg:wsgicors-ng#cors
allow_origins = https://app.example.com/ *
allow_credentials = sure
max_age = soon
""",
        )
    # In the order of the file, with the lines of the [filter:cors] section.
    assert [(p.location, p.code, p.line) for p in caught.value.problems] == [
        ("allow_origins[0]", "origin-trailing-slash", 9),
        ("allow_credentials", "type-bool", 10),
        ("max_age", "max-age-type", 11),
    ]
    assert caught.value.problems[0].source.endswith("paste.ini [filter:cors]")


def test_filter_app_factory_under_the_old_entry_point_name(tmp_path: Path) -> None:
    app = load(tmp_path, "use = egg:wsgicors-ng#middleware\nallow_origins = *\n")
    result = request(app, "GET", "/x", {"Origin": APP})
    assert result.cors_headers() == [("Access-Control-Allow-Origin", "*")]


def test_legacy_keys_are_translated_with_a_warning(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = load(
            tmp_path,
            """\
use = egg:wsgicors-ng#middleware
policy = subdom
subdom_origin = https://example.com https://*.example.com
subdom_headers = *
subdom_methods = HEAD, OPTIONS, GET, POST, PUT, DELETE
subdom_expose_headers = Foo, Doom
subdom_maxage = 180
""",
        )
    (warning,) = [w for w in caught if isinstance(w.message, ConfigWarning)]
    assert isinstance(warning.message, ConfigWarning)
    assert warning.message.problem.code == "legacy-config"
    assert warning.message.problem.hint == (
        "replace them with:\n"
        "[filter:cors]\n"
        "use = egg:wsgicors-ng#cors\n"
        "allow_origins = https://example.com https://*.example.com\n"
        "allow_headers = *\n"
        "allow_methods = HEAD OPTIONS GET POST PUT DELETE\n"
        "expose_headers = Foo Doom\n"
        "max_age = 180"
    )
    assert preflight(app, "https://a.example.com", "DELETE")[:2] == [
        ("Access-Control-Allow-Origin", "https://a.example.com"),
        ("Access-Control-Allow-Methods", "DELETE"),
    ]


def test_legacy_copy_without_credentials_becomes_star(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)
        app = load(
            tmp_path,
            """\
use = egg:wsgicors-ng#cors
policy = free, other
free_origin = copy
free_methods = *
other_origin = https://x.example
other_methods = *
""",
        )
    result = request(app, "GET", "/x", {"Origin": "https://anything.example"})
    assert result.cors_headers() == [("Access-Control-Allow-Origin", "*")]


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            "policy = free\nfree_origin = copy\nfree_credentials = true\n",
            [("free_origin", "legacy-unsafe-credentials")],
        ),
        (
            "policy = free\nfree_origin = *\nfree_credentials = TRUE\n",
            [("free_origin", "legacy-unsafe-credentials")],
        ),
        (
            "policy = a\na_origin = https://ex?mple.com\n",
            [("a_origin", "legacy-fnmatch"), ("a_origin", "rule-no-origins")],
        ),
        (
            "policy = a\na_methods = GET\n",
            [("a_origin", "legacy-no-origin"), ("a_origin", "rule-no-origins")],
        ),
        (
            "policy = a\na_origin = https://a.example\nb_origin = x\n",
            [("b_origin", "config-unknown-key")],
        ),
        ("policy = ,\n", [("policy", "legacy-no-policy"), ("allow_origins", "rule-no-origins")]),
        (
            "policy = a\nmatchstrategy = best\na_origin = https://a.example\n",
            [("matchstrategy", "legacy-matchstrategy")],
        ),
        (
            "policy = a b\na_origin = https://a.example\n"
            "b_origin = https://b.example\nb_maxage = 5\n",
            [("policy", "legacy-multiple-policies")],
        ),
        (
            "policy = a\na_origin = https://a.example/\na_maxage = soon\n",
            [("a_origin[0]", "origin-trailing-slash"), ("a_maxage", "max-age-type")],
        ),
    ],
)
def test_legacy_problems(tmp_path: Path, section: str, expected: list[tuple[str, str]]) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "use = egg:wsgicors-ng#cors\n" + section)
    assert [(p.location, p.code) for p in caught.value.problems] == expected


def test_section_name_without_a_readable_paste_file(tmp_path: Path) -> None:
    # PasteDeploy always passes __file__; called directly, the section is simply "[filter]".
    policy, findings = policy_from_paste({}, {"allow_origins": "https://a.example/"})
    assert policy is None
    assert [(p.source, p.line, p.code) for p in findings.errors] == [
        ("paste.ini [filter]", None, "origin-trailing-slash")
    ]
    broken = tmp_path / "broken.ini"
    broken.write_text("no section header\n", encoding="utf-8")
    _, findings = policy_from_paste({"__file__": str(broken)}, {"allow_origins": "*"})
    assert findings.errors == []


def test_reload_watches_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(f'allow_origins = ["{APP}"]\n', encoding="utf-8")
    app = load(tmp_path, f"use = egg:wsgicors-ng#cors\nconfig = {config}\nreload = true\n")
    first = app.policy
    config.write_text('allow_origins = ["https://b.example"]\n', encoding="utf-8")
    deadline = time.monotonic() + 10
    while app.policy is first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert request(app, "GET", "/x", {"Origin": "https://b.example"}).decision.allowed is True


def test_reload_must_be_true_or_false(tmp_path: Path) -> None:
    (tmp_path / "cors.toml").write_text(f'allow_origins = ["{APP}"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "use = egg:wsgicors-ng#cors\nconfig = cors.toml\nreload = maybe\n")
    assert [(p.location, p.code) for p in caught.value.problems] == [("reload", "type-bool")]
