"""The documentation builds without a single Sphinx warning.

The API pages are generated from the docstrings, so a malformed docstring in
``OpenSSL.SSL``, ``OpenSSL.crypto``, ``OpenSSL.rand`` or
``OpenSSL.ssl_compat`` shows up here, not only in ``make docs``. Sphinx is in
the ``docs`` extra, not the ``test`` one: without it the test is skipped.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "doc"


@pytest.mark.skipif(
    importlib.util.find_spec("sphinx") is None,
    reason="sphinx is not installed (pip install -e '.[docs]')",
)
def test_sphinx_build_has_no_warnings(tmp_path: Path) -> None:
    # The "dummy" builder reads and resolves everything, writes nothing.
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "dummy",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOC),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
