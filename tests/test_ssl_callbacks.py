"""Tests for the Python callbacks OpenSSL calls during a handshake.

For every callback kind: the arguments it receives, what its return value
does, and what happens when it raises. The rule (``DESIGN.md``): an exception
raised in a callback comes out of the call that triggered it (``do_handshake``
here) as the very same object, with the callback's frame in its traceback;
the servername callback is the one documented exception (``sys.excepthook``
plus a failed handshake). Also: callbacks keep working after everything that
created them went out of scope, and collecting a ``Context`` while its
connections live does not crash.
"""

from __future__ import annotations

import gc
import sys
import threading
from types import TracebackType
from typing import Any, Callable

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from OpenSSL import crypto
from OpenSSL.SSL import (
    NO_OVERLAPPING_PROTOCOLS,
    SSL_CB_ALERT,
    SSL_CB_HANDSHAKE_DONE,
    SSL_CB_HANDSHAKE_START,
    TLS1_2_VERSION,
    TLS1_3_VERSION,
    TLS_METHOD,
    VERIFY_PEER,
    Connection,
    Context,
    Error,
    WantReadError,
    X509VerificationCodes,
)
from tests.support import (
    PKI,
    client_context,
    handshake,
    handshake_pair,
    memory_pair,
    pump,
    server_context,
    transfer,
)


class Boom(Exception):
    """The exception the misbehaving callbacks raise."""


def _raiser(exc: BaseException) -> Callable[..., Any]:
    def failing_callback(*args: Any) -> Any:
        raise exc

    return failing_callback


def _assert_is_ours(info: pytest.ExceptionInfo[Any], exc: BaseException) -> None:
    """The very exception object came out, with the callback's frame."""
    assert info.value is exc
    assert any(entry.name == "failing_callback" for entry in info.traceback)


def _untrusting_client() -> Context:
    ctx = Context(TLS_METHOD)
    ctx.set_verify(VERIFY_PEER)
    return ctx


# --- verify ---------------------------------------------------------------------


