"""``ssl_compat.SSLObject`` and ``MemoryBIO``, paired with the stdlib's."""

from __future__ import annotations

import ssl
from typing import Any, Optional

import pytest
from cryptography.hazmat.primitives import serialization

from OpenSSL import SSL, ssl_compat
from tests.support import (
    ObjectEnd,
    deliver,
    files,
    handshake,
    read_exactly,
    ssl_client_context,
    ssl_server_context,
)

MODULES = [ssl, ssl_compat]
BIOS = [ssl.MemoryBIO, ssl_compat.MemoryBIO]


def _client(ctx: Any, bio_type: Any, **options: Any) -> ObjectEnd:
    options.setdefault("server_hostname", "localhost")
    return ObjectEnd(ctx, server_side=False, bio_type=bio_type, **options)


def _server(ctx: Any, bio_type: Any) -> ObjectEnd:
    return ObjectEnd(ctx, server_side=True, bio_type=bio_type)


def _pair(
    client_module: Any, server_module: Any, bio_type: Any, **client_settings: Any
) -> tuple[ObjectEnd, ObjectEnd]:
    # The stdlib's SSLObject only takes its own MemoryBIO.
    client_bio = bio_type if client_module is ssl_compat else ssl.MemoryBIO
    server_bio = bio_type if server_module is ssl_compat else ssl.MemoryBIO
    client = _client(ssl_client_context(client_module, **client_settings), client_bio)
    return client, _server(ssl_server_context(server_module), server_bio)


# -- MemoryBIO ---------------------------------------------------------------


@pytest.mark.parametrize("bio_type", BIOS)
def test_memory_bio_behaves_like_the_stdlibs(bio_type: Any) -> None:
    bio = bio_type()
    assert (bio.pending, bio.eof) == (0, False)
    assert bio.write(b"hello") == 5
    assert bio.write(memoryview(b" world")) == 6
    assert bio.write(bytearray(b"!")) == 1
    assert bio.pending == 12
    assert bio.read(5) == b"hello"
    assert bio.read() == b" world!"
    assert bio.read() == b""
    bio.write(b"tail")
    bio.write_eof()
    assert bio.eof is False
    assert bio.read(-1) == b"tail"
    assert bio.eof is True
    with pytest.raises(ssl.SSLError):
        bio.write(b"more")
    with pytest.raises(TypeError):
        bio_type().write("text")


# -- handshakes and data over memory BIOs ------------------------------------


@pytest.mark.parametrize("bio_type", BIOS)
@pytest.mark.parametrize(
    ("client_module", "server_module"),
    [(ssl_compat, ssl), (ssl, ssl_compat), (ssl_compat, ssl_compat)],
)
def test_handshake_and_data(
    client_module: Any, server_module: Any, bio_type: Any
) -> None:
    client, server = _pair(client_module, server_module, bio_type)
    handshake(client, server)
    assert client.obj.version() == server.obj.version() == "TLSv1.3"
    assert client.obj.cipher() == server.obj.cipher()
    assert client.obj.getpeercert()["subject"][-1] == (("commonName", "localhost"),)
    assert client.obj.write(b"ping") == 4
    assert read_exactly(server, client, 4) == b"ping"
    payload = b"x" * 100_000
    written = 0
    while written < len(payload):
        written += server.obj.write(payload[written:])
    assert read_exactly(client, server, len(payload)) == payload


def test_sslobject_reports_like_cpython_for_same_server() -> None:
    views = []
    for module in MODULES:
        client, server = _pair(module, ssl, ssl.MemoryBIO)
        handshake(client, server)
        obj = client.obj
        views.append(
            (
                obj.getpeercert(),
                obj.getpeercert(True),
                obj.cipher(),
                obj.version(),
                obj.server_side,
                obj.server_hostname,
                obj.compression(),
                obj.selected_alpn_protocol(),
                obj.session_reused,
            )
        )
    assert views[0] == views[1]


@pytest.mark.parametrize("server_module", MODULES)
def test_want_read_before_data_and_clean_close(server_module: Any) -> None:
    client, server = _pair(ssl_compat, server_module, ssl.MemoryBIO)
    handshake(client, server)
    with pytest.raises(ssl.SSLWantReadError):
        client.obj.read(10)
    # The server closes cleanly; its close_notify reaches the client.
    with pytest.raises(ssl.SSLWantReadError):
        server.obj.unwrap()
    deliver(server, client)
    assert client.obj.read(10) == b""
    # The client answers with its own close_notify and is done.
    assert client.obj.unwrap() is None
    deliver(client, server)
    assert server.obj.unwrap() is None


