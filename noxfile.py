"""Run the core test suite on every supported CPython, and the unit tests from the sdist.

``python -m nox`` runs the ``tests`` session: tests/unit and tests/property on CPython 3.11,
3.12 and 3.13, each in a fresh virtualenv holding the project and its ``test-core`` extra.
Interpreters are looked up on ``PATH``, in version managers (uv, asdf, mise) and among every
version pyenv installed, selected or not; none is downloaded. Where the ``CI`` environment
variable is set, a missing interpreter fails the run; on a developer machine it is skipped
with a message, and the summary at the end says which versions ran.

``python -m nox -s sdist [-- PATH.tar.gz]`` builds the sdist (or takes the one given), unpacks
it into a temporary folder, installs it and runs the unit tests from there.
"""

from __future__ import annotations

import os
import re
import tarfile
import tempfile
from pathlib import Path

import nox

#: Every CPython the package supports (pyproject's requires-python and classifiers).
PYTHONS = ["3.11", "3.12", "3.13"]
CORE_SUITE = ["tests/unit", "tests/property"]
# Coverage is measured once, by the main run in .ci/run; here only the outcome counts.
PYTEST = ["python", "-m", "pytest", "-p", "no:cacheprovider", "--no-cov"]
# The same test of CI as tests/conftest.py's, which picks Hypothesis' "ci" profile.
ON_CI = bool(os.environ.get("CI"))

nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = ON_CI
# Only interpreters installed on this machine: a version that is not there is reported, not
# fetched.
nox.options.download_python = "never"
# uv makes each session's virtualenv and installs into it several times faster than pip.
nox.options.default_venv_backend = "uv|virtualenv"


def _pyenv_versions_on_path() -> None:
    """Make every pyenv-installed CPython of ``PYTHONS`` findable, selected or not.

    pyenv's shims answer only for the versions ``pyenv global`` or ``pyenv local`` select (a
    shim for another version says "command not found" unless the name is on ``PATH`` after
    the shims). Appending the versions' ``bin`` folders, newest patch first, shadows nothing.
    """
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    patch_releases = [
        folder
        for folder in versions.glob("3.*")
        if re.fullmatch(r"3\.[0-9]+\.[0-9]+", folder.name)
        and folder.name.rsplit(".", 1)[0] in PYTHONS
    ]
    patch_releases.sort(key=lambda folder: [int(part) for part in folder.name.split(".")])
    extra = [str(folder / "bin") for folder in reversed(patch_releases)]
    if extra:
        os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), *extra])


_pyenv_versions_on_path()


def _say_which_python(session: nox.Session) -> None:
    """Log the interpreter the session's virtualenv was made from."""
    code = (
        "import platform, sys; "
        "print(platform.python_implementation(), platform.python_version(), sys.base_prefix)"
    )
    found = session.run("python", "-c", code, silent=True)
    session.log(f"interpreter: {str(found).strip()}")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The core suite (unit and property tests) on one interpreter; pytest arguments may follow
    ``--``."""
    session.install(".[test-core]")
    _say_which_python(session)
    session.run(*PYTEST, *CORE_SUITE, *session.posargs)


@nox.session(python=PYTHONS[0])
def sdist(session: nox.Session) -> None:
    """Install the sdist and run its unit tests from a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="wsgicors-sdist-") as folder:
        workdir = Path(folder)
        if session.posargs:
            archive = Path(session.posargs[0]).resolve()
        else:
            session.install("build")
            session.run("python", "-m", "build", "--sdist", "--outdir", str(workdir / "dist"))
            (archive,) = (workdir / "dist").glob("*.tar.gz")
        session.log(f"sdist: {archive.name}")
        with tarfile.open(archive) as sdist_file:
            sdist_file.extractall(workdir / "unpacked", filter="data")
        (root,) = (workdir / "unpacked").iterdir()
        # As a user would: the installer builds a wheel from the archive and installs it.
        session.install(f"wsgicors-ng[test-core] @ {archive.as_uri()}")
        _say_which_python(session)
        # The installed package and its console script work away from any source tree.
        with session.chdir(workdir):
            session.run("wsgicors", "--version")
        # The unit tests import the sdist's own source tree beside them (tests/unit/test_codes.py
        # reads its .py files), so a file the sdist lacks fails here.
        with session.chdir(root):
            session.run(*PYTEST, "tests/unit")
