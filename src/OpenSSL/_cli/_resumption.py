"""``client --sess-out/--sess-in/--early-data``: sessions in files, and 0-RTT.

Session files are what ``openssl s_client -sess_out`` writes and
``-sess_in`` reads: the DER form of :meth:`OpenSSL.SSL.Session.to_bytes` in
PEM armour (``SSL SESSION PARAMETERS``), so sessions cross between this
command and ``openssl`` both ways. DER files are read as well. A session
file holds the session's secret: it is written readable by its owner only.

A TLS 1.3 server sends its session tickets after the handshake, so a client
that should save one (``--sess-out``) reads until a ticket has arrived (or
the server has closed, or a short time has passed); what the server sent
meanwhile is shown as its reply, never dropped.

Early data (``--early-data FILE``) needs a resumed session whose server
allows it (the session's ``max_early_data``); the data leaves with the
ClientHello. If the server rejects it, the client sends it again after the
handshake, as the protocol leaves to the application, and says so.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import os
import re
import socket

from OpenSSL import SSL

from . import _files, _io
from ._common import CommandError, UsageError

__all__ = ["Resumption", "add_arguments"]

_LABEL = b"SSL SESSION PARAMETERS"
_PEM = re.compile(
    b"-----BEGIN " + _LABEL + b"-----(.*?)-----END " + _LABEL + b"-----", re.DOTALL
)

# How long a client that should save a TLS 1.3 session waits for its ticket.
_TICKET_WAIT = 2.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--sess-out``, ``--sess-in`` and ``--early-data``."""
    group = parser.add_argument_group("sessions")
    group.add_argument(
        "--sess-out",
        metavar="FILE",
        help="save the session to FILE (PEM, as openssl s_client -sess_out) "
        "to resume it later with --sess-in",
    )
    _files.add_input_file(
        group,
        "--sess-in",
        "try to resume the session in FILE (written by --sess-out or "
        "openssl s_client -sess_out)",
    )
    _files.add_input_file(
        group,
        "--early-data",
        "send the contents of FILE as TLS 1.3 early data (0-RTT) with the "
        "ClientHello; needs --sess-in with a session that allows it; sent "
        "again after the handshake if the server rejects it",
    )


def save_session(session: SSL.Session, path: str) -> None:
    """Write *session* to *path* as ``openssl -sess_out`` does (PEM, mode 600)."""
    body = base64.b64encode(session.to_bytes())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    pem = (
        b"-----BEGIN " + _LABEL + b"-----\n"
        + b"\n".join(lines)
        + b"\n-----END " + _LABEL + b"-----\n"
    )  # fmt: skip
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
    except OSError as exc:
        raise CommandError(
            f"cannot write session file {path}: {exc.strerror or exc}"
        ) from None


def load_session(path: str) -> SSL.Session:
    """The session in *path*: PEM as ``openssl`` writes it, or DER."""
    data = _files.read_file(path, "session file")
    if b"-----BEGIN" in data:
        match = _PEM.search(data)
        if match is None:
            raise CommandError(
                f"no session found in {path} (it holds {_files.holds(data)}; "
                "expected SSL SESSION PARAMETERS, as openssl s_client -sess_out "
                "writes, or DER)"
            )
        try:
            data = base64.b64decode(b"".join(match.group(1).split()), validate=True)
        except binascii.Error:
            raise CommandError(f"the session in {path} is not valid base64") from None
    try:
        return SSL.Session.from_bytes(data)
    except ValueError as exc:
        raise CommandError(f"no usable session in {path}: {exc}") from None


class Resumption:
    """What ``--sess-in``, ``--sess-out`` and ``--early-data`` ask of a client."""

    def __init__(self, args: argparse.Namespace) -> None:
        if args.early_data and not args.sess_in:
            raise UsageError("--early-data needs --sess-in (a session to resume)")
        self._sess_in: str | None = args.sess_in
        self._sess_out: str | None = args.sess_out
        self._session = load_session(args.sess_in) if args.sess_in else None
        self._early = b""
        self._early_sent = 0
        self._tickets: list[SSL.Session] = []
        if args.early_data:
            assert self._session is not None
            self._early = _files.read_file(args.early_data, "early data file")
            allowed = self._session.max_early_data
            if allowed == 0:
                raise CommandError(
                    f"the session in {args.sess_in} allows no early data "
                    "(its server did not offer any)"
                )
            if len(self._early) > allowed:
                raise CommandError(
                    f"{args.early_data} holds {len(self._early)} bytes; the "
                    f"session allows {allowed} bytes of early data"
                )

    def configure(self, ctx: SSL.Context) -> None:
        """Ask *ctx* for what the options need (before any connection)."""
        if self._sess_out:
            ctx.set_new_session_callback(
                lambda conn, session: self._tickets.append(session)
            )
        if self._early:
            assert self._session is not None
            ctx.set_max_early_data(self._session.max_early_data)

    def before_handshake(
        self, conn: SSL.Connection, sock: socket.socket, deadline: _io.Deadline
    ) -> None:
        """Offer the session, and send the early data with the ClientHello."""
        if self._session is not None:
            conn.set_session(self._session)
        view = memoryview(self._early)
        while view:
            write = functools.partial(conn.write_early_data, view)
            view = view[_io.retry(sock, write, deadline) :]
        self._early_sent = len(self._early)

    def fields(self, conn: SSL.Connection) -> list[tuple[str, str]]:
        """``session`` and ``early data`` lines for the report."""
        found: list[tuple[str, str]] = []
        if self._sess_in:
            if conn.session_reused():
                found.append(("session", f"resumed from {self._sess_in}"))
            else:
                found.append(
                    ("session", f"new (the server did not resume {self._sess_in})")
                )
        if self._early:
            if self.early_data_accepted(conn):
                found.append(("early data", f"accepted ({self._early_sent} bytes)"))
            else:
                found.append(
                    (
                        "early data",
                        f"rejected: {len(self._early)} bytes sent again after "
                        "the handshake",
                    )
                )
        return found

    def early_data_accepted(self, conn: SSL.Connection) -> bool:
        return conn.get_early_data_status() == SSL.EARLY_DATA_ACCEPTED

    def to_resend(self, conn: SSL.Connection) -> bytes:
        """Early data the server rejected: the client must send it now."""
        if self._early and not self.early_data_accepted(conn):
            return self._early
        return b""

    def save(
        self, conn: SSL.Connection, sock: socket.socket, timeout: float
    ) -> tuple[bytes, str | None]:
        """Save the session for ``--sess-out``.

        Returns what the server sent while the client waited for a TLS 1.3
        ticket, and the line to print (``None`` without ``--sess-out``).
        """
        if not self._sess_out:
            return b"", None
        received = b""
        if conn.get_protocol_version_name() == "TLSv1.3":
            received = _io.read_until(
                conn, sock, lambda: bool(self._tickets), min(timeout, _TICKET_WAIT)
            )
            session = self._tickets[-1] if self._tickets else None
        else:
            session = conn.get_session()
        if session is None:
            raise CommandError(
                "the server sent no session to save (it may not offer resumption)"
            )
        save_session(session, self._sess_out)
        return received, f"session saved to {self._sess_out}"
