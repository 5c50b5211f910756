"""Config files and mappings: one schema in TOML, JSON, INI and Python, with located problems."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.support import SpyApp, request
from wsgicors import ConfigError, ConfigWarning, CORSMiddleware
from wsgicors.config import load_policy
from wsgicors.locations import line_finder

APP = "https://app.example.com"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

TOML = """\
preflight_status = 200

[[rules]]
path = "/admin/*"
deny = true

[[rules]]
path_regex = "/v[0-9]+/items"
allow_origins = ["https://app.example.com"]
allow_methods = ["PUT"]
allow_headers = ["X-Token"]
max_age = 60
"""

JSON = {
    "preflight_status": 200,
    "rules": [
        {"path": "/admin/*", "deny": True},
        {
            "path_regex": "/v[0-9]+/items",
            "allow_origins": [APP],
            "allow_methods": ["PUT"],
            "allow_headers": ["X-Token"],
            "max_age": 60,
        },
    ],
}

INI = """\
[wsgicors]
preflight_status = 200

[rule:admin]
path = /admin/*
deny = yes

[rule:items]
path_regex = /v[0-9]+/items
allow_origins =
    https://app.example.com
allow_methods = PUT
allow_headers = X-Token
max_age = 60
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(source: Any) -> list[tuple[str, str, int | None]]:
    """Load *source*, which must be refused; return every error, as (location, code, line)."""
    try:
        policy, findings = load_policy(source)
    except ConfigError as error:  # the file cannot be read or parsed at all
        return [(p.location, p.code, p.line) for p in error.problems]
    assert policy is None
    return [(p.location, p.code, p.line) for p in findings.errors]


@pytest.mark.parametrize("kind", ["toml", "json", "ini", "mapping"])
def test_same_schema_in_every_format(tmp_path: Path, kind: str) -> None:
    source: Any = {
        "toml": lambda: write(tmp_path, "cors.toml", TOML),
        "json": lambda: write(tmp_path, "cors.json", json.dumps(JSON)),
        "ini": lambda: write(tmp_path, "cors.ini", INI),
        "mapping": lambda: JSON,
    }[kind]()
    app = SpyApp()
    middleware = CORSMiddleware.from_config(app, source)
    preflight = request(
        middleware,
        "OPTIONS",
        "/v2/items",
        {
            "Origin": APP,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-token",
        },
    )
    assert preflight.status == "200 OK"
    assert preflight.cors_headers() == [
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Methods", "PUT"),
        ("Access-Control-Allow-Headers", "x-token"),
        ("Access-Control-Max-Age", "60"),
        ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
    ]
    denied = request(
        middleware, "OPTIONS", "/admin/x", {"Origin": APP, "Access-Control-Request-Method": "GET"}
    )
    assert denied.status == "403 Forbidden"
    assert not app.called


def test_top_level_shorthand(tmp_path: Path) -> None:
    path = write(tmp_path, "cors.toml", 'allow_origins = ["https://app.example.com"]\n')
    middleware = CORSMiddleware.from_config(SpyApp(), path)
    result = request(middleware, "GET", "/anything", {"Origin": APP})
    assert result.get_all("Access-Control-Allow-Origin") == [APP]


def test_shorthand_with_path_regex() -> None:
    middleware = CORSMiddleware.from_config(
        SpyApp(), {"path_regex": "/a/.*", "allow_origins": [APP]}
    )
    assert request(middleware, "GET", "/a/b", {"Origin": APP}).decision.allowed is True
    assert request(middleware, "GET", "/b", {"Origin": APP}).decision.kind == "pass-through"


def test_toml_problems_have_file_line_and_location(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cors.toml",
        """\
preflight_status = 201
colour = "blue"

[[rules]]
path = "/ok/*"
allow_origins = ["https://app.example.com"]

[[rules]]
path = "/api/*"
allow_orgins = ["https://app.example.com"]
allow_origins = "https://app.example.com"
allow_credentials = "true"
max_age = 1e3

[[rules]]
allow_origins = ["*"]

[[rules]]
path = "/x"
path_regex = "/y"
""",
    )
    # Regression (one problem hiding another): the unknown keys do not hide the value
    # problems of the same rules, and everything is listed in file order.
    assert problems(path) == [
        ("preflight_status", "preflight-status", 1),
        ("colour", "unknown-key", 2),
        ("rules[1].allow_orgins", "unknown-key", 10),
        ("rules[1].allow_origins", "type-bare-string", 11),
        ("rules[1].allow_credentials", "type-bool", 12),
        ("rules[1].max_age", "max-age-type", 13),
        ("rules[2]", "path-missing", 15),
        ("rules[3].allow_origins", "rule-no-origins", 18),
        ("rules[3].path_regex", "path-both", 20),
    ]
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware.from_config(SpyApp(), path)
    assert str(caught.value).splitlines()[5:7] == [
        f"  {path}:10: rules[1].allow_orgins: unknown key 'allow_orgins' [unknown-key]",
        "    fix: did you mean 'allow_origins'?",
    ]


def test_type_problems_in_a_valid_shape(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cors.toml",
        """\
[[rules]]
path = "/api/*"
allow_origins = "https://app.example.com"
allow_credentials = "true"
max_age = 1.5
""",
    )
    assert problems(path) == [
        ("rules[0].allow_origins", "type-bare-string", 3),
        ("rules[0].allow_credentials", "type-bool", 4),
        ("rules[0].max_age", "max-age-type", 5),
    ]


def test_ini_problems_have_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cors.ini",
        """\
[wsgicors]
preflight_status = soon

[rule:api]
path = /api/*
allow_origins = https://app.example.com/
deny = maybe

[other]
x = 1
""",
    )
    assert problems(path) == [
        ("preflight_status", "preflight-status", 2),
        ("rules[0].allow_origins[0]", "origin-trailing-slash", 6),
        ("rules[0].deny", "type-bool", 7),
        ("[other]", "config-unknown-section", 9),
    ]


def test_ini_shorthand_section(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cors.ini",
        "[wsgicors]\nallow_origins = https://app.example.com\nallow_credentials = no\n",
    )
    middleware = CORSMiddleware.from_config(SpyApp(), path)
    result = request(middleware, "GET", "/x", {"Origin": APP})
    assert result.cors_headers() == [("Vary", "Origin"), ("Access-Control-Allow-Origin", APP)]


def test_syntax_errors_name_the_line(tmp_path: Path) -> None:
    toml = write(tmp_path, "bad.toml", 'x = 1\n[[rules]\npath = "/"\n')
    assert problems(toml) == [("", "config-syntax", 2)]
    bad_json = write(tmp_path, "bad.json", '{\n  "rules": [,]\n}')
    assert problems(bad_json) == [("", "config-syntax", 2)]
    ini = write(tmp_path, "bad.ini", "[wsgicors]\na = 1\na = 2\n")
    assert problems(ini) == [("", "config-syntax", 3)]


def test_wrong_shapes(tmp_path: Path) -> None:
    assert problems({"rules": {"path": "/"}}) == [("rules", "type-list", None)]
    assert problems({"rules": ["/api/*"]}) == [("rules[0]", "rules-type", None)]
    assert problems({"rules": [{"path": "/"}], "allow_origins": [APP]}) == [
        ("allow_origins", "option-with-rules", None),
        ("rules[0].allow_origins", "rule-no-origins", None),
    ]
    assert problems({"rules": [{"path_regex": 5, "deny": True}]}) == [
        ("rules[0].path_regex", "path-type", None)
    ]
    assert problems({"rules": [{"path_regex": "(", "deny": True}]}) == [
        ("rules[0].path_regex", "regex-invalid", None)
    ]
    assert problems({"allow_origins": [APP], "deny": "no", "zzz": 1}) == [
        ("zzz", "unknown-key", None),
        ("deny", "type-bool", None),
    ]
    top_list = write(tmp_path, "list.json", "[1, 2]")
    assert problems(top_list) == [("", "config-type", 1)]


def test_later_rules_keep_their_index_after_a_broken_one() -> None:
    data = {
        "rules": [
            {"path": "/a", "nope": 1},
            {"path": "/b", "allow_origins": ["https://b.example/"]},
        ]
    }
    assert problems(data) == [
        ("rules[0].nope", "unknown-key", None),
        ("rules[0].allow_origins", "rule-no-origins", None),
        ("rules[1].allow_origins[0]", "origin-trailing-slash", None),
    ]


def test_problems_without_their_own_line_get_the_enclosing_one(tmp_path: Path) -> None:
    inline = write(
        tmp_path,
        "inline.toml",
        'x = 1\nrules = [{path = "/a", allow_origins = ["https://a.example/"]}]\n',
    )
    assert problems(inline) == [
        ("x", "unknown-key", 1),
        ("rules[0].allow_origins[0]", "origin-trailing-slash", 2),
    ]
    missing_key = write(
        tmp_path,
        "missing.toml",
        '[[rules]]\npath = "/a"\n\n[[rules]]\npath = "/b"\nallow_origins = ["*"]\n',
    )
    # A missing key is reported at its rule's first line.
    assert problems(missing_key) == [("rules[0].allow_origins", "rule-no-origins", 1)]
    at_end = write(tmp_path, "end.toml", 'x = 1\n[[rules]]\npath = "/b"\n')
    assert problems(at_end) == [
        ("x", "unknown-key", 1),
        ("rules[0].allow_origins", "rule-no-origins", 2),
    ]


def test_shorthand_problems_are_not_repeated() -> None:
    assert problems({"path_regex": "(", "allow_origins": [APP]}) == [
        ("path_regex", "regex-invalid", None)
    ]


def test_file_problems(tmp_path: Path) -> None:
    assert problems(tmp_path / "missing.toml") == [("", "config-unreadable", None)]
    assert problems(write(tmp_path, "cors.yaml", "x: 1")) == [("", "config-format", None)]


def test_warnings_carry_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cors.toml",
        '[[rules]]\npath = "*"\nallow_origins = ["null"]\n\n[[rules]]\npath = "/x"\n'
        'allow_origins = ["https://app.example.com"]\n',
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CORSMiddleware.from_config(SpyApp(), path)
    found = []
    for warning in caught:
        assert isinstance(warning.message, ConfigWarning)
        problem = warning.message.problem
        found.append((problem.source, problem.line, problem.location, problem.code))
        assert warning.filename == __file__
    assert found == [
        (str(path), 3, "rules[0].allow_origins[0]", "origin-null"),
        (str(path), 6, "rules[1].path", "rule-shadowed"),
    ]


def test_example_config_is_valid() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        policy, findings = load_policy(EXAMPLES / "cors.toml")
    assert policy is not None
    assert [rule.label for rule in policy.rules] == ["admin", "public", "api", "feeds"]
    assert caught == []
    assert findings.errors == findings.warnings == []


def test_line_finder_has_no_line_for_the_whole_file() -> None:
    locate = line_finder('x = 1\n[[rules]]\npath = "/"\n', r"\[\[\s*rules\s*\]\]", None)
    assert (locate(""), locate("x"), locate("rules[0]"), locate("rules[0].path")) == (
        None,
        1,
        2,
        3,
    )


def test_json_nested_too_deeply_is_a_syntax_problem(tmp_path: Path) -> None:
    deep = write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    assert problems(deep) == [("", "config-syntax", None)]
