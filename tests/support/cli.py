"""The ``python -m OpenSSL`` command-line tests: our CLI and its peers.

:func:`run_main` runs a command in-process; :class:`ServerProcess` /
:func:`server_process` run ``python -m OpenSSL server`` as a subprocess;
:func:`openssl_server`/:func:`openssl_client` are the ``openssl`` tool's
``s_server``/``s_client`` (:mod:`tests.support.openssl_cli`) set up with the
``pki_files`` fixture's identity and CA.

The server runs as a real process so that Ctrl-C (SIGINT), its exit status,
its resident memory and the way it closes sockets can be tested for real.
Its stdout and stderr are read continuously by threads, so a server that
logs thousands of clients never blocks on a full pipe; tests wait for the
lines they expect with :meth:`ServerProcess.wait_for`.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Callable

import pytest

from tests.support.openssl_cli import (
    OPENSSL,
    OpenSSLProcess,
    identity_args,
    s_client,
    s_server,
)
from tests.support.pki import make_pki
from tests.support.sockets import PEER_TIMEOUT

__all__ = [
    "PREFIX",
    "TIMEOUT",
    "ServerProcess",
    "assert_one_line_error",
    "openssl_client",
    "openssl_server",
    "python_m_openssl",
    "resident_kib",
    "run_main",
    "server_args",
    "server_process",
]

#: Seconds a CLI subprocess may take; :data:`PEER_TIMEOUT` as a whole number
#: (it is also passed on the command line).
TIMEOUT = int(PEER_TIMEOUT)
PREFIX = "python -m OpenSSL"


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``python -m OpenSSL *argv`` in this process; status, stdout, stderr."""
    # Imported here: the package must not import OpenSSL._cli at import time.
    from OpenSSL._cli import main

    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line_error(err: str, command: str, fragment: str) -> None:
    """stderr ends in exactly one ``python -m OpenSSL CMD: error: ...`` line."""
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1, err
    prefix = f"{PREFIX} {command}" if command else PREFIX
    assert errors[0].startswith(f"{prefix}: error: "), err
    assert fragment in errors[0], err


def python_m_openssl(*argv: str) -> list[str]:
    return [sys.executable, "-m", "OpenSSL", *argv]


def server_args(files: SimpleNamespace, *extra: str) -> list[str]:
    return ["--cert", str(files.server_pem), "--key", str(files.server_key), *extra]


def _default_sigint() -> None:
    # A shell starts background jobs with SIGINT ignored, and Python keeps an
    # inherited SIG_IGN; the server must see Ctrl-C however pytest was run.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _limit_descriptors(limit: int) -> Callable[[], None]:
    def prepare() -> None:
        import resource

        _default_sigint()
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))

    return prepare


def resident_kib(pid: int) -> int:
    """The resident set size of process *pid* in KiB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


class _Lines:
    """The lines a pipe delivered so far, collected by a thread."""

    def __init__(self, pipe: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: IO[str]) -> None:
        for line in pipe:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        pipe.close()

    def wait_until(self, done: Callable[[list[str]], bool], timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: done(self.lines), timeout)

    def join(self, timeout: float) -> str:
        self._thread.join(timeout)
        with self._changed:
            return "".join(self.lines)


class ServerProcess:
    """``python -m OpenSSL server ...`` running as a subprocess."""

    def __init__(
        self, *argv: str, host: str = "127.0.0.1", fd_limit: int | None = None
    ) -> None:
        self.proc = subprocess.Popen(
            python_m_openssl("server", "--port", "0", "--host", host, *argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=(
                _default_sigint if fd_limit is None else _limit_descriptors(fd_limit)
            ),
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        first = self.proc.stdout.readline()
        shown = f"[{host}]" if ":" in host else host
        if not first.startswith(f"listening on {shown}:"):
            _, err = self.proc.communicate(timeout=TIMEOUT)
            raise AssertionError(f"server did not start: {first!r} {err!r}")
        self.port = int(first.rsplit(":", 1)[1])
        self._out = _Lines(self.proc.stdout)
        self._err = _Lines(self.proc.stderr)

    def wait_for(self, fragment: str, count: int = 1, *, stderr: bool = False) -> None:
        """Wait until *count* lines containing *fragment* have been printed."""
        lines = self._err if stderr else self._out

        found = 0
        checked = 0

        def enough(seen: list[str]) -> bool:
            nonlocal found, checked
            found += sum(fragment in line for line in seen[checked:])
            checked = len(seen)
            return found >= count

        if not lines.wait_until(enough, TIMEOUT):
            raise AssertionError(
                f"server printed {fragment!r} fewer than {count} times "
                f"within {TIMEOUT} s"
            )

    def interrupt(self) -> tuple[int, str, str]:
        """Ctrl-C; returns (exit status, rest of stdout, stderr)."""
        self.proc.send_signal(signal.SIGINT)
        return self.finish()

    def finish(self) -> tuple[int, str, str]:
        status = self.proc.wait(timeout=TIMEOUT)
        return status, self._out.join(TIMEOUT), self._err.join(TIMEOUT)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(TIMEOUT)

    def resident_kib(self) -> int:
        return resident_kib(self.proc.pid)


@contextlib.contextmanager
def server_process(
    *argv: str, host: str = "127.0.0.1", fd_limit: int | None = None
) -> Iterator[ServerProcess]:
    server = ServerProcess(*argv, host=host, fd_limit=fd_limit)
    try:
        yield server
    finally:
        server.kill()


# -- the openssl command-line tool as the independent peer -------------------------


@contextlib.contextmanager
def openssl_server(files: SimpleNamespace, *extra: str) -> Iterator[OpenSSLProcess]:
    """``openssl s_server`` with the server identity of *files*, stdin open.

    It relays its stdin to the client and echoes what the client sends;
    :meth:`~tests.support.openssl_cli.OpenSSLProcess.stop` returns what it
    printed.
    """
    if OPENSSL is None:
        pytest.skip("the openssl command-line tool is not installed")
    identity = identity_args(make_pki().server, files.directory)
    with s_server(
        *identity, *extra, log=files.directory / "s_server.log", stdin=True
    ) as server:
        yield server


def openssl_client(
    files: SimpleNamespace,
    port: int,
    *extra: str,
    servername: str | None = "localhost",
) -> subprocess.CompletedProcess[str]:
    """``openssl s_client -brief`` to 127.0.0.1:*port*, stdin empty.

    *servername* is sent as SNI (``None``: no SNI at all).
    """
    if OPENSSL is None:
        pytest.skip("the openssl command-line tool is not installed")
    sni = ["-noservername"] if servername is None else ["-servername", servername]
    args = ["-no_ign_eof", "-brief", *sni, "-CAfile", str(files.ca_pem), *extra]
    status, output = s_client(port, *args, data=b"")
    return subprocess.CompletedProcess(["openssl", "s_client", *args], status, output)
