"""A TLS server with a socket-mode Connection: handshake, read, answer."""

from __future__ import annotations

import socket

from OpenSSL import SSL


def server_context(certfile: str, keyfile: str) -> SSL.Context:
    """A server context from a PEM chain (leaf first) and its key."""
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.use_certificate_chain_file(certfile)
    context.use_privatekey_file(keyfile)
    context.check_privatekey()  # the key belongs to the certificate
    return context


def serve(listener: socket.socket, context: SSL.Context, clients: int = 1) -> None:
    """Answer *clients* connections: read one message, say how long it was."""
    for _ in range(clients):
        sock, _address = listener.accept()
        conn = SSL.Connection(context, sock)
        conn.set_accept_state()
        try:
            conn.do_handshake()
            message = conn.recv(65536)
            conn.sendall(b"received %d bytes\n" % len(message))
            conn.shutdown()
        except SSL.Error as exc:  # one bad client must not stop the server
            print(f"client failed: {exc!r}")
        finally:
            sock.close()


if __name__ == "__main__":
    import sys

    with socket.create_server(("127.0.0.1", 4433)) as listener:
        serve(listener, server_context(sys.argv[1], sys.argv[2]), clients=10)
