"""Environment report for bug reports: ``python -m OpenSSL.debug``.

Prints this package's version, the ``cryptography`` and ``cffi`` versions,
the OpenSSL that ``cryptography`` was built against and is running with, the
OpenSSL behind Python's own ``ssl`` module, and the Python and platform.
"""

from __future__ import annotations

import importlib
import platform
import ssl
import sys

import cryptography

from OpenSSL._util import ffi, lib
from OpenSSL.version import __title__, __version__

__all__ = ["environment_report"]


def _c_text(charp: object) -> str:
    return ffi.string(charp).decode("ascii", "replace")


def _cffi_version() -> str:
    # cffi ships no type information; ask the module at run time.
    return str(getattr(importlib.import_module("cffi"), "__version__", "unknown"))


def environment_report() -> str:
    """The report ``python -m OpenSSL.debug`` prints, one ``key: value`` a line."""
    lines = [
        # ``OpenSSL`` is also pyOpenSSL's import name: say which one this is.
        f"{__title__}: {__version__} (drop-in replacement for pyOpenSSL)",
        f"cryptography: {cryptography.__version__}",
        f"cffi: {_cffi_version()}",
        "cryptography's compiled against OpenSSL: " + _c_text(lib.OPENSSL_VERSION_TEXT),
        "cryptography's linked OpenSSL: "
        + _c_text(lib.OpenSSL_version(lib.OPENSSL_VERSION)),
        f"Python's OpenSSL: {ssl.OPENSSL_VERSION}",
        f"Python executable: {sys.executable}",
        "Python version: " + sys.version.replace("\n", " "),
        f"Platform: {sys.platform} ({platform.platform()})",
        f"sys.path: {sys.path}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(environment_report())
