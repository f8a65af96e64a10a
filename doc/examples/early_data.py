"""TLS 1.3 early data (0-RTT): the request leaves with the ClientHello.

The client offers a session whose server accepts early data and sends an
idempotent request as early data. If the server refuses it (it no longer
knows the ticket, changed its settings, or the ticket was already used),
the client sends the request again after the handshake: never lost, never
sent twice. The server reads early data first, may answer it at once, and
then completes the handshake.
"""

from __future__ import annotations

import socket

from OpenSSL import SSL

REQUEST = b"GET /news HTTP/1.0\r\n\r\n"  # safe to receive twice (a replay)


def client_context(cafile: str) -> SSL.Context:
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.load_verify_locations(cafile)
    context.set_verify(SSL.VERIFY_PEER)
    context.set_max_early_data(16384)  # this client may send early data
    return context


def request(
    context: SSL.Context, host: str, port: int, session: SSL.Session | None
) -> tuple[int, bytes, SSL.Session | None]:
    """One request; returns (early data status, answer, session for next time)."""
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = SSL.Connection(context, sock)
    conn.set_tlsext_host_name(host.encode())
    conn.set_verify_hostname(host)
    conn.set_connect_state()
    if session is not None and session.max_early_data >= len(REQUEST):
        conn.set_session(session)
        conn.write_early_data(REQUEST)  # goes out with the ClientHello
    conn.do_handshake()
    status = conn.get_early_data_status()
    if status != SSL.EARLY_DATA_ACCEPTED:
        conn.sendall(REQUEST)  # refused or not sent: send it now
    answer = b""
    while True:
        try:
            answer += conn.recv(4096)
        except SSL.ZeroReturnError:
            break
    new_session = conn.get_session()  # the newest ticket, read with the answer
    conn.shutdown()
    sock.close()
    return status, answer, new_session


def server_context(certfile: str, keyfile: str) -> SSL.Context:
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.use_certificate_chain_file(certfile)
    context.use_privatekey_file(keyfile)
    context.set_max_early_data(16384)  # off unless set; single-use tickets
    return context


def serve_one(context: SSL.Context, listener: socket.socket) -> bytes:
    """Answer one client; return the request as it arrived."""
    sock, _ = listener.accept()
    conn = SSL.Connection(context, sock)
    conn.set_accept_state()
    request = b""
    while True:  # early data first, until it ends (b"")
        chunk = conn.read_early_data(16384)
        if not chunk:
            break
        request += chunk
    conn.do_handshake()
    while not request.endswith(b"\r\n\r\n"):
        request += conn.recv(4096)  # sent again after a refusal, or normally
    conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nnews\n")
    conn.shutdown()
    sock.close()
    return request
