"""PasteDeploy filter factories: ``[filter:cors]`` with ``use = egg:wsgicors-ng#cors``.

Three ways to configure the filter, one per section:

- ``config = %(here)s/cors.toml``: a rules file (TOML, JSON or INI), with only
  ``reload = true`` beside it (swap in the file's new policy when it changes);
- inline keys for one rule covering every path (``allow_origins = https://a.example ...``),
  lists separated by whitespace or newlines, booleans and integers as PasteDeploy users write
  them;
- the 2017 ``wsgicors`` package's keys (``policy = NAME``, ``NAME_origin`` ...), translated with
  a :class:`~wsgicors.ConfigWarning` that shows the equivalent new keys.
"""

from __future__ import annotations

import configparser
import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING

from wsgicors import _legacy
from wsgicors.config import convert_strings, load_policy, policy_from_mapping
from wsgicors.errors import ConfigError, Findings, Problem
from wsgicors.locations import line_finder
from wsgicors.middleware import CORSMiddleware
from wsgicors.watch import watch

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from _typeshed.wsgi import WSGIApplication

    from wsgicors.policy import Policy

__all__ = ["filter_app_factory", "filter_factory", "policy_from_paste"]


def policy_from_paste(
    global_conf: Mapping[str, str], local_conf: Mapping[str, str]
) -> tuple[Policy | None, Findings]:
    """Compile the policy a ``[filter:...]`` section describes, with every finding."""
    section = _section_name(global_conf, local_conf)
    source = f"{global_conf.get('__file__', 'paste.ini')} {section}"
    if "config" in local_conf:
        findings = Findings()
        for key in local_conf:
            if key not in {"config", "reload"}:
                findings.error(
                    key,
                    "paste-config-and-keys",
                    f"{key!r} given beside 'config'",
                    "put every setting in the config file, or drop 'config'",
                )
        if findings.errors:
            findings.in_source_order(source)
            return None, findings
        return load_policy(_config_path(global_conf, local_conf))
    if "policy" in local_conf:
        return _legacy_policy(local_conf, source, section)
    text = _read(global_conf)
    # Never a rule header: inline keys form one rule, located within the filter's section.
    locate = line_finder(text, r"(?!)", section[1:-1]) if text else None
    return policy_from_mapping(convert_strings(local_conf), source=source, locate=locate)


def _config_path(global_conf: Mapping[str, str], local_conf: Mapping[str, str]) -> Path:
    path = Path(local_conf["config"])
    return path if path.is_absolute() else Path(global_conf.get("here", ".")) / path


def _reloading(global_conf: Mapping[str, str], local_conf: Mapping[str, str]) -> Path | None:
    """The config file to watch, when the section asks for ``reload = true``."""
    if "config" not in local_conf:
        return None
    value = local_conf.get("reload", "false").strip().lower()
    if value not in {"true", "false"}:
        raise ConfigError(
            [Problem("reload", "type-bool", f"expected true or false, got {value!r}", "true")]
        )
    return _config_path(global_conf, local_conf) if value == "true" else None


def _wrap(app: WSGIApplication, policy: Policy, watched: Path | None) -> CORSMiddleware:
    middleware = CORSMiddleware(app, policy=policy)
    if watched is not None:
        watch(watched, middleware.install)
    return middleware


def _read(global_conf: Mapping[str, str]) -> str:
    try:
        return Path(global_conf["__file__"]).read_text(encoding="utf-8")
    except (KeyError, OSError, UnicodeDecodeError):
        return ""


def _section_name(global_conf: Mapping[str, str], local_conf: Mapping[str, str]) -> str:
    """Name the ``[filter:NAME]`` section *local_conf* came from (PasteDeploy does not say)."""
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(_read(global_conf))
    except configparser.Error:
        return "[filter]"
    keys = set(local_conf)
    names = [
        name
        for name in parser.sections()
        if name.startswith("filter:") and set(parser[name]) - {"use"} == keys
    ]
    return f"[{names[0]}]" if len(names) == 1 else "[filter]"


def _legacy_policy(
    local_conf: Mapping[str, str], source: str, section: str
) -> tuple[Policy | None, Findings]:
    settings, problems, suggestion = _legacy.translate(local_conf, section)
    findings = Findings()
    findings.errors.extend(problems)
    policy, findings = policy_from_mapping(settings, source=source, findings=findings)
    # Point problems found in the translated rule back at the old keys.
    first = next(iter(re.findall(r"[^\s,]+", local_conf["policy"])), None)
    if first is not None:
        renamed = {new: f"{first}_{old}" for old, new in _legacy.LEGACY_FIELDS.items()}
        findings.annotate(
            lambda problem: dataclasses.replace(
                problem, location=_rename(problem.location, renamed)
            )
        )
    findings.warnings.insert(
        0,
        Problem(
            "policy",
            "legacy-config",
            "old wsgicors (2017) keys were translated",
            f"replace them with:\n{suggestion}",
            source=source,
        ),
    )
    return policy, findings


def _rename(location: str, renamed: Mapping[str, str]) -> str:
    field, bracket, rest = location.partition("[")
    return renamed.get(field, field) + bracket + rest


def _build(global_conf: Mapping[str, str], local_conf: Mapping[str, str]) -> Policy:
    policy, findings = policy_from_paste(global_conf, local_conf)
    findings.raise_or_warn()
    assert policy is not None  # noqa: S101 (no errors, so a policy)
    return policy


def filter_factory(
    global_conf: Mapping[str, str], **local_conf: str
) -> Callable[[WSGIApplication], CORSMiddleware]:
    """``paste.filter_factory``: compile the policy once, wrap the app PasteDeploy passes."""
    watched = _reloading(global_conf, local_conf)
    policy = _build(global_conf, local_conf)

    def make_filter(app: WSGIApplication) -> CORSMiddleware:
        return _wrap(app, policy, watched)

    return make_filter


def filter_app_factory(
    app: WSGIApplication, global_conf: Mapping[str, str], **local_conf: str
) -> CORSMiddleware:
    """``paste.filter_app_factory``: wrap *app* with the section's policy."""
    watched = _reloading(global_conf, local_conf)
    return _wrap(app, _build(global_conf, local_conf), watched)
