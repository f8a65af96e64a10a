"""A verifying TLS client with a socket-mode Connection.

Given a connected socket, ``OpenSSL.SSL.Connection`` reads and writes the
socket itself. The client checks the server's certificate chain against a
trust store and the host name against the certificate, both inside the
handshake: a failure there raises ``SSL.Error`` from ``do_handshake``.
"""

from __future__ import annotations

import socket

from OpenSSL import SSL


def client_context(cafile: str | None = None) -> SSL.Context:
    """A client context: TLS 1.2 or later, verifying the server."""
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_verify(SSL.VERIFY_PEER)
    if cafile is None:
        context.set_default_verify_paths()  # the system's trusted roots
    else:
        context.load_verify_locations(cafile)
    context.set_alpn_protos([b"http/1.1"])
    return context


def https_get(host: str, port: int = 443, cafile: str | None = None) -> bytes:
    """Fetch ``/`` from *host* over HTTPS and return the raw response."""
    sock = socket.create_connection((host, port), timeout=10)
    sock.settimeout(None)  # OpenSSL does blocking I/O on the socket
    conn = SSL.Connection(client_context(cafile), sock)
    conn.set_tlsext_host_name(host.encode("idna"))  # SNI
    conn.set_verify_hostname(host)  # checked during the handshake
    conn.set_connect_state()
    try:
        conn.do_handshake()
        request = f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n"
        conn.sendall(request.encode("ascii"))
        response = b""
        while True:
            try:
                data = conn.recv(65536)
            except SSL.ZeroReturnError:  # the server sent close_notify:
                conn.shutdown()  # answer with ours
                break
            except SSL.SysCallError as exc:
                if exc.args[0] == -1:  # closed without close_notify:
                    break  # HTTP/1.0 ends the body by closing
                raise
            response += data
        return response
    finally:
        sock.close()


if __name__ == "__main__":
    print(https_get("www.python.org").split(b"\r\n")[0].decode())
