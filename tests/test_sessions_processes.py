"""Sessions and early data across processes, this project on both ends.

* Client side: one Python process makes a full handshake and keeps the
  session in a file (``Session.to_bytes``); a second, fresh process loads it
  and resumes, sending early data.
* Server side: worker processes forked after the server's ``Context`` exists
  share its ticket keys, so a ticket one worker issued resumes at another;
  a Context made in each worker does not share them. With
  ``set_max_early_data`` OpenSSL's anti-replay keeps tickets in the issuing
  process's own session cache, so they resume only there (the binding can
  neither turn anti-replay off nor share that cache).
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from OpenSSL import SSL
from OpenSSL.SSL import EARLY_DATA_ACCEPTED, Session
from tests.support import (
    PEER_TIMEOUT,
    Background,
    accept_early_data,
    blocking_with_deadline,
    ca_file,
    client_context,
    early_server_context,
    listener,
    recv_line,
    server_context,
)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

EARLY = b"GET /cached HTTP/1.0\r\n\r\n"

CLIENT_SCRIPT = textwrap.dedent(
    """
    import socket, struct, sys
    from OpenSSL import SSL

    port, ca, session_file, mode = int(sys.argv[1]), *sys.argv[2:5]
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.load_verify_locations(ca)
    ctx.set_verify(SSL.VERIFY_PEER)
    ctx.set_max_early_data(16384)
    tickets = []
    ctx.set_new_session_callback(lambda conn, session: tickets.append(session))
    sock = socket.create_connection(("127.0.0.1", port), 20)
    sock.settimeout(None)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 20, 0))
    conn = SSL.Connection(ctx, sock)
    conn.set_tlsext_host_name(b"localhost")
    conn.set_verify_hostname("localhost")
    conn.set_connect_state()
    early = b"GET /cached HTTP/1.0\\r\\n\\r\\n"
    if mode == "resume":
        with open(session_file, "rb") as f:
            conn.set_session(SSL.Session.from_bytes(f.read()))
        conn.write_early_data(early)
    conn.do_handshake()
    if conn.get_early_data_status() != SSL.EARLY_DATA_ACCEPTED:
        conn.sendall(early)  # never lost: sent again when refused
    reply = b""
    while not reply.endswith(b"\\n"):
        reply += conn.recv(1024)
    if mode == "first":
        with open(session_file, "wb") as f:
            f.write(tickets[-1].to_bytes())
    conn.shutdown()
    print(conn.session_reused(), conn.get_early_data_status(), reply.decode().strip())
    """
)


def run_client(port: int, session_file: Path, mode: str) -> list[str]:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CLIENT_SCRIPT,
            str(port),
            str(ca_file()),
            str(session_file),
            mode,
        ],
        capture_output=True,
        timeout=PEER_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().split()


def serve(ctx: SSL.Context, sock: socket.socket) -> dict[str, Any]:
    """One server connection: early data, handshake, one request, one answer."""
    conn = SSL.Connection(ctx, blocking_with_deadline(sock))
    conn.set_accept_state()
    early = accept_early_data(conn) if ctx.get_max_early_data() else b""
    conn.do_handshake()
    request = early if early else recv_line(conn.recv)
    while not request.endswith(b"\r\n\r\n"):
        request += conn.recv(1024)
    conn.sendall(b"served " + str(len(request)).encode() + b"\n")
    conn.shutdown()
    sock.close()
    return {"early": early, "reused": conn.session_reused(), "request": request}


def exchange(
    ctx: SSL.Context, listening: listener, session_file: Path, mode: str
) -> tuple[list[str], dict[str, Any]]:
    """One client process in *mode* against one :func:`serve` connection:
    the client's output words, then what the server saw."""
    server = Background(lambda: serve(ctx, listening.accept()))
    out = run_client(listening.port, session_file, mode)
    return out, server.result()


