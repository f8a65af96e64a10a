"""Signature schemes read from the handshake: ``Connection.get_signature_scheme``.

In memory (both sides ours): the opt-in and its errors, TLS 1.2 and 1.3 with
and without client certificates, post-handshake authentication, DTLS 1.2,
sharing the message callback with the application's own, and the parsers
fed truncated and random messages. The ``openssl`` tool as the peer is in
``test_interop_sigalgs_openssl.py``.
"""

from __future__ import annotations

import os
import random
from typing import Any

import pytest

from OpenSSL import SSL, _ssl_sigalgs
from OpenSSL.SSL import VERIFY_PEER, Connection, Context
from tests.support import (
    PKI,
    client_context,
    dtls_client_context,
    dtls_handshake,
    dtls_pair,
    dtls_server_context,
    handshake,
    handshake_pair,
    memory_pair,
    server_context,
    transfer,
)


def _tracking(*contexts: Context) -> None:
    for ctx in contexts:
        ctx.set_signature_scheme_tracking(True)


def test_off_by_default_and_refused_untracked() -> None:
    ctx = client_context()
    assert ctx.get_signature_scheme_tracking() is False
    client, _server = handshake_pair(ctx, server_context())
    with pytest.raises(ValueError, match="set_signature_scheme_tracking"):
        client.get_peer_signature_scheme()
    with pytest.raises(ValueError):
        client.get_signature_scheme()
    with pytest.raises(TypeError):
        client_context().set_signature_scheme_tracking(1)  # type: ignore[arg-type]


def test_other_message_users_imply_tracking() -> None:
    ctx = client_context()
    ctx.set_msg_callback(lambda *args: None)
    assert ctx.get_signature_scheme_tracking()
    early = client_context()
    early.set_max_early_data(1)
    assert early.get_signature_scheme_tracking()


@pytest.mark.parametrize("version", [SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION])
def test_server_only_and_with_client_certificate(pki: PKI, version: int) -> None:
    client_ctx = client_context(max_version=version)
    server_ctx = server_context(pki.rsa_server, max_version=version)
    server_ctx.set_sigalgs(["rsa_pss_rsae_sha384"])
    _tracking(client_ctx, server_ctx)
    client, server = memory_pair(client_ctx, server_ctx)
    assert client.get_peer_signature_scheme() is None  # before the handshake
    handshake(client, server)
    assert client.get_peer_signature_scheme() == "rsa_pss_rsae_sha384"
    assert server.get_signature_scheme() == "rsa_pss_rsae_sha384"
    assert client.get_signature_scheme() is None
    assert server.get_peer_signature_scheme() is None

    client_ctx = client_context(identity=pki.client, max_version=version)
    server_ctx = server_context(verify_client=True, max_version=version)
    _tracking(client_ctx, server_ctx)
    client, server = handshake_pair(client_ctx, server_ctx)
    for mine, theirs in ((client, server), (server, client)):
        assert mine.get_signature_scheme() == "ecdsa_secp256r1_sha256"
        assert mine.get_signature_scheme() == theirs.get_peer_signature_scheme()


def test_post_handshake_client_authentication(pki: PKI) -> None:
    server_ctx = server_context(verify_client=True)
    server_ctx.set_verify(VERIFY_PEER | SSL.VERIFY_POST_HANDSHAKE)
    client_ctx = client_context(identity=pki.client)
    client_ctx.set_post_handshake_auth(True)
    _tracking(client_ctx, server_ctx)
    client, server = handshake_pair(client_ctx, server_ctx)
    assert server.get_peer_signature_scheme() is None
    server.verify_client_post_handshake()
    assert transfer(server, client, b"please") == b"please"
    assert client.get_signature_scheme() == "ecdsa_secp256r1_sha256"
    assert transfer(client, server, b"here") == b"here"
    assert server.get_peer_signature_scheme() == "ecdsa_secp256r1_sha256"


def test_shared_with_the_applications_message_callback(pki: PKI) -> None:
    """Both users of the one Context slot get what they need."""
    seen: list[int] = []
    client_ctx = client_context()
    client_ctx.set_signature_scheme_tracking(True)
    client_ctx.set_msg_callback(lambda conn, sent, v, kind, data: seen.append(kind))
    client, server = handshake_pair(client_ctx, server_context())
    assert transfer(server, client, b"data") == b"data"
    assert client.get_peer_signature_scheme() == "ecdsa_secp256r1_sha256"
    assert 22 in seen and SSL.SSL3_RT_HEADER in seen  # every record, too
    # Removing the application's callback leaves the tracking in place.
    client_ctx = client_context()
    client_ctx.set_msg_callback(lambda *args: None)
    client_ctx.set_signature_scheme_tracking(True)
    client_ctx.set_msg_callback(None)
    assert client_ctx.get_signature_scheme_tracking()
    client, server = handshake_pair(client_ctx, server_context())
    assert client.get_peer_signature_scheme() == "ecdsa_secp256r1_sha256"
    client_ctx = client_context()
    client_ctx.set_signature_scheme_tracking(True)
    client_ctx.set_signature_scheme_tracking(False)
    assert not client_ctx.get_signature_scheme_tracking()


