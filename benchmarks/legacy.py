"""wsgicors 0.7.0, the 2017 PyPI package this project replaces, as a benchmark contender.

It cannot be a dependency of the bench extra: its distribution is also called ``wsgicors``,
it installs a top-level module ``wsgicors`` (which would shadow this package, or be shadowed by
it, depending on the order of ``sys.path``) and registers the same PasteDeploy entry point name.
So :func:`fetch` downloads its sdist from PyPI with pip (checked against a pinned SHA-256),
keeps only its one module under ``build/benchmarks/``, and :func:`load` imports that file under
the name ``wsgicors_0_7``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
VERSION = "0.7.0"
SDIST = f"wsgicors-{VERSION}.tar.gz"
SDIST_SHA256 = "ccab43d60f02971d548f24209939818bb85fddf9367d4668e0db787b071f3d99"
MODULE = ROOT / "build" / "benchmarks" / f"wsgicors-{VERSION}" / "wsgicors_0_7.py"


def fetch() -> Path:
    """Download wsgicors 0.7.0 once; return the path of its module."""
    if MODULE.is_file():
        return MODULE
    with tempfile.TemporaryDirectory() as temporary:
        subprocess.run(  # noqa: S603 (pip, with a pinned requirement)
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
             ":all:", "--dest", temporary, f"wsgicors=={VERSION}"],
            check=True,
        )  # fmt: skip
        sdist = Path(temporary, SDIST)
        digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
        if digest != SDIST_SHA256:
            raise RuntimeError(f"{SDIST} has SHA-256 {digest}, expected {SDIST_SHA256}")
        with tarfile.open(sdist) as archive:
            member = archive.extractfile(f"wsgicors-{VERSION}/wsgicors.py")
            assert member is not None
            source = member.read()
    MODULE.parent.mkdir(parents=True, exist_ok=True)
    MODULE.write_bytes(source)
    return MODULE


def load() -> ModuleType:
    """Import the fetched wsgicors 0.7.0 as ``wsgicors_0_7``."""
    if not MODULE.is_file():
        raise SystemExit(f"wsgicors {VERSION} is not fetched: run python benchmarks/legacy.py")
    name = MODULE.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, MODULE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    print(fetch())
