"""Tests for wsgicors.public_suffixes and the script that refreshes its data file."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsgicors.public_suffixes import (
    DATA_FILE,
    PublicSuffixRules,
    is_public_suffix,
    load_rules,
    parse_rules,
    public_suffix_below,
    snapshot_date,
)

if TYPE_CHECKING:
    from types import ModuleType

REFRESH_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "refresh_public_suffixes.py"
SHIPPED_TEXT = resources.files("wsgicors").joinpath(DATA_FILE).read_text(encoding="ascii")
RULES = load_rules()
RULE_NAMES = sorted(RULES.exact | RULES.wildcard_roots | RULES.exceptions)
RULE_LABELS = sorted({label for name in RULE_NAMES for label in name.split(".")})
# A DNS label as it appears in a serialized origin's host (kept short to stay readable).
LABELS = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


def shipped_header(name: str) -> str:
    """Return the value of the ``// {name}: value`` header line of the shipped data file."""
    match = re.search(rf"^// {name}: (.*)$", SHIPPED_TEXT, re.MULTILINE)
    assert match is not None, f"no {name!r} header"
    return match[1]


# --- the shipped data ---------------------------------------------------------------------


def test_shipped_data_holds_the_whole_list_in_both_sections() -> None:
    assert len(RULES.icann) + len(RULES.private) > 9000
    assert len(RULES.icann) > 6000
    assert len(RULES.private) > 3000
    # Every rule sits in one section once, and lands in exactly one lookup set.
    assert set(RULES.icann).isdisjoint(RULES.private)
    rule_count = len(RULES.icann) + len(RULES.private)
    assert len(set(RULES.icann) | set(RULES.private)) == rule_count
    assert len(RULES.exact) + len(RULES.wildcard_roots) + len(RULES.exceptions) == rule_count


@pytest.mark.parametrize(
    ("rule", "section"),
    [
        pytest.param("com", "icann", id="com"),
        pytest.param("co.uk", "icann", id="co.uk"),
        pytest.param("*.ck", "icann", id="wildcard *.ck"),
        pytest.param("!www.ck", "icann", id="exception !www.ck"),
        pytest.param("xn--55qx5d.cn", "icann", id="IDN 公司.cn as its A-label"),
        pytest.param("github.io", "private", id="github.io"),
        pytest.param("*.compute.amazonaws.com", "private", id="wildcard *.compute.amazonaws.com"),
    ],
)
def test_shipped_rules_keep_their_section(rule: str, section: str) -> None:
    assert rule in getattr(RULES, section)
    other_section = "private" if section == "icann" else "icann"
    assert rule not in getattr(RULES, other_section)


def test_shipped_data_is_normalised_lower_case_ascii() -> None:
    rule_lines = [line for line in SHIPPED_TEXT.splitlines() if not line.startswith("//")]
    assert rule_lines == [*RULES.icann, *RULES.private]
    assert all(line == line.lower() and line.isascii() for line in rule_lines)
    assert sum(1 for line in rule_lines if "xn--" in line) > 400


def test_rules_are_parsed_once() -> None:
    assert load_rules() is load_rules()


def test_importing_the_module_reads_no_data() -> None:
    code = "import wsgicors.public_suffixes as module; print(module.load_rules.cache_info())"
    done = subprocess.run(  # noqa: S603 (fixed command, this interpreter)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout == "CacheInfo(hits=0, misses=0, maxsize=None, currsize=0)\n"


def test_snapshot_date_is_the_iso_date_of_the_list_version() -> None:
    day = snapshot_date()
    assert date.fromisoformat(day).isoformat() == day
    # The refresh script takes the date from the list's own VERSION stamp.
    assert shipped_header("List version").startswith(f"{day}_")


# --- is_public_suffix ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    [
        "com",
        "co.uk",
        "police.uk",
        "ac.jp",
        "co.id",
        "ru.com",
        "github.io",
        "pythonanywhere.com",
        "azureedge.net",
        "s3.eu-west-1.amazonaws.com",
        "myshopify.com",
        "blogspot.com",
        "cloudfunctions.net",
        "xn--55qx5d.cn",
        pytest.param("anything.ck", id="wildcard *.ck"),
        pytest.param("c.kobe.jp", id="wildcard *.kobe.jp"),
        pytest.param("ec2-1-2-3-4.compute.amazonaws.com", id="wildcard in the private section"),
        pytest.param("kobe.jp", id="root of wildcard *.kobe.jp"),
        pytest.param("compute.amazonaws.com", id="root of wildcard *.compute.amazonaws.com"),
        pytest.param("localhost", id="localhost: a single label like any other"),
        pytest.param("example", id="an unlisted TLD: the default rule *"),
    ],
)
def test_public_suffixes(domain: str) -> None:
    assert is_public_suffix(domain) is True


