"""Tests for ``OpenSSL.SSL.Connection``: I/O in both modes, errors, introspection.

Memory-BIO pairs are driven with the helpers in ``tests/support``;
socket-mode connections use ``socket.socketpair()`` or a real TCP connection
on the loopback. Nothing here decides anything on timing.
"""

from __future__ import annotations

import datetime
import errno
import gc
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from OpenSSL import crypto
from OpenSSL._util import ffi, lib
from OpenSSL.SSL import (
    OP_IGNORE_UNEXPECTED_EOF,
    OP_NO_TICKET,
    RECEIVED_SHUTDOWN,
    SENT_SHUTDOWN,
    TLS1_2_VERSION,
    TLS1_3_VERSION,
    TLS_METHOD,
    VERIFY_NONE,
    VERIFY_PEER,
    Connection,
    Context,
    Error,
    SysCallError,
    WantReadError,
    WantWriteError,
    X509VerificationCodes,
    ZeroReturnError,
)
from tests.support import (
    PKI,
    Identity,
    client_context,
    handshake,
    handshake_pair,
    interact_in_memory,
    loopback_tcp,
    memory_pair,
    pump,
    read_all,
    server_context,
    socket_connection_pair,
    transfer,
)

VERSIONS = [
    pytest.param(TLS1_2_VERSION, id="TLSv1.2"),
    pytest.param(TLS1_3_VERSION, id="TLSv1.3"),
]
VERSION_NAMES = {TLS1_2_VERSION: "TLSv1.2", TLS1_3_VERSION: "TLSv1.3"}


def _pair(version: int | None = None) -> tuple[Connection, Connection]:
    """A handshaken memory pair, optionally pinned to *version*."""
    return handshake_pair(
        client_context(min_version=version, max_version=version), server_context()
    )


def _record(sender: Connection, receiver: Connection, data: bytes) -> None:
    """Send *data* as one record and deliver it to *receiver*'s BIO."""
    assert sender.send(data) == len(data)
    pump(sender, receiver)


# --- construction ----------------------------------------------------------


