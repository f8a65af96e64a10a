"""The outside pieces a full run needs: pyOpenSSL's virtualenv and the ceiling.

pyOpenSSL and this project both install the ``OpenSSL`` package, so
pyOpenSSL 26.4 lives in a virtualenv of its own (``<repo>/.bench-venv``,
git-ignored), created on first use and reused after. It gets the *same*
``cryptography`` version as the interpreter running the bench, so both
sides call the same OpenSSL build.

The ceiling is what one core can do in AES-256-GCM on 16 KiB buffers
according to ``openssl speed``, halved because the memory-BIO bulk scenario
encrypts and decrypts every byte on the same core.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

PYOPENSSL_VERSION = "26.4.0"


def _installed(python: Path) -> tuple[str, str] | None:
    probe = (
        "import importlib.metadata as m\n"
        "print(m.version('pyOpenSSL'), m.version('cryptography'))\n"
    )
    try:
        out = subprocess.run(
            [str(python), "-c", probe],
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    pyopenssl, cryptography = out.stdout.split()
    return pyopenssl, cryptography


def clean_env() -> dict[str, str]:
    """The environment for peer interpreters: no PYTHONPATH leaking ``src``."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    return env


def venv_python(venv: Path) -> Path:
    if sys.platform == "win32":  # pragma: no cover
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def ensure_pyopenssl_venv(venv: Path, log: object = sys.stderr) -> Path:
    """Create or update ``venv`` with pyOpenSSL 26.4; return its python.

    Raises ``RuntimeError`` with pip's output when the install fails.
    """
    want_crypto = importlib.metadata.version("cryptography")
    python = venv_python(venv)
    if python.exists() and _installed(python) == (PYOPENSSL_VERSION, want_crypto):
        return python
    if not python.exists():
        print(f"bench: creating {venv} for pyOpenSSL {PYOPENSSL_VERSION}", file=log)
        if venv.exists():
            shutil.rmtree(venv)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(
        f"bench: installing pyOpenSSL=={PYOPENSSL_VERSION} "
        f"cryptography=={want_crypto} into {venv}",
        file=log,
    )
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"pyOpenSSL=={PYOPENSSL_VERSION}",
            f"cryptography=={want_crypto}",
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
    )
    if done.returncode != 0 or _installed(python) != (PYOPENSSL_VERSION, want_crypto):
        raise RuntimeError(
            f"could not install pyOpenSSL into {venv}:\n{done.stdout}{done.stderr}"
        )
    return python


def aes_gcm_ceiling() -> dict[str, object]:
    """``openssl speed -evp aes-256-gcm`` at 16 KiB, and half of it, in MB/s."""
    tool = shutil.which("openssl")
    if tool is None:
        return {"note": "the openssl command-line tool is not installed"}
    cmd = [tool, "speed", "-mr", "-evp", "aes-256-gcm", "-seconds", "1"]
    try:
        out = subprocess.run(
            [*cmd, "-bytes", "16384"], capture_output=True, text=True, timeout=60
        )
        if out.returncode != 0:  # an old tool without -bytes: all sizes
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"note": f"openssl speed failed: {exc}"}
    sizes: list[str] = []
    values: list[str] = []
    for line in out.stdout.splitlines():
        if line.startswith("+H:"):
            sizes = line.split(":")[1:]
        elif line.startswith("+F:"):
            values = line.split(":")[3:]
    if "16384" not in sizes or len(values) != len(sizes):
        return {"note": "could not read the 16384-byte figure from openssl speed"}
    full = float(values[sizes.index("16384")]) / 1e6
    version = subprocess.run(
        [tool, "version"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "command": " ".join(cmd),
        "tool": version,
        "aes_256_gcm_16k_mb_per_s": full,
        "ceiling_mb_per_s": full / 2,
    }
