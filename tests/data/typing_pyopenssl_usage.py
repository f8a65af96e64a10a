"""Typical code written for pyOpenSSL 26.4, for ``mypy --strict``.

tests/test_typing.py type-checks this file against this package; it also
passes ``mypy --strict`` with pyOpenSSL 26.4 installed instead. It is never
run, only checked, so it may use sockets and files freely.
"""

from __future__ import annotations

import socket
from typing import Optional

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from OpenSSL import SSL, crypto


def make_server_context(certfile: str, keyfile: str) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    ctx.use_certificate_chain_file(certfile)
    ctx.use_privatekey_file(keyfile, crypto.FILETYPE_PEM)
    ctx.check_privatekey()
    ctx.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_NO_TICKET)
    ctx.set_cipher_list(b"ECDHE+AESGCM")
    ctx.set_tmp_ecdh(ec.SECP384R1())
    ctx.set_session_cache_mode(SSL.SESS_CACHE_SERVER)
    ctx.set_session_id(b"typing")

    def choose(conn: SSL.Connection, offered: list[bytes]) -> bytes:
        return b"h2" if b"h2" in offered else offered[0]

    def on_sni(conn: SSL.Connection) -> None:
        name: Optional[bytes] = conn.get_servername()
        if name is not None:
            conn.set_context(ctx)

    ctx.set_alpn_select_callback(choose)
    ctx.set_tlsext_servername_callback(on_sni)
    return ctx


def make_client_context(cafile: str) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.load_verify_locations(cafile)
    ctx.set_default_verify_paths()

    def verify(
        conn: SSL.Connection, cert: crypto.X509, errno: int, depth: int, ok: int
    ) -> bool:
        return bool(ok)

    ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, verify)
    ctx.set_alpn_protos([b"h2", b"http/1.1"])
    ctx.set_info_callback(lambda conn, where, ret: None)
    ctx.set_keylog_callback(lambda conn, line: None)
    return ctx


def fetch(host: str, port: int, ctx: SSL.Context) -> bytes:
    sock = socket.create_connection((host, port))
    conn = SSL.Connection(ctx, sock)
    conn.set_tlsext_host_name(host.encode("idna"))
    conn.set_connect_state()
    conn.settimeout(10.0)
    timeout: Optional[float] = conn.gettimeout()
    assert timeout == 10.0
    conn.setblocking(True)
    conn.do_handshake()
    peer = conn.getpeername()
    assert peer
    fd: int = conn.fileno()
    assert fd >= 0
    chain: Optional[list[x509.Certificate]] = conn.get_verified_chain(
        as_cryptography=True
    )
    cert = conn.get_peer_certificate(as_cryptography=True)
    if cert is not None and chain:
        print(cert.subject.rfc4514_string(), len(chain))
    proto: bytes = conn.get_alpn_proto_negotiated()
    version: str = conn.get_protocol_version_name()
    cipher: Optional[str] = conn.get_cipher_name()
    print(proto, version, cipher)
    conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = b""
    try:
        while True:
            data += conn.recv(65536)
    except SSL.ZeroReturnError:
        pass
    except SSL.SysCallError as e:
        print(e.args)
    except SSL.Error as e:
        print(e.args[0])
    session: SSL.Session = conn.get_session() or SSL.Session()
    print(session)
    conn.shutdown()
    conn.close()
    return data


def memory_pair(server_ctx: SSL.Context, client_ctx: SSL.Context) -> None:
    server = SSL.Connection(server_ctx, None)
    server.set_accept_state()
    client = SSL.Connection(client_ctx, None)
    client.set_connect_state()
    for _ in range(10):
        for conn in (client, server):
            try:
                conn.do_handshake()
            except SSL.WantReadError:
                pass
        data = client.bio_read(65536)
        server.bio_write(data)
        server.bio_write(client.bio_read(server.pending() or 1))
    buf = bytearray(100)
    n: int = client.recv_into(buf)
    print(n, client.get_shutdown() & SSL.SENT_SHUTDOWN)


def certificates(pem: bytes) -> None:
    cert = crypto.load_certificate(crypto.FILETYPE_PEM, pem)
    print(cert.get_notAfter(), cert.has_expired(), cert.get_serial_number())
    print(cert.digest("sha256"), cert.to_cryptography().subject)
    der: bytes = crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
    store = crypto.X509Store()
    store.add_cert(cert)
    store.set_flags(crypto.X509StoreFlags.PARTIAL_CHAIN)
    try:
        crypto.X509StoreContext(store, cert).verify_certificate()
    except crypto.X509StoreContextError as e:
        print(e.errors, e.certificate)
    key = crypto.PKey.from_cryptography_key(ec.generate_private_key(ec.SECP256R1()))
    print(key.bits(), key.type() == crypto.TYPE_EC, len(der))
    public = crypto.load_publickey(
        crypto.FILETYPE_PEM, crypto.dump_publickey(crypto.FILETYPE_PEM, key)
    )
    print(public.to_cryptography_key())
