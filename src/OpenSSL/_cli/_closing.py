"""Closing a server's socket so that the client reads the last records.

Closing a TCP socket whose receive queue still holds unread bytes makes the
kernel send a reset instead of an orderly FIN, and a reset can overtake data
already sent: the client then sees "connection reset" instead of the alert
(after a failed handshake) or the last page (``--www``) that the server
wrote just before. That is what happens when a TLS 1.3 server refuses a
client certificate: the client's Finished record is still unread.

So the server closes as ``openssl s_server`` does: shut down the sending
side (the client gets everything sent so far, then EOF), read and discard
what the client still sends until it closes too or a short time passes,
then close.
"""

from __future__ import annotations

import socket
import time

from ._io import wait_ready

__all__ = ["LINGER_SECONDS", "linger_close"]

#: How long a closing server waits for the client to hang up.
LINGER_SECONDS = 1.0


def linger_close(sock: socket.socket, seconds: float = LINGER_SECONDS) -> None:
    """Close *sock* after the peer has read what was sent (bounded in time)."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not wait_ready(
                sock, for_write=False, timeout=remaining
            ):
                break
            try:
                if not sock.recv(65536):
                    break  # the peer closed as well
            except (BlockingIOError, InterruptedError):
                continue
    except OSError:
        pass  # already reset or not connected: nothing left to deliver
    finally:
        sock.close()
