"""python -m OpenSSL.debug: the environment report."""

from __future__ import annotations

import ssl
import subprocess
import sys

import cffi
import cryptography

import OpenSSL
from OpenSSL import debug
from OpenSSL._util import ffi, lib


def _linked_openssl() -> str:
    return ffi.string(lib.OpenSSL_version(lib.OPENSSL_VERSION)).decode()


def test_report_contents() -> None:
    report = debug.environment_report()
    lines = dict(line.split(": ", 1) for line in report.splitlines())
    assert lines["pyOpenSSL"] == f"{OpenSSL.__version__} (pyopenssl-ng)"
    assert lines["cryptography"] == cryptography.__version__
    assert lines["cffi"] == cffi.__version__
    assert lines["cryptography's linked OpenSSL"] == _linked_openssl()
    assert lines["cryptography's compiled against OpenSSL"].startswith("OpenSSL ")
    assert lines["Python's OpenSSL"] == ssl.OPENSSL_VERSION
    assert lines["Python executable"] == sys.executable
    assert lines["Python version"] == sys.version.replace("\n", " ")
    assert lines["Platform"] == sys.platform


def test_pyopenssl_names() -> None:
    # pyOpenSSL's module offers the report as ``_env_info`` and its imports.
    assert debug._env_info == debug.environment_report()
    assert OpenSSL.__version__ in debug._env_info
    for name in ("OpenSSL", "cffi", "cryptography", "ssl", "sys", "version"):
        assert hasattr(debug, name), name


def test_run_as_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "OpenSSL.debug"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert f"cryptography: {cryptography.__version__}" in result.stdout
    assert _linked_openssl() in result.stdout
    assert "Python version: " in result.stdout
    assert "Platform: " in result.stdout
