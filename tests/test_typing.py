"""``mypy --strict`` on code written for pyOpenSSL 26.4 passes here too.

``tests/data/typing_pyopenssl_usage.py`` uses the typical API (contexts,
callbacks, socket-mode and memory-BIO connections, certificates, stores);
it passes ``mypy --strict`` with pyOpenSSL 26.4 installed, and must with this
package. A second snippet with mistakes checks that the check has teeth.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

USAGE = Path(__file__).parent / "data" / "typing_pyopenssl_usage.py"


def _mypy(target: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--config-file",
            "",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=tmp_path,
    )


def test_typical_pyopenssl_code_type_checks(tmp_path: Path) -> None:
    result = _mypy(USAGE, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mistakes_are_reported(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "from OpenSSL import SSL\n"
        "conn = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)\n"
        "conn.settimeout('soon')\n"
        "n: str = conn.fileno()\n"
        "conn.no_such_method()\n"
    )
    result = _mypy(wrong, tmp_path)
    assert result.returncode == 1
    assert "wrong.py:3: error" in result.stdout
    assert "wrong.py:4: error" in result.stdout
    assert "wrong.py:5: error" in result.stdout
