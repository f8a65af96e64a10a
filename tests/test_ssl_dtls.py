"""DTLS over memory BIOs: cookie exchange, handshake, data, timers, MTU, SRTP.

The server follows the stateless-cookie dance: ``DTLSv1_listen`` answers the
first ClientHello with a HelloVerifyRequest carrying the cookie from the
generate callback, and returns only once a ClientHello with a cookie the
verify callback accepts arrives; then ``do_handshake`` finishes the job.
Datagrams are moved between the two memory BIOs by :func:`_move`; DTLS
records keep their boundaries inside one chunk, so gluing the records of one
flight together is fine.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from OpenSSL._util import lib
from OpenSSL.SSL import (
    DTLS_CLIENT_METHOD,
    DTLS_SERVER_METHOD,
    Connection,
    Context,
    WantReadError,
    ZeroReturnError,
)
from tests.support import (
    DTLS_COOKIE,
    dtls_client_context,
    dtls_handshake,
    dtls_listen_exchange,
    dtls_pair,
    dtls_server_context,
    make_pki,
)
from tests.support import dtls_step as _step
from tests.support import move_datagram as _move

COOKIE = DTLS_COOKIE


class Boom(Exception):
    """What the misbehaving cookie callbacks raise."""


def _pair(
    server_ctx: Context | None = None, client_ctx: Context | None = None
) -> tuple[Connection, Connection]:
    return dtls_pair(
        client_ctx or dtls_client_context(), server_ctx or dtls_server_context()
    )


def _read(receiver: Connection, sender: Connection) -> bytes:
    _move(sender, receiver)
    return receiver.recv(65536)


class TestHandshake:
    def test_full_handshake_and_data(self) -> None:
        generated: list[Any] = []
        verified: list[tuple[Any, bytes]] = []

        def generate(conn: Connection) -> bytes:
            generated.append(conn)
            return COOKIE

        def verify(conn: Connection, cookie: bytes) -> bool:
            verified.append((conn, cookie))
            return cookie == COOKIE

        client, server = _pair(dtls_server_context(generate, verify))
        dtls_handshake(client, server)
        assert generated and all(conn is server for conn in generated)
        # DTLSv1_listen checks the cookie, and do_handshake may check the
        # same ClientHello again when it processes it.
        assert verified and all(v == (server, COOKIE) for v in verified)
        assert client.get_protocol_version_name() == "DTLSv1.2"
        assert server.get_peer_certificate() is None
        assert (
            client.get_peer_certificate(as_cryptography=True) == make_pki().server.cert
        )

        client.send(b"hello over DTLS")
        assert _read(server, client) == b"hello over DTLS"
        server.send(b"and back")
        assert _read(client, server) == b"and back"

    def test_close_notify(self) -> None:
        client, server = _pair()
        dtls_handshake(client, server)
        assert server.shutdown() is False
        _move(server, client)
        with pytest.raises(ZeroReturnError):
            client.recv(100)

    def test_client_and_server_methods(self) -> None:
        client, server = _pair(
            dtls_server_context(method=DTLS_SERVER_METHOD),
            dtls_client_context(DTLS_CLIENT_METHOD),
        )
        dtls_handshake(client, server)
        client.send(b"x")
        assert _read(server, client) == b"x"

    def test_rejected_cookie_keeps_listening(self) -> None:
        calls: list[bytes] = []

        def verify(conn: Connection, cookie: bytes) -> bool:
            calls.append(cookie)
            return False

        client, server = _pair(dtls_server_context(verify=verify))
        dtls_listen_exchange(client, server)
        with pytest.raises(WantReadError):
            server.DTLSv1_listen()
        assert calls == [COOKIE]

    def test_longest_cookie_works(self) -> None:
        cookie = b"c" * lib.DTLS1_COOKIE_LENGTH
        verified: list[bytes] = []

        def verify(conn: Connection, got: bytes) -> bool:
            verified.append(got)
            return got == cookie

        client, server = _pair(dtls_server_context(lambda conn: cookie, verify))
        dtls_handshake(client, server)
        # Checked by DTLSv1_listen and again by the handshake that follows.
        assert verified and all(got == cookie for got in verified), verified
        client.send(b"after the longest cookie")
        assert _read(server, client) == b"after the longest cookie"


class TestCookieCallbackErrors:
    def test_generate_raising_propagates(self) -> None:
        exc = Boom("from the cookie generate callback")

        def failing_callback(conn: Connection) -> bytes:
            raise exc

        client, server = _pair(dtls_server_context(generate=failing_callback))
        assert not _step(client.do_handshake)
        _move(client, server)
        with pytest.raises(Boom) as info:
            server.DTLSv1_listen()
        assert info.value is exc
        assert any(entry.name == "failing_callback" for entry in info.traceback)

    def test_verify_raising_propagates(self) -> None:
        exc = Boom("from the cookie verify callback")

        def failing_callback(conn: Connection, cookie: bytes) -> bool:
            raise exc

        client, server = _pair(dtls_server_context(verify=failing_callback))
        assert not _step(client.do_handshake)
        _move(client, server)
        assert not _step(server.DTLSv1_listen)
        _move(server, client)
        assert not _step(client.do_handshake)
        _move(client, server)
        with pytest.raises(Boom) as info:
            server.DTLSv1_listen()
        assert info.value is exc
        assert any(entry.name == "failing_callback" for entry in info.traceback)

    @pytest.mark.parametrize("extra", [1, 100, 10_000])
    def test_too_long_cookie_is_value_error(self, extra: int) -> None:
        cookie = b"x" * (lib.DTLS1_COOKIE_LENGTH + extra)
        client, server = _pair(dtls_server_context(generate=lambda conn: cookie))
        assert not _step(client.do_handshake)
        _move(client, server)
        with pytest.raises(ValueError):
            server.DTLSv1_listen()
        # Nothing was corrupted: a fresh exchange on the same process works.
        dtls_handshake(*_pair())


class TestTimersAndMtu:
    def test_no_timer_before_or_after_the_handshake(self) -> None:
        client, server = _pair()
        assert client.DTLSv1_get_timeout() is None
        assert client.DTLSv1_handle_timeout() is False
        dtls_handshake(client, server)
        assert client.DTLSv1_get_timeout() is None
        assert client.DTLSv1_handle_timeout() is False

    def test_retransmission_after_the_timer_expires(self) -> None:
        client, server = _pair()
        assert not _step(client.do_handshake)
        first_hello = client.bio_read(65536)
        timeout = client.DTLSv1_get_timeout()
        assert isinstance(timeout, float)
        assert 0 < timeout <= 60
        # Wait for the timer to run out (bounded), then let OpenSSL act on it.
        for _ in range(100):
            remaining = client.DTLSv1_get_timeout()
            if remaining is None or remaining <= 0:
                break
            time.sleep(remaining + 0.01)
        assert client.DTLSv1_handle_timeout() is True
        again = client.bio_read(65536)
        # The retransmitted ClientHello has the same handshake body.
        assert again[:1] == first_hello[:1] == b"\x16"
        assert len(again) == len(first_hello)
        # The handshake still completes after the retransmission.
        server.bio_write(again)
        assert not _step(server.DTLSv1_listen)

    def test_mtu(self) -> None:
        client, server = _pair()
        dtls_handshake(client, server)
        client.set_ciphertext_mtu(1500)
        large = client.get_cleartext_mtu()
        assert 1000 < large < 1500
        client.set_ciphertext_mtu(600)
        small = client.get_cleartext_mtu()
        assert 0 < small < 600
        assert small < large


class TestSrtp:
    def test_selected_profile(self) -> None:
        server_ctx = dtls_server_context()
        server_ctx.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_80")
        client_ctx = dtls_client_context()
        client_ctx.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_32:SRTP_AES128_CM_SHA1_80")
        client, server = _pair(server_ctx, client_ctx)
        dtls_handshake(client, server)
        assert client.get_selected_srtp_profile() == b"SRTP_AES128_CM_SHA1_80"
        assert server.get_selected_srtp_profile() == b"SRTP_AES128_CM_SHA1_80"

    def test_no_profile(self) -> None:
        client, server = _pair()
        dtls_handshake(client, server)
        assert client.get_selected_srtp_profile() == b""
        assert server.get_selected_srtp_profile() == b""
