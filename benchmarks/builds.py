"""The two builds under measurement, and how a benchmark process picks one.

``pure`` is the source tree, run by the interpreter that runs the benchmarks. ``compiled`` is
the wheel compiled with mypyc (``WSGICORS_COMPILE=1``), installed by
``scripts/compiled-venv.sh`` into its own venv, so that both builds of the same source can be
measured in one run (they cannot share a process: both are the package ``wsgicors``).

Every benchmark entry point runs as a script from this folder and calls :func:`select` before
it imports wsgicors: the pure build puts the project root first on ``sys.path``; the compiled
build puts first a folder that links to the root's ``benchmarks`` and ``tests`` only, so that
those are this checkout's while ``wsgicors`` is the one installed in the venv. :func:`select`
then checks that the imported package is the build asked for, so a benchmark never times the
wrong one.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILDS = ("compiled", "pure")
#: Where run_all.sh has scripts/compiled-venv.sh install the compiled wheel (the variable
#: WSGICORS_BENCH_VENV points elsewhere: the smoke test builds its own).
COMPILED_VENV = Path(os.environ.get("WSGICORS_BENCH_VENV", ROOT / "build" / "benchmarks" / "venv"))
#: Set by the coordinator for the processes it starts (workers, gunicorn).
BUILD_VARIABLE = "WSGICORS_BENCH_BUILD"


def interpreter(build: str) -> str:
    """The Python that runs *build*."""
    if build == "pure":
        return sys.executable
    scripts = "Scripts" if os.name == "nt" else "bin"
    return str(COMPILED_VENV / scripts / ("python.exe" if os.name == "nt" else "python"))


def select(build: str) -> str:
    """Make ``import wsgicors`` give *build* in this process; return the build's label."""
    if build not in BUILDS:
        raise SystemExit(f"unknown build {build!r}: choose from {', '.join(BUILDS)}")
    sys.path.insert(0, str(ROOT if build == "pure" else _links()))
    import wsgicors.middleware

    compiled = wsgicors.middleware.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    source = Path(wsgicors.__file__).resolve().parent
    if compiled != (build == "compiled") or (build == "pure") != (source == ROOT / "wsgicors"):
        raise SystemExit(
            f"asked for the {build} build, but wsgicors.middleware is "
            f"{wsgicors.middleware.__file__} (run scripts/compiled-venv.sh for the compiled one)"
        )
    return build


def _links() -> Path:
    """A folder holding links to the project's ``benchmarks`` and ``tests``, not its package.

    It lives outside the project: links inside it back into the tree make ``python -m build``
    leave ``tests/`` out of the sdist (hatch skips what it reaches through an ignored folder).
    """
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"wsgicors-benchmarks-{checkout}" / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("benchmarks", "tests"):
        link = folder / name
        if link.is_symlink() and link.resolve() != ROOT / name:
            link.unlink()  # left by a checkout at another place
        # It may exist already, made by an earlier run or by a process started beside this one.
        with contextlib.suppress(FileExistsError):
            link.symlink_to(ROOT / name, target_is_directory=True)
    return folder


def command(build: str, script: str, *args: str) -> list[str]:
    """The command line that runs benchmarks/*script* on *build*'s interpreter."""
    return [interpreter(build), str(ROOT / "benchmarks" / script), "--build", build, *args]


def environment(build: str) -> dict[str, str]:
    """The environment of a process running *build*: nothing may put a source tree first."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env[BUILD_VARIABLE] = build
    return env


def available() -> list[str]:
    """The builds this machine can run: the compiled one once its venv exists."""
    return [build for build in BUILDS if Path(interpreter(build)).exists()]
