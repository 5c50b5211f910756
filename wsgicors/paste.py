"""PasteDeploy filter factories: ``[filter:cors]`` with ``use = egg:wsgicors-ng#cors``.

Three ways to configure the filter, one per section:

- ``config = %(here)s/cors.toml``: a rules file (TOML, JSON or INI), nothing else beside it;
- inline keys for one rule covering every path (``allow_origins = https://a.example ...``),
  lists separated by whitespace or newlines, booleans and integers as PasteDeploy users write
  them;
- the 2017 ``wsgicors`` package's keys (``policy = NAME``, ``NAME_origin`` ...), translated with
  a :class:`~wsgicors.ConfigWarning` that shows the equivalent new keys.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from wsgicors import _legacy
from wsgicors.config import load_policy, policy_from_mapping, policy_from_strings
from wsgicors.errors import ConfigError, ConfigWarning, Problem
from wsgicors.middleware import CORSMiddleware

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from _typeshed.wsgi import WSGIApplication

    from wsgicors.policy import Policy

__all__ = ["filter_app_factory", "filter_factory", "policy_from_paste"]


def policy_from_paste(global_conf: Mapping[str, str], local_conf: Mapping[str, str]) -> Policy:
    """Compile the policy a ``[filter:...]`` section describes."""
    source = f"{global_conf.get('__file__', 'paste.ini')} [filter]"
    if "config" in local_conf:
        others = sorted(set(local_conf) - {"config"})
        if others:
            raise ConfigError(
                [
                    Problem(
                        key,
                        "paste-config-and-keys",
                        f"{key!r} given beside 'config'",
                        "put every setting in the config file, or drop 'config'",
                        source=source,
                    )
                    for key in others
                ]
            )
        path = Path(local_conf["config"])
        if not path.is_absolute():
            path = Path(global_conf.get("here", ".")) / path
        return load_policy(path, stacklevel=4)
    if "policy" in local_conf:
        return _legacy_policy(local_conf, source)
    return policy_from_strings(local_conf, source=source, stacklevel=4)


def _legacy_policy(local_conf: Mapping[str, str], source: str) -> Policy:
    settings, problems, suggestion = _legacy.translate(local_conf)
    names = _legacy.LEGACY_FIELDS
    try:
        policy = policy_from_mapping(settings, source=source, pending=problems, stacklevel=5)
    except ConfigError as error:
        # Point problems found in the translated rule back at the old keys.
        first = next(iter(re.findall(r"[^\s,]+", local_conf["policy"])), None)
        renamed = {new: f"{first}_{old}" for old, new in names.items()} if first else {}
        raise ConfigError(
            Problem(
                _rename(problem.location, renamed),
                problem.code,
                problem.message,
                problem.hint,
                problem.source,
                problem.line,
            )
            for problem in error.problems
        ) from None
    warnings.warn(
        ConfigWarning(
            Problem(
                "policy",
                "legacy-config",
                "old wsgicors (2017) keys were translated",
                f"replace them with:\n{suggestion}",
                source=source,
            )
        ),
        stacklevel=4,
    )
    return policy


def _rename(location: str, renamed: Mapping[str, str]) -> str:
    field, bracket, rest = location.partition("[")
    return renamed.get(field, field) + bracket + rest


def filter_factory(
    global_conf: Mapping[str, str], **local_conf: str
) -> Callable[[WSGIApplication], CORSMiddleware]:
    """``paste.filter_factory``: compile the policy once, wrap the app PasteDeploy passes."""
    policy = policy_from_paste(global_conf, local_conf)

    def make_filter(app: WSGIApplication) -> CORSMiddleware:
        return CORSMiddleware.with_policy(app, policy)

    return make_filter


def filter_app_factory(
    app: WSGIApplication, global_conf: Mapping[str, str], **local_conf: str
) -> CORSMiddleware:
    """``paste.filter_app_factory``: wrap *app* with the section's policy."""
    return CORSMiddleware.with_policy(app, policy_from_paste(global_conf, local_conf))