class TestConstruction:
    @pytest.mark.parametrize("bad", [None, "ctx", object()])
    def test_context_must_be_a_context(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Connection(bad, None)

    def test_memory_mode_defaults(self) -> None:
        ctx = Context(TLS_METHOD)
        for conn in (Connection(ctx), Connection(ctx, None)):
            assert conn.get_context() is ctx
            assert conn._ssl is not None
            with pytest.raises(AttributeError):
                conn.fileno()

    def test_private_pointers_downstream_code_reads(self) -> None:
        # Twisted and others read Context._context and Connection._ssl.
        ctx = Context(TLS_METHOD)
        conn = Connection(ctx, None)
        assert ffi.typeof(ctx._context) is ffi.typeof("SSL_CTX *")
        assert ffi.typeof(conn._ssl) is ffi.typeof("SSL *")

    def test_accept_moving_write_buffer_is_set(self) -> None:
        conn = Connection(Context(TLS_METHOD), None)
        mode = lib.SSL_set_mode(conn._ssl, 0)
        assert mode & lib.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER

    def test_socket_without_fileno_is_type_error(self) -> None:
        with pytest.raises(TypeError):
            Connection(Context(TLS_METHOD), object())  # type: ignore[arg-type]

    def test_negative_file_descriptor_is_value_error(self) -> None:
        with pytest.raises(ValueError):
            Connection(Context(TLS_METHOD), -1)  # type: ignore[arg-type]

    def test_app_data(self) -> None:
        conn = Connection(Context(TLS_METHOD), None)
        assert conn.get_app_data() is None
        marker = object()
        conn.set_app_data(marker)
        assert conn.get_app_data() is marker

    def test_set_context(self) -> None:
        first, second = Context(TLS_METHOD), Context(TLS_METHOD)
        conn = Connection(first, None)
        conn.set_context(second)
        assert conn.get_context() is second

    @pytest.mark.parametrize("bad", [None, "ctx", object()])
    def test_set_context_wrong_type(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Connection(Context(TLS_METHOD), None).set_context(bad)

    def test_per_connection_certificate(self, pki: PKI) -> None:
        bare = Context(TLS_METHOD)
        client, server = memory_pair(None, bare)
        server.use_certificate(pki.server.cert)
        server.use_privatekey(pki.server.key)
        with pytest.raises(Error):  # the intermediate is missing: verify fails
            handshake(client, server)
        client, server = memory_pair(client_context(verify=False), Context(TLS_METHOD))
        server.use_certificate(pki.server.cert)
        server.use_privatekey(pki.server.key)
        handshake(client, server)
        assert client.get_peer_certificate(as_cryptography=True) == pki.server.cert
        assert server.get_certificate(as_cryptography=True) == pki.server.cert

    def test_per_connection_deprecated_objects(self, pki: PKI) -> None:
        conn = Connection(Context(TLS_METHOD), None)
        with pytest.warns(DeprecationWarning):
            conn.use_certificate(crypto.X509.from_cryptography(pki.server.cert))
        with pytest.warns(DeprecationWarning):
            conn.use_privatekey(crypto.PKey.from_cryptography_key(pki.server.key))

    @pytest.mark.parametrize("method", ["use_certificate", "use_privatekey"])
    def test_per_connection_wrong_types(self, method: str) -> None:
        conn = Connection(Context(TLS_METHOD), None)
        with pytest.raises(TypeError):
            getattr(conn, method)(object())


# --- memory-BIO handshake and data -------------------------------------------


class TestMemoryHandshake:
    @pytest.mark.parametrize("version", VERSIONS)
    def test_handshake_and_data(self, version: int) -> None:
        client, server = _pair(version)
        assert client.get_protocol_version() == version
        assert server.get_protocol_version_name() == VERSION_NAMES[version]
        assert transfer(client, server, b"ping") == b"ping"
        assert transfer(server, client, b"pong") == b"pong"

    def test_client_first_step_wants_read(self) -> None:
        client, _ = memory_pair()
        with pytest.raises(WantReadError):
            client.do_handshake()
        assert client.want_read()
        assert not client.want_write()
        hello = client.bio_read(65536)
        assert hello[:1] == b"\x16"  # a TLS handshake record

    def test_server_without_input_wants_read(self) -> None:
        _, server = memory_pair()
        with pytest.raises(WantReadError):
            server.do_handshake()

    def test_bio_read_empty_is_want_read(self) -> None:
        _, server = memory_pair()
        with pytest.raises(WantReadError):
            server.bio_read(100)

    @pytest.mark.parametrize("bad", [None, "100", 1.5])
    def test_bio_read_size_must_be_int(self, bad: Any) -> None:
        client, _ = memory_pair()
        with pytest.raises(TypeError):
            client.bio_read(bad)

    @pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
    def test_bio_write_buffer_types(self, kind: Any) -> None:
        client, server = memory_pair()
        with pytest.raises(WantReadError):
            client.do_handshake()
        hello = client.bio_read(65536)
        assert server.bio_write(kind(hello)) == len(hello)
        with pytest.raises(WantReadError):
            server.do_handshake()
        assert server.bio_read(65536)  # the server answered the hello

    def test_bio_write_str_warns(self) -> None:
        _, server = memory_pair()
        with pytest.warns(DeprecationWarning):
            assert server.bio_write("\x16") == 1

    def test_bio_read_respects_size(self) -> None:
        client, _ = memory_pair()
        with pytest.raises(WantReadError):
            client.do_handshake()
        assert len(client.bio_read(10)) == 10

    def test_state_string(self) -> None:
        client, server = memory_pair()
        before = client.get_state_string()
        assert isinstance(before, bytes) and before
        handshake(client, server)
        after = client.get_state_string()
        assert isinstance(after, bytes) and after != before

    def test_handshake_on_socketless_pair_through_interact(self) -> None:
        client, server = _pair()
        client.send(b"abc")
        assert interact_in_memory(client, server) == (server, b"abc")
        assert interact_in_memory(client, server) is None


class TestMemoryData:
    def test_send_returns_count_and_write_is_send(self) -> None:
        client, server = _pair()
        assert client.send(b"hello") == 5
        assert client.write(b" world") == 6
        pump(client, server)
        assert read_all(server, 11) == b"hello world"

    @pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
    def test_send_buffer_types(self, kind: Any) -> None:
        client, server = _pair()
        assert client.send(kind(b"buffer")) == 6
        assert client.sendall(kind(b"-types")) == 6
        pump(client, server)
        assert read_all(server, 12) == b"buffer-types"

    def test_send_str_warns(self) -> None:
        client, server = _pair()
        with pytest.warns(DeprecationWarning):
            client.send("text")
        with pytest.warns(DeprecationWarning):
            client.sendall("text")
        pump(client, server)
        assert read_all(server, 8) == b"texttext"

    def test_recv_and_read(self) -> None:
        client, server = _pair()
        _record(client, server, b"0123456789")
        assert server.recv(4) == b"0123"
        assert server.read(100) == b"456789"

    def test_recv_without_data_is_want_read(self) -> None:
        client, server = _pair()
        with pytest.raises(WantReadError):
            server.recv(10)
        with pytest.raises(WantReadError):
            client.recv(10)

    def test_recv_large_buffer_returns_the_record(self) -> None:
        client, server = _pair()
        _record(client, server, b"x" * 64)
        assert server.recv(1024 * 1024) == b"x" * 64

    @pytest.mark.parametrize("bad", [None, "10"])
    def test_recv_size_must_be_int(self, bad: Any) -> None:
        client, server = _pair()
        _record(client, server, b"data")
        with pytest.raises(TypeError):
            server.recv(bad)

    def test_msg_peek(self) -> None:
        client, server = _pair()
        _record(client, server, b"peekaboo")
        assert server.recv(4, socket.MSG_PEEK) == b"peek"
        assert server.recv(4, socket.MSG_PEEK) == b"peek"
        assert server.recv(100) == b"peekaboo"

    def test_pending(self) -> None:
        client, server = _pair()
        assert server.pending() == 0
        _record(client, server, b"a" * 100)
        assert server.recv(10) == b"a" * 10
        assert server.pending() == 90
        server.recv(90)
        assert server.pending() == 0

    def test_recv_into(self) -> None:
        client, server = _pair()
        _record(client, server, b"abcdefghij")
        buf = bytearray(100)
        assert server.recv_into(buf) == 10
        assert bytes(buf[:10]) == b"abcdefghij"
        assert buf[10:] == bytearray(90)

    def test_recv_into_nbytes(self) -> None:
        client, server = _pair()
        _record(client, server, b"abcdefghij")
        buf = bytearray(b"\xff" * 8)
        assert server.recv_into(buf, 3) == 3
        assert bytes(buf) == b"abc" + b"\xff" * 5
        # nbytes larger than the buffer is reduced to the buffer's size
        assert server.recv_into(buf, 100) == 7
        assert bytes(buf[:7]) == b"defghij"

    def test_recv_into_memoryview_and_peek(self) -> None:
        client, server = _pair()
        _record(client, server, b"abcdefghij")
        backing = bytearray(20)
        view = memoryview(backing)[5:15]
        assert server.recv_into(view, 4, socket.MSG_PEEK) == 4
        assert bytes(backing[5:9]) == b"abcd"
        assert server.recv_into(view) == 10
        assert bytes(backing[5:15]) == b"abcdefghij"
        assert bytes(backing[:5]) == bytes(5) and bytes(backing[15:]) == bytes(5)

    @pytest.mark.parametrize(
        "call",
        [
            lambda conn: conn.recv(-1),
            lambda conn: conn.recv_into(bytearray(10), -1),
            lambda conn: conn.bio_read(-1),
        ],
        ids=["recv", "recv_into", "bio_read"],
    )
    def test_negative_sizes_are_value_errors(self, call: Any) -> None:
        client, server = _pair()
        _record(client, server, b"kept")
        with pytest.raises(ValueError):
            call(server)
        assert lib.ERR_peek_error() == 0
        assert server.recv(100) == b"kept"

    def test_recv_into_read_only_buffer(self) -> None:
        client, server = _pair()
        _record(client, server, b"not lost")
        with pytest.raises(TypeError):
            server.recv_into(b"0123456789")
        # The failed call consumed nothing.
        assert server.recv(100) == b"not lost"

    def test_recv_into_without_data(self) -> None:
        _, server = _pair()
        with pytest.raises(WantReadError):
            server.recv_into(bytearray(10))

    def test_one_mebibyte_both_ways(self) -> None:
        client, server = _pair()
        payload = bytes(range(256)) * 4096
        assert transfer(client, server, payload) == payload
        assert transfer(server, client, payload) == payload

    def test_send_partial_write_reports_progress(self) -> None:
        client, server = _pair()
        payload = b"z" * (1024 * 1024)
        sent = client.send(payload)
        assert 0 < sent <= len(payload)
        pump(client, server)
        assert read_all(server, sent, pump_with=client) == payload[:sent]

    def test_sendall_returns_total(self) -> None:
        client, server = _pair()
        payload = b"q" * 100_000
        assert client.sendall(payload) == len(payload)
        pump(client, server)
        assert read_all(server, len(payload), pump_with=client) == payload


class TestShutdown:
    def test_close_notify_is_zero_return(self) -> None:
        client, server = _pair()
        assert server.shutdown() is False
        pump(client, server)
        with pytest.raises(ZeroReturnError):
            client.recv(10)
        assert client.get_shutdown() & RECEIVED_SHUTDOWN

    def test_shutdown_false_then_true(self) -> None:
        client, server = _pair()
        assert client.shutdown() is False
        assert client.get_shutdown() == SENT_SHUTDOWN
        pump(client, server)
        with pytest.raises(ZeroReturnError):
            server.recv(10)
        assert server.shutdown() is True
        assert server.get_shutdown() == SENT_SHUTDOWN | RECEIVED_SHUTDOWN
        pump(client, server)
        assert client.shutdown() is True
        assert client.get_shutdown() == SENT_SHUTDOWN | RECEIVED_SHUTDOWN

    def test_data_before_close_notify_is_delivered(self) -> None:
        client, server = _pair()
        client.send(b"last words")
        client.shutdown()
        pump(client, server)
        assert server.recv(100) == b"last words"
        with pytest.raises(ZeroReturnError):
            server.recv(100)

    def test_get_and_set_shutdown(self) -> None:
        conn = Connection(Context(TLS_METHOD), None)
        assert conn.get_shutdown() == 0
        conn.set_shutdown(RECEIVED_SHUTDOWN)
        assert conn.get_shutdown() == RECEIVED_SHUTDOWN
        conn.set_shutdown(SENT_SHUTDOWN | RECEIVED_SHUTDOWN)
        assert conn.get_shutdown() == SENT_SHUTDOWN | RECEIVED_SHUTDOWN

    @pytest.mark.parametrize("bad", [None, "1", 1.0])
    def test_set_shutdown_non_int(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Connection(Context(TLS_METHOD), None).set_shutdown(bad)

    def test_bio_shutdown_is_unexpected_eof(self) -> None:
        _client, server = _pair()
        server.bio_shutdown()
        with pytest.raises(SysCallError) as info:
            server.recv(10)
        assert info.value.args == (-1, "Unexpected EOF")
        assert lib.ERR_peek_error() == 0

    def test_bio_shutdown_after_close_notify_is_zero_return(self) -> None:
        client, server = _pair()
        client.shutdown()
        pump(client, server)
        server.bio_shutdown()
        with pytest.raises(ZeroReturnError):
            server.recv(10)

    def test_bio_shutdown_with_ignore_unexpected_eof(self) -> None:
        # With OP_IGNORE_UNEXPECTED_EOF OpenSSL treats the bare EOF like a
        # close_notify.
        server_ctx = server_context()
        server_ctx.set_options(OP_IGNORE_UNEXPECTED_EOF)
        _, server = handshake_pair(None, server_ctx)
        server.bio_shutdown()
        with pytest.raises(ZeroReturnError):
            server.recv(10)

    def test_bio_shutdown_during_handshake(self) -> None:
        client, _server = memory_pair()
        with pytest.raises(WantReadError):
            client.do_handshake()
        client.bio_shutdown()
        with pytest.raises(SysCallError) as info:
            client.do_handshake()
        assert info.value.args == (-1, "Unexpected EOF")


class TestRenegotiation:
    def _renegotiate(self, client: Connection, server: Connection) -> None:
        for _ in range(20):
            for conn in (client, server):
                try:
                    conn.do_handshake()
                    conn.recv(1)
                except WantReadError:
                    pass
            if not pump(client, server) and not client.renegotiate_pending():
                return
        raise AssertionError("renegotiation did not finish")

    def test_tls12_renegotiation(self) -> None:
        # OpenSSL 3+ servers refuse client-initiated renegotiation by
        # default, so the server asks for it (HelloRequest).
        client, server = _pair(TLS1_2_VERSION)
        assert server.total_renegotiations() == 0
        assert server.renegotiate_pending() is False
        assert server.renegotiate() is True
        assert server.renegotiate_pending() is True
        assert server.renegotiate() is False  # already pending
        self._renegotiate(server, client)
        assert server.renegotiate_pending() is False
        assert server.total_renegotiations() == 1
        assert transfer(client, server, b"after") == b"after"

    def test_client_initiated_renegotiation_is_refused(self) -> None:
        client, server = _pair(TLS1_2_VERSION)
        assert client.renegotiate() is True
        with pytest.raises(Error):
            self._renegotiate(client, server)

    def test_tls13_has_no_renegotiation(self) -> None:
        client, _ = _pair(TLS1_3_VERSION)
        with pytest.raises(Error):
            client.renegotiate()


# --- socket mode ---------------------------------------------------------------


@pytest.fixture
def socket_pair_conns() -> Any:
    client, server = socket_connection_pair()
    yield client, server
    client.close()
    server.close()


class TestSocketMode:
    def test_handshake_and_data(self, socket_pair_conns: Any) -> None:
        client, server = socket_pair_conns
        handshake(client, server)
        client.sendall(b"over a socketpair")
        assert read_all(server, 17) == b"over a socketpair"
        buf = bytearray(32)
        server.send(b"reply")
        while True:
            try:
                n = client.recv_into(buf)
                break
            except WantReadError:
                continue
        assert bytes(buf[:n]) == b"reply"[:n]

    def test_attribute_fall_through(self) -> None:
        client_sock, server_sock = loopback_tcp()
        with client_sock, server_sock:
            conn = Connection(Context(TLS_METHOD), client_sock)
            assert conn.fileno() == client_sock.fileno()
            assert conn.getpeername() == server_sock.getsockname()
            assert conn.family == socket.AF_INET
            with pytest.raises(AttributeError):
                conn.no_such_attribute  # noqa: B018

    def test_makefile_refuses(self, socket_pair_conns: Any) -> None:
        client, _ = socket_pair_conns
        with pytest.raises(NotImplementedError):
            client.makefile()
        with pytest.raises(NotImplementedError):
            client.makefile("rb", 0)

    @pytest.mark.parametrize(
        "call",
        [
            lambda c: c.bio_read(10),
            lambda c: c.bio_write(b"x"),
            lambda c: c.bio_shutdown(),
        ],
        ids=["bio_read", "bio_write", "bio_shutdown"],
    )
    def test_bio_methods_are_type_errors(
        self, socket_pair_conns: Any, call: Any
    ) -> None:
        client, _ = socket_pair_conns
        with pytest.raises(TypeError):
            call(client)

    def test_connect_and_accept(self) -> None:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        server_conn = Connection(server_context(), listener)
        client_conn = Connection(client_context(), socket.socket())
        try:
            assert client_conn.connect(listener.getsockname()) is None
            accepted, address = server_conn.accept()
            assert isinstance(accepted, Connection)
            assert address == client_conn.getsockname()
            assert accepted.get_context() is server_conn.get_context()
            client_conn.setblocking(False)
            accepted.setblocking(False)
            handshake(client_conn, accepted)  # connect/accept set the states
            client_conn.sendall(b"via connect/accept")
            assert read_all(accepted, 18) == b"via connect/accept"
            accepted.close()
        finally:
            client_conn.close()
            server_conn.close()

    def test_connect_ex(self) -> None:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            conn = Connection(client_context(), socket.socket())
            try:
                assert conn.connect_ex(listener.getsockname()) == 0
                peer, _ = listener.accept()
                server = Connection(server_context(), peer)
                server.set_accept_state()
                conn.setblocking(False)
                peer.setblocking(False)
                handshake(conn, server)
                assert conn.get_peer_certificate() is not None
                peer.close()
            finally:
                conn.close()

    def test_sock_shutdown_gives_unexpected_eof(self, socket_pair_conns: Any) -> None:
        client, server = socket_pair_conns
        handshake(client, server)
        client.sock_shutdown(socket.SHUT_RDWR)
        server.setblocking(True)
        with pytest.raises(SysCallError) as info:
            server.recv(10)
        assert info.value.args == (-1, "Unexpected EOF")

    def test_close_notify_over_socket(self, socket_pair_conns: Any) -> None:
        client, server = socket_pair_conns
        handshake(client, server)
        assert client.shutdown() is False
        server.setblocking(True)
        with pytest.raises(ZeroReturnError):
            server.recv(10)

    def test_reset_connection_is_syscall_error_with_errno(self) -> None:
        client_sock, server_sock = loopback_tcp()
        client, server = socket_connection_pair(sockets=(client_sock, server_sock))
        try:
            handshake(client, server)
            server.send(b"unread data makes close() send a reset")
            client_sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            client_sock.close()
            server_sock.setblocking(True)
            with pytest.raises(SysCallError) as info:
                for _ in range(100):
                    server.send(b"x" * 1024)
                    server.recv(10)
            code = info.value.args[0]
            assert code in (errno.ECONNRESET, errno.EPIPE)
            assert info.value.args[1] == errno.errorcode[code]
        finally:
            server_sock.close()

    @pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
    def test_blocking_sockets_with_a_server_thread(self, family: int) -> None:
        try:
            sockets = loopback_tcp(family)
        except OSError as exc:  # pragma: no cover - host without ::1
            pytest.skip(f"no loopback for {family!r}: {exc}")
        client, server = socket_connection_pair(sockets=sockets, blocking=True)
        echoed: list[bytes] = []

        def serve() -> None:
            try:
                server.do_handshake()
                echoed.append(server.recv(100))
                server.sendall(echoed[0].upper())
                server.shutdown()
            except BaseException:
                # Never leave the blocking client waiting for bytes.
                server.sock_shutdown(socket.SHUT_RDWR)
                raise

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            client.do_handshake()
            assert client.getpeername()[0] in ("127.0.0.1", "::1")
            client.sendall(b"blocking echo")
            assert client.recv(100) == b"BLOCKING ECHO"
            with pytest.raises(ZeroReturnError):
                client.recv(100)
        finally:
            thread.join(30)
            client.close()
            server.close()
        assert echoed == [b"blocking echo"]

    def test_full_socket_buffer_is_want_write(self, socket_pair_conns: Any) -> None:
        client, server = socket_pair_conns
        handshake(client, server)
        chunk = b"w" * 65536
        sent = 0
        with pytest.raises(WantWriteError):
            for _ in range(1000):  # the kernel buffer fills long before this
                sent += client.send(chunk)
        # Drain the peer, then the very same call goes through (the moving
        # write buffer mode lets a retry pass another buffer object too).
        received = 0
        server.setblocking(True)
        client.setblocking(True)

        def finish() -> None:
            try:
                client.sendall(bytearray(chunk))
            except BaseException:
                client.sock_shutdown(socket.SHUT_RDWR)  # unblock the reader
                raise

        thread = threading.Thread(target=finish)
        thread.start()
        try:
            while received < sent + len(chunk):
                received += len(server.recv(1 << 20))
        finally:
            thread.join(30)
        assert not thread.is_alive()
        assert received >= sent + len(chunk)

    def test_sendall_one_mebibyte(self) -> None:
        client, server = socket_connection_pair()
        payload = bytes(range(256)) * 4096
        received = bytearray()
        try:
            handshake(client, server)
            client.setblocking(True)
            server.setblocking(True)

            def reader() -> None:
                while len(received) < len(payload):
                    try:
                        received.extend(server.recv(65536))
                    except (ZeroReturnError, SysCallError):
                        return

            thread = threading.Thread(target=reader)
            thread.start()
            assert client.sendall(payload) == len(payload)
            thread.join(30)
            assert not thread.is_alive()
            assert bytes(received) == payload
        finally:
            client.close()
            server.close()


# --- introspection ---------------------------------------------------------------


class TestIntrospectionBeforeHandshake:
    def test_nothing_known_yet(self) -> None:
        client, server = memory_pair()
        for conn in (client, server):
            assert conn.get_peer_certificate() is None
            assert conn.get_peer_certificate(as_cryptography=True) is None
            assert conn.get_peer_cert_chain() is None
            assert conn.get_verified_chain() is None
            assert conn.get_cipher_name() is None
            assert conn.get_cipher_bits() is None
            assert conn.get_cipher_version() is None
            assert conn.get_finished() is None
            assert conn.get_peer_finished() is None
            assert conn.get_servername() is None
            assert conn.get_alpn_proto_negotiated() == b""
            assert conn.get_session() is None
            assert conn.client_random() is None
            assert conn.server_random() is None
            assert conn.master_key() is None
        assert client.get_certificate() is None

    def test_get_cipher_list(self) -> None:
        names = Connection(Context(TLS_METHOD), None).get_cipher_list()
        assert isinstance(names, list) and names
        assert all(isinstance(name, str) for name in names)
        assert "TLS_AES_256_GCM_SHA384" in names


class TestIntrospection:
    def test_peer_certificate(self, pki: PKI) -> None:
        client, server = _pair()
        legacy = client.get_peer_certificate()
        assert isinstance(legacy, crypto.X509)
        assert legacy.to_cryptography() == pki.server.cert
        modern = client.get_peer_certificate(as_cryptography=True)
        assert isinstance(modern, x509.Certificate)
        assert modern == pki.server.cert
        assert server.get_peer_certificate() is None

    def test_client_certificate_seen_by_server(self, pki: PKI) -> None:
        c, s = handshake_pair(
            client_context(identity=pki.client), server_context(verify_client=True)
        )
        assert s.get_peer_certificate(as_cryptography=True) == pki.client.cert
        chain = s.get_peer_cert_chain(as_cryptography=True)
        assert chain is not None and pki.intermediate.cert in chain
        assert c.get_certificate(as_cryptography=True) == pki.client.cert
        verified = s.get_verified_chain(as_cryptography=True)
        assert verified == [pki.client.cert, pki.intermediate.cert, pki.root.cert]

    def test_peer_cert_chain(self, pki: PKI) -> None:
        client, _ = _pair()
        chain = client.get_peer_cert_chain(as_cryptography=True)
        assert chain == [pki.server.cert, pki.intermediate.cert]
        legacy = client.get_peer_cert_chain()
        assert legacy is not None
        assert all(isinstance(cert, crypto.X509) for cert in legacy)
        assert [cert.to_cryptography() for cert in legacy] == chain

    def test_verified_chain(self, pki: PKI) -> None:
        client, _ = _pair()
        verified = client.get_verified_chain(as_cryptography=True)
        assert verified == [pki.server.cert, pki.intermediate.cert, pki.root.cert]
        legacy = client.get_verified_chain()
        assert legacy is not None
        assert [cert.to_cryptography() for cert in legacy] == verified

    def test_get_certificate(self, pki: PKI) -> None:
        client, server = _pair()
        local = server.get_certificate()
        assert isinstance(local, crypto.X509)
        assert local.to_cryptography() == pki.server.cert
        assert server.get_certificate(as_cryptography=True) == pki.server.cert
        assert client.get_certificate() is None

    @pytest.mark.parametrize("version", VERSIONS)
    def test_cipher_and_protocol(self, version: int) -> None:
        client, server = _pair(version)
        for conn in (client, server):
            name = conn.get_cipher_name()
            assert isinstance(name, str) and name
            bits = conn.get_cipher_bits()
            assert isinstance(bits, int) and bits >= 128
            assert conn.get_cipher_version() == VERSION_NAMES[version]
            assert conn.get_protocol_version() == version
            assert conn.get_protocol_version_name() == VERSION_NAMES[version]
            group = conn.get_group_name()
            assert isinstance(group, str) and group
        assert client.get_cipher_name() == server.get_cipher_name()
        assert client.get_group_name() == server.get_group_name()

    def test_servername(self) -> None:
        client, server = handshake_pair(server_name=b"localhost")
        assert server.get_servername() == b"localhost"
        assert client.get_servername() == b"localhost"

    def test_no_servername(self) -> None:
        _, server = _pair()
        assert server.get_servername() is None

    @pytest.mark.parametrize("bad", ["localhost", None, 1])
    def test_set_tlsext_host_name_wants_bytes(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Connection(Context(TLS_METHOD), None).set_tlsext_host_name(bad)

    def test_set_tlsext_host_name_empty_leaves_no_stale_error(self) -> None:
        # OpenSSL refuses an empty name; whatever the API makes of that, the
        # refusal must not linger on the error queue for a later call.
        conn = Connection(Context(TLS_METHOD), None)
        try:
            conn.set_tlsext_host_name(b"")
        except (Error, ValueError):
            pass
        assert lib.ERR_peek_error() == 0
        with pytest.raises(Error) as info:
            Context(TLS_METHOD).set_cipher_list(b"no-such-cipher")
        assert info.value.args[0][0][2] == "no cipher match"

    def test_set_tlsext_host_name_rejects_nul(self) -> None:
        with pytest.raises(TypeError):
            Connection(Context(TLS_METHOD), None).set_tlsext_host_name(b"a\x00b")

    def test_alpn_per_connection(self) -> None:
        server_ctx = server_context()
        server_ctx.set_alpn_select_callback(lambda conn, offered: offered[-1])
        client, server = memory_pair(None, server_ctx)
        client.set_alpn_protos([b"spdy/2", b"h2"])
        handshake(client, server)
        assert client.get_alpn_proto_negotiated() == b"h2"
        assert server.get_alpn_proto_negotiated() == b"h2"

    def test_set_alpn_protos_empty(self) -> None:
        with pytest.raises(ValueError):
            Connection(Context(TLS_METHOD), None).set_alpn_protos([])

    @pytest.mark.parametrize("version", VERSIONS)
    def test_randoms(self, version: int) -> None:
        client, server = _pair(version)
        for getter in ("client_random", "server_random"):
            ours, theirs = getattr(client, getter)(), getattr(server, getter)()
            assert isinstance(ours, bytes) and len(ours) == 32
            assert ours == theirs
        assert client.client_random() != client.server_random()

    def test_master_key_tls12(self) -> None:
        client, server = _pair(TLS1_2_VERSION)
        key = client.master_key()
        assert isinstance(key, bytes) and len(key) == 48
        assert key == server.master_key()

    @pytest.mark.parametrize("version", VERSIONS)
    def test_finished_messages(self, version: int) -> None:
        client, server = _pair(version)
        assert client.get_finished() == server.get_peer_finished()
        assert server.get_finished() == client.get_peer_finished()
        assert client.get_finished() != server.get_finished()
        assert isinstance(client.get_finished(), bytes)

    @pytest.mark.parametrize("version", VERSIONS)
    def test_export_keying_material(self, version: int) -> None:
        client, server = _pair(version)
        a = client.export_keying_material(b"EXPERIMENTAL-ng", 32)
        b = server.export_keying_material(b"EXPERIMENTAL-ng", 32)
        assert isinstance(a, bytes) and len(a) == 32 and a == b
        with_ctx = client.export_keying_material(b"EXPERIMENTAL-ng", 32, b"ctx")
        assert with_ctx == server.export_keying_material(b"EXPERIMENTAL-ng", 32, b"ctx")
        assert with_ctx != a
        assert len(client.export_keying_material(b"EXPERIMENTAL-ng", 64)) == 64

    def test_export_keying_material_before_handshake(self) -> None:
        client, _ = memory_pair()
        with pytest.raises(Error):
            client.export_keying_material(b"EXPERIMENTAL-ng", 32)

    def test_verify_mode(self) -> None:
        ctx = Context(TLS_METHOD)
        ctx.set_verify(VERIFY_PEER)
        conn = Connection(ctx, None)
        assert conn.get_verify_mode() == VERIFY_PEER
        conn.set_verify(VERIFY_NONE)
        assert conn.get_verify_mode() == VERIFY_NONE
        assert ctx.get_verify_mode() == VERIFY_PEER

    @pytest.mark.parametrize("bad", [None, "1"])
    def test_connection_set_verify_non_int(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Connection(Context(TLS_METHOD), None).set_verify(bad)

    def test_connection_set_verify_callback_not_callable(self) -> None:
        with pytest.raises(TypeError):
            Connection(Context(TLS_METHOD), None).set_verify(VERIFY_PEER, b"nope")

    def test_connection_set_options(self) -> None:
        conn = Connection(Context(TLS_METHOD), None)
        mask = conn.set_options(OP_NO_TICKET)
        assert isinstance(mask, int) and mask & OP_NO_TICKET
        with pytest.raises(TypeError):
            conn.set_options(None)  # type: ignore[arg-type]

    def test_connection_set_verify_takes_effect(self) -> None:
        # The context trusts nothing and does not verify: the handshake works.
        handshake_pair(Context(TLS_METHOD), server_context())
        # The same context, with VERIFY_PEER set on the connection only.
        client, server = memory_pair(Context(TLS_METHOD), server_context())
        client.set_verify(VERIFY_PEER)
        with pytest.raises(Error):
            handshake(client, server)

    def test_client_ca_list_types(self, pki: PKI) -> None:
        server_ctx = server_context(verify_client=True)
        server_ctx.add_client_ca(pki.root.cert)
        client, _ = handshake_pair(client_context(), server_ctx)
        names = client.get_client_ca_list(as_cryptography=True)
        assert names == [pki.root.cert.subject]
        assert all(isinstance(name, x509.Name) for name in names)
        legacy = client.get_client_ca_list()
        assert len(legacy) == 1
        assert legacy[0].der() == pki.root.cert.subject.public_bytes()


# --- extensions: set_verify_hostname / get_verify_result -----------------------


def _issue(pki: PKI, common_name: str, dns_names: list[str]) -> Identity:
    """A leaf signed by the test intermediate with the given names."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(pki.intermediate.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                pki.intermediate.key.public_key()
            ),
            critical=False,
        )
    )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]),
            critical=False,
        )
    cert = builder.sign(pki.intermediate.key, hashes.SHA256())
    return Identity("issued", cert, key, [pki.intermediate.cert])


def _check_host(
    hostname: str,
    identity: Identity | None = None,
    *,
    verify: bool = True,
    check_common_name: bool | None = None,
) -> tuple[Connection, BaseException | None]:
    client, server = memory_pair(
        client_context(verify=verify), server_context(identity)
    )
    if check_common_name is None:
        client.set_verify_hostname(hostname)
    else:
        client.set_verify_hostname(hostname, check_common_name=check_common_name)
    try:
        handshake(client, server)
    except Error as exc:
        return client, exc
    return client, None


class TestHostnameVerification:
    def test_result_before_handshake_is_ok(self) -> None:
        conn = Connection(client_context(), None)
        assert conn.get_verify_result() == X509VerificationCodes.OK == 0

    @pytest.mark.parametrize("hostname", ["localhost", "LOCALHOST", "127.0.0.1", "::1"])
    def test_match(self, hostname: str) -> None:
        client, exc = _check_host(hostname)
        assert exc is None
        assert client.get_verify_result() == X509VerificationCodes.OK

    @pytest.mark.parametrize(
        ("hostname", "code"),
        [
            ("wrong.example", X509VerificationCodes.ERR_HOSTNAME_MISMATCH),
            ("sub.localhost", X509VerificationCodes.ERR_HOSTNAME_MISMATCH),
            ("10.1.2.3", X509VerificationCodes.ERR_IP_ADDRESS_MISMATCH),
            ("::2", X509VerificationCodes.ERR_IP_ADDRESS_MISMATCH),
        ],
    )
    def test_mismatch_fails_the_handshake(self, hostname: str, code: int) -> None:
        client, exc = _check_host(hostname)
        assert type(exc) is Error
        assert "certificate verify failed" in [e[2] for e in exc.args[0]]
        assert client.get_verify_result() == code

    def test_wrong_host_certificate(self, pki: PKI) -> None:
        client, exc = _check_host("localhost", pki.wrong_host_server)
        assert exc is not None
        assert client.get_verify_result() == X509VerificationCodes.ERR_HOSTNAME_MISMATCH

    def test_verify_none_reports_but_does_not_fail(self) -> None:
        client, exc = _check_host("wrong.example", verify=False)
        assert exc is None
        assert client.get_verify_result() == X509VerificationCodes.ERR_HOSTNAME_MISMATCH

    def test_verify_callback_sees_the_mismatch(self) -> None:
        seen: list[tuple[int, int]] = []

        def callback(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
            seen.append((errnum, depth))
            return True

        client, server = memory_pair(client_context(), server_context())
        client.set_verify(VERIFY_PEER, callback)
        client.set_verify_hostname("wrong.example")
        handshake(client, server)
        assert (X509VerificationCodes.ERR_HOSTNAME_MISMATCH, 0) in seen

    def test_common_name_only_when_asked(self, pki: PKI) -> None:
        cn_only = _issue(pki, "cn-only.example", [])
        _, exc = _check_host("cn-only.example", cn_only)
        assert exc is not None
        _, exc = _check_host("cn-only.example", cn_only, check_common_name=False)
        assert exc is not None
        client, exc = _check_host("cn-only.example", cn_only, check_common_name=True)
        assert exc is None
        assert client.get_verify_result() == X509VerificationCodes.OK

    def test_common_name_ignored_when_dns_names_exist(self, pki: PKI) -> None:
        both = _issue(pki, "cn.example", ["san.example"])
        _, exc = _check_host("cn.example", both, check_common_name=True)
        assert exc is not None
        _, exc = _check_host("san.example", both)
        assert exc is None

    @pytest.mark.parametrize(
        ("hostname", "matches"),
        [
            ("a.example.test", True),
            ("A.Example.Test", True),
            ("a.b.example.test", False),
            ("example.test", False),
        ],
    )
    def test_wildcard_matches_one_label(
        self, pki: PKI, hostname: str, matches: bool
    ) -> None:
        wildcard = _issue(pki, "wildcard", ["*.example.test"])
        _, exc = _check_host(hostname, wildcard)
        assert (exc is None) is matches

    @pytest.mark.parametrize("bad", [None, 127001, ["localhost"]])
    def test_wrong_type(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Connection(client_context(), None).set_verify_hostname(bad)


# --- objects that outlive the connection or context they came from -------------


def _churn() -> list[bytes]:
    """Allocate enough to reuse freed memory, so a dangling pointer shows."""
    return [bytes(range(256)) * 4 for _ in range(4000)]


class TestObjectLifetimes:
    def test_certificates_outlive_the_connection(self, pki: PKI) -> None:
        client, server = _pair()
        peer = client.get_peer_certificate()
        chain = client.get_peer_cert_chain()
        verified = client.get_verified_chain()
        local = server.get_certificate()
        del client, server
        gc.collect()
        _churn()
        assert peer is not None and local is not None
        assert peer.to_cryptography() == pki.server.cert
        assert local.to_cryptography() == pki.server.cert
        assert chain is not None and verified is not None
        assert [c.to_cryptography() for c in chain] == [
            pki.server.cert,
            pki.intermediate.cert,
        ]
        assert verified[-1].to_cryptography() == pki.root.cert

    def test_client_ca_names_outlive_the_connection(self, pki: PKI) -> None:
        server_ctx = server_context(verify_client=True)
        server_ctx.add_client_ca(pki.root.cert)
        client, server = handshake_pair(client_context(), server_ctx)
        names = client.get_client_ca_list()
        server_names = server.get_client_ca_list()
        del client, server, server_ctx
        gc.collect()
        _churn()
        expected = pki.root.cert.subject.public_bytes()
        assert [name.der() for name in names] == [expected]
        assert [name.der() for name in server_names] == [expected]

    def test_cert_store_outlives_its_context(self, pki: PKI) -> None:
        # In a child process: a dangling store pointer may hang or crash.
        code = (
            "import gc\n"
            "from OpenSSL import SSL, crypto\n"
            "from tests.support import make_pki\n"
            "ctx = SSL.Context(SSL.TLS_METHOD)\n"
            "store = ctx.get_cert_store()\n"
            "del ctx\n"
            "gc.collect()\n"
            "junk = [bytes(1000) for _ in range(10000)]\n"
            "store.add_cert(crypto.X509.from_cryptography(make_pki().root.cert))\n"
            "print('store ok')\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            timeout=120,
            cwd=str(Path(__file__).resolve().parent.parent),
            check=False,
        )
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        assert result.stdout.strip() == b"store ok"

    def test_connection_keeps_its_context_alive(self) -> None:
        def build() -> Connection:
            ctx = client_context()
            ctx.set_verify(VERIFY_PEER, lambda *args: True)
            return Connection(ctx, None)

        conn = build()
        gc.collect()
        assert conn.get_context().get_verify_mode() == VERIFY_PEER

    def test_closed_socket_is_syscall_error(self) -> None:
        a, b = socket.socketpair()
        with b:
            conn = Connection(client_context(), a)
            conn.set_connect_state()
            a.close()
            with pytest.raises(SysCallError) as info:
                conn.do_handshake()
            assert info.value.args == (errno.EBADF, "EBADF")