@pytest.mark.parametrize(
    "domain",
    [
        "example.com",
        "example.co.uk",
        "python.org",
        "example.github.io",
        pytest.param("www.ck", id="exception !www.ck"),
        pytest.param("a.www.ck", id="below an exception"),
        pytest.param("city.kobe.jp", id="exception !city.kobe.jp"),
        pytest.param("a.anything.ck", id="one label below a wildcard match"),
        pytest.param("a.b.kobe.jp", id="two labels below a wildcard root"),
        pytest.param("example.unlisted", id="below an unlisted TLD"),
        # Google took the country-code blogspot domains off the list; blogspot.com stays.
        pytest.param("blogspot.co.uk", id="blogspot.co.uk, no longer listed"),
        pytest.param("", id="empty"),
        pytest.param(".ck", id="empty label under a wildcard root"),
        pytest.param(".com", id="empty label under a TLD"),
    ],
)
def test_not_public_suffixes(domain: str) -> None:
    assert is_public_suffix(domain) is False


def test_the_data_holds_wildcard_roots_that_no_normal_rule_lists() -> None:
    # So the "root of a wildcard" cases above exercise that rule, not an exact match.
    assert "kobe.jp" in RULES.wildcard_roots - RULES.exact
    assert "compute.amazonaws.com" in RULES.wildcard_roots - RULES.exact


@given(label=LABELS)
def test_every_single_label_is_a_public_suffix(label: str) -> None:
    assert is_public_suffix(label) is True


@given(root=st.sampled_from(sorted(RULES.wildcard_roots)), label=LABELS)
def test_a_wildcard_matches_any_label_but_its_exceptions(root: str, label: str) -> None:
    name = f"{label}.{root}"
    assert is_public_suffix(name) is (name not in RULES.exceptions)
    assert is_public_suffix(root) is True


@pytest.mark.parametrize("exception", sorted(RULES.exceptions))
def test_an_exception_is_registrable_under_its_wildcard_root(exception: str) -> None:
    wildcard_root = exception.partition(".")[2]
    assert wildcard_root in RULES.wildcard_roots
    assert is_public_suffix(exception) is False
    assert is_public_suffix(wildcard_root) is True
    assert is_public_suffix(f"www.{exception}") is False


# --- agreement with the publicsuffixlist package ------------------------------------------


@pytest.fixture(scope="module")
def reference() -> Any:
    """The publicsuffixlist package's matcher, fed the very data file this package ships.

    Feeding it our file (rather than its own copy) compares the algorithms on identical rules,
    whatever version of the package is installed.
    """
    publicsuffixlist = pytest.importorskip("publicsuffixlist")
    return publicsuffixlist.PublicSuffixList(SHIPPED_TEXT)


def reference_says_public(reference: Any, domain: str) -> bool:
    """Return whether the reference's public suffix of *domain* is *domain* itself."""
    return bool(reference.publicsuffix(domain) == domain)


def test_every_rule_name_agrees_with_publicsuffixlist(reference: Any) -> None:
    names = {*RULE_NAMES}
    names.update(f"zz0.{name}" for name in RULE_NAMES)
    names.update(name.partition(".")[2] for name in RULE_NAMES if "." in name)
    disagreements = sorted(
        name for name in names if is_public_suffix(name) != reference_says_public(reference, name)
    )
    assert disagreements == []


@st.composite
def domains_near_rules(draw: st.DrawFn) -> str:
    """A real rule's name, or a suffix of it, below zero to three real or random labels."""
    rule_labels = draw(st.sampled_from(RULE_NAMES)).split(".")
    kept = draw(st.integers(min_value=1, max_value=len(rule_labels)))
    prefix = draw(st.lists(st.sampled_from(RULE_LABELS) | LABELS, max_size=3))
    return ".".join([*prefix, *rule_labels[-kept:]])


@settings(max_examples=500)
@given(domain=domains_near_rules())
def test_is_public_suffix_agrees_with_publicsuffixlist(reference: Any, domain: str) -> None:
    assert is_public_suffix(domain) is reference_says_public(reference, domain)


# --- parse_rules ----------------------------------------------------------------------------

