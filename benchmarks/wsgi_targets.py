"""The hello app, bare and wrapped, for the gunicorn throughput measurement.

gunicorn imports it from benchmarks/ (its working folder) in a process of one build, named by
``WSGICORS_BENCH_BUILD``; :func:`builds.select` makes sure that build's wsgicors is the one
imported.
"""

from __future__ import annotations

import os

import builds

builds.select(os.environ[builds.BUILD_VARIABLE])

from benchmarks.contenders import SCENARIOS, build_wsgicors, hello  # noqa: E402

bare = hello
wrapped = build_wsgicors(hello, next(s for s in SCENARIOS if s.name == "allowed"))
