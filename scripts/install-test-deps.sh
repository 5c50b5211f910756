#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine: the project with its
# test and dev extras (pip), and Debian's Chromium for the browser suite (apt). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the browser suite; wrk: the load generator of the benchmark smoke run.
if ! command -v chromium >/dev/null 2>&1 || ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium wrk >/dev/null
fi
python -m pip install --quiet -e '.[dev]'