SAMPLE = """\
// A header line.
// Snapshot date: 2026-01-31
// ===BEGIN ICANN DOMAINS===
uk
co.uk
*.ck
!www.ck
// ===END ICANN DOMAINS===
// ===BEGIN PRIVATE DOMAINS===
github.io
// ===END PRIVATE DOMAINS===
"""


def test_parse_rules_sorts_rules_into_sections_and_lookup_sets() -> None:
    assert parse_rules(SAMPLE) == PublicSuffixRules(
        snapshot_date="2026-01-31",
        icann=("uk", "co.uk", "*.ck", "!www.ck"),
        private=("github.io",),
        exact=frozenset({"uk", "co.uk", "github.io"}),
        wildcard_roots=frozenset({"ck"}),
        exceptions=frozenset({"www.ck"}),
        parents=frozenset({"uk", "io"}),
    )


@pytest.mark.parametrize(
    ("domain", "below"),
    [
        ("amazonaws.com", "s3.amazonaws.com"),
        ("windows.net", "web.core.windows.net"),
        ("fastly.net", "map.fastly.net"),
        ("example.com", None),
        ("s3.eu-west-1.amazonaws.com", None),
        ("python.org", None),
    ],
)
def test_public_suffix_below(domain: str, below: str | None) -> None:
    found = public_suffix_below(domain)
    assert found == below
    if found is not None:
        assert found.endswith("." + domain)
        assert is_public_suffix(found)


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("Co.uk", id="upper case"),
        pytest.param("公司.cn", id="non-ASCII"),
        pytest.param("", id="blank line"),
        pytest.param("co.uk.", id="trailing dot"),
        pytest.param("-co.uk", id="label starting with a hyphen"),
        pytest.param("a.*.b", id="wildcard not leftmost"),
        pytest.param("!*.ck", id="exception and wildcard"),
        pytest.param("co.uk # comment", id="trailing text"),
    ],
)
def test_parse_rules_refuses_a_malformed_line(line: str) -> None:
    text = SAMPLE.replace("co.uk\n", f"{line}\n", 1)
    message = f"{DATA_FILE} line 5: {line!r} is not a rule inside a section"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_rules(text)


@pytest.mark.parametrize(
    ("text", "line_number"),
    [
        pytest.param("// Snapshot date: 2026-01-31\nco.uk\n", 2, id="before any section"),
        pytest.param(SAMPLE + "co.uk\n", 12, id="after the last section"),
    ],
)
def test_parse_rules_refuses_a_rule_outside_the_sections(text: str, line_number: int) -> None:
    message = f"{DATA_FILE} line {line_number}: 'co.uk' is not a rule inside a section"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_rules(text)


def test_parse_rules_requires_the_snapshot_date() -> None:
    message = f"{DATA_FILE} has no '// Snapshot date: YYYY-MM-DD' line"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_rules(SAMPLE.replace("// Snapshot date: 2026-01-31\n", ""))


def test_parse_rules_refuses_an_impossible_snapshot_date() -> None:
    with pytest.raises(ValueError, match="day is out of range for month"):
        parse_rules(SAMPLE.replace("2026-01-31", "2026-02-30"))


# --- scripts/refresh_public_suffixes.py -----------------------------------------------------


@pytest.fixture(scope="module")
def refresh_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_public_suffixes", REFRESH_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SOURCE_LIST = """\
// Licence text.
// VERSION: 2026-01-31_08-00-00_UTC
// COMMIT: 0123456789abcdef0123456789abcdef01234567
// ===BEGIN ICANN DOMAINS===
// uk : https://example.invalid/uk
UK  ignored words after the rule
co.uk
// cn : https://example.invalid/cn
公司.cn
cn
// ===END ICANN DOMAINS===

