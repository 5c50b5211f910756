"""Run the test suite against the *installed* wsgicors, never the source tree's.

    python scripts/run_installed_tests.py --build compiled [PYTEST ARGS...]

Run it with the interpreter that has the wheel installed (scripts/test-compiled.sh does, in a
fresh venv; cibuildwheel's test command does too). The tests, the root conftest.py,
pyproject.toml (pytest's configuration), the docs and the examples are copied to a temporary
folder that has no ``wsgicors/`` in it, and pytest runs there. That matters beyond pytest's own
imports: the integration tests start ``python -m wsgicors`` and gunicorn with that folder as
their working directory, and a ``wsgicors/`` there would come first on their ``sys.path``.

Before pytest starts, the script checks what a subprocess in that folder imports: the package
from this interpreter's site-packages and, for ``--build compiled``, every module listed in
``mypyc-modules`` as an extension module, with ``python -m wsgicors --version`` saying
"compiled with mypyc". Coverage does not apply to compiled modules, so pytest gets
``--no-cov``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the tests read besides the package: pytest's configuration, the Sybil-run docs, the
# examples and recipes the integration tests serve, and the refresh script one test runs.
COPIED = ["tests", "docs", "examples", "scripts", "conftest.py", "pyproject.toml", "README.md"]
BUILD_NAMES = {"pure": "pure Python", "compiled": "compiled with mypyc"}

PROBE = """\
import importlib, importlib.machinery, json, sys
import wsgicors
modules = {name: importlib.import_module("wsgicors." + name).__file__ for name in sys.argv[1:]}
suffixes = importlib.machinery.EXTENSION_SUFFIXES
print(json.dumps({"package": wsgicors.__file__, "version": wsgicors.__version__,
                  "modules": modules, "extension_suffixes": suffixes}))
"""


def compiled_modules() -> list[str]:
    """The modules the compiled build compiles (pyproject.toml, read by hatch_build.py)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    modules: list[str] = config["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["custom"][
        "mypyc-modules"
    ]
    return modules


def copy_test_tree(destination: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "_build", ".hypothesis", "*.pyc")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore)
        else:
            shutil.copy2(source, destination / name)
    if (destination / "wsgicors").exists():  # a guard on COPIED itself
        raise RuntimeError("the copied tree must not contain the package")


def check_installed(workdir: Path, build: str, env: dict[str, str]) -> str:
    """Fail unless a subprocess in *workdir* imports the installed build; return its version."""
    modules = compiled_modules()
    probe = subprocess.run(  # noqa: S603 (this interpreter, a fixed probe)
        [sys.executable, "-c", PROBE, *modules],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(probe.stdout)
    site_dirs = {Path(sysconfig.get_path(kind)).resolve() for kind in ("purelib", "platlib")}
    package = Path(found["package"]).resolve()
    if not any(package.is_relative_to(site) for site in site_dirs):
        raise SystemExit(f"wsgicors comes from {package}, not from {sorted(map(str, site_dirs))}")
    suffixes = tuple(found["extension_suffixes"])
    for name, file in found["modules"].items():
        is_extension = file.endswith(suffixes)
        if is_extension != (build == "compiled"):
            raise SystemExit(f"wsgicors.{name} is {file}: not the {build} build")
    said = subprocess.run(
        [sys.executable, "-m", "wsgicors", "--version"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    expected = f"wsgicors {found['version']} ({BUILD_NAMES[build]})"
    if said != expected:
        raise SystemExit(f"python -m wsgicors --version printed {said!r}, expected {expected!r}")
    print(f"testing {expected} from {package.parent}")
    return str(found["version"])


def show_the_build_in_docs(workdir: Path, version: str, build: str) -> None:
    """The docs show the pure build's ``--version`` line; in the copy, show this build's, so
    the docs example checks the build under test instead of failing on it."""
    pure = f"wsgicors {version} ({BUILD_NAMES['pure']})"
    for page in (workdir / "docs").rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        if pure in text:
            page.write_text(text.replace(pure, f"wsgicors {version} ({BUILD_NAMES[build]})"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--build", choices=sorted(BUILD_NAMES), required=True)
    args, pytest_args = parser.parse_known_args()
    # Nothing from the environment may put a source tree first on the path.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    with tempfile.TemporaryDirectory(prefix="wsgicors-installed-tests-") as temporary:
        workdir = Path(temporary)
        copy_test_tree(workdir)
        version = check_installed(workdir, args.build, env)
        if args.build != "pure":
            show_the_build_in_docs(workdir, version, args.build)
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--no-cov"]
        done = subprocess.run([*command, *pytest_args], cwd=workdir, env=env, check=False)  # noqa: S603
        return done.returncode


if __name__ == "__main__":
    sys.exit(main())
