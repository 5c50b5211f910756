#!/usr/bin/env bash
# Test the compiled build: build the wheel compiled with mypyc (WSGICORS_COMPILE=1, from a
# fresh sdist, as the release wheels are), install it into a fresh venv, and run the test suite
# against it from a copy of the tests that has no wsgicors/ to shadow it.
#
#   bash scripts/test-compiled.sh                  # the whole suite, as CI runs it
#   bash scripts/test-compiled.sh tests/unit -x    # any pytest arguments instead
#
# scripts/compiled-venv.sh says how the venv gets the test dependencies;
# scripts/run_installed_tests.py refuses to start pytest unless a subprocess in the test
# folder imports wsgicors from the venv, with every compiled module an extension module.
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bash scripts/compiled-venv.sh "$work/venv"

if [ "$#" -eq 0 ]; then
    # Everything but the benchmark smoke run, which drives benchmarks/ from the source tree
    # and measures both builds itself.
    set -- --ignore=tests/integration/test_benchmarks_smoke.py
fi
"$work/venv/bin/python" scripts/run_installed_tests.py --build compiled "$@"