def test_application_data_does_not_reach_the_dispatcher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The handshake-only callback drops records before the Python frame."""
    from OpenSSL import _ssl_messages

    calls: list[int] = []
    real = _ssl_messages._dispatch

    def counting(
        ref: Any, conn: Any, sent: bool, v: int, kind: int, data: bytes
    ) -> None:
        calls.append(kind)
        real(ref, conn, sent, v, kind, data)

    monkeypatch.setattr(_ssl_messages, "_dispatch", counting)
    client_ctx = client_context()
    client_ctx.set_signature_scheme_tracking(True)
    client, server = handshake_pair(client_ctx, server_context())
    during_handshake = len(calls)
    assert during_handshake and set(calls) == {22}
    for _ in range(20):
        assert transfer(client, server, b"x" * 1000) == b"x" * 1000
        assert transfer(server, client, b"y") == b"y"
    # Only the server's NewSessionTickets (handshake messages) came after.
    assert set(calls) == {22} and len(calls) <= during_handshake + 2


def test_dtls12(pki: PKI) -> None:
    server_ctx, client_ctx = dtls_server_context(), dtls_client_context()
    _tracking(client_ctx, server_ctx)
    client, server = dtls_pair(client_ctx, server_ctx)
    dtls_handshake(client, server)
    assert client.get_protocol_version_name() == "DTLSv1.2"
    assert client.get_peer_signature_scheme() == "ecdsa_secp256r1_sha256"
    assert server.get_signature_scheme() == "ecdsa_secp256r1_sha256"


# -- the parsers ----------------------------------------------------------------


def _ske(params: bytes, scheme: int, signature: bytes = b"s" * 70) -> bytes:
    body = params + scheme.to_bytes(2, "big")
    body += len(signature).to_bytes(2, "big") + signature
    return bytes([12]) + len(body).to_bytes(3, "big") + body


def _vec(data: bytes, size: int) -> bytes:
    return len(data).to_bytes(size, "big") + data


def test_server_key_exchange_layouts() -> None:
    ecdhe = bytes([3]) + (23).to_bytes(2, "big") + _vec(b"\x04" + b"p" * 64, 1)
    dhe = _vec(b"P" * 256, 2) + _vec(b"\x02", 2) + _vec(b"Y" * 256, 2)
    parse = _ssl_sigalgs.server_key_exchange_scheme
    assert parse(_ske(ecdhe, 0x0804)) == 0x0804
    assert parse(_ske(dhe, 0x0401)) == 0x0401
    # PSK and anonymous key exchanges sign nothing.
    psk_hint = _vec(b"hint", 2)
    assert parse(bytes([12, 0, 0, 6]) + psk_hint) is None
    assert parse(bytes([12, 0, 0, 0]) + psk_hint + ecdhe) is None
    assert parse(bytes([12, 0, 0, 0]) + dhe) is None


def test_names() -> None:
    assert _ssl_sigalgs.scheme_name(0x0807) == "ed25519"
    assert _ssl_sigalgs.scheme_name(0x0401) == "rsa_pkcs1_sha256"
    assert _ssl_sigalgs.scheme_name(0xFE01) == "0xfe01"
    assert SSL.SIGNATURE_SCHEMES[0x0804] == "rsa_pss_rsae_sha256"
    assert len(set(SSL.SIGNATURE_SCHEMES.values())) == len(SSL.SIGNATURE_SCHEMES)


class _Conn:
    _is_client = True
    _client_scheme = None
    _server_scheme = None


def test_malformed_messages_are_ignored() -> None:
    """Received messages reach the parser unchecked: never an exception."""
    rng = random.Random(15)
    watch = _ssl_sigalgs.watch_signature
    conn: Any = _Conn()
    for kind in (12, 15):
        for length in range(0, 12):
            watch(conn, False, SSL.TLS1_3_VERSION, bytes([kind]) + bytes(length))
        for _ in range(2000):
            size = rng.randrange(0, 300)
            data = bytes([kind]) + os.urandom(size)
            for version in (SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION, 0xFEFD):
                watch(conn, rng.random() < 0.5, version, data)
    # A CertificateVerify whose length field disagrees is not taken.
    fresh: Any = _Conn()
    watch(fresh, False, SSL.TLS1_3_VERSION, bytes([15, 0, 0, 6, 8, 4, 0, 9, 1, 2]))
    assert fresh._server_scheme is None
    watch(fresh, False, SSL.TLS1_3_VERSION, bytes([15, 0, 0, 6, 8, 4, 0, 2, 1, 2]))
    assert fresh._server_scheme == 0x0804
    # TLS 1.1 and DTLS 1.0 signatures carry no scheme.
    old: Any = _Conn()
    watch(old, False, SSL.TLS1_1_VERSION, bytes([15, 0, 0, 6, 8, 4, 0, 2, 1, 2]))
    watch(old, False, 0xFEFF, bytes([15]) + bytes(11) + bytes([8, 4, 0, 2, 1, 2]))
    assert old._server_scheme is None


def test_connection_made_before_tracking_was_turned_off(pki: PKI) -> None:
    """A Context changed after use keeps its older connections' callback alive."""
    ctx = client_context()
    ctx.allow_changes_after_use()
    ctx.set_signature_scheme_tracking(True)
    client, server = memory_pair(ctx, server_context())
    ctx.set_msg_callback(lambda *args: None)  # switches the Context's callback
    ctx.set_msg_callback(None)
    ctx.set_signature_scheme_tracking(False)
    import gc

    gc.collect()
    handshake(client, server)  # still calls the first callback: no crash
    assert transfer(client, server, b"ok") == b"ok"
    assert isinstance(client, Connection)
