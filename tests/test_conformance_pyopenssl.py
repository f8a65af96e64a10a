"""tests/conformance/run_pyopenssl.py: its known-differences list and its skip.

The runner itself (pyOpenSSL 26.4.0's suite against this package) is
``make conformance``; here, what can be checked without the network.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent / "conformance" / "run_pyopenssl.py"


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_conformance_pyopenssl", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_known_differences_are_few_and_justified() -> None:
    known = _runner().read_known()
    assert 0 < len(known) < 10
    for test_id, reason in known.items():
        assert test_id.startswith("tests/test_") and "::" in test_id, test_id
        assert len(reason) > 20, (test_id, reason)


def test_entry_without_reason_is_refused(tmp_path: Path) -> None:
    listing = tmp_path / "known.txt"
    listing.write_text("# comment\n\ntests/test_ssl.py::TestX::test_y\n")
    with pytest.raises(ValueError, match="without a reason"):
        _runner().read_known(listing)


def test_unreachable_index_is_a_visible_skip(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PYOPENSSL_NG_CONFORMANCE_CACHE=str(tmp_path / "cache"),
    )
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "SKIPPED pyOpenSSL 26.4.0 conformance: pip download"
    )