def test_unwrap_waits_for_peer_close_notify() -> None:
    client, server = _pair(ssl_compat, ssl_compat, ssl_compat.MemoryBIO)
    handshake(client, server)
    for _ in range(2):
        with pytest.raises(ssl.SSLWantReadError):
            client.obj.unwrap()
    deliver(client, server)
    assert server.obj.unwrap() is None
    deliver(server, client)
    assert client.obj.unwrap() is None


def test_ragged_eof_raises_eof_error() -> None:
    client, server = _pair(ssl_compat, ssl, ssl.MemoryBIO)
    handshake(client, server)
    client.in_bio.write_eof()
    with pytest.raises(ssl.SSLEOFError) as info:
        client.obj.read(10)
    assert info.value.args[0] == ssl.SSL_ERROR_EOF


def test_garbage_from_peer_is_ssl_error() -> None:
    client = _client(ssl_client_context(), ssl_compat.MemoryBIO)
    with pytest.raises(ssl.SSLWantReadError):
        client.obj.do_handshake()
    assert client.out_bio.pending > 0  # the ClientHello went out before the wait
    client.in_bio.write(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4)
    with pytest.raises(ssl.SSLError) as info:
        client.obj.do_handshake()
    assert type(info.value) is ssl.SSLError
    assert info.value.library == "SSL"
    assert info.value.reason


@pytest.mark.parametrize("module", MODULES)
def test_verification_failure_over_memory_bios(module: Any) -> None:
    def failure(client_module: Any) -> Any:
        client = _client(
            ssl_client_context(client_module), ssl.MemoryBIO, server_hostname="other"
        )
        server = _server(ssl_server_context(module), ssl.MemoryBIO)
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            handshake(client, server)
        return info.value.verify_code, info.value.verify_message, info.value.reason

    assert failure(ssl_compat) == failure(ssl)


def test_wrap_bio_validation() -> None:
    ctx = ssl_client_context()
    with pytest.raises(TypeError):
        ctx.wrap_bio(b"in", b"out", server_hostname="localhost")
    with pytest.raises(ValueError, match="check_hostname requires"):
        ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
    with pytest.raises(TypeError, match="public constructor"):
        ssl_compat.SSLObject()


def test_session_resumption_over_memory_bios() -> None:
    client_ctx = ssl_client_context()
    server_ctx = ssl_server_context()
    first = _client(client_ctx, ssl.MemoryBIO)
    server = _server(server_ctx, ssl.MemoryBIO)
    handshake(first, server)
    server.obj.write(b"hi")
    assert read_exactly(first, server, 2) == b"hi"
    session = first.obj.session
    assert session is not None and session.has_ticket
    second = _client(client_ctx, ssl.MemoryBIO, session=session)
    server = _server(server_ctx, ssl.MemoryBIO)
    handshake(second, server)
    assert second.obj.session_reused is True
    assert server.obj.session_reused is True


def test_sni_callback_gets_the_sslobject_and_can_swap_context() -> None:
    seen = []
    rsa_ctx = ssl_server_context(identity="rsa_server")

    def sni(obj: Any, name: Optional[str], ctx: Any) -> None:
        seen.append((type(obj), name))
        obj.context = rsa_ctx

    client = _client(ssl_client_context(), ssl.MemoryBIO)
    server = _server(ssl_server_context(sni_callback=sni), ssl.MemoryBIO)
    handshake(client, server)
    assert seen == [(ssl_compat.SSLObject, "localhost")]
    assert server.obj.context is rsa_ctx
    assert client.obj.getpeercert(True) == files().pki.rsa_server.cert.public_bytes(
        serialization.Encoding.DER
    )
    with pytest.raises(TypeError):
        server.obj.context = ssl.create_default_context()


def test_alpn_and_channel_binding_over_memory_bios() -> None:
    client_ctx = ssl_client_context()
    client_ctx.set_alpn_protocols(["h2", "http/1.1"])
    server_ctx = ssl_server_context()
    server_ctx.set_alpn_protocols(["http/1.1"])
    client = _client(client_ctx, ssl.MemoryBIO)
    server = _server(server_ctx, ssl.MemoryBIO)
    assert client.obj.get_channel_binding() is None
    handshake(client, server)
    assert client.obj.selected_alpn_protocol() == "http/1.1"
    assert server.obj.selected_alpn_protocol() == "http/1.1"
    binding = client.obj.get_channel_binding()
    assert binding and binding == server.obj.get_channel_binding()
    assert client.obj.pending() == 0
    assert isinstance(client.obj.openssl_connection, SSL.Connection)


