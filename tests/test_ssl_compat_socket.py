"""``ssl_compat.SSLSocket`` against real peers, with CPython's ``ssl`` as reference."""

from __future__ import annotations

import re
import select
import socket
import ssl
import threading
from pathlib import Path
from typing import Any, Optional

import pytest
from cryptography.hazmat.primitives import serialization

from OpenSSL import SSL, ssl_compat
from tests.support import (
    IO_TIMEOUT,
    EchoServer,
    connect,
    files,
    ssl_client_context,
    ssl_server_context,
)

MODULES = [ssl, ssl_compat]


def _strip_location(message: str) -> str:
    return re.sub(r" \(_ssl\.c:\d+\)$", "", message)


def _failure(module: Any, identity: str, hostname: str, **settings: Any) -> Any:
    server = EchoServer(ssl_server_context(ssl, identity))
    with server, pytest.raises(ssl.SSLError) as info:
        with connect(ssl_client_context(module, **settings), server.address, hostname):
            pass
    exc = info.value
    return (
        type(exc),
        int(exc.args[0]),
        _strip_location(str(exc)),
        exc.library,
        exc.reason,
        getattr(exc, "verify_code", None),
        getattr(exc, "verify_message", None),
    )


@pytest.mark.parametrize(
    ("identity", "hostname", "code"),
    [
        ("wrong_host_server", "localhost", 62),
        ("wrong_host_server", "127.0.0.1", 64),
        ("server", "other.localhost", 62),
        ("expired_server", "localhost", 10),
    ],
)
def test_verification_failures_equal_cpython(
    identity: str, hostname: str, code: int
) -> None:
    ours = _failure(ssl_compat, identity, hostname)
    assert ours == _failure(ssl, identity, hostname)
    assert ours[0] is ssl.SSLCertVerificationError
    assert ours[5] == code


def test_untrusted_ca_equals_cpython() -> None:
    def failure(module: Any) -> Any:
        server = EchoServer(ssl_server_context(ssl))
        with server, pytest.raises(ssl.SSLCertVerificationError) as info:
            with connect(module.create_default_context(), server.address):
                pass
        exc = info.value
        return exc.verify_code, exc.verify_message, exc.reason, exc.library

    assert failure(ssl_compat) == failure(ssl)
    assert failure(ssl_compat)[0] == 20


def test_hostname_checking_can_be_turned_off() -> None:
    client = ssl_client_context(check_hostname=False)
    server = EchoServer(ssl_server_context(identity="wrong_host_server"))
    with server, connect(client, server.address) as tls:
        assert tls.getpeercert()["subjectAltName"] == (("DNS", "wrong.example"),)


def test_ip_address_hostname_is_checked_and_not_sent_as_sni() -> None:
    names = []

    def sni(ssl_object: Any, name: Optional[str], context: Any) -> None:
        names.append(name)

    server = EchoServer(ssl_server_context(sni_callback=sni))
    with server, connect(ssl_client_context(), server.address, "127.0.0.1") as tls:
        assert tls.server_hostname == "127.0.0.1"
    assert names == [None]


# -- data transfer, makefile, unwrap -----------------------------------------


@pytest.mark.parametrize("server_module", MODULES)
def test_echo_through_makefile(server_module: Any) -> None:
    server = EchoServer(ssl_server_context(server_module))
    with server, connect(ssl_client_context(), server.address) as tls:
        stream = tls.makefile("rwb")
        for line in (b"one\n", b"two " * 5000 + b"\n"):
            stream.write(line)
            stream.flush()
            assert stream.readline() == line
        stream.close()
        assert tls.pending() == 0
    assert server.errors == []


def test_recv_into_send_and_read_write() -> None:
    server = EchoServer(ssl_server_context())
    with server, connect(ssl_client_context(), server.address) as tls:
        assert tls.send(b"abc\n") == 4
        buffer = bytearray(10)
        count = 0
        while count < 4:
            count += tls.recv_into(memoryview(buffer)[count:])
        assert buffer[:4] == b"abc\n"
        assert tls.write(b"xyz\n") == 4
        assert tls.read(4) == b"xyz\n"
        assert tls.read(0) == b""
        with pytest.raises(ValueError):
            tls.read(-1)


