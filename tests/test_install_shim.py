"""Installing next to packages that require pyOpenSSL, end to end and offline.

The recipe (doc/installation.rst): ``python -m OpenSSL shim --out DIR``
writes a placeholder ``pyOpenSSL`` wheel (no files, requires this project)
and a constraints file pinning it; pip (``-c``) or uv (``--override``)
then satisfy ``pyOpenSSL>=22`` with it, and the real pyOpenSSL never
overwrites the ``OpenSSL`` package.

The tests build a local wheelhouse -- this project's wheel, the placeholder,
a stand-in package requiring ``pyOpenSSL>=22``, a stand-in "newer pyOpenSSL"
and the runtime dependencies -- and install from it into fresh virtual
environments with ``--no-index``. Preparing the wheelhouse needs this
project's build backend and the dependencies' wheels from the configured
package sources; without them the tests are skipped, saying why.

Also here: the import-time check for an ``OpenSSL`` package that pyOpenSSL
and this project share (``OpenSSL._install_check``), on a copied package.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from OpenSSL._shim import PLACEHOLDER_VERSION, metadata_only_wheel

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "OpenSSL"
TIMEOUT = 600

pytestmark = pytest.mark.timeout(1200)


def _run(
    command: list[str], env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env=env,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def _runtime_requirements() -> list[str]:
    names = ["cryptography", "cffi", "pycparser"]
    if sys.version_info < (3, 13):
        names.append("typing-extensions")
    return [f"{name}=={importlib.metadata.version(name)}" for name in names]


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheelhouse: everything the offline installs below need."""
    house = tmp_path_factory.mktemp("wheelhouse")
    pip = [sys.executable, "-m", "pip"]
    built = _run(
        [*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", str(house), str(ROOT)],
        check=False,
    )
    if built.returncode != 0:
        pytest.skip(f"cannot build this project's wheel: {built.stderr.strip()[-300:]}")
    got = _run(
        [
            *pip,
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--dest",
            str(house),
            *_runtime_requirements(),
        ],
        check=False,
    )
    if got.returncode != 0:
        pytest.skip(f"dependency wheels unavailable: {got.stderr.strip()[-300:]}")
    _run([sys.executable, "-m", "OpenSSL", "shim", "--out", str(house)])
    metadata_only_wheel(house, "needs-pyopenssl", "1.0", ["pyOpenSSL>=22"])
    # What pip would find on the index once pyOpenSSL publishes a newer release.
    metadata_only_wheel(house, "pyOpenSSL", "99.0", summary="a newer pyOpenSSL")
    return house


def _offline_env(house: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(house),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        UV_NO_CONFIG="1",
        UV_OFFLINE="1",
    )
    env.pop("PYTHONPATH", None)
    return env


def _new_env(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / "bin" / "python"


def _installed(python: Path, env: dict[str, str]) -> dict[str, str]:
    listing = _run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, json; print(json.dumps("
            "{d.metadata['Name'].lower(): d.version for d in m.distributions()}))",
        ],
        env=env,
    )
    import json

    return dict(json.loads(listing.stdout))


_SMOKE = (
    "import importlib.metadata, OpenSSL, OpenSSL.ssl_compat;"
    "from OpenSSL import SSL;"
    "assert OpenSSL.version.__title__ == 'pyopenssl-ng', OpenSSL.version.__title__;"
    "print(importlib.metadata.version('pyOpenSSL'))"
)


def test_pip_recipe(house: Path, tmp_path: Path) -> None:
    env = _offline_env(house)
    python = _new_env(tmp_path / "env")
    constraints = str(house / "pyopenssl-constraints.txt")
    pip = [str(python), "-m", "pip", "install", "--quiet", "-c", constraints]
    _run([*pip, "needs-pyopenssl"], env=env)
    installed = _installed(python, env)
    assert installed["pyopenssl"] == PLACEHOLDER_VERSION
    assert installed["pyopenssl-ng"] == importlib.metadata.version("pyopenssl-ng")
    assert installed["needs-pyopenssl"] == "1.0"
    _run([str(python), "-m", "pip", "check"], env=env)
    assert _run([str(python), "-c", _SMOKE], env=env).stdout.strip() == (
        PLACEHOLDER_VERSION
    )

    # An eager upgrade with a newer pyOpenSSL on offer keeps the placeholder.
    _run([*pip, "--upgrade", "--upgrade-strategy", "eager", "needs-pyopenssl"], env=env)
    assert _installed(python, env)["pyopenssl"] == PLACEHOLDER_VERSION
    _run([str(python), "-c", _SMOKE], env=env)

    # Without the constraint it would be replaced: the constraint is the point.
    _run(
        [
            str(python),
            *("-m", "pip", "install", "--quiet", "--upgrade", "--upgrade-strategy"),
            *("eager", "needs-pyopenssl"),
        ],
        env=env,
    )
    assert _installed(python, env)["pyopenssl"] == "99.0"


def _uv() -> str | None:
    found = shutil.which("uv")
    if found is None:
        candidate = Path(sys.executable).parent / "uv"
        found = str(candidate) if candidate.exists() else None
    return found


def test_uv_recipe(house: Path, tmp_path: Path) -> None:
    uv = _uv()
    if uv is None:
        pytest.skip("uv is not installed here (pip install uv); the pip recipe ran")
    env = _offline_env(house)
    target = tmp_path / "uvenv"
    _run([uv, "venv", "--quiet", str(target)], env=env)
    env["VIRTUAL_ENV"] = str(target)
    _run(
        [
            *(
                uv,
                "pip",
                "install",
                "--quiet",
                "--no-index",
                "--find-links",
                str(house),
            ),
            *(
                "--override",
                str(house / "pyopenssl-constraints.txt"),
                "needs-pyopenssl",
            ),
        ],
        env=env,
    )
    python = target / "bin" / "python"
    assert _installed(python, env)["pyopenssl"] == PLACEHOLDER_VERSION
    _run([str(python), "-c", _SMOKE], env=env)


# --- the import-time check, on a copy of the package --------------------------


def _site_with_copy(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(SRC, site / "OpenSSL", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "pyopenssl_ng-26.4.0.dist-info").mkdir()
    return site


def _import(site: Path, statement: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(site))
    return _run([sys.executable, "-c", statement], env=env, check=False)


def test_clean_copy_imports(tmp_path: Path) -> None:
    site = _site_with_copy(tmp_path)
    # The placeholder's metadata beside it is fine.
    (site / f"pyopenssl-{PLACEHOLDER_VERSION}.dist-info").mkdir()
    result = _import(
        site, "import OpenSSL, OpenSSL.ssl_compat; print(OpenSSL.__file__)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(site))


def test_pyopenssl_files_over_ours(tmp_path: Path) -> None:
    # What `pip install pyOpenSSL` leaves: its version.py (and the other
    # shared files) with our private modules around them.
    site = _site_with_copy(tmp_path)
    (site / "OpenSSL" / "version.py").write_text(
        '__title__ = "pyOpenSSL"\n__version__ = "26.4.0"\n'
    )
    (site / "OpenSSL" / "__init__.py").write_text("from OpenSSL import version\n")
    for statement in ("import OpenSSL.ssl_compat", "import OpenSSL.__main__"):
        result = _import(site, statement)
        assert result.returncode == 1
        message = result.stderr.strip().splitlines()
        assert "MixedInstallError: The OpenSSL package in" in message[-3]
        assert "mixes files of pyOpenSSL 26.4.0 and pyopenssl-ng" in message[-3]
        assert message[-2].strip() == (
            f"{sys.executable} -m pip uninstall -y pyOpenSSL && "
            f"{sys.executable} -m pip install --force-reinstall --no-deps "
            "pyopenssl-ng==26.4.0"
        )


def test_our_files_under_pyopenssl_metadata(tmp_path: Path) -> None:
    site = _site_with_copy(tmp_path)
    (site / "pyOpenSSL-26.4.0.dist-info").mkdir()
    result = _import(site, "import OpenSSL")
    assert result.returncode == 1
    assert "OpenSSL._install_check.MixedInstallError: " in result.stderr
    assert "pyOpenSSL 26.4.0 is installed in the same place" in result.stderr
    assert "-m pip uninstall -y pyOpenSSL && " in result.stderr


def test_placeholder_wheel(tmp_path: Path) -> None:
    import zipfile

    from OpenSSL._cli import main

    assert main(["shim", "--out", str(tmp_path)]) == 0
    wheel = tmp_path / f"pyopenssl-{PLACEHOLDER_VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"pyopenssl-{PLACEHOLDER_VERSION}.dist-info/METADATA")
    # Nothing but metadata: no file of the OpenSSL package.
    assert all(
        name.startswith(f"pyopenssl-{PLACEHOLDER_VERSION}.dist-info/") for name in names
    )
    lines = metadata.decode().splitlines()
    assert "Name: pyOpenSSL" in lines
    assert f"Version: {PLACEHOLDER_VERSION}" in lines
    assert "Requires-Dist: pyopenssl-ng==26.4.0" in lines
    assert (tmp_path / "pyopenssl-constraints.txt").read_text().splitlines()[-1] == (
        f"pyOpenSSL=={PLACEHOLDER_VERSION}"
    )
    # Reproducible: the same bytes a second time.
    first = wheel.read_bytes()
    assert main(["shim", "--out", str(tmp_path)]) == 0
    assert wheel.read_bytes() == first


def test_shim_unwritable_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from OpenSSL._cli import main

    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["shim", "--out", str(blocker / "sub")]) == 1
    assert "cannot write to" in capsys.readouterr().err
