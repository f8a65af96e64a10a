"""A pre-fork TLS server whose workers resume each other's sessions.

The Context is created once, in the parent, before the workers are forked:
they inherit its session-ticket keys (OpenSSL makes them at random when the
Context is created, and the binding cannot set them), so a ticket issued by
one worker is accepted by every other. A Context created in each worker
would have keys of its own.
"""

from __future__ import annotations

import os
import socket

from OpenSSL import SSL


def serve_forever(context: SSL.Context, listener: socket.socket) -> None:
    """A worker: answer each connection with the id of this process."""
    while True:
        sock, _ = listener.accept()
        conn = SSL.Connection(context, sock)
        conn.set_accept_state()
        try:
            request = b""
            while not request.endswith(b"\r\n\r\n"):
                request += conn.recv(4096)
            conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nworker %d\n" % os.getpid())
            conn.shutdown()
        except SSL.Error:
            pass  # one client's failure is not the worker's
        finally:
            sock.close()


def start_workers(
    context: SSL.Context, listener: socket.socket, count: int
) -> list[int]:
    """Fork *count* workers sharing *listener* and *context*; return their pids."""
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                serve_forever(context, listener)
            finally:
                os._exit(0)
        pids.append(pid)
    return pids
