"""Shared test configuration."""

from __future__ import annotations

import os

from hypothesis import settings

# Timing is never asserted in this suite: examples may run slowly on a loaded machine. On CI,
# Hypothesis' own "ci" profile (derandomized, no deadline, no example database) applies.
settings.register_profile("local", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "local")