@pytest.mark.parametrize("server_module", MODULES)
def test_unwrap_returns_a_plain_socket(server_module: Any) -> None:
    def handler(tls: Any) -> bytes:
        assert tls.recv(5) == b"hello"
        plain = tls.unwrap()
        data = plain.recv(5)
        plain.sendall(b"plain" + data)
        return data

    server = EchoServer(ssl_server_context(server_module), handler=handler)
    with server, connect(ssl_client_context(), server.address) as tls:
        tls.sendall(b"hello")
        plain = tls.unwrap()
        assert plain.version() is None and plain.cipher() is None
        plain.sendall(b"world")
        assert plain.recv(10) == b"plainworld"
        with pytest.raises(ValueError, match="No SSL wrapper"):
            tls.unwrap()
    assert server.errors == [] and server.results == [b"world"]


def test_sendfile(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 300
    path = tmp_path / "data.bin"
    path.write_bytes(payload)

    def handler(tls: Any) -> bytes:
        received = b""
        while len(received) < len(payload):
            received += tls.recv(65536)
        tls.sendall(b"done")
        return received

    server = EchoServer(ssl_server_context(), handler=handler)
    with server, connect(ssl_client_context(), server.address) as tls:
        with path.open("rb") as f:
            assert tls.sendfile(f) == len(payload)
        # Reading the answer also consumes the session tickets: closing with
        # unread data would make the kernel reset the connection.
        assert tls.recv(4) == b"done"
    assert server.errors == []
    assert server.results == [payload]


@pytest.mark.parametrize("suppress", [True, False])
def test_ragged_eof(suppress: bool) -> None:
    # The server drops TCP without close_notify.
    def handler(tls: Any) -> None:
        tls.recv(1)
        tls.shutdown(socket.SHUT_RDWR)

    server = EchoServer(ssl_server_context(), handler=handler)
    with server:
        raw = socket.create_connection(server.address, timeout=IO_TIMEOUT)
        with ssl_client_context().wrap_socket(
            raw, server_hostname="localhost", suppress_ragged_eofs=suppress
        ) as tls:
            tls.sendall(b"x")
            if suppress:
                assert tls.recv(10) == b""
            else:
                with pytest.raises(ssl.SSLEOFError):
                    tls.recv(10)


def test_clean_close_reads_empty() -> None:
    def handler(tls: Any) -> None:
        tls.recv(1)
        tls.unwrap()

    server = EchoServer(ssl_server_context(), handler=handler)
    with server, connect(ssl_client_context(), server.address) as tls:
        tls.sendall(b"x")
        assert tls.recv(10) == b""
        assert tls.recv_into(bytearray(4)) == 0


# -- blocking modes ----------------------------------------------------------


def test_non_blocking_handshake_and_reads_raise_want_errors() -> None:
    server = EchoServer(ssl_server_context(), connections=2)
    with server:
        raw = socket.create_connection(server.address, timeout=IO_TIMEOUT)
        raw.setblocking(False)
        with pytest.raises(ValueError, match="non-blocking"):
            ssl_client_context().wrap_socket(raw, server_hostname="localhost")
        raw = socket.create_connection(server.address, timeout=IO_TIMEOUT)
        raw.setblocking(False)
        tls = ssl_client_context().wrap_socket(
            raw, server_hostname="localhost", do_handshake_on_connect=False
        )
        with tls:
            wants = set()
            for _ in range(200):
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    wants.add("read")
                    select.select([tls], [], [], IO_TIMEOUT)
                except ssl.SSLWantWriteError:
                    wants.add("write")
                    select.select([], [tls], [], IO_TIMEOUT)
            else:
                pytest.fail("handshake did not finish")
            assert tls.version() is not None
            with pytest.raises(ssl.SSLWantReadError) as info:
                tls.recv(10)
            assert info.value.args[0] == ssl.SSL_ERROR_WANT_READ
            tls.sendall(b"ping\n")
            select.select([tls], [], [], IO_TIMEOUT)
            data = b""
            for _ in range(200):
                try:
                    data += tls.recv(10)
                except ssl.SSLWantReadError:
                    select.select([tls], [], [], IO_TIMEOUT)
                if data.endswith(b"\n"):
                    break
            assert data == b"ping\n"


@pytest.fixture
def silent_server() -> Any:
    """A TCP server that accepts and then says nothing."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]))
    thread.start()
    yield listener.getsockname()
    thread.join(IO_TIMEOUT)
    for sock in accepted:
        sock.close()
    listener.close()


def test_non_blocking_handshake_with_silent_peer_wants_read(
    silent_server: Any,
) -> None:
    raw = socket.create_connection(silent_server, timeout=IO_TIMEOUT)
    raw.setblocking(False)
    with ssl_client_context().wrap_socket(
        raw, server_hostname="localhost", do_handshake_on_connect=False
    ) as tls:
        for _ in range(3):
            with pytest.raises(ssl.SSLWantReadError):
                tls.do_handshake()
        with pytest.raises(ssl.SSLWantReadError):
            tls.recv(1)


def test_handshake_timeout(silent_server: Any) -> None:
    raw = socket.create_connection(silent_server, timeout=0.05)
    with pytest.raises(socket.timeout, match="handshake operation timed out"):
        ssl_client_context().wrap_socket(raw, server_hostname="localhost")
    assert raw.fileno() == -1


def test_read_timeout() -> None:
    release = threading.Event()

    def handler(tls: Any) -> None:
        release.wait(IO_TIMEOUT)

    server = EchoServer(ssl_server_context(), handler=handler)
    with server, connect(ssl_client_context(), server.address) as tls:
        tls.settimeout(0.05)
        with pytest.raises(socket.timeout, match="read operation timed out"):
            tls.recv(10)
        release.set()


# -- wrapping rules ----------------------------------------------------------


@pytest.mark.parametrize("module", MODULES)
def test_wrap_socket_validation(module: Any) -> None:
    with socket.socket() as sock:
        with pytest.raises(ValueError, match="check_hostname requires server_hostname"):
            ssl_client_context(module).wrap_socket(sock)
        with pytest.raises(ValueError, match="server_hostname"):
            ssl_server_context(module).wrap_socket(
                sock, server_side=True, server_hostname="x"
            )
        if module is ssl_compat:
            # As CPython 3.13: the name is checked after taking the descriptor
            # over, which is then closed (3.11/3.12 leak the socket made).
            with pytest.raises(ValueError):
                ssl_client_context(module).wrap_socket(sock, server_hostname=".example")
            assert sock.fileno() == -1
    with socket.socket(type=socket.SOCK_DGRAM) as udp:
        with pytest.raises(NotImplementedError):
            ssl_client_context(module).wrap_socket(udp, server_hostname="x")


def test_unconnected_socket_connects_later() -> None:
    server = EchoServer(ssl_server_context())
    with server:
        raw = socket.socket()
        raw.settimeout(IO_TIMEOUT)
        with ssl_client_context().wrap_socket(raw, server_hostname="localhost") as tls:
            assert isinstance(tls, ssl.SSLSocket) and isinstance(tls, socket.socket)
            assert tls.version() is None and tls.session_reused is None
            with pytest.raises(OSError):
                tls.getpeercert()
            assert tls.connect_ex(server.address) == 0
            assert tls.version() == "TLSv1.3"
            with pytest.raises(ValueError, match="already-connected"):
                tls.connect(server.address)


def test_getpeercert_before_handshake() -> None:
    server = EchoServer(ssl_server_context())
    with server:
        raw = socket.create_connection(server.address, timeout=IO_TIMEOUT)
        with ssl_client_context().wrap_socket(
            raw, server_hostname="localhost", do_handshake_on_connect=False
        ) as tls:
            with pytest.raises(ValueError, match="handshake not done yet"):
                tls.getpeercert()
            assert tls.cipher() is None and tls.version() is None
            assert tls.shared_ciphers() is None
            tls.do_handshake()
            assert tls.getpeercert()


def test_socket_only_operations_are_refused() -> None:
    server = EchoServer(ssl_server_context())
    with server, connect(ssl_client_context(), server.address) as tls:
        with pytest.raises(ValueError, match="non-zero flags"):
            tls.recv(1, socket.MSG_PEEK)
        with pytest.raises(ValueError, match="non-zero flags"):
            tls.send(b"x", socket.MSG_DONTWAIT)
        with pytest.raises(ValueError, match="sendto"):
            tls.sendto(b"x", ("127.0.0.1", 9))
        with pytest.raises(ValueError, match="recvfrom"):
            tls.recvfrom(1)
        with pytest.raises(NotImplementedError):
            tls.recvmsg(1)
        with pytest.raises(NotImplementedError):
            tls.dup()


def test_server_side_accept_returns_tls_sockets() -> None:
    ctx = ssl_server_context()
    listener = ctx.wrap_socket(socket.create_server(("127.0.0.1", 0)), server_side=True)
    listener.settimeout(IO_TIMEOUT)
    results: list[Any] = []

    def serve() -> None:
        conn, _addr = listener.accept()
        with conn:
            results.append(type(conn))
            results.append(conn.recv(5))
            conn.sendall(b"pong")

    thread = threading.Thread(target=serve)
    thread.start()
    with connect(ssl_client_context(ssl), listener.getsockname()) as tls:
        tls.sendall(b"ping!")
        assert tls.recv(4) == b"pong"
    thread.join(IO_TIMEOUT)
    listener.close()
    assert results == [ssl_compat.SSLSocket, b"ping!"]


# -- sessions, ALPN, SNI, channel binding, post-handshake auth ---------------


def _reading_handler(tls: Any) -> Any:
    tls.sendall(b"hello")
    tls.recv(1)
    return tls.session_reused


@pytest.mark.parametrize("server_module", MODULES)
def test_session_resumption(server_module: Any) -> None:
    client = ssl_client_context()
    server = EchoServer(
        ssl_server_context(server_module), _reading_handler, connections=2
    )
    with server:
        with connect(client, server.address) as tls:
            assert tls.recv(5) == b"hello"  # also reads the session tickets
            session = tls.session
            assert tls.session_reused is False
            tls.sendall(b".")
        assert isinstance(session, ssl_compat.SSLSession)
        assert session.has_ticket is True
        assert len(session.id) == 32
        assert session.timeout > 0 and session.ticket_lifetime_hint > 0
        assert abs(session.time - __import__("time").time()) < 3600
        raw = socket.create_connection(server.address, timeout=IO_TIMEOUT)
        with client.wrap_socket(
            raw, server_hostname="localhost", session=session
        ) as tls:
            assert tls.recv(5) == b"hello"
            assert tls.session_reused is True
            tls.sendall(b".")
    assert server.errors == []
    assert server.results == [False, True]
    assert client.session_stats()["misses"] == 0


def test_session_details_equal_cpython_for_same_server() -> None:
    def details(module: Any) -> tuple[Any, ...]:
        server = EchoServer(ssl_server_context(), _reading_handler)
        with server, connect(ssl_client_context(module), server.address) as tls:
            tls.recv(5)
            session = tls.session
            tls.sendall(b".")
        return (session.has_ticket, session.timeout, session.ticket_lifetime_hint)

    assert details(ssl_compat) == details(ssl)


def test_session_rules() -> None:
    client = ssl_client_context()
    server = EchoServer(ssl_server_context(), _reading_handler)
    with server, connect(client, server.address) as tls:
        tls.recv(5)
        session = tls.session
        tls.sendall(b".")
        with pytest.raises(ValueError, match="after handshake"):
            tls.session = session
        with pytest.raises(TypeError):
            tls.session = "session"
    with pytest.raises(TypeError):
        ssl_compat.SSLSession()
    other = ssl_client_context()
    with socket.socket() as sock:
        with pytest.raises(ValueError, match="client mode"):
            ssl_server_context().wrap_socket(sock, server_side=True, session=session)
    server = EchoServer(ssl_server_context())
    with server:
        raw = socket.create_connection(server.address, timeout=IO_TIMEOUT)
        with pytest.raises(ValueError, match="different SSLContext"):
            other.wrap_socket(raw, server_hostname="localhost", session=session)
        raw.close()


@pytest.mark.parametrize("server_module", MODULES)
@pytest.mark.parametrize(
    ("offered", "accepted", "expected"),
    [
        (["h2", "http/1.1"], ["http/1.1", "h2"], "http/1.1"),
        (["h2"], ["http/1.1"], None),
        ([], ["h2"], None),
    ],
)
def test_alpn(server_module: Any, offered: Any, accepted: Any, expected: Any) -> None:
    server_ctx = ssl_server_context(server_module)
    server_ctx.set_alpn_protocols(accepted)
    client = ssl_client_context()
    if offered:
        client.set_alpn_protocols(offered)
    server = EchoServer(server_ctx, handler=lambda tls: tls.selected_alpn_protocol())
    with server, connect(client, server.address) as tls:
        assert tls.selected_alpn_protocol() == expected
    assert server.results == [expected]


@pytest.mark.parametrize("client_module", MODULES)
def test_sni_callback_can_switch_context(client_module: Any) -> None:
    calls = []
    rsa_ctx = ssl_server_context(identity="rsa_server")

    def sni(ssl_socket: Any, name: Optional[str], context: Any) -> None:
        calls.append((type(ssl_socket), name, context))
        ssl_socket.context = rsa_ctx

    server_ctx = ssl_server_context(sni_callback=sni)
    server = EchoServer(server_ctx, handler=lambda tls: tls.context)
    with server, connect(ssl_client_context(client_module), server.address) as tls:
        der = tls.getpeercert(True)
    assert der == files().pki.rsa_server.cert.public_bytes(serialization.Encoding.DER)
    assert calls == [(ssl_compat.SSLSocket, "localhost", server_ctx)]
    assert server.results == [rsa_ctx]


def _sni_refusal(server_module: Any, callback: Any) -> Any:
    server = EchoServer(ssl_server_context(server_module, sni_callback=callback))
    with server, pytest.raises(ssl.SSLError) as info:
        with connect(ssl_client_context(), server.address):
            pass
    return info.value.reason, server.errors


def test_sni_callback_alert_equals_cpython() -> None:
    def refuse(*args: Any) -> int:
        return ssl.ALERT_DESCRIPTION_ACCESS_DENIED

    ours, our_errors = _sni_refusal(ssl_compat, refuse)
    theirs, _ = _sni_refusal(ssl, refuse)
    assert ours == theirs == "TLSV1_ALERT_ACCESS_DENIED"
    assert len(our_errors) == 1 and isinstance(our_errors[0], ssl.SSLError)


def test_sni_callback_exception_fails_handshake_and_is_chained() -> None:
    class Boom(Exception):
        pass

    def explode(*args: Any) -> None:
        raise Boom("in sni_callback")

    reason, errors = _sni_refusal(ssl_compat, explode)
    assert reason == "SSLV3_ALERT_HANDSHAKE_FAILURE"
    (error,) = errors
    assert isinstance(error, ssl.SSLError)
    assert isinstance(error.__cause__, Boom)


def test_channel_binding_agrees_between_ends() -> None:
    server = EchoServer(
        ssl_server_context(), handler=lambda tls: tls.get_channel_binding("tls-unique")
    )
    with server, connect(ssl_client_context(), server.address) as tls:
        binding = tls.get_channel_binding()
        with pytest.raises(ValueError):
            tls.get_channel_binding("tls-server-end-point")
    assert binding and server.results == [binding]


def test_channel_binding_matches_cpython_peer() -> None:
    server = EchoServer(
        ssl_server_context(ssl),
        handler=lambda tls: tls.get_channel_binding("tls-unique"),
    )
    with server, connect(ssl_client_context(), server.address) as tls:
        binding = tls.get_channel_binding()
    assert server.results == [binding]


@pytest.mark.parametrize("server_module", MODULES)
def test_post_handshake_authentication(server_module: Any) -> None:
    server_ctx = ssl_server_context(server_module)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    server_ctx.post_handshake_auth = True
    server_ctx.load_verify_locations(files().ca)

    def handler(tls: Any) -> Any:
        before = tls.getpeercert()
        tls.verify_client_post_handshake()
        tls.sendall(b"cert please")
        tls.recv(2)
        return before, tls.getpeercert()["subject"][-1]

    client = ssl_client_context(post_handshake_auth=True)
    client.load_cert_chain(*files().identities["client"])
    server = EchoServer(server_ctx, handler=handler)
    with server, connect(client, server.address) as tls:
        assert tls.recv(11) == b"cert please"
        tls.sendall(b"ok")
    assert server.errors == []
    assert server.results == [(None, (("commonName", "client"),))]


def test_verify_client_post_handshake_errors() -> None:
    server = EchoServer(ssl_server_context())
    with server, connect(ssl_client_context(), server.address) as tls:
        with pytest.raises(ssl.SSLError):
            tls.verify_client_post_handshake()
    with socket.socket() as sock:
        wrapped = ssl_server_context().wrap_socket(sock, server_side=True)
        with pytest.raises(ValueError):
            wrapped.verify_client_post_handshake()
        wrapped.close()


def test_client_certificate_required() -> None:
    server_ctx = ssl_server_context(verify_mode=ssl.CERT_REQUIRED)
    server_ctx.load_verify_locations(files().ca)
    server = EchoServer(server_ctx, handler=lambda tls: tls.getpeercert()["subject"])
    client = ssl_client_context()
    client.load_cert_chain(*files().identities["client"])
    with server, connect(client, server.address) as tls:
        tls.sendall(b"x")
    assert server.results == [
        ((("organizationName", "pyopenssl-ng tests"),), (("commonName", "client"),))
    ]
    # Without a client certificate the server refuses.
    server = EchoServer(server_ctx, handler=lambda tls: tls.recv(1))
    with server, pytest.raises((ssl.SSLError, ConnectionResetError)):
        with connect(ssl_client_context(), server.address) as tls:
            tls.recv(1)
    assert isinstance(server.errors[0], ssl.SSLError)


def test_openssl_connection_escape_hatch() -> None:
    server = EchoServer(ssl_server_context())
    with server, connect(ssl_client_context(), server.address) as tls:
        conn = tls.openssl_connection
        assert isinstance(conn, SSL.Connection)
        assert conn.get_protocol_version_name() == tls.version()
        # As CPython: a client has no view of what it shares (None).
        assert tls.shared_ciphers() is None
        assert tls.compression() is None
        with pytest.warns(DeprecationWarning):
            assert tls.selected_npn_protocol() is None


def _cn_only_identity(tmp_path: Path) -> tuple[Path, Path]:
    """A leaf for CN=localhost without subjectAltName, issued by the test CA."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    pki = files().pki
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(pki.intermediate.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(pki.intermediate.key, hashes.SHA256())
    )
    certfile = tmp_path / "cn.pem"
    keyfile = tmp_path / "cn.key"
    certfile.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + pki.intermediate.cert.public_bytes(serialization.Encoding.PEM)
    )
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


