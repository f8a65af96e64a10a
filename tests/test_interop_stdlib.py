"""``OpenSSL.SSL`` against the standard library's ``ssl`` on the other end.

Both directions (our client with a stdlib server, a stdlib client with our
server), TLS 1.2 and 1.3. Most tests connect our memory-BIO ``Connection`` to
a stdlib ``SSLObject`` over ``MemoryBIO``s (deterministic, single-threaded,
see ``tests/support``); the last section uses real loopback TCP
sockets with the stdlib peer in a thread and our ``Connection`` doing its own
socket I/O.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path
from typing import Optional

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from OpenSSL import SSL
from OpenSSL._util import lib
from tests.support import (
    PKI,
    VERSIONS,
    Background,
    ObjectEnd,
    OurEnd,
    blocking_with_deadline,
    client_context,
    deliver,
    handshake,
    listener,
    read_exactly,
    reasons,
    recv_exactly,
    run_handshake,
    server_context,
    ssl_client_context,
    ssl_server_context,
    unrelated_ca_file,
)

versions = pytest.mark.parametrize("version", sorted(VERSIONS))

Codes = SSL.X509VerificationCodes


def stdlib_client(
    version: Optional[str] = None,
    *,
    ctx: Optional[ssl.SSLContext] = None,
    server_hostname: str = "localhost",
    session: Optional[ssl.SSLSession] = None,
) -> ObjectEnd:
    return ObjectEnd(
        ctx if ctx is not None else ssl_client_context(ssl, version=version),
        server_side=False,
        server_hostname=server_hostname,
        session=session,
    )


def stdlib_server(
    version: Optional[str] = None, *, ctx: Optional[ssl.SSLContext] = None
) -> ObjectEnd:
    return ObjectEnd(
        ctx if ctx is not None else ssl_server_context(ssl, version=version),
        server_side=True,
    )


def exchange(a: OurEnd | ObjectEnd, b: OurEnd | ObjectEnd, size: int) -> None:
    """Send *size* patterned bytes a -> b and a different pattern b -> a."""
    forth = bytes(range(256)) * (size // 256) + b"f" * (size % 256)
    back = b"back:" + forth[::-1]
    a.send(forth)
    assert read_exactly(b, a, len(forth)) == forth
    b.send(back)
    assert read_exactly(a, b, len(back)) == back


def failure_of(
    end: OurEnd | ObjectEnd, other: OurEnd | ObjectEnd, error: Optional[BaseException]
) -> BaseException:
    """The exception *end* saw: in the handshake, or (TLS 1.3) on first read.

    In TLS 1.3 a client finishes its handshake before the server has judged
    the client's certificate, so the server's alert reaches the client with
    the client's first read.
    """
    if error is not None:
        return error
    deliver(other, end)
    try:
        data = end.recv(1)
    except Exception as exc:  # the point of the helper
        return exc
    raise AssertionError(f"{end!r} saw no failure (read {data!r})")


# --- handshake and data ---------------------------------------------------------


@versions
def test_our_client_stdlib_server(pki: PKI, version: str) -> None:
    client = OurEnd.client(client_context(version=version))
    server = stdlib_server(version)
    handshake(client, server)

    assert client.conn.get_protocol_version_name() == version
    assert server.obj.version() == version
    assert client.conn.get_protocol_version() == VERSIONS[version][0]
    cipher = server.obj.cipher()
    assert cipher is not None
    assert client.conn.get_cipher_name() == cipher[0]
    assert client.conn.get_cipher_version() == cipher[1]
    assert client.conn.get_cipher_bits() == cipher[2]
    assert client.conn.get_peer_certificate(as_cryptography=True) == pki.server.cert
    chain = client.conn.get_peer_cert_chain(as_cryptography=True)
    assert chain == [pki.server.cert, pki.intermediate.cert]
    verified = client.conn.get_verified_chain(as_cryptography=True)
    assert verified == [pki.server.cert, pki.intermediate.cert, pki.root.cert]
    assert client.conn.get_verify_result() == Codes.OK
    exchange(client, server, 100_000)
    exchange(server, client, 1)


@versions
def test_stdlib_client_our_server(pki: PKI, version: str) -> None:
    client = stdlib_client(version)
    server = OurEnd.server(server_context(version=version))
    handshake(client, server)

    assert server.conn.get_protocol_version_name() == version
    assert client.obj.version() == version
    cipher = client.obj.cipher()
    assert cipher is not None
    assert server.conn.get_cipher_name() == cipher[0]
    der = client.obj.getpeercert(binary_form=True)
    assert der == pki.server.cert.public_bytes(Encoding.DER)
    assert server.conn.get_peer_certificate() is None
    assert server.conn.get_certificate(as_cryptography=True) == pki.server.cert
    exchange(client, server, 100_000)
    exchange(server, client, 3)


@versions
def test_keying_material_agrees(version: str) -> None:
    """Both implementations derive the same secrets from the same handshake."""
    client = OurEnd.client(client_context(version=version))
    server = stdlib_server(version)
    handshake(client, server)
    ours = client.conn.export_keying_material(b"EXPERIMENTAL-interop", 32)
    assert len(ours) == 32
    finished = client.conn.get_finished()
    assert finished is not None and len(finished) >= 12
    peer_finished = client.conn.get_peer_finished()
    assert peer_finished is not None and peer_finished != finished
    if version == "TLSv1.2":
        # tls-unique: the first Finished message of the handshake (client's).
        assert server.obj.get_channel_binding("tls-unique") == finished


# --- client certificates ------------------------------------------------------


@versions
def test_our_server_requires_client_cert(pki: PKI, version: str) -> None:
    client = ObjectEnd(
        ssl_client_context(ssl, version=version, client_cert=True),
        server_side=False,
        server_hostname="localhost",
    )
    server = OurEnd.server(server_context(version=version, require_client_cert=True))
    handshake(client, server)
    exchange(client, server, 10)  # TLS 1.3: the server's verdict is in
    assert server.conn.get_peer_certificate(as_cryptography=True) == pki.client.cert
    assert server.conn.get_verified_chain(as_cryptography=True) == [
        pki.client.cert,
        pki.intermediate.cert,
        pki.root.cert,
    ]
    assert server.conn.get_verify_result() == Codes.OK


@versions
def test_our_server_client_cert_missing(version: str) -> None:
    client = stdlib_client(version)
    server = OurEnd.server(server_context(version=version, require_client_cert=True))
    outcome = run_handshake(client, server)

    server_error = outcome.error(server)
    assert type(server_error) is SSL.Error
    assert "peer did not return a certificate" in reasons(server_error)
    client_error = failure_of(client, server, outcome.error(client))
    assert type(client_error) is ssl.SSLError
    assert "ALERT" in client_error.reason


@versions
def test_stdlib_server_requires_client_cert(pki: PKI, version: str) -> None:
    client = OurEnd.client(client_context(version=version, identity=pki.client))
    server = stdlib_server(
        ctx=ssl_server_context(ssl, version=version, require_client_cert=True)
    )
    handshake(client, server)
    exchange(client, server, 10)
    der = server.obj.getpeercert(binary_form=True)
    assert der == pki.client.cert.public_bytes(Encoding.DER)


@versions
def test_stdlib_server_client_cert_missing(version: str) -> None:
    client = OurEnd.client(client_context(version=version))
    server = stdlib_server(
        ctx=ssl_server_context(ssl, version=version, require_client_cert=True)
    )
    outcome = run_handshake(client, server)

    server_error = outcome.error(server)
    assert type(server_error) is ssl.SSLError
    assert server_error.reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE"
    client_error = failure_of(client, server, outcome.error(client))
    assert type(client_error) is SSL.Error
    assert any("alert" in reason for reason in reasons(client_error))


# --- ALPN -----------------------------------------------------------------------


@versions
def test_alpn_our_server_selects(version: str) -> None:
    offered: list[list[bytes]] = []

    def select(conn: SSL.Connection, protos: list[bytes]) -> bytes:
        offered.append(protos)
        return b"h2"

    ctx = server_context(version=version)
    ctx.set_alpn_select_callback(select)
    cctx = ssl_client_context(ssl, version=version)
    cctx.set_alpn_protocols(["http/1.1", "h2"])
    client = stdlib_client(ctx=cctx)
    server = OurEnd.server(ctx)
    handshake(client, server)
    assert offered == [[b"http/1.1", b"h2"]]
    assert client.obj.selected_alpn_protocol() == "h2"
    assert server.conn.get_alpn_proto_negotiated() == b"h2"


@versions
def test_alpn_our_server_no_overlap(version: str) -> None:
    ctx = server_context(version=version)
    ctx.set_alpn_select_callback(lambda conn, protos: SSL.NO_OVERLAPPING_PROTOCOLS)
    cctx = ssl_client_context(ssl, version=version)
    cctx.set_alpn_protocols(["spdy/2"])
    client = stdlib_client(ctx=cctx)
    server = OurEnd.server(ctx)
    handshake(client, server)
    assert client.obj.selected_alpn_protocol() is None
    assert server.conn.get_alpn_proto_negotiated() == b""
    exchange(client, server, 5)


@versions
def test_alpn_our_client_offers(version: str) -> None:
    cctx = client_context(version=version)
    cctx.set_alpn_protos([b"h2", b"http/1.1"])
    sctx = ssl_server_context(ssl, version=version)
    sctx.set_alpn_protocols(["http/1.1"])
    client = OurEnd.client(cctx)
    server = stdlib_server(ctx=sctx)
    handshake(client, server)
    assert server.obj.selected_alpn_protocol() == "http/1.1"
    assert client.conn.get_alpn_proto_negotiated() == b"http/1.1"


def test_alpn_per_connection_protos_no_overlap() -> None:
    client = OurEnd.client(client_context())
    client.conn.set_alpn_protos([b"h2"])
    sctx = ssl_server_context(ssl)
    sctx.set_alpn_protocols(["http/1.1"])
    server = stdlib_server(ctx=sctx)
    handshake(client, server)
    assert server.obj.selected_alpn_protocol() is None
    assert client.conn.get_alpn_proto_negotiated() == b""


# --- SNI ------------------------------------------------------------------------


@versions
def test_sni_our_server_sees_stdlib_server_hostname(version: str) -> None:
    seen: list[Optional[bytes]] = []
    ctx = server_context(version=version)
    ctx.set_tlsext_servername_callback(lambda conn: seen.append(conn.get_servername()))
    client = stdlib_client(version, server_hostname="localhost")
    server = OurEnd.server(ctx)
    handshake(client, server)
    assert seen == [b"localhost"]
    assert server.conn.get_servername() == b"localhost"


def test_sni_our_server_switches_context(pki: PKI) -> None:
    """The servername callback swaps in a Context with another certificate."""
    other = server_context(pki.rsa_server)

    def pick(conn: SSL.Connection) -> None:
        if conn.get_servername() == b"localhost":
            conn.set_context(other)

    ctx = server_context()
    ctx.set_tlsext_servername_callback(pick)
    client = stdlib_client()
    server = OurEnd.server(ctx)
    handshake(client, server)
    der = client.obj.getpeercert(binary_form=True)
    assert der == pki.rsa_server.cert.public_bytes(Encoding.DER)
    assert server.conn.get_context() is other


def test_sni_stdlib_server_sees_our_host_name() -> None:
    seen: list[Optional[str]] = []

    def record(obj: object, name: Optional[str], ctx: object) -> None:
        seen.append(name)

    sctx = ssl_server_context(ssl)
    sctx.sni_callback = record  # type: ignore[assignment]
    client = OurEnd.client(client_context(), server_name=b"localhost")
    server = stdlib_server(ctx=sctx)
    handshake(client, server)
    assert seen == ["localhost"]
    assert client.conn.get_servername() == b"localhost"


# --- resumption ---------------------------------------------------------------


@versions
def test_resumption_stdlib_client_our_server(version: str) -> None:
    sctx = server_context(version=version)
    cctx = ssl_client_context(ssl, version=version)

    client = stdlib_client(ctx=cctx)
    server = OurEnd.server(sctx)
    handshake(client, server)
    exchange(server, client, 1)  # TLS 1.3 tickets arrive after the handshake
    session = client.obj.session
    assert session is not None
    assert not client.obj.session_reused
    assert lib.SSL_session_reused(server.conn._ssl) == 0

    client2 = stdlib_client(ctx=cctx, session=session)
    server2 = OurEnd.server(sctx)
    handshake(client2, server2)
    assert client2.obj.session_reused
    assert lib.SSL_session_reused(server2.conn._ssl) == 1
    exchange(client2, server2, 10)


@versions
def test_resumption_our_client_stdlib_server(version: str) -> None:
    sctx = ssl_server_context(ssl, version=version)
    cctx = client_context(version=version)

    client = OurEnd.client(cctx)
    server = stdlib_server(ctx=sctx)
    handshake(client, server)
    exchange(server, client, 1)
    session = client.conn.get_session()
    assert isinstance(session, SSL.Session)
    assert not server.obj.session_reused

    client2 = OurEnd.client(cctx)
    client2.conn.set_session(session)
    server2 = stdlib_server(ctx=sctx)
    handshake(client2, server2)
    assert server2.obj.session_reused
    assert lib.SSL_session_reused(client2.conn._ssl) == 1
    exchange(client2, server2, 10)


def test_session_from_other_context_rejected() -> None:
    client = OurEnd.client(client_context())
    server = stdlib_server()
    handshake(client, server)
    exchange(server, client, 1)
    session = client.conn.get_session()
    assert session is not None
    stranger = SSL.Connection(client_context(), None)
    with pytest.raises(ValueError):
        stranger.set_session(session)


# --- verification -------------------------------------------------------------


@pytest.mark.parametrize(
    ("hostname", "server_name"),
    [("localhost", b"localhost"), ("127.0.0.1", None), ("::1", None)],
)
def test_verify_hostname_passes(hostname: str, server_name: Optional[bytes]) -> None:
    client = OurEnd.client(client_context(), server_name=server_name)
    client.conn.set_verify_hostname(hostname)
    server = stdlib_server()
    handshake(client, server)
    assert client.conn.get_verify_result() == Codes.OK
    exchange(client, server, 10)


@pytest.mark.parametrize(
    ("hostname", "identity", "code"),
    [
        ("example.org", "server", Codes.ERR_HOSTNAME_MISMATCH),
        ("localhost", "wrong_host_server", Codes.ERR_HOSTNAME_MISMATCH),
        ("127.0.0.2", "server", Codes.ERR_IP_ADDRESS_MISMATCH),
    ],
)
@versions
def test_verify_hostname_fails(
    hostname: str, identity: str, code: int, version: str
) -> None:
    client = OurEnd.client(client_context(version=version), server_name=None)
    client.conn.set_verify_hostname(hostname)
    server = stdlib_server(ctx=ssl_server_context(ssl, identity, version=version))
    outcome = run_handshake(client, server)

    client_error = outcome.error(client)
    assert type(client_error) is SSL.Error
    assert "certificate verify failed" in reasons(client_error)
    assert client.conn.get_verify_result() == code
    server_error = outcome.error(server)
    assert type(server_error) is ssl.SSLError
    assert "ALERT" in server_error.reason


def test_verify_hostname_without_verify_peer_does_not_abort() -> None:
    """VERIFY_NONE: the mismatch is recorded but the handshake completes."""
    client = OurEnd.client(client_context(verify=False), server_name=None)
    client.conn.set_verify_hostname("example.org")
    server = stdlib_server()
    handshake(client, server)
    assert client.conn.get_verify_result() == Codes.ERR_HOSTNAME_MISMATCH


@versions
def test_our_client_rejects_untrusted_ca(version: str) -> None:
    client = OurEnd.client(client_context(version=version, cafile=unrelated_ca_file()))
    server = stdlib_server(version)
    outcome = run_handshake(client, server)

    client_error = outcome.error(client)
    assert type(client_error) is SSL.Error
    assert "certificate verify failed" in reasons(client_error)
    assert (
        client.conn.get_verify_result() == Codes.ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    )
    server_error = outcome.error(server)
    assert type(server_error) is ssl.SSLError
    assert server_error.reason == "TLSV1_ALERT_UNKNOWN_CA"


@versions
def test_stdlib_client_rejects_our_untrusted_server(version: str) -> None:
    client = ObjectEnd(
        ssl_client_context(ssl, version=version, cafile=unrelated_ca_file()),
        server_side=False,
        server_hostname="localhost",
    )
    server = OurEnd.server(server_context(version=version))
    outcome = run_handshake(client, server)

    client_error = outcome.error(client)
    assert isinstance(client_error, ssl.SSLCertVerificationError)
    assert client_error.verify_code == Codes.ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    server_error = outcome.error(server)
    assert type(server_error) is SSL.Error
    assert any("alert unknown ca" in r for r in reasons(server_error))


@versions
def test_our_client_rejects_expired_stdlib_server(version: str) -> None:
    client = OurEnd.client(client_context(version=version))
    server = stdlib_server(
        ctx=ssl_server_context(ssl, "expired_server", version=version)
    )
    outcome = run_handshake(client, server)
    client_error = outcome.error(client)
    assert type(client_error) is SSL.Error
    assert "certificate verify failed" in reasons(client_error)
    assert client.conn.get_verify_result() == Codes.ERR_CERT_HAS_EXPIRED
    assert type(outcome.error(server)) is ssl.SSLError


def test_stdlib_client_rejects_expired_our_server(pki: PKI) -> None:
    client = stdlib_client()
    server = OurEnd.server(server_context(pki.expired_server))
    outcome = run_handshake(client, server)
    client_error = outcome.error(client)
    assert isinstance(client_error, ssl.SSLCertVerificationError)
    assert client_error.verify_code == Codes.ERR_CERT_HAS_EXPIRED
    server_error = outcome.error(server)
    assert type(server_error) is SSL.Error
    assert any("alert certificate expired" in r for r in reasons(server_error))


@versions
def test_rsa_server_certificate_both_ways(pki: PKI, version: str) -> None:
    client = OurEnd.client(client_context(version=version))
    server = stdlib_server(ctx=ssl_server_context(ssl, "rsa_server", version=version))
    handshake(client, server)
    assert client.conn.get_peer_certificate(as_cryptography=True) == pki.rsa_server.cert
    exchange(client, server, 20_000)

    client2 = stdlib_client(version)
    server2 = OurEnd.server(server_context(pki.rsa_server, version=version))
    handshake(client2, server2)
    assert server2.conn.get_cipher_name() == client2.obj.cipher()[0]  # type: ignore[index]
    exchange(client2, server2, 20_000)


def test_stdlib_client_hostname_check_against_our_server(pki: PKI) -> None:
    client = stdlib_client()
    server = OurEnd.server(server_context(pki.wrong_host_server))
    outcome = run_handshake(client, server)
    client_error = outcome.error(client)
    assert isinstance(client_error, ssl.SSLCertVerificationError)
    assert client_error.verify_code == Codes.ERR_HOSTNAME_MISMATCH
    assert type(outcome.error(server)) is SSL.Error


def test_our_verify_callback_sees_stdlib_server_chain(pki: PKI) -> None:
    seen: list[tuple[int, int, bool]] = []

    def verify(
        conn: SSL.Connection, cert: object, errno: int, depth: int, ok: int
    ) -> bool:
        seen.append((depth, errno, bool(ok)))
        return bool(ok)

    ctx = client_context()
    ctx.set_verify(SSL.VERIFY_PEER, verify)
    client = OurEnd.client(ctx)
    handshake(client, stdlib_server())
    assert seen == [(2, 0, True), (1, 0, True), (0, 0, True)]


# --- closing --------------------------------------------------------------------


@versions
def test_stdlib_close_notify_is_zero_return(version: str) -> None:
    client = OurEnd.client(client_context(version=version))
    server = stdlib_server(version)
    handshake(client, server)
    server.close_notify()
    deliver(server, client)
    with pytest.raises(SSL.ZeroReturnError):
        client.conn.recv(100)
    assert client.conn.get_shutdown() & SSL.RECEIVED_SHUTDOWN
    assert client.conn.shutdown() is True
    deliver(client, server)
    server.obj.unwrap()  # completes now that our close_notify arrived


@versions
def test_our_shutdown_seen_by_stdlib(version: str) -> None:
    client = stdlib_client(version)
    server = OurEnd.server(server_context(version=version))
    handshake(client, server)
    assert server.conn.shutdown() is False
    assert server.conn.get_shutdown() == SSL.SENT_SHUTDOWN
    deliver(server, client)
    assert client.obj.read(10) == b""  # clean EOF in the stdlib's terms
    client.close_notify()
    deliver(client, server)
    assert server.conn.shutdown() is True
    assert server.conn.get_shutdown() == SSL.SENT_SHUTDOWN | SSL.RECEIVED_SHUTDOWN


def test_memory_bio_eof_without_close_notify() -> None:
    client = OurEnd.client(client_context())
    server = stdlib_server()
    handshake(client, server)
    exchange(server, client, 1)
    client.conn.bio_shutdown()
    with pytest.raises(SSL.SysCallError) as info:
        client.conn.recv(100)
    assert info.value.args == (-1, "Unexpected EOF")


def test_read_after_unexpected_eof_is_error_that_reads_as_eof() -> None:
    """After the EOF has been reported, reading again is an ``Error``.

    OpenSSL leaves its error queue empty here (pyOpenSSL 26.4 raises
    ``Error([])``). This project never raises an empty list; it says what
    happened, in words that Twisted's ``_representsEOF`` still recognises as
    an EOF.
    """
    client = OurEnd.client(client_context())
    server = stdlib_server()
    handshake(client, server)
    exchange(server, client, 1)
    client.conn.bio_shutdown()
    with pytest.raises(SSL.SysCallError):
        client.conn.recv(100)
    with pytest.raises(SSL.Error) as info:
        client.conn.recv(100)
    assert type(info.value) is SSL.Error
    [(library, _, reason)] = info.value.args[0]
    assert library == "SSL routines"
    assert reason.casefold().startswith("unexpected eof")
    tls = pytest.importorskip("twisted.protocols.tls")
    assert tls._representsEOF(info.value)


@versions
def test_alpn_select_returning_empty_bytes_fails_handshake(version: str) -> None:
    """``b""`` from the ALPN callback fails the handshake with ``SSL.Error``.

    pyOpenSSL 26.4 hands the empty protocol to OpenSSL, which aborts with an
    internal-error alert (a no_application_protocol alert would do as well);
    Twisted returns ``b""`` when nothing overlaps and its tests expect an
    ``SSL.Error`` from the handshake, not a ``ValueError``.
    """
    ctx = server_context(version=version)
    ctx.set_alpn_select_callback(lambda conn, protos: b"")
    cctx = ssl_client_context(ssl, version=version)
    cctx.set_alpn_protocols(["h2"])
    client = stdlib_client(ctx=cctx)
    server = OurEnd.server(ctx)
    outcome = run_handshake(client, server)
    server_error = outcome.error(server)
    assert type(server_error) is SSL.Error
    client_error = outcome.error(client)
    assert type(client_error) is ssl.SSLError
    assert "alert" in str(client_error)


# --- real sockets, stdlib peer in a thread ---------------------------------------


def _our_socket_client(port: int, version: Optional[str] = None) -> SSL.Connection:
    sock = socket.create_connection(("127.0.0.1", port), 20)
    conn = SSL.Connection(client_context(version=version), blocking_with_deadline(sock))
    conn.set_tlsext_host_name(b"localhost")
    conn.set_verify_hostname("localhost")
    conn.set_connect_state()
    conn.do_handshake()
    return conn


PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


@versions
def test_socket_our_client_stdlib_server(version: str) -> None:
    sctx = ssl_server_context(ssl, version=version)
    with listener() as lsn:

        def serve() -> str:
            with sctx.wrap_socket(lsn.accept(), server_side=True) as tls:
                data = recv_exactly(tls.recv, len(PAYLOAD))
                tls.sendall(data[::-1])
                version = str(tls.version())
                tls.unwrap()  # waits for our close_notify
                return version

        peer = Background(serve)
        conn = _our_socket_client(lsn.port, version)
        assert conn.get_protocol_version_name() == version
        conn.sendall(PAYLOAD)
        assert recv_exactly(conn.recv, len(PAYLOAD)) == PAYLOAD[::-1]
        with pytest.raises(SSL.ZeroReturnError):
            conn.recv(1)
        assert conn.shutdown() is True
        assert peer.result() == version
        conn.close()


@versions
def test_socket_stdlib_client_our_server(pki: PKI, version: str) -> None:
    ctx = server_context(version=version, require_client_cert=True)
    with listener() as lsn:

        def serve() -> bytes:
            conn = SSL.Connection(ctx, blocking_with_deadline(lsn.accept()))
            conn.set_accept_state()
            conn.do_handshake()
            peer = conn.get_peer_certificate(as_cryptography=True)
            assert peer == pki.client.cert
            buf = bytearray(len(PAYLOAD))
            view = memoryview(buf)
            got = 0
            while got < len(buf):
                n = conn.recv_into(view[got:])
                assert n > 0
                got += n
            conn.sendall(bytes(buf[::-1]))
            with pytest.raises(SSL.ZeroReturnError):
                conn.recv(1)
            conn.shutdown()
            conn.close()
            return conn.get_protocol_version_name().encode()

        peer = Background(serve)
        cctx = ssl_client_context(ssl, version=version, client_cert=True)
        with cctx.wrap_socket(lsn.connect(), server_hostname="localhost") as tls:
            tls.sendall(PAYLOAD)
            assert recv_exactly(tls.recv, len(PAYLOAD)) == PAYLOAD[::-1]
            tls.unwrap()
        assert peer.result() == version.encode()


@versions
def test_socket_abrupt_close_is_unexpected_eof(version: str) -> None:
    sctx = ssl_server_context(ssl, version=version)
    with listener() as lsn:

        def serve() -> None:
            tls = sctx.wrap_socket(lsn.accept(), server_side=True)
            assert recv_exactly(tls.recv, 5) == b"hello"
            tls.sendall(b"bye")
            # No unwrap(): the TCP connection ends without close_notify.
            tls.close()

        peer = Background(serve)
        conn = _our_socket_client(lsn.port, version)
        conn.sendall(b"hello")
        assert recv_exactly(conn.recv, 3) == b"bye"
        peer.result()
        with pytest.raises(SSL.SysCallError) as info:
            conn.recv(1)
        assert info.value.args == (-1, "Unexpected EOF")
        conn.close()


def test_socket_stdlib_server_rejects_our_missing_client_cert() -> None:
    sctx = ssl_server_context(ssl, version="TLSv1.2", require_client_cert=True)
    with listener() as lsn:

        def serve() -> None:
            with pytest.raises(ssl.SSLError) as info:
                sctx.wrap_socket(lsn.accept(), server_side=True)
            assert info.value.reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE"

        peer = Background(serve)
        with pytest.raises(SSL.Error) as info:
            _our_socket_client(lsn.port, "TLSv1.2")
        assert type(info.value) is SSL.Error
        peer.result()


# --- secrets and record-level details -------------------------------------------


@versions
def test_keylog_matches_stdlib_keylog_file(tmp_path: Path, version: str) -> None:
    """Our keylog callback logs the very lines the stdlib peer logs."""
    ours: list[bytes] = []
    cctx = client_context(version=version)
    cctx.set_keylog_callback(lambda conn, line: ours.append(line))
    sctx = ssl_server_context(ssl, version=version)
    keylog = tmp_path / "keylog.txt"
    sctx.keylog_filename = str(keylog)
    client = OurEnd.client(cctx)
    handshake(client, stdlib_server(ctx=sctx))
    theirs = [
        line.encode()
        for line in keylog.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert ours
    assert sorted(ours) == sorted(theirs)
    if version == "TLSv1.2":
        client_random = client.conn.client_random()
        master_key = client.conn.master_key()
        assert client_random is not None and master_key is not None
        assert ours == [
            b"CLIENT_RANDOM "
            + client_random.hex().encode()
            + b" "
            + master_key.hex().encode()
        ]
    else:
        labels = sorted(line.split(b" ")[0] for line in ours)
        assert labels == [
            b"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            b"CLIENT_TRAFFIC_SECRET_0",
            b"EXPORTER_SECRET",
            b"SERVER_HANDSHAKE_TRAFFIC_SECRET",
            b"SERVER_TRAFFIC_SECRET_0",
        ]
        client_random = client.conn.client_random()
        assert client_random is not None
        assert {line.split(b" ")[1] for line in ours} == {client_random.hex().encode()}


def test_renegotiation_with_stdlib_client() -> None:
    """TLS 1.2 renegotiation started by our server, a stdlib client follows."""
    client = stdlib_client("TLSv1.2")
    server = OurEnd.server(server_context(version="TLSv1.2"))
    handshake(client, server)
    assert server.conn.total_renegotiations() == 0
    assert server.conn.renegotiate() is True
    assert server.conn.renegotiate_pending() is True
    server.conn.do_handshake()  # writes HelloRequest and returns
    for _ in range(10):
        # Reads drive the new handshake on both sides; no data is pending.
        deliver(server, client)
        assert client.recv(100) is None
        deliver(client, server)
        assert server.recv(100) is None
        if not server.conn.renegotiate_pending():
            break
    assert not server.conn.renegotiate_pending()
    assert server.conn.total_renegotiations() == 1
    exchange(client, server, 1000)


def test_peek_and_pending_against_stdlib() -> None:
    client = OurEnd.client(client_context())
    server = stdlib_server()
    handshake(client, server)
    server.send(b"0123456789")
    deliver(server, client)
    assert client.conn.recv(4, socket.MSG_PEEK) == b"0123"
    assert client.conn.recv(4) == b"0123"
    assert client.conn.pending() == 6
    buf = bytearray(10)
    assert client.conn.recv_into(buf, 3) == 3
    assert bytes(buf[:3]) == b"456"
    assert client.conn.read(100) == b"789"
    assert client.conn.pending() == 0
    with pytest.raises(SSL.WantReadError):
        client.conn.recv(1)
