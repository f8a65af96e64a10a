"""nox sessions: the test suite on every supported Python that is installed.

    nox -l                      # the sessions, one per Python and kind
    nox -s tests-3.9            # the whole suite on Python 3.9
    nox -s core-3.13            # the core suite (see CORE_SKIPS) on 3.13
    nox -s core_edges           # the core suite on the oldest and newest found
    nox -s lint conformance

Interpreters are looked up as ``python3.X`` on PATH and in pyenv's versions
directory (``$PYENV_ROOT/versions``, default ``~/.pyenv``): pyenv's shims do
not run a version that is not selected, so the real binaries are used. A
Python that is not installed is skipped by nox, saying so.
"""

from __future__ import annotations

import glob
import os
import shutil

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "conformance"]

SUPPORTED = ["3.9", "3.10", "3.11", "3.12", "3.13"]

# The core suite: everything but the long reliability profile, the third-
# party interop suites (Twisted's own TLS tests, urllib3), the documentation
# build and the packaging end-to-end test, which the default interpreter runs.
CORE_SKIPS = [
    "--ignore=tests/reliability",
    "--ignore=tests/test_interop_twisted.py",
    "--ignore=tests/test_docs_build.py",
    "--ignore=tests/test_install_shim.py",
    "--ignore=tests/test_bench_smoke.py",
]


def _interpreter(version: str) -> str | None:
    """The path of a working ``python<version>``, or None."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for candidate in sorted(glob.glob(os.path.join(root, "versions", f"{version}.*"))):
        path = os.path.join(candidate, "bin", f"python{version}")
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(f"python{version}")
    if found and "shims" not in found.split(os.sep):
        return found
    return None


def _expose(found: dict[str, str]) -> None:
    """Let nox find each ``python3.X`` by name: links in .nox/bin, first on PATH."""
    links = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".nox", "bin")
    os.makedirs(links, exist_ok=True)
    for version, path in found.items():
        link = os.path.join(links, f"python{version}")
        if os.path.realpath(link) != os.path.realpath(path):
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(path, link)
    os.environ["PATH"] = os.pathsep.join([links, os.environ.get("PATH", "")])


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


FOUND: dict[str, str] = {}
for _version in SUPPORTED:
    _path = _interpreter(_version)
    if _path is not None:
        FOUND[_version] = _path
_expose(FOUND)
# The oldest and the newest supported Python that is installed.
EDGES = sorted(
    {min(FOUND, key=_version_key), max(FOUND, key=_version_key)} if FOUND else (),
    key=_version_key,
)


def _install(session: nox.Session, extras: str = "test", *more: str) -> None:
    session.install("-e", f".[{extras}]", *more)


@nox.session(python=SUPPORTED)
def tests(session: nox.Session) -> None:
    """The whole test suite (the documentation build and typing test included)."""
    _install(session, "test,dev")
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session(python=SUPPORTED)
def core(session: nox.Session) -> None:
    """The core suite: the package's own behaviour, without the long runs."""
    _install(session, "test", "mypy>=1.10")  # for the typing tests
    session.run("python", "-m", "pytest", "-q", *CORE_SKIPS, *session.posargs)


@nox.session(python=EDGES)
def core_edges(session: nox.Session) -> None:
    """The core suite on the oldest and the newest supported Python found."""
    core(session)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy --strict, as ``make lint``."""
    _install(session, "test,dev")
    session.run("ruff", "check", "src", "tests", "bench", "scripts")
    session.run("ruff", "format", "--check", "src", "tests", "bench", "scripts")
    session.run("mypy")


@nox.session
def conformance(session: nox.Session) -> None:
    """pyOpenSSL 26.4.0's own test suite against this package."""
    _install(session)
    session.run("python", "tests/conformance/run_pyopenssl.py", *session.posargs)
