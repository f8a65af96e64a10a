"""Environment report for bug reports: ``python -m OpenSSL.debug``.

Prints, in pyOpenSSL's format and order, this package's version (under the
``pyOpenSSL`` key, naming this project after it), the ``cryptography`` and
``cffi`` versions, the OpenSSL that ``cryptography`` was built against and is
running with, the OpenSSL behind Python's own ``ssl`` module, and the Python
and platform. The text is also the module attribute ``_env_info``, as in
pyOpenSSL.
"""

from __future__ import annotations

import ssl
import sys

import cffi  # type: ignore[import-untyped]
import cryptography

import OpenSSL.SSL
from OpenSSL import version
from OpenSSL._util import ffi, lib

__all__ = ["environment_report"]


def _c_text(charp: object) -> str:
    return ffi.string(charp).decode("ascii", "replace")


def environment_report() -> str:
    """The report ``python -m OpenSSL.debug`` prints, one ``key: value`` a line."""
    lines = [
        # ``OpenSSL`` is also pyOpenSSL's import name: say which one this is.
        f"pyOpenSSL: {version.__version__} ({version.__title__})",
        f"cryptography: {cryptography.__version__}",
        f"cffi: {getattr(cffi, '__version__', 'unknown')}",
        "cryptography's compiled against OpenSSL: " + _c_text(lib.OPENSSL_VERSION_TEXT),
        "cryptography's linked OpenSSL: "
        + OpenSSL.SSL.SSLeay_version(OpenSSL.SSL.SSLEAY_VERSION).decode("ascii"),
        f"Python's OpenSSL: {getattr(ssl, 'OPENSSL_VERSION', 'n/a')}",
        f"Python executable: {sys.executable}",
        # One line per entry (pyOpenSSL prints sys.version's own newline).
        "Python version: " + sys.version.replace("\n", " "),
        f"Platform: {sys.platform}",
        f"sys.path: {sys.path}",
    ]
    return "\n".join(lines)


_env_info = environment_report()

if __name__ == "__main__":
    print(_env_info)
