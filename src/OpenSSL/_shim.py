"""The placeholder ``pyOpenSSL`` distribution that keeps dependents satisfied.

Many packages require the *distribution* ``pyOpenSSL`` by name (Twisted's
``tls`` extra, google-auth, ...). Both pyOpenSSL and this project install
the import package ``OpenSSL``, so when pip installs the real pyOpenSSL for
such a dependent it overwrites this project's files. The placeholder is a
wheel named ``pyOpenSSL`` with version ``<API level>+ng`` that contains no
files and requires ``pyopenssl-ng`` at exactly this version: installed and
pinned through a constraints file, it satisfies ``pyOpenSSL>=...``
requirements while the files stay ours. See doc/installation.rst.

Wheels are zip files with a ``.dist-info`` directory (PEP 427, PEP 491);
:func:`metadata_only_wheel` writes one with nothing else in it.
"""

from __future__ import annotations

import base64
import zipfile
from collections.abc import Sequence
from hashlib import sha256
from pathlib import Path

from OpenSSL.version import __title__, __version__

__all__ = [
    "PLACEHOLDER_NAME",
    "PLACEHOLDER_VERSION",
    "metadata_only_wheel",
    "write_placeholder",
]

PLACEHOLDER_NAME = "pyOpenSSL"
# A local version label: sorts just above the pyOpenSSL release of the same
# API level and says where it comes from.
PLACEHOLDER_VERSION = f"{__version__}+ng"

# Fixed timestamp: the same input gives the same bytes (reproducible).
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def _record_hash(data: bytes) -> str:
    digest = sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def metadata_only_wheel(
    out_dir: Path,
    name: str,
    version: str,
    requires: Sequence[str] = (),
    summary: str = "",
) -> Path:
    """Write a wheel for *name* *version* that installs no files; its path.

    *requires* become ``Requires-Dist`` lines. Used for the placeholder, and
    by the tests for a stand-in dependent package.
    """
    normalized = name.replace("-", "_").replace(".", "_").lower()
    dist_info = f"{normalized}-{version}.dist-info"
    metadata = "".join(
        [
            "Metadata-Version: 2.1\n",
            f"Name: {name}\n",
            f"Version: {version}\n",
            f"Summary: {summary}\n" if summary else "",
            *(f"Requires-Dist: {requirement}\n" for requirement in requires),
        ]
    )
    files = {
        f"{dist_info}/METADATA": metadata.encode("utf-8"),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\n"
            f"Generator: {__title__} {__version__}\n"
            "Root-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ).encode("ascii"),
    }
    record = "".join(
        f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items()
    )
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{normalized}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
    return wheel


def write_placeholder(out_dir: Path) -> tuple[Path, Path]:
    """Write the placeholder wheel and its constraints file into *out_dir*.

    Returns ``(wheel, constraints)``. The constraints file pins
    ``pyOpenSSL`` to the placeholder, so that pip never replaces it with the
    real pyOpenSSL, also under ``--upgrade --upgrade-strategy eager``.
    """
    wheel = metadata_only_wheel(
        out_dir,
        PLACEHOLDER_NAME,
        PLACEHOLDER_VERSION,
        requires=[f"{__title__}=={__version__}"],
        summary=(
            f"Placeholder: the OpenSSL package is provided by {__title__} "
            f"{__version__} (pyOpenSSL {__version__} API)"
        ),
    )
    constraints = out_dir / "pyopenssl-constraints.txt"
    constraints.write_text(
        f"# Keep the placeholder: the OpenSSL package comes from {__title__}.\n"
        f"{PLACEHOLDER_NAME}=={PLACEHOLDER_VERSION}\n"
    )
    return wheel, constraints
