"""The hello app, bare and wrapped, for the gunicorn throughput measurement."""

from __future__ import annotations

from benchmarks.contenders import SCENARIOS, build_wsgicors, hello

bare = hello
wrapped = build_wsgicors(hello, next(s for s in SCENARIOS if s.name == "allowed"))
