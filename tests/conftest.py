"""Shared test configuration."""

from __future__ import annotations

import os

from hypothesis import settings

# Timing is never asserted in this suite: examples may run slowly on a loaded machine. On CI,
# Hypothesis' own "ci" profile (derandomized, no deadline, no example database) applies.
settings.register_profile("local", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "local")


def pytest_terminal_summary(terminalreporter: object) -> None:
    """Report how many requests the differential fuzzer generated, when it ran."""
    from tests.property import test_fuzz

    count = test_fuzz.COUNT["requests"]
    if count:
        terminalreporter.write_line(f"fuzz: {count} generated requests agreed with the reference")  # type: ignore[attr-defined]
