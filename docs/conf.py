"""Sphinx configuration of the wsgicors documentation (MyST Markdown pages, the Furo theme).

Build it nitpicky, with warnings as errors:
``python -m sphinx -n -W --keep-going -b html docs docs/_build/html``.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
# The local extension that renders reference tables from the code (docs/_ext).
sys.path.insert(0, str(DOCS / "_ext"))

project = "wsgicors"
author = "wsgicors maintainers"
copyright = "2026, wsgicors maintainers"  # noqa: A001 (the name Sphinx reads)

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "wsgicors_docs",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "README.md"]
root_doc = "index"

myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
# Links such as [the INI layout](configuration.md#ini) resolve to headings down to level 3.
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# Names in signatures that have no page to link to: the build runs offline (no intersphinx
# inventory of the standard library), and the WSGI types exist only in typeshed, imported
# under TYPE_CHECKING. ConfigSource is described where it is used (from_config).
nitpick_ignore = [
    ("py:class", "collections.abc.Collection"),
    ("py:class", "re.Pattern"),
    ("py:class", "WSGIApplication"),
    ("py:class", "ConfigSource"),
    # Internal types of the compiled policy, named in its signatures: a header is a
    # (name, value) pair; the matchers are built by wsgicors.paths and wsgicors.origins.
    ("py:class", "Header"),
    # The hooks' signatures, spelled out in the CORSMiddleware docstring.
    ("py:class", "DecisionHook"),
    ("py:class", "ReportHook"),
    ("py:class", "collections.abc.Callable"),
    ("py:class", "PathMatcher"),
    ("py:class", "OriginMatcher"),
]

html_theme = "furo"
html_title = "wsgicors"
html_static_path: list[str] = []
html_copy_source = False
