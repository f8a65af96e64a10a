"""Subprocess peers whose output goes to files that the test polls.

:class:`LoggedProcess` is the one way the tests collect what a running
subprocess prints (the ``openssl`` tool, ``python -m OpenSSL server``): its
stdout, and its stderr merged in or in a file of its own, are written to
files, so nothing stalls on a full pipe, and :meth:`LoggedProcess.wait_for`
polls them with a deadline of :data:`~tests.support.sockets.PEER_TIMEOUT`.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Callable, Optional

from tests.support.sockets import PEER_TIMEOUT

__all__ = ["LoggedProcess"]

#: How often a wait looks at the files again.
_POLL = 0.02


class LoggedProcess:
    """*argv* running with stdout to the file *stdout*.

    Its stderr goes to the file *stderr*, or with stdout when that is None.
    With *stdin* its standard input is a pipe that stays open (:meth:`say`
    writes to it); otherwise it reads from ``/dev/null``.
    """

    def __init__(
        self,
        argv: Sequence[str],
        stdout: Path,
        stderr: Optional[Path] = None,
        *,
        stdin: bool = False,
        preexec_fn: Optional[Callable[[], None]] = None,
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        with stdout.open("wb") as out:
            err = stderr.open("wb") if stderr is not None else None
            try:
                self.proc = subprocess.Popen(
                    list(argv),
                    stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                    stdout=out,
                    stderr=err if err is not None else subprocess.STDOUT,
                    preexec_fn=preexec_fn,
                )
            finally:
                if err is not None:
                    err.close()

    def say(self, line: bytes) -> None:
        """Write *line* to the process's stdin."""
        assert self.proc.stdin is not None, "started without stdin=True"
        self.proc.stdin.write(line)
        self.proc.stdin.flush()

    def output(self, *, stderr: bool = False) -> str:
        """What the process printed so far (to stdout, or to *stderr*'s file)."""
        path = self.stderr if stderr else self.stdout
        assert path is not None, "stderr goes with stdout"
        return path.read_bytes().decode(errors="replace")

    def wait_for(self, pattern: str, count: int = 1, *, stderr: bool = False) -> str:
        """Wait until *count* matches of the regex *pattern* were printed.

        *pattern* is searched in the whole output with ``re.MULTILINE``
        (``^``/``$`` are line bounds; :func:`re.escape` a literal text).
        Returns the output. Fails with the output when the process exits or
        :data:`PEER_TIMEOUT` passes first.
        """
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + PEER_TIMEOUT
        while True:
            exited = self.proc.poll() is not None
            text = self.output(stderr=stderr)
            found = len(regex.findall(text))
            if found >= count:
                return text
            if exited or time.monotonic() >= deadline:
                why = "exited" if exited else f"is still silent after {PEER_TIMEOUT}s"
                raise AssertionError(
                    f"{' '.join(map(str, self.proc.args[:2]))} {why} with {found} of "
                    f"{count} matches of {pattern!r}; its output:\n{text}"
                )
            time.sleep(_POLL)

    def stop(self) -> str:
        """Kill the process (if it still runs); returns its whole output."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(PEER_TIMEOUT)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        return self.output()