@pytest.mark.parametrize("checks_common_name", [True, False])
def test_hostname_checks_common_name_equals_cpython(
    checks_common_name: bool, tmp_path: Path
) -> None:
    certfile, keyfile = _cn_only_identity(tmp_path)

    def outcome(module: Any) -> Any:
        server_ctx = module.SSLContext(module.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(certfile, keyfile)
        client = ssl_client_context(
            hostname_checks_common_name=checks_common_name,
            # Python 3.13's strict default would refuse a leaf without SANs.
            verify_flags=ssl.VERIFY_X509_TRUSTED_FIRST,
        )
        server = EchoServer(server_ctx)
        try:
            with server, connect(client, server.address):
                return "ok"
        except ssl.SSLCertVerificationError as exc:
            return exc.verify_code

    assert outcome(ssl_compat) == outcome(ssl)
    assert outcome(ssl_compat) == ("ok" if checks_common_name else 62)


def test_certificate_and_key_in_one_file(tmp_path: Path) -> None:
    certfile, keyfile = files().identities["server"]
    combined = tmp_path / "combined.pem"
    combined.write_bytes(certfile.read_bytes() + keyfile.read_bytes())
    ctx = ssl_compat.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(combined)
    server = EchoServer(ctx)
    with server, connect(ssl_client_context(), server.address) as tls:
        assert tls.version() == "TLSv1.3"


def test_idna_server_hostname_is_an_a_label() -> None:
    with socket.socket() as sock:
        tls = ssl_client_context().wrap_socket(sock, server_hostname="bücher.example")
        assert tls.server_hostname == "xn--bcher-kva.example"
        tls.close()


@pytest.mark.parametrize("server_side_view", [False, True])
def test_certificate_chains_python_313_api(server_side_view: bool) -> None:
    server_ctx = ssl_server_context(verify_mode=ssl.CERT_REQUIRED)
    server_ctx.load_verify_locations(files().ca)

    def handler(tls: Any) -> Any:
        return tls.get_verified_chain(), tls.get_unverified_chain()

    client = ssl_client_context()
    client.load_cert_chain(*files().identities["client"])
    server = EchoServer(server_ctx, handler=handler)
    with server, connect(client, server.address) as tls:
        client_view = (tls.get_verified_chain(), tls.get_unverified_chain())
        tls.sendall(b"x")
    verified, unverified = server.results[0] if server_side_view else client_view
    pki = files().pki
    leaf = pki.client if server_side_view else pki.server
    der = serialization.Encoding.DER
    # DER bytes, leaf first, as CPython 3.13 returns them.
    assert verified == [
        leaf.cert.public_bytes(der),
        pki.intermediate.cert.public_bytes(der),
        pki.root.cert.public_bytes(der),
    ]
    assert unverified == [
        leaf.cert.public_bytes(der),
        pki.intermediate.cert.public_bytes(der),
    ]


def _ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_available(), reason="no IPv6 loopback")
def test_ipv6_address_hostname() -> None:
    ctx = ssl_server_context()
    listener = socket.create_server(("::1", 0), family=socket.AF_INET6)
    listener.settimeout(IO_TIMEOUT)
    results: list[Any] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with ctx.wrap_socket(conn, server_side=True) as tls:
            results.append(tls.recv(1))

    thread = threading.Thread(target=serve)
    thread.start()
    raw = socket.create_connection(listener.getsockname()[:2], timeout=IO_TIMEOUT)
    with ssl_client_context().wrap_socket(raw, server_hostname="::1") as tls:
        assert ("IP Address", "0:0:0:0:0:0:0:1") in tls.getpeercert()["subjectAltName"]
        tls.sendall(b"6")
    thread.join(IO_TIMEOUT)
    listener.close()
    assert results == [b"6"]