class TestVerifyCallback:
    def test_arguments(self, pki: PKI) -> None:
        calls: list[tuple[Any, ...]] = []

        def callback(
            conn: Connection, cert: Any, errnum: int, depth: int, ok: int
        ) -> bool:
            calls.append((conn, cert, errnum, depth, ok))
            return bool(ok)

        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, callback)
        client, server = memory_pair(ctx)
        handshake(client, server)
        assert [call[3] for call in calls] == [2, 1, 0]
        expected = [pki.root.cert, pki.intermediate.cert, pki.server.cert]
        for (conn, cert, errnum, _depth, ok), want in zip(calls, expected):
            assert conn is client
            assert isinstance(cert, crypto.X509)
            assert cert.to_cryptography() == want
            assert errnum == 0
            assert ok

    def test_returning_true_accepts_an_untrusted_chain(self) -> None:
        seen: list[tuple[int, int]] = []

        def callback(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
            seen.append((errnum, ok))
            return True

        ctx = _untrusting_client()
        ctx.set_verify(VERIFY_PEER, callback)
        client, _ = handshake_pair(ctx)
        assert client.get_peer_certificate() is not None
        assert (X509VerificationCodes.ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0) in seen

    @pytest.mark.parametrize("result", [False, 0, None, b""])
    def test_returning_false_fails_the_handshake(self, result: Any) -> None:
        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, lambda *args: result)
        client, server = memory_pair(ctx)
        with pytest.raises(Error) as info:
            handshake(client, server)
        assert "certificate verify failed" in [e[2] for e in info.value.args[0]]

    def test_expired_certificate_error_code(self, pki: PKI) -> None:
        codes: list[int] = []

        def callback(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
            codes.append(errnum)
            return bool(ok)

        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, callback)
        client, server = memory_pair(ctx, server_context(pki.expired_server))
        with pytest.raises(Error):
            handshake(client, server)
        assert X509VerificationCodes.ERR_CERT_HAS_EXPIRED in codes

    def test_raising_propagates(self) -> None:
        exc = Boom("from the verify callback")
        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, _raiser(exc))
        client, server = memory_pair(ctx)
        with pytest.raises(Boom) as info:
            handshake(client, server)
        _assert_is_ours(info, exc)

    def test_raising_leaves_nothing_behind(self) -> None:
        raise_now = [True]

        def callback(*args: Any) -> bool:
            if raise_now[0]:
                raise Boom("once")
            return True

        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, callback)
        client, server = memory_pair(ctx)
        with pytest.raises(Boom):
            handshake(client, server)
        raise_now[0] = False
        client, server = handshake_pair(ctx)
        assert transfer(client, server, b"fine") == b"fine"

    def test_set_verify_without_callback_removes_it(self) -> None:
        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, lambda *args: False)
        ctx.set_verify(VERIFY_PEER)
        client, _ = handshake_pair(ctx)
        assert client.get_peer_certificate() is not None

    def test_connection_callback_overrides_context(self) -> None:
        context_calls: list[int] = []
        connection_calls: list[int] = []
        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, lambda *a: context_calls.append(a[3]) or True)
        client, server = memory_pair(ctx)
        client.set_verify(VERIFY_PEER, lambda *a: connection_calls.append(a[3]) or True)
        handshake(client, server)
        assert connection_calls == [2, 1, 0]
        assert context_calls == []

    def test_connection_callback_raising_propagates(self) -> None:
        exc = Boom("from a per-connection verify callback")
        client, server = memory_pair()
        client.set_verify(VERIFY_PEER, _raiser(exc))
        with pytest.raises(Boom) as info:
            handshake(client, server)
        _assert_is_ours(info, exc)

    def test_server_verifies_client(self, pki: PKI) -> None:
        seen: list[Any] = []

        def callback(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
            seen.append(cert.to_cryptography())
            return bool(ok)

        server_ctx = server_context(verify_client=True)
        server_ctx.set_verify(VERIFY_PEER, callback)
        handshake_pair(client_context(identity=pki.client), server_ctx)
        assert pki.client.cert in seen


# --- info -----------------------------------------------------------------------


class TestInfoCallback:
    def test_arguments(self) -> None:
        calls: list[tuple[Any, int, int]] = []
        ctx = server_context()
        ctx.set_info_callback(lambda conn, where, ret: calls.append((conn, where, ret)))
        _, server = handshake_pair(None, ctx)
        assert calls
        assert all(conn is server for conn, _, _ in calls)
        assert all(isinstance(w, int) and isinstance(r, int) for _, w, r in calls)
        wheres = [where for _, where, _ in calls]
        assert any(w & SSL_CB_HANDSHAKE_START for w in wheres)
        assert any(w & SSL_CB_HANDSHAKE_DONE for w in wheres)

    def test_alert_is_reported(self) -> None:
        wheres: list[int] = []
        ctx = client_context()
        ctx.set_info_callback(lambda conn, where, ret: wheres.append(where))
        client, server = memory_pair(ctx, server_context())
        client.set_verify(VERIFY_PEER, lambda *args: False)
        with pytest.raises(Error):
            handshake(client, server)
        assert any(w & SSL_CB_ALERT for w in wheres)

    def test_raising_propagates(self) -> None:
        exc = Boom("from the info callback")
        ctx = client_context()
        ctx.set_info_callback(_raiser(exc))
        client, server = memory_pair(ctx)
        with pytest.raises(Boom) as info:
            handshake(client, server)
        _assert_is_ours(info, exc)

    def test_connection_info_callback(self) -> None:
        calls: list[Any] = []
        client, server = memory_pair()
        client.set_info_callback(lambda conn, where, ret: calls.append(conn))
        handshake(client, server)
        assert calls and all(conn is client for conn in calls)

    def test_connection_info_callback_raising_propagates(self) -> None:
        exc = Boom("from a per-connection info callback")
        client, server = memory_pair()
        server.set_info_callback(_raiser(exc))
        with pytest.raises(Boom) as info:
            handshake(client, server)
        _assert_is_ours(info, exc)


# --- keylog ----------------------------------------------------------------------


TLS13_LABELS = {
    b"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    b"SERVER_HANDSHAKE_TRAFFIC_SECRET",
    b"CLIENT_TRAFFIC_SECRET_0",
    b"SERVER_TRAFFIC_SECRET_0",
    b"EXPORTER_SECRET",
}


class TestKeylogCallback:
    def _lines(self, version: int) -> tuple[list[tuple[Any, bytes]], Connection]:
        lines: list[tuple[Any, bytes]] = []
        ctx = client_context(min_version=version, max_version=version)
        ctx.set_keylog_callback(lambda conn, line: lines.append((conn, line)))
        client, _ = handshake_pair(ctx)
        return lines, client

    def test_tls13_lines(self) -> None:
        lines, client = self._lines(TLS1_3_VERSION)
        random = client.client_random()
        assert random is not None
        labels = set()
        for conn, line in lines:
            assert conn is client
            assert isinstance(line, bytes)
            assert not line.endswith(b"\n")
            label, client_random, secret = line.split(b" ")
            labels.add(label)
            assert client_random == random.hex().encode()
            assert len(secret) in (64, 96)
            bytes.fromhex(secret.decode())
        assert labels == TLS13_LABELS

    def test_tls12_line(self) -> None:
        lines, client = self._lines(TLS1_2_VERSION)
        assert len(lines) == 1
        label, client_random, secret = lines[0][1].split(b" ")
        assert label == b"CLIENT_RANDOM"
        random, master = client.client_random(), client.master_key()
        assert random is not None and master is not None
        assert client_random == random.hex().encode()
        assert secret == master.hex().encode()

    def test_raising_propagates(self) -> None:
        exc = Boom("from the keylog callback")
        ctx = server_context()
        ctx.set_keylog_callback(_raiser(exc))
        client, server = memory_pair(None, ctx)
        with pytest.raises(Boom) as info:
            handshake(client, server)
        _assert_is_ours(info, exc)


# --- servername (SNI) ----------------------------------------------------------------


class TestServernameCallback:
    def test_sees_the_name(self) -> None:
        seen: list[Any] = []
        ctx = server_context()
        ctx.set_tlsext_servername_callback(
            lambda conn: seen.append((conn, conn.get_servername()))
        )
        _, server = handshake_pair(None, ctx, server_name=b"localhost")
        assert seen == [(server, b"localhost")]

    def test_without_sni(self) -> None:
        names: list[Any] = []
        ctx = server_context()
        ctx.set_tlsext_servername_callback(
            lambda conn: names.append(conn.get_servername())
        )
        handshake_pair(None, ctx)
        assert set(names) <= {None}

    def test_set_context_switches_certificate(self, pki: PKI) -> None:
        rsa_ctx = server_context(pki.rsa_server)

        def switch(conn: Connection) -> None:
            if conn.get_servername() == b"rsa.localhost":
                conn.set_context(rsa_ctx)

        default_ctx = server_context()
        default_ctx.set_tlsext_servername_callback(switch)
        client_ctx = client_context(verify=False)
        c1, s1 = handshake_pair(client_ctx, default_ctx, server_name=b"rsa.localhost")
        assert c1.get_peer_certificate(as_cryptography=True) == pki.rsa_server.cert
        assert s1.get_context() is rsa_ctx
        c2, s2 = handshake_pair(client_ctx, default_ctx, server_name=b"localhost")
        assert c2.get_peer_certificate(as_cryptography=True) == pki.server.cert
        assert s2.get_context() is default_ctx

    def test_raising_goes_to_excepthook_and_fails_handshake(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        hooked: list[tuple[Any, Any, Any]] = []

        def hook(
            kind: type[BaseException], value: BaseException, tb: TracebackType | None
        ) -> None:
            hooked.append((kind, value, tb))

        monkeypatch.setattr(sys, "excepthook", hook)
        exc = Boom("from the servername callback")
        ctx = server_context()
        ctx.set_tlsext_servername_callback(_raiser(exc))
        client, server = memory_pair(None, ctx, server_name=b"localhost")
        with pytest.raises(Error) as info:
            handshake(client, server)
        assert not isinstance(info.value, Boom)
        assert len(hooked) == 1
        kind, value, tb = hooked[0]
        assert kind is Boom and value is exc and tb is not None
        # the client saw the fatal alert
        with pytest.raises(Error):
            client.do_handshake()


# --- ALPN ---------------------------------------------------------------------


def _alpn_pair(select: Callable[..., Any]) -> tuple[Connection, Connection]:
    client_ctx = client_context()
    client_ctx.set_alpn_protos([b"h2", b"http/1.1"])
    server_ctx = server_context()
    server_ctx.set_alpn_select_callback(select)
    return memory_pair(client_ctx, server_ctx)


class TestAlpnSelectCallback:
    def test_selects(self) -> None:
        calls: list[tuple[Any, Any]] = []

        def select(conn: Connection, offered: list[bytes]) -> bytes:
            calls.append((conn, offered))
            return b"http/1.1"

        client, server = _alpn_pair(select)
        handshake(client, server)
        assert calls == [(server, [b"h2", b"http/1.1"])]
        assert client.get_alpn_proto_negotiated() == b"http/1.1"
        assert server.get_alpn_proto_negotiated() == b"http/1.1"

    def test_no_overlapping_protocols(self) -> None:
        client, server = _alpn_pair(lambda conn, offered: NO_OVERLAPPING_PROTOCOLS)
        handshake(client, server)
        assert client.get_alpn_proto_negotiated() == b""
        assert server.get_alpn_proto_negotiated() == b""
        assert transfer(client, server, b"still works") == b"still works"

    @pytest.mark.parametrize("garbage", ["h2", None, 2, [b"h2"]])
    def test_non_bytes_is_type_error(self, garbage: Any) -> None:
        client, server = _alpn_pair(lambda conn, offered: garbage)
        with pytest.raises(TypeError):
            handshake(client, server)

    def test_raising_propagates(self) -> None:
        exc = Boom("from the ALPN callback")
        client, server = _alpn_pair(_raiser(exc))
        with pytest.raises(Boom) as info:
            handshake(client, server)
        _assert_is_ours(info, exc)

    def test_not_called_without_client_alpn(self) -> None:
        calls: list[Any] = []
        server_ctx = server_context()
        server_ctx.set_alpn_select_callback(lambda conn, offered: calls.append(1))
        client, _ = handshake_pair(None, server_ctx)
        assert calls == []
        assert client.get_alpn_proto_negotiated() == b""


# --- OCSP stapling ------------------------------------------------------------


def _ocsp_good(pki: PKI) -> bytes:
    """A real DER OCSP response ("good") for the server certificate."""
    return pki.ocsp_response()


#: The smallest valid OCSP response: status "unauthorized", no body.
OCSP_UNAUTHORIZED = ocsp.OCSPResponseBuilder.build_unsuccessful(
    ocsp.OCSPResponseStatus.UNAUTHORIZED
).public_bytes(serialization.Encoding.DER)


def _ocsp_pair(
    server_cb: Callable[..., Any] | None,
    client_cb: Callable[..., Any] | None,
    *,
    server_data: Any = None,
    client_data: Any = None,
    request: bool = True,
    version: int | None = None,
) -> tuple[Connection, Connection]:
    server_ctx = server_context()
    if server_cb is not None:
        server_ctx.set_ocsp_server_callback(server_cb, server_data)
    client_ctx = client_context(min_version=version, max_version=version)
    if client_cb is not None:
        client_ctx.set_ocsp_client_callback(client_cb, client_data)
    client, server = memory_pair(client_ctx, server_ctx)
    if request:
        client.request_ocsp()
    return client, server


class TestOcspCallbacks:
    @pytest.mark.parametrize("version", [TLS1_2_VERSION, TLS1_3_VERSION])
    def test_staple_arrives_with_data(self, pki: PKI, version: int) -> None:
        server_calls: list[tuple[Any, Any]] = []
        client_calls: list[tuple[Any, Any, Any]] = []
        server_marker, client_marker = object(), object()
        response = _ocsp_good(pki)

        def server_cb(conn: Connection, data: Any) -> bytes:
            server_calls.append((conn, data))
            return response

        def client_cb(conn: Connection, ocsp: bytes, data: Any) -> bool:
            client_calls.append((conn, ocsp, data))
            return True

        client, server = _ocsp_pair(
            server_cb,
            client_cb,
            server_data=server_marker,
            client_data=client_marker,
            version=version,
        )
        handshake(client, server)
        assert server_calls == [(server, server_marker)]
        assert client_calls == [(client, response, client_marker)]

    def test_data_defaults_to_none(self) -> None:
        seen: list[Any] = []
        client, server = _ocsp_pair(
            lambda conn, data: seen.append(data) or OCSP_UNAUTHORIZED,
            lambda conn, ocsp, data: seen.append(data) or True,
        )
        handshake(client, server)
        assert seen == [None, None]

    def test_empty_response_means_no_staple(self) -> None:
        seen: list[bytes] = []
        client, server = _ocsp_pair(
            lambda conn, data: b"",
            lambda conn, ocsp, data: seen.append(ocsp) or True,
        )
        handshake(client, server)
        assert seen == [b""]

    def test_not_called_without_request(self) -> None:
        calls: list[Any] = []
        client, server = _ocsp_pair(
            lambda conn, data: calls.append("server") or OCSP_UNAUTHORIZED,
            lambda conn, ocsp, data: calls.append("client") or True,
            request=False,
        )
        handshake(client, server)
        assert calls == []

    @pytest.mark.parametrize("result", [False, 0, None])
    def test_client_rejecting_fails_handshake(self, result: Any) -> None:
        client, server = _ocsp_pair(
            lambda conn, data: OCSP_UNAUTHORIZED, lambda *args: result
        )
        with pytest.raises(Error):
            handshake(client, server)

    def test_client_raising_propagates(self) -> None:
        exc = Boom("from the OCSP client callback")
        client, server = _ocsp_pair(lambda conn, data: OCSP_UNAUTHORIZED, _raiser(exc))
        with pytest.raises(Boom) as info:
            handshake(client, server)
        _assert_is_ours(info, exc)

    def test_server_raising_propagates(self) -> None:
        exc = Boom("from the OCSP server callback")
        client, server = _ocsp_pair(_raiser(exc), lambda *args: True)
        with pytest.raises(Boom) as info:
            handshake(client, server)
        _assert_is_ours(info, exc)

    @pytest.mark.parametrize("garbage", ["resp", None, 1])
    def test_server_non_bytes_is_type_error(self, garbage: Any) -> None:
        client, server = _ocsp_pair(lambda conn, data: garbage, lambda *args: True)
        with pytest.raises(TypeError):
            handshake(client, server)


# --- lifetime -----------------------------------------------------------------


class TestCallbackLifetime:
    def test_callbacks_survive_their_creators(self, pki: PKI) -> None:
        events: list[str] = []

        def build() -> tuple[Context, Context]:
            def verify(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
                events.append("verify")
                return bool(ok)

            def info(conn: Any, where: int, ret: int) -> None:
                events.append("info")

            def keylog(conn: Any, line: bytes) -> None:
                events.append("keylog")

            def servername(conn: Connection) -> None:
                events.append("servername")

            def select(conn: Any, offered: list[bytes]) -> bytes:
                events.append("alpn")
                return offered[0]

            def ocsp_server(conn: Any, data: Any) -> bytes:
                events.append("ocsp-server")
                return OCSP_UNAUTHORIZED

            def ocsp_client(conn: Any, ocsp: bytes, data: Any) -> bool:
                events.append("ocsp-client")
                return True

            client_ctx = client_context()
            client_ctx.set_verify(VERIFY_PEER, verify)
            client_ctx.set_keylog_callback(keylog)
            client_ctx.set_alpn_protos([b"h2"])
            client_ctx.set_ocsp_client_callback(ocsp_client, object())
            server_ctx = server_context()
            server_ctx.set_info_callback(info)
            server_ctx.set_tlsext_servername_callback(servername)
            server_ctx.set_alpn_select_callback(select)
            server_ctx.set_ocsp_server_callback(ocsp_server, object())
            return client_ctx, server_ctx

        client_ctx, server_ctx = build()
        gc.collect()
        client, server = memory_pair(client_ctx, server_ctx, server_name=b"localhost")
        client.request_ocsp()
        gc.collect()
        handshake(client, server)
        assert set(events) == {
            "verify",
            "info",
            "keylog",
            "servername",
            "alpn",
            "ocsp-server",
            "ocsp-client",
        }

    def test_context_collected_while_connections_live(self) -> None:
        def build() -> tuple[Connection, Connection]:
            client_ctx = client_context()
            client_ctx.set_verify(VERIFY_PEER, lambda *args: bool(args[4]))
            server_ctx = server_context()
            server_ctx.set_info_callback(lambda *args: None)
            return memory_pair(client_ctx, server_ctx)

        client, server = build()
        gc.collect()
        handshake(client, server)
        assert transfer(client, server, b"alive") == b"alive"
        del client, server
        gc.collect()

    def test_replaced_callback_is_not_called(self) -> None:
        calls: list[str] = []
        ctx = server_context()
        ctx.set_info_callback(lambda *args: calls.append("old"))
        ctx.set_info_callback(lambda *args: calls.append("new"))
        gc.collect()
        handshake_pair(None, ctx)
        assert calls and set(calls) == {"new"}

    def test_connection_collected_mid_handshake(self) -> None:
        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, lambda *args: True)
        for _ in range(3):
            client, server = memory_pair(ctx)
            with pytest.raises(WantReadError):
                client.do_handshake()
            del client, server
            gc.collect()
        handshake_pair(ctx)


# --- where callback exceptions come out ------------------------------------------


def _armed_info_callback(exc: BaseException) -> tuple[Callable[..., Any], list[bool]]:
    """An info callback that raises *exc* once ``armed[0]`` is set."""
    armed = [False]

    def failing_callback(conn: Any, where: int, ret: int) -> None:
        if armed[0]:
            raise exc

    return failing_callback, armed


class BadBool:
    """A return value whose truth test raises."""

    def __bool__(self) -> bool:
        raise Boom("from __bool__")


class TestExceptionRouting:
    def test_from_shutdown(self) -> None:
        exc = Boom("info callback during shutdown")
        callback, armed = _armed_info_callback(exc)
        ctx = client_context()
        ctx.set_info_callback(callback)
        client, _ = handshake_pair(ctx)
        armed[0] = True
        with pytest.raises(Boom) as info:
            client.shutdown()
        _assert_is_ours(info, exc)

    def test_from_recv(self) -> None:
        exc = Boom("info callback during recv")
        callback, armed = _armed_info_callback(exc)
        ctx = server_context()
        ctx.set_info_callback(callback)
        client, server = handshake_pair(None, ctx)
        client.shutdown()
        pump(client, server)
        armed[0] = True
        with pytest.raises(Boom) as info:
            server.recv(10)
        _assert_is_ours(info, exc)

    def test_from_send(self) -> None:
        exc = Boom("info callback during send")
        callback, armed = _armed_info_callback(exc)
        ctx = client_context()
        ctx.set_info_callback(callback)
        client, _ = memory_pair(ctx)
        armed[0] = True
        with pytest.raises(Boom) as info:
            client.send(b"starts the handshake")
        _assert_is_ours(info, exc)

    def test_base_exceptions_propagate_too(self) -> None:
        exc = KeyboardInterrupt("from the verify callback")
        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, _raiser(exc))
        client, server = memory_pair(ctx)
        with pytest.raises(KeyboardInterrupt) as info:
            handshake(client, server)
        _assert_is_ours(info, exc)

    def test_return_value_whose_truth_test_raises(self) -> None:
        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, lambda *args: BadBool())
        client, server = memory_pair(ctx)
        with pytest.raises(Boom, match="from __bool__"):
            handshake(client, server)

    def test_ocsp_client_return_value_whose_truth_test_raises(self) -> None:
        client, server = _ocsp_pair(
            lambda conn, data: OCSP_UNAUTHORIZED, lambda *args: BadBool()
        )
        with pytest.raises(Boom, match="from __bool__"):
            handshake(client, server)

    def test_exception_stays_with_its_connection(self) -> None:
        def callback(conn: Connection, *args: Any) -> bool:
            if conn.get_app_data() == "bad":
                raise Boom("only the bad connection")
            return True

        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, callback)
        bad_client, bad_server = memory_pair(ctx)
        bad_client.set_app_data("bad")
        good_client, good_server = memory_pair(ctx)
        good_client.set_app_data("good")
        # Interleave the two handshakes up to the bad client's verification.
        for client, server in ((bad_client, bad_server), (good_client, good_server)):
            with pytest.raises(WantReadError):
                client.do_handshake()
            pump(client, server)
            with pytest.raises(WantReadError):
                server.do_handshake()
            pump(client, server)
        with pytest.raises(Boom):
            bad_client.do_handshake()
        handshake(good_client, good_server)
        assert transfer(good_client, good_server, b"unaffected") == b"unaffected"

    def test_connection_stays_failed_after_a_callback_raised(self) -> None:
        ctx = client_context()
        ctx.set_verify(VERIFY_PEER, _raiser(Boom("once")))
        client, server = memory_pair(ctx)
        with pytest.raises(Boom):
            handshake(client, server)
        with pytest.raises(Error):
            client.do_handshake()

    def test_callback_of_the_context_switched_to_in_sni(self) -> None:
        exc = Boom("ALPN callback of the switched-to context")
        switched = server_context()
        switched.set_alpn_select_callback(_raiser(exc))
        first = server_context()
        first.set_alpn_select_callback(lambda conn, offered: offered[0])
        first.set_tlsext_servername_callback(lambda conn: conn.set_context(switched))
        client_ctx = client_context()
        client_ctx.set_alpn_protos([b"h2"])
        client, server = memory_pair(client_ctx, first, server_name=b"localhost")
        with pytest.raises(Boom) as info:
            handshake(client, server)
        _assert_is_ours(info, exc)