class TestClientProcesses:
    def test_session_file_resumes_with_early_data_in_a_fresh_process(
        self, tmp_path: Path
    ) -> None:
        ctx = early_server_context()
        session_file = tmp_path / "session.der"
        with listener() as listening:
            out, seen = exchange(ctx, listening, session_file, "first")
            assert out == ["False", "0", "served", str(len(EARLY))]
            assert seen["early"] == b""
            assert Session.from_bytes(session_file.read_bytes()).max_early_data
            out, seen = exchange(ctx, listening, session_file, "resume")
        assert out[:2] == ["True", str(EARLY_DATA_ACCEPTED)]
        assert seen == {"early": EARLY, "reused": True, "request": EARLY}

    def test_replayed_session_file_falls_back_and_nothing_is_lost(
        self, tmp_path: Path
    ) -> None:
        ctx = early_server_context()
        session_file = tmp_path / "session.der"
        with listener() as listening:
            exchange(ctx, listening, session_file, "first")
            results = []
            for _ in range(2):
                # The same file twice: the second use is a replay.
                out, seen = exchange(ctx, listening, session_file, "resume")
                results.append((out[:2], seen))
        (accepted, seen_first), (refused, seen_second) = results
        assert accepted == ["True", "2"] and seen_first["early"] == EARLY
        assert refused == ["False", "1"]
        assert seen_second["early"] == b"" and seen_second["request"] == EARLY


# -- server side: forked workers ------------------------------------------------


def _worker(
    make_context: Optional[Callable[[], SSL.Context]],
    ctx: Optional[SSL.Context],
    sock: socket.socket,
    results: Any,
) -> None:
    if make_context is not None:
        ctx = make_context()
    assert ctx is not None
    client, _ = sock.accept()
    try:
        seen = serve(ctx, client)
        results.send((seen["reused"], seen["early"]))
    except BaseException as exc:
        results.send(("error", repr(exc)))


def _client(port: int, session: Optional[Session], early: bool) -> tuple[Any, Session]:
    tickets: list[Session] = []
    ctx = client_context()
    ctx.set_max_early_data(16384)
    ctx.set_new_session_callback(lambda conn, s: tickets.append(s))
    sock = socket.create_connection(("127.0.0.1", port), PEER_TIMEOUT)
    conn = SSL.Connection(ctx, blocking_with_deadline(sock))
    conn.set_tlsext_host_name(b"localhost")
    conn.set_connect_state()
    if session is not None:
        conn.set_session(session)
        if early and session.max_early_data:
            conn.write_early_data(EARLY)
    conn.do_handshake()
    if conn.get_early_data_status() != EARLY_DATA_ACCEPTED:
        conn.sendall(EARLY)
    assert recv_line(conn.recv) == f"served {len(EARLY)}\n".encode()
    conn.shutdown()
    sock.close()
    return conn.session_reused(), Session.from_bytes(tickets[-1].to_bytes())


def _forked_pair(
    ctx: Optional[SSL.Context], make_context: Optional[Callable[[], SSL.Context]]
) -> list[tuple[Any, Any]]:
    """Two forked workers, one connection each: full, then resumed at the other."""
    fork = multiprocessing.get_context("fork")
    outcomes = []
    with listener() as a, listener() as b:
        workers = []
        pipes = []
        for listening in (a, b):
            receiver, sender = fork.Pipe(duplex=False)
            worker = fork.Process(
                target=_worker, args=(make_context, ctx, listening.sock, sender)
            )
            worker.start()
            workers.append(worker)
            pipes.append(receiver)
        try:
            reused, session = _client(a.port, None, early=False)
            outcomes.append((reused, pipes[0].recv()))
            reused, _ = _client(b.port, session, early=True)
            outcomes.append((reused, pipes[1].recv()))
        finally:
            for worker in workers:
                worker.join(PEER_TIMEOUT)
                if worker.is_alive():
                    worker.kill()
    return outcomes


class TestForkedServers:
    def test_workers_forked_after_the_context_share_tickets(self) -> None:
        first, second = _forked_pair(server_context(), None)
        assert first == (False, (False, b""))
        assert second == (True, (True, b""))

    def test_workers_with_their_own_context_do_not(self) -> None:
        first, second = _forked_pair(None, server_context)
        assert first == (False, (False, b""))
        assert second == (False, (False, b""))

    def test_early_data_tickets_resume_only_in_the_issuing_process(self) -> None:
        # Anti-replay keeps single-use tickets in the issuing worker's own
        # session cache: another worker cannot find them.
        first, second = _forked_pair(early_server_context(), None)
        assert first == (False, (False, b""))
        assert second == (False, (False, b""))
