"""A TLS handshake and an exchange between two Connections in one process.

With ``Connection(context, None)`` OpenSSL reads and writes memory buffers
instead of a socket: the program moves the TLS bytes itself with
``bio_read`` (what OpenSSL wants sent) and ``bio_write`` (what arrived).
This is how event loops such as Twisted drive ``OpenSSL.SSL``, and how tests
run handshakes without a network.
"""

from __future__ import annotations

from OpenSSL import SSL


def pump(source: SSL.Connection, destination: SSL.Connection) -> int:
    """Move every pending TLS byte from *source* to *destination*."""
    moved = 0
    while True:
        try:
            data = source.bio_read(65536)
        except SSL.WantReadError:  # nothing (more) to send
            return moved
        destination.bio_write(data)
        moved += len(data)


def handshake(client: SSL.Connection, server: SSL.Connection) -> None:
    """Drive both sides until the handshake is complete on each."""
    done = {id(client): False, id(server): False}
    for _ in range(20):  # a handshake needs a handful of flights
        for conn in (client, server):
            if not done[id(conn)]:
                try:
                    conn.do_handshake()
                    done[id(conn)] = True
                except SSL.WantReadError:
                    pass  # waiting for the peer's next flight
        moved = pump(client, server) + pump(server, client)
        if all(done.values()) and not moved:
            return
    raise RuntimeError("the handshake did not complete")


def connect_in_memory(
    client_context: SSL.Context,
    server_context: SSL.Context,
    server_name: bytes = b"localhost",
) -> tuple[SSL.Connection, SSL.Connection]:
    """A handshaken (client, server) pair of memory-BIO Connections."""
    server = SSL.Connection(server_context, None)
    server.set_accept_state()
    client = SSL.Connection(client_context, None)
    client.set_tlsext_host_name(server_name)
    client.set_verify_hostname(server_name.decode("ascii"))
    client.set_connect_state()
    handshake(client, server)
    return client, server


def exchange(client: SSL.Connection, server: SSL.Connection, message: bytes) -> bytes:
    """Send *message* from client to server and return what the server read."""
    client.sendall(message)
    pump(client, server)
    return server.recv(65536)