def test_ipv4_with_leading_zeros_is_an_address_as_in_cpython() -> None:
    names = []

    def sni(ssl_object: Any, name: Optional[str], context: Any) -> None:
        names.append(name)

    for module in MODULES:
        server = EchoServer(ssl_server_context(sni_callback=sni))
        with (
            server,
            connect(ssl_client_context(module), server.address, "127.000.000.001"),
        ):
            pass
    assert names == [None, None]


def test_hostname_openssl_4_refuses_fails_verification_as_cpython() -> None:
    """ "localhost." is taken (OpenSSL 4 refuses it; checked after the
    handshake instead) and, as with CPython, does not match "localhost"."""
    results = []
    for module in MODULES:
        server = EchoServer(ssl_server_context())
        with server:
            raw = socket.create_connection(server.address, timeout=IO_TIMEOUT)
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                ssl_client_context(module).wrap_socket(
                    raw, server_hostname="localhost."
                )
            results.append((info.value.verify_code, info.value.verify_message))
            assert raw.fileno() == -1  # detached into the SSLSocket, then closed
    assert results[0] == results[1]


def test_operations_after_close_fail_cleanly() -> None:
    server = EchoServer(ssl_server_context())
    with server:
        with connect(ssl_client_context(), server.address) as tls:
            tls.sendall(b"bye\n")
            assert tls.recv(4) == b"bye\n"
        # Closed: Python-level errors, never a crash.
        with pytest.raises(ValueError, match="closed or unwrapped"):
            tls.read(1)
        with pytest.raises(ValueError, match="closed or unwrapped"):
            tls.write(b"x")
        with pytest.raises(OSError):
            tls.recv(1)
        with pytest.raises(OSError):
            tls.sendall(b"x")
        assert tls.pending() == 0
        assert tls.cipher() is None and tls.version() is None
