"""The ``python -m OpenSSL`` command-line tests: our CLI and its peers.

:func:`run_main` runs a command in-process; :class:`ServerProcess` /
:func:`server_process` run ``python -m OpenSSL server`` as a subprocess;
:func:`openssl_server`/:func:`openssl_client` are the ``openssl`` tool's
``s_server``/``s_client`` (:mod:`tests.support.openssl_cli`) set up with the
``pki_files`` fixture's identity and CA.

The server runs as a real process so that Ctrl-C (SIGINT), its exit status,
its resident memory and the way it closes sockets can be tested for real.
Tests wait for the lines it prints with :meth:`ServerProcess.wait_for`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Callable

from tests.support.files import scratch_dir
from tests.support.openssl_cli import (
    OPENSSL,
    OpenSSLProcess,
    identity_args,
    s_client,
    s_server,
)
from tests.support.pki import make_pki
from tests.support.processes import LoggedProcess
from tests.support.sockets import PEER_TIMEOUT

if TYPE_CHECKING:
    import pytest

__all__ = [
    "PREFIX",
    "TIMEOUT",
    "ServerProcess",
    "assert_one_line_error",
    "openssl_client",
    "openssl_server",
    "python_m_openssl",
    "resident_kib",
    "run_client",
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


def run_client(
    capsys: pytest.CaptureFixture[str], files: SimpleNamespace, port: int, *extra: str
) -> tuple[int, str, str]:
    """``python -m OpenSSL client localhost:PORT`` trusting *files*' CA, in process."""
    return run_main(
        capsys, "client", f"localhost:{port}", "--cafile", str(files.ca_pem), *extra
    )


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


def _log_file(suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix="server-", suffix=suffix, dir=scratch_dir())
    os.close(fd)
    return Path(name)


def _text(output: str) -> str:
    # What a text-mode pipe gave: universal newlines.
    return output.replace("\r\n", "\n").replace("\r", "\n")


class ServerProcess:
    """``python -m OpenSSL server ...`` running as a subprocess.

    Its stdout and stderr go to two files in :func:`scratch_dir`
    (:class:`~tests.support.processes.LoggedProcess`), so a server that logs
    thousands of clients never blocks on a full pipe.
    """

    def __init__(
        self, *argv: str, host: str = "127.0.0.1", fd_limit: int | None = None
    ) -> None:
        self._process = LoggedProcess(
            python_m_openssl("server", "--port", "0", "--host", host, *argv),
            _log_file(".out"),
            _log_file(".err"),
            preexec_fn=(
                _default_sigint if fd_limit is None else _limit_descriptors(fd_limit)
            ),
        )
        self.proc = self._process.proc
        try:
            first = _text(self._process.wait_for("\n")).split("\n", 1)[0]
        except AssertionError:
            self.kill()
            first = _text(self._process.output()).split("\n", 1)[0]
        shown = f"[{host}]" if ":" in host else host
        if not first.startswith(f"listening on {shown}:"):
            self.kill()
            err = self._process.output(stderr=True)
            raise AssertionError(f"server did not start: {first!r} {err!r}")
        self._skip = len(first) + 1  # finish() returns what came after it
        self.port = int(first.rsplit(":", 1)[1])

    def wait_for(self, fragment: str, count: int = 1, *, stderr: bool = False) -> None:
        """Wait until *count* lines containing *fragment* have been printed."""
        self._process.wait_for("^.*" + re.escape(fragment), count, stderr=stderr)

    def interrupt(self) -> tuple[int, str, str]:
        """Ctrl-C; returns (exit status, rest of stdout, stderr)."""
        self.proc.send_signal(signal.SIGINT)
        return self.finish()

    def finish(self) -> tuple[int, str, str]:
        """Wait for the exit; (status, stdout after ``listening on``, stderr)."""
        status = self.proc.wait(TIMEOUT)
        out = _text(self._process.output())[self._skip :]
        return status, out, _text(self._process.output(stderr=True))

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


def _skip_without_openssl() -> None:
    if OPENSSL is None:
        import pytest  # not at import time: the package must import without it

        pytest.skip("the openssl command-line tool is not installed")


@contextlib.contextmanager
def openssl_server(files: SimpleNamespace, *extra: str) -> Iterator[OpenSSLProcess]:
    """``openssl s_server`` with the server identity of *files*, stdin open.

    It relays its stdin to the client and echoes what the client sends;
    :meth:`~tests.support.openssl_cli.OpenSSLProcess.stop` returns what it
    printed.
    """
    _skip_without_openssl()
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
    _skip_without_openssl()
    sni = ["-noservername"] if servername is None else ["-servername", servername]
    args = ["-no_ign_eof", "-brief", *sni, "-CAfile", str(files.ca_pem), *extra]
    status, output = s_client(port, *args, data=b"")
    return subprocess.CompletedProcess(["openssl", "s_client", *args], status, output)