// ===BEGIN PRIVATE DOMAINS===
!www.ck
faß.example
*.ck
// ===END PRIVATE DOMAINS===
"""

RENDERED_LIST = """\
// Public Suffix List (https://publicsuffix.org/list/), normalised for wsgicors.
// This Source Code Form is subject to the terms of the Mozilla Public License, v. 2.0.
// If a copy of the MPL was not distributed with this file, You can obtain one at
// https://mozilla.org/MPL/2.0/.
// Source: the publicsuffixlist package 9.9.9.20260201 on PyPI
// List version: 2026-01-31_08-00-00_UTC, commit 0123456789abcdef0123456789abcdef01234567
// Snapshot date: 2026-01-31
// Format: one rule per line, lower-case ASCII (IDN labels as xn--), upstream comments
// dropped, rules sorted by labels from the right within each section.
// Regenerate: python scripts/refresh_public_suffixes.py
// ===BEGIN ICANN DOMAINS===
cn
xn--55qx5d.cn
uk
co.uk
// ===END ICANN DOMAINS===
// ===BEGIN PRIVATE DOMAINS===
*.ck
!www.ck
xn--fa-hia.example
// ===END PRIVATE DOMAINS===
"""


def test_refresh_normalises_rules_to_lower_case_a_labels(
    refresh_script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    rendered = refresh_script.render(SOURCE_LIST, "9.9.9.20260201")
    assert rendered == RENDERED_LIST
    assert parse_rules(rendered).exact == {
        "cn",
        "xn--55qx5d.cn",
        "uk",
        "co.uk",
        "xn--fa-hia.example",
    }
    # IDNA 2008 (what browsers use) keeps the sharp s; Python's IDNA 2003 codec maps it to ss.
    assert capsys.readouterr().err == (
        "note: line 15: 'faß' is xn--fa-hia under IDNA 2008; IDNA 2003 would give fass\n"
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        pytest.param(
            "e\u0301.fr",
            "line 2: label 'e\u0301' is not lower-case NFC; the list publishes canonical "
            "labels, so this needs a human look",
            id="decomposed accent",
        ),
        pytest.param("Ça.fr", "line 2: label 'Ça' is not lower-case NFC", id="upper case IDN"),
        pytest.param("a.*.fr", "line 2: 'a.*.fr' has a wildcard", id="inner wildcard"),
        pytest.param("!*.fr", "line 2: '!*.fr' has a wildcard", id="wildcard exception"),
        pytest.param("*", "line 2: '*' has a wildcard", id="bare wildcard"),
        pytest.param("a_b.fr", "line 2: 'a_b' is not a valid host label", id="underscore"),
        pytest.param("a..fr", "line 2: '' is not a valid host label", id="empty label"),
        pytest.param(
            f"{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 63}",
            "is longer than a host name can be",
            id="too long",
        ),
        pytest.param("fr\nfr", "line 3: 'fr' already appears in the ICANN section", id="twice"),
    ],
)
def test_refresh_refuses_a_rule_it_cannot_normalise(
    refresh_script: ModuleType, rule: str, message: str
) -> None:
    source = f"// ===BEGIN ICANN DOMAINS===\n{rule}\n// ===END ICANN DOMAINS===\n"
    source += "// ===BEGIN PRIVATE DOMAINS===\ngithub.io\n// ===END PRIVATE DOMAINS===\n"
    with pytest.raises(ValueError, match=re.escape(message)):
        refresh_script.render(source, "1.0.0.20260101")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            "co.uk\n", "line 1: 'co.uk' is outside the ICANN/PRIVATE sections", id="no section"
        ),
        pytest.param(
            "// ===BEGIN ICANN DOMAINS===\nuk\n// ===END ICANN DOMAINS===\n",
            "the source list has no rules in section(s) PRIVATE",
            id="no private section",
        ),
    ],
)
def test_refresh_refuses_a_list_without_its_sections(
    refresh_script: ModuleType, source: str, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        refresh_script.render(source, "1.0.0.20260101")


def test_refresh_dates_a_list_without_version_by_the_package_version(
    refresh_script: ModuleType,
) -> None:
    assert refresh_script.snapshot_date_of("// no stamp\n", "1.1.2.20261023") == "2026-10-23"
    with pytest.raises(ValueError, match=r"^neither the list nor version '1\.0' carries a date$"):
        refresh_script.snapshot_date_of("// no stamp\n", "1.0")


def test_refresh_script_reproduces_the_shipped_file(
    refresh_script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("publicsuffixlist")
    _, installed_version = refresh_script.read_installed_list()
    shipped_version = shipped_header("Source").split()[3]
    if installed_version != shipped_version:
        pytest.skip(
            f"publicsuffixlist {installed_version} is installed; the data is from {shipped_version}"
        )
    output_path = tmp_path / DATA_FILE
    assert refresh_script.main(["--output", str(output_path)]) == 0
    assert output_path.read_bytes() == SHIPPED_TEXT.encode("ascii")
    rule_count = len(RULES.icann) + len(RULES.private)
    assert capsys.readouterr().out == (
        f"wrote {rule_count} rules from publicsuffixlist {installed_version} to {output_path}\n"
    )
