"""Sphinx configuration for the pyopenssl-ng documentation.

Built by ``make docs`` (``sphinx -W``: every warning is an error). The API
pages are generated from the docstrings with autodoc, so the package is
imported from ``src/`` (or from the installed, editable package).
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, HERE)  # the doc examples, importable as ``examples.*``

from OpenSSL.version import __version__  # noqa: E402

project = "pyopenssl-ng"
author = "The pyopenssl-ng developers"
copyright = "2026, The pyopenssl-ng developers"
version = ".".join(__version__.split(".")[:2])
release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build", "examples/__pycache__"]
root_doc = "index"
nitpicky = False

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autoclass_content = "both"

html_theme = "alabaster"
html_static_path: list[str] = []
html_theme_options = {
    "description": "pyOpenSSL's API, faster, with the ssl module on top",
    "fixed_sidebar": True,
}
