#!/usr/bin/env bash
# Build the wheel compiled with mypyc (WSGICORS_COMPILE=1) from a fresh sdist, as the release
# wheels are built, and install it into a new venv at VENV (replaced if it exists).
#
#   bash scripts/compiled-venv.sh VENV
#
# The venv is made with --system-site-packages so that it shares the test and benchmark
# dependencies that scripts/install-test-deps.sh installed (installing them again would cost
# minutes and test nothing of ours). wsgicors itself comes from the venv: the wheel is
# installed there with --ignore-installed, and the venv's site-packages comes before the
# system's on sys.path. Its users check that (scripts/run_installed_tests.py,
# benchmarks/builds.py). Needs a C compiler; `python -m build` installs the build's own
# requirements (hatchling, mypy, setuptools) into an isolated build environment.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:?usage: compiled-venv.sh VENV}"

dist="$(mktemp -d)"
trap 'rm -rf "$dist"' EXIT
WSGICORS_COMPILE=1 python -m build --outdir "$dist" . >"$dist/build.log" 2>&1 || {
    cat "$dist/build.log"
    exit 1
}
wheel="$(ls "$dist"/*.whl)"
case "$wheel" in
*-none-any.whl)
    echo "the build made a pure-Python wheel: $wheel" >&2
    exit 1
    ;;
esac
rm -rf "$venv"
python -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install --quiet --no-deps --ignore-installed "$wheel"
echo "installed $(basename "$wheel") into $venv"