class TestThreads:
    def test_connections_in_threads_share_a_context(self) -> None:
        """Callbacks and errors stay with their own connection and thread."""
        client_ctx = client_context()
        lock = threading.Lock()
        verified: list[int] = []

        def callback(conn: Connection, *args: Any) -> bool:
            if conn.get_app_data() == "fail":
                raise Boom(threading.current_thread().name)
            with lock:
                verified.append(threading.get_ident())
            return True

        client_ctx.set_verify(VERIFY_PEER, callback)
        server_ctx = server_context()
        problems: list[BaseException] = []

        def worker(index: int) -> None:
            try:
                for round_ in range(8):
                    client, server = memory_pair(client_ctx, server_ctx)
                    if round_ % 3 == 2:
                        client.set_app_data("fail")
                        try:
                            handshake(client, server)
                        except Boom as exc:
                            assert str(exc) == threading.current_thread().name
                        else:
                            raise AssertionError("the callback did not raise")
                        continue
                    handshake(client, server)
                    payload = f"{index}/{round_}".encode() * 5000
                    assert transfer(client, server, payload) == payload
                    assert transfer(server, client, payload[::-1]) == payload[::-1]
            except BaseException as exc:
                problems.append(exc)

        threads = [
            threading.Thread(target=worker, args=(i,), name=f"worker-{i}")
            for i in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)
        assert problems == []
        assert len(verified) == 4 * 6 * 3  # 6 good rounds, 3 certificates each


def test_replacing_callbacks_outside_a_handshake_keeps_nothing() -> None:
    """Old C callbacks are kept only when replaced from inside a callback.

    Replaced between calls, OpenSSL holds no pointer to them any more;
    keeping them would grow a long-lived connection without bound.
    """
    conn = Connection(client_context(), None)
    for _ in range(50):
        conn.set_verify(VERIFY_PEER, lambda *args: True)
        conn.set_info_callback(lambda *args: None)
    assert conn._retired_callbacks == []
