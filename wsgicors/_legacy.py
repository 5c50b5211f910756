"""Translate the 2017 ``wsgicors`` package's paste.ini keys into a rule.

That package (documented on PyPI up to 0.7.0) selected one of several named policies by the
request's origin: ``policy = NAME[,NAME...]`` and per policy ``NAME_origin`` (``copy``, ``*``,
or space-separated origins with fnmatch wildcards), ``NAME_headers``, ``NAME_methods`` (``*`` or
a comma-separated list), ``NAME_expose_headers``, ``NAME_credentials`` (``true`` or not) and
``NAME_maxage``. wsgicors selects rules by path, so policies translate into one rule for every
path; its unsafe combinations are refused with the safe replacement spelled out.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from wsgicors.config import split_list
from wsgicors.errors import Problem

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["LEGACY_FIELDS", "translate"]

#: Old key suffix -> new rule keyword.
LEGACY_FIELDS: Final = {
    "origin": "allow_origins",
    "headers": "allow_headers",
    "methods": "allow_methods",
    "expose_headers": "expose_headers",
    "credentials": "allow_credentials",
    "maxage": "max_age",
}
_FNMATCH_ONLY = re.compile(r"[?\[\]]")


def _policy_settings(
    name: str, conf: Mapping[str, str], problems: list[Problem]
) -> dict[str, object]:
    """Translate one named policy into rule keywords."""
    settings: dict[str, object] = {}
    credentials = conf.get(f"{name}_credentials", "").strip().lower() == "true"
    if credentials:
        settings["allow_credentials"] = True
    origin_key = f"{name}_origin"
    tokens = conf.get(origin_key, "").split()
    origins: list[str] = []
    if not tokens:
        problems.append(
            Problem(
                origin_key,
                "legacy-no-origin",
                f"policy {name!r} has no {origin_key}",
                f"set {origin_key} to the origins allowed",
            )
        )
    elif "copy" in tokens or "*" in tokens:
        if credentials:
            what = "'copy' reflected every origin" if "copy" in tokens else "'*'"
            problems.append(
                Problem(
                    origin_key,
                    "legacy-unsafe-credentials",
                    f"{what} together with {name}_credentials = true lets any site read "
                    "users' data",
                    f"list the trusted origins in {origin_key} (becomes allow_origins), or drop "
                    f"{name}_credentials",
                )
            )
            del settings["allow_credentials"]  # reported above; do not report it twice
        # Without credentials, echoing any origin and answering '*' grant the same access.
        origins = ["*"]
    else:
        for token in tokens:
            if _FNMATCH_ONLY.search(token):
                problems.append(
                    Problem(
                        origin_key,
                        "legacy-fnmatch",
                        f"fnmatch pattern {token!r} has no wsgicors equivalent",
                        "use 'https://*.example.com' globs, or write allow_origin_regex",
                    )
                )
            else:
                origins.append(token)
    settings["allow_origins"] = origins
    for suffix in ("headers", "methods", "expose_headers"):
        value = conf.get(f"{name}_{suffix}")
        if value is not None:
            settings[LEGACY_FIELDS[suffix]] = split_list(value)
    max_age = conf.get(f"{name}_maxage", "").strip()
    if max_age:
        settings["max_age"] = int(max_age) if max_age.isdigit() else max_age
    return settings


def translate(
    conf: Mapping[str, str], section: str = "[filter:cors]"
) -> tuple[dict[str, object], list[Problem], str]:
    """Translate the old keys in *conf* (the paste.ini *section*) into single-rule keywords.

    :returns: the rule keywords, the problems found, and the equivalent new configuration.
    """
    problems: list[Problem] = []
    names = split_list(conf.get("policy", "").replace(",", " "))
    if not names:
        problems.append(
            Problem("policy", "legacy-no-policy", "'policy' names no policy", "policy = NAME")
        )
    strategy = conf.get("matchstrategy", "firstmatch").strip()
    if strategy not in {"firstmatch", "verbmatch"}:
        problems.append(
            Problem(
                "matchstrategy",
                "legacy-matchstrategy",
                f"unknown matchstrategy {strategy!r}",
                "remove it: wsgicors picks rules by path",
            )
        )
    suffixes = "|".join(sorted(LEGACY_FIELDS, key=len, reverse=True))
    key_pattern = re.compile(rf"(?P<name>.+?)_(?:{suffixes})")
    for key in conf:
        match = key_pattern.fullmatch(key)
        if key in {"policy", "matchstrategy"}:
            continue
        if match is None or match["name"] not in names:
            problems.append(
                Problem(
                    key,
                    "config-unknown-key",
                    f"unknown key {key!r} beside 'policy'",
                    f"old-style keys are NAME_{{{', '.join(LEGACY_FIELDS)}}} for a NAME in policy",
                )
            )
    policies = [(name, _policy_settings(name, conf, problems)) for name in names]
    settings: dict[str, object] = dict(policies[0][1]) if policies else {}
    for name, other in policies[1:]:
        mine = {key: value for key, value in settings.items() if key != "allow_origins"}
        theirs = {key: value for key, value in other.items() if key != "allow_origins"}
        if mine != theirs:
            problems.append(
                Problem(
                    "policy",
                    "legacy-multiple-policies",
                    f"policies {names[0]!r} and {name!r} grant different access to different "
                    "origins; wsgicors chooses rules by path, not by origin",
                    "give each set of origins its own paths with a rules file (config = ...)",
                )
            )
            break
        merged = [*_origins(settings)]
        merged += [origin for origin in _origins(other) if origin not in merged]
        settings["allow_origins"] = ["*"] if "*" in merged else merged
    return settings, problems, _suggestion(settings, section)


def _origins(settings: Mapping[str, object]) -> list[str]:
    origins = settings["allow_origins"]
    assert isinstance(origins, list)  # noqa: S101 (_policy_settings always sets a list)
    return [str(origin) for origin in origins]


def _suggestion(settings: Mapping[str, object], section: str) -> str:
    lines = [section, "use = egg:wsgicors-ng#cors"]
    for key, value in settings.items():
        # Booleans print as PasteDeploy spells them ("true"); numbers as they are.
        text = " ".join(map(str, value)) if isinstance(value, list) else str(value).lower()
        lines.append(f"{key} = {text}")
    return "\n".join(lines)
