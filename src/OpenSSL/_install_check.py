"""Refuse to run from an ``OpenSSL`` package that two distributions share.

pyOpenSSL and this project both install the import package ``OpenSSL``.
When pip installs the real pyOpenSSL after this project (typically as a
dependency: ``twisted[tls]``), it overwrites the eight files the two have in
common (``__init__.py``, ``SSL.py``, ``crypto.py``, ``version.py``, ...) and
leaves this project's private modules behind; installed the other way round,
this project's files sit under pyOpenSSL's metadata, and ``pip uninstall
pyOpenSSL`` later deletes them. Both states pass ``pip check`` and break
later in confusing ways (``ImportError: cannot import name 'exact_bytes'``).

:func:`check` turns them into one ``ImportError`` at import time that says
what happened and the command that repairs it. It runs from this project's
``OpenSSL/__init__.py`` and from the entry points that survive pyOpenSSL's
overwrite (``OpenSSL.ssl_compat``, ``python -m OpenSSL``), as a side effect
of importing this module (a failed import is retried, and fails again, at
every later import). It imports nothing but ``OpenSSL.version`` and costs
one directory listing.
"""

from __future__ import annotations

import os
import sys

__all__ = ["MixedInstallError", "check"]

_OURS = "pyopenssl-ng"


class MixedInstallError(ImportError):
    """The ``OpenSSL`` package holds files of pyOpenSSL and of pyopenssl-ng."""


def _our_version(site_dir: str) -> str | None:
    """This project's installed version, from its metadata next to the package."""
    for entry in _listdir(site_dir):
        lowered = entry.lower()
        if lowered.startswith("pyopenssl_ng-") and lowered.endswith(".dist-info"):
            return entry[len("pyopenssl_ng-") : -len(".dist-info")]
    return None


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def _foreign_pyopenssl(site_dir: str) -> str | None:
    """The version of a real (not placeholder) pyOpenSSL installed beside us."""
    for entry in _listdir(site_dir):
        lowered = entry.lower()
        if lowered.startswith("pyopenssl-") and lowered.endswith(".dist-info"):
            version = entry[len("pyopenssl-") : -len(".dist-info")]
            # The placeholder (python -m OpenSSL shim) is "<level>+ng".
            if not version.endswith("+ng"):
                return version
    return None


def _repair(site_dir: str) -> str:
    python = sys.executable or "python"
    ours = _our_version(site_dir)
    pin = f"{_OURS}=={ours}" if ours else _OURS
    return (
        f"{python} -m pip uninstall -y pyOpenSSL && "
        f"{python} -m pip install --force-reinstall --no-deps {pin}"
    )


_KEEP_IT_AWAY = (
    "Packages that require pyOpenSSL by name can be kept satisfied without it "
    "with the placeholder distribution: see 'python -m OpenSSL shim' and the "
    "installation notes in pyopenssl-ng's documentation."
)


def check() -> None:
    """Raise :class:`MixedInstallError` if ``OpenSSL`` is a mix of distributions."""
    package_dir = os.path.dirname(os.path.abspath(__file__))
    site_dir = os.path.dirname(package_dir)
    # Both projects' version.py define these two names.
    from OpenSSL.version import __title__ as title
    from OpenSSL.version import __version__ as their_version

    if title != _OURS:
        raise MixedInstallError(
            f"The OpenSSL package in {package_dir} mixes files of {title} "
            f"{their_version} and {_OURS}: {title} was "
            f"installed over {_OURS} (often as a dependency of another package, "
            f"such as twisted[tls]) and replaced part of it. Repair with:\n"
            f"    {_repair(site_dir)}\n{_KEEP_IT_AWAY}"
        )
    foreign = _foreign_pyopenssl(site_dir)
    if foreign is not None:
        raise MixedInstallError(
            f"The OpenSSL package in {package_dir} is {_OURS}'s, but pyOpenSSL "
            f"{foreign} is installed in the same place and owns the same files: "
            f"uninstalling it would delete them. Repair with:\n"
            f"    {_repair(site_dir)}\n{_KEEP_IT_AWAY}"
        )


check()
