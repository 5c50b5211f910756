"""Hatch build hook: with ``WSGICORS_COMPILE=1``, compile the runtime modules with mypyc.

    WSGICORS_COMPILE=1 python -m pip install .      # a compiled install
    WSGICORS_COMPILE=1 python -m build              # sdist + compiled wheel (the release wheels)

Without the variable the hook does nothing: source and editable installs stay pure Python and
need neither mypy nor a C compiler. The modules to compile are listed in ``pyproject.toml``
(``[tool.hatch.build.targets.wheel.hooks.custom] mypyc-modules``). The wheel keeps every
``.py`` file; Python imports an extension module before a source file of the same name, so the
compiled module is the one that runs.

mypyc runs on a copy of the package in a temporary directory, never in the project tree: an
in-place build would leave ``.so`` files beside the sources, and those would shadow the
``.py`` files of an editable install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = "wsgicors"
SWITCH = "WSGICORS_COMPILE"
#: mypyc's shared library for the whole group is named after the group: wsgicors__mypyc.*
GROUP = PACKAGE
EXTENSION_GLOBS = ("*.so", "*.pyd")

# Run in a subprocess so that mypy and setuptools are imported only when compiling, and their
# global state (setuptools' argv parsing, mypy's caches) never touches the build backend.
SETUP_SCRIPT = """\
import sys
from mypyc.build import mypycify
from setuptools import setup

sys.argv[1:] = ["build_ext", "--inplace"]
setup(name="{group}-mypyc", ext_modules=mypycify({files!r}, group_name={group!r}))
"""


def compile_requested() -> bool:
    """Whether ``WSGICORS_COMPILE`` asks for the compiled build (unset, 0 or empty: no)."""
    value = os.environ.get(SWITCH, "").strip().lower()
    if value in {"", "0", "false", "no"}:
        return False
    if value in {"1", "true", "yes"}:
        return True
    raise ValueError(f"{SWITCH}={value!r}: use 1 to compile with mypyc, or 0 (or unset) not to")


class MypycBuildHook(BuildHookInterface[BuilderConfig]):
    """Compile ``mypyc-modules`` into the wheel when ``WSGICORS_COMPILE=1``."""

    def dependencies(self) -> list[str]:
        """Build requirements added only for a compiled build: mypy (which ships mypyc), at
        the version the project type-checks with, and setuptools (mypyc builds through it)."""
        if not compile_requested():
            return []
        dev = self.metadata.core.optional_dependencies.get("dev", [])
        mypy = next((pin for pin in dev if pin.replace(" ", "").startswith("mypy==")), "mypy")
        return [mypy, "setuptools>=70"]

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        # An editable install runs the sources in place, so it always stays pure Python.
        if self.target_name != "wheel" or version == "editable" or not compile_requested():
            return
        modules = self.config.get("mypyc-modules")
        if not isinstance(modules, list) or not modules:
            raise TypeError("the custom build hook needs a non-empty list 'mypyc-modules'")
        self.workdir = Path(tempfile.mkdtemp(prefix="wsgicors-mypyc-"))
        shutil.copytree(
            Path(self.root, PACKAGE),
            self.workdir / PACKAGE,
            ignore=shutil.ignore_patterns("__pycache__", *EXTENSION_GLOBS),
        )
        files = [f"{PACKAGE}/{module}.py" for module in modules]
        missing = [name for name in files if not (self.workdir / name).is_file()]
        if missing:
            raise FileNotFoundError(f"mypyc-modules names files that do not exist: {missing}")
        script = self.workdir / "setup_mypyc.py"
        script.write_text(SETUP_SCRIPT.format(files=files, group=GROUP), encoding="utf-8")
        done = subprocess.run(  # noqa: S603 (this interpreter, our own generated script)
            [sys.executable, script.name],
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"mypyc failed ({done.returncode}):\n{done.stdout}")
        compiled = {
            path: path.relative_to(self.workdir).as_posix()
            for pattern in EXTENSION_GLOBS
            for path in [
                *self.workdir.glob(pattern),
                *(self.workdir / PACKAGE).glob(pattern),
            ]
        }
        # One extension per module, plus the group's shared library when there are several.
        expected = {f"{PACKAGE}/{module}." for module in modules}
        if len(modules) > 1:
            expected.add(f"{GROUP}__mypyc.")
        unbuilt = sorted(
            prefix
            for prefix in expected
            if not any(n.startswith(prefix) for n in compiled.values())
        )
        if unbuilt:
            raise RuntimeError(f"mypyc built no extension for {unbuilt}:\n{done.stdout}")
        build_data["force_include"].update({str(path): name for path, name in compiled.items()})
        # Extensions make the wheel specific to this interpreter and platform.
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        workdir = getattr(self, "workdir", None)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