@pytest.mark.parametrize("module", MODULES)
def test_write_and_read_before_handshake_drive_it(module: Any) -> None:
    # As in CPython: the first write/read performs the handshake implicitly.
    client = _client(ssl_client_context(module), ssl.MemoryBIO)
    server = _server(ssl_server_context(ssl_compat), ssl.MemoryBIO)
    assert client.obj.version() is None
    with pytest.raises(ValueError, match="handshake not done yet"):
        client.obj.getpeercert()
    with pytest.raises(ssl.SSLWantReadError):
        client.obj.write(b"early")
    assert client.out_bio.pending  # the ClientHello
    for _ in range(10):
        deliver(client, server)
        for end in (client, server):
            try:
                end.obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
    assert client.obj.write(b"later") == 5
    assert read_exactly(server, client, 5) == b"later"
    assert client.obj.getpeercert()["subject"][-1] == (("commonName", "localhost"),)


def test_context_of_sslobject_outlives_its_creator() -> None:
    import gc

    client = _client(ssl_client_context(), ssl.MemoryBIO)
    server = _server(ssl_server_context(), ssl.MemoryBIO)
    gc.collect()  # the contexts are only referenced by the SSLObjects now
    handshake(client, server)
    assert client.obj.context.check_hostname is True


@pytest.mark.parametrize("client_module", MODULES)
def test_reads_smaller_than_a_record_leave_the_rest_readable(
    client_module: Any,
) -> None:
    # ssl_compat answers "want read" without asking OpenSSL only when the
    # last read returned less than asked for and one record holds; here the
    # rest of a record waits inside the connection with nothing in incoming.
    client, server = _pair(client_module, ssl, ssl.MemoryBIO)
    handshake(client, server)
    obj = client.obj
    message = bytes(range(64))
    server.obj.write(message)
    deliver(server, client)
    assert obj.read(10) == message[:10]
    assert client.in_bio.pending == 0
    assert obj.read(100) == message[10:]
    with pytest.raises(ssl.SSLWantReadError):
        obj.read(100)
    server.obj.write(message)
    deliver(server, client)
    buffer = bytearray(8)
    received = b""
    for _ in range(8):
        assert obj.read(100, buffer) == 8
        received += buffer
    assert received == message
    with pytest.raises(ssl.SSLWantReadError):
        obj.read(100, buffer)
    # A full record (16 KiB) read with exactly its size, then a short one.
    big = bytes(range(256)) * 80  # 20,480 bytes: two records
    server.obj.write(big)
    deliver(server, client)
    assert obj.read(16384) == big[:16384]
    assert obj.read(16384) == big[16384:]
    with pytest.raises(ssl.SSLWantReadError):
        obj.read(16384)
    server.obj.write(big)
    deliver(server, client)
    assert obj.read(1 << 20) + obj.read(1 << 20) == big
    with pytest.raises(ssl.SSLWantReadError):
        obj.read(1 << 20)


@pytest.mark.parametrize("client_module", MODULES)
def test_read_returning_data_sends_what_the_records_before_it_asked_for(
    client_module: Any,
) -> None:
    # A post-handshake certificate request followed by data: the read that
    # returns the data has the client's certificate in outgoing already (as
    # with the stdlib), with no write of the client's own to carry it.
    server_ctx = ssl_server_context(ssl, verify_mode=ssl.CERT_REQUIRED)
    server_ctx.post_handshake_auth = True
    server_ctx.load_verify_locations(files().ca)
    client_ctx = ssl_client_context(client_module, post_handshake_auth=True)
    client_ctx.load_cert_chain(*files().identities["client"])
    client = _client(client_ctx, ssl.MemoryBIO)
    server = _server(server_ctx, ssl.MemoryBIO)
    handshake(client, server)
    # Data first, so that the client has been reading before the request.
    server.obj.write(b"hello")
    deliver(server, client)
    assert client.obj.read(100) == b"hello"
    with pytest.raises(ssl.SSLWantReadError):
        client.obj.read(100)
    server.obj.verify_client_post_handshake()
    server.obj.write(b"ask")
    deliver(server, client)
    assert client.in_bio.pending > 0
    assert client.obj.read(100) == b"ask"
    assert client.out_bio.pending > 0
    deliver(client, server)
    with pytest.raises(ssl.SSLWantReadError):
        server.obj.read(100)
    assert server.obj.getpeercert()["subject"][-1] == (("commonName", "client"),)
