"""pyopenssl-ng's own controls: groups, sigalgs, TLS 1.3 suites, PHA, PSK...

Every feature is shown working between two real endpoints (memory BIOs, and
sockets where the I/O mode matters), and every bad input is shown failing
with the documented exception, at the documented moment: names OpenSSL does
not know raise :class:`Error` when set, not at handshake time; what a
callback raises comes out of the call that drove the handshake.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any, Optional

import pytest

from OpenSSL import SSL
from OpenSSL.SSL import (
    TLS1_2_VERSION,
    TLS1_3_VERSION,
    TLS_METHOD,
    VERIFY_PEER,
    Connection,
    Context,
    Error,
    WantReadError,
)
from tests.support import (
    PKI,
    client_context,
    handshake,
    handshake_pair,
    memory_pair,
    pump,
    read_all,
    server_context,
    socket_connection_pair,
    transfer,
)

KEY = bytes(range(32))


def pinned(ctx: Context, version: int) -> Context:
    ctx.set_min_proto_version(version)
    ctx.set_max_proto_version(version)
    return ctx


# -- groups, signature algorithms, TLS 1.3 cipher suites ------------------------


@pytest.mark.parametrize("group", ["P-384", "X25519", "ffdhe2048"])
def test_set_groups_chooses_the_key_exchange(group: str) -> None:
    client = client_context()
    client.set_groups([group])
    server = server_context()
    server.set_groups(["X25519", "P-384", "ffdhe2048"])
    conn, _ = handshake_pair(client, server)
    expected = {"P-384": "secp384r1", "X25519": "x25519"}.get(group, group)
    assert conn.get_group_name() == expected


def test_set_groups_without_overlap_fails_the_handshake() -> None:
    client = client_context()
    client.set_groups(["P-384"])
    server = server_context()
    server.set_groups(["X25519"])
    with pytest.raises(Error):
        handshake_pair(client, server)


def test_set_groups_post_quantum_hybrid_when_available() -> None:
    ctx = Context(TLS_METHOD)
    try:
        ctx.set_groups(["X25519MLKEM768", "X25519"])
    except Error:
        pytest.skip("this OpenSSL has no X25519MLKEM768")
    client = client_context()
    client.set_groups(["X25519MLKEM768"])
    conn, _ = handshake_pair(client, server_context())
    assert conn.get_group_name() == "X25519MLKEM768"


@pytest.mark.parametrize(
    "bad", [["X25519", "no-such-group"], ["x:y"], [""], ["X25519\0"]]
)
def test_set_groups_refuses_bad_names_at_once(bad: list[str]) -> None:
    with pytest.raises((Error, ValueError)):
        Context(TLS_METHOD).set_groups(bad)


def test_set_groups_types() -> None:
    ctx = Context(TLS_METHOD)
    with pytest.raises(TypeError):
        ctx.set_groups("X25519")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ctx.set_groups([1])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        ctx.set_groups([])
    ctx.set_groups([b"X25519", "P-256"])


def test_set_sigalgs_restricts_the_servers_signature(pki: PKI) -> None:
    # The RSA server may sign with PSS/SHA-384 only: a client that allows
    # only PSS/SHA-256 cannot complete the handshake, one that allows it can.
    server = server_context(pki.rsa_server)
    server.set_sigalgs(["rsa_pss_rsae_sha384"])
    ok = client_context()
    ok.set_sigalgs(["rsa_pss_rsae_sha384", "ecdsa_secp256r1_sha256"])
    handshake_pair(ok, server, server_name=b"localhost")
    server = server_context(pki.rsa_server)
    server.set_sigalgs(["rsa_pss_rsae_sha384"])
    refusing = client_context()
    refusing.set_sigalgs(["rsa_pss_rsae_sha256"])
    with pytest.raises(Error):
        handshake_pair(refusing, server)


@pytest.mark.parametrize("bad", [["nope"], ["RSA+NOSUCH"], ["ed25519:ed448"]])
def test_set_sigalgs_refuses_bad_names_at_once(bad: list[str]) -> None:
    with pytest.raises((Error, ValueError)):
        Context(TLS_METHOD).set_sigalgs(bad)


def test_tls13_ciphersuites_choose_the_suite() -> None:
    client = client_context()
    client.set_tls13_ciphersuites(b"TLS_CHACHA20_POLY1305_SHA256")
    conn, _ = handshake_pair(client, server_context())
    assert conn.get_cipher_name() == "TLS_CHACHA20_POLY1305_SHA256"


@pytest.mark.parametrize(
    "bad",
    [
        b"TLS_AES_128_GCM_SHA256:TLS_FOO",
        b"TLS_FOO",
        b"ECDHE-ECDSA-AES128-GCM-SHA256",
    ],
)
def test_tls13_ciphersuites_refuse_unknown_names_at_once(bad: bytes) -> None:
    ctx = Context(TLS_METHOD)
    with pytest.raises(Error, match=r"unknown TLS 1\.3 cipher suite"):
        ctx.set_tls13_ciphersuites(bad)


# -- small read-outs ------------------------------------------------------------


def test_get_options_reports_what_set_options_added() -> None:
    ctx = Context(TLS_METHOD)
    assert not ctx.get_options() & SSL.OP_NO_TICKET
    ctx.set_options(SSL.OP_NO_TICKET)
    assert ctx.get_options() & SSL.OP_NO_TICKET


def test_allow_changes_after_use() -> None:
    ctx = server_context()
    Connection(ctx, None)
    with pytest.raises(ValueError):
        ctx.set_options(SSL.OP_NO_TICKET)
    ctx.allow_changes_after_use()
    ctx.set_options(SSL.OP_NO_TICKET)
    assert ctx.get_options() & SSL.OP_NO_TICKET


def test_set_verify_mode_keeps_the_callback() -> None:
    seen: list[int] = []
    ctx = client_context()
    ctx.set_verify(
        VERIFY_PEER, lambda conn, cert, err, depth, ok: seen.append(depth) or ok
    )
    ctx.set_verify_mode(VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
    assert ctx.get_verify_mode() == VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT
    handshake_pair(ctx, server_context())
    assert seen  # the callback still ran


def test_bio_pending_counts_what_bio_read_will_return() -> None:
    client, _server = memory_pair()
    assert client.bio_pending() == 0
    with pytest.raises(WantReadError):
        client.do_handshake()
    waiting = client.bio_pending()
    assert waiting > 0
    assert len(client.bio_read(65536)) == waiting
    assert client.bio_pending() == 0


def test_bio_read_all_takes_everything_or_nothing() -> None:
    client, server = memory_pair()
    assert client.bio_read_all() == b""  # nothing yet, and no WantReadError
    with pytest.raises(WantReadError):
        client.do_handshake()
    waiting = client.bio_pending()
    hello = client.bio_read_all()
    assert len(hello) == waiting > 0
    assert client.bio_pending() == 0
    assert client.bio_read_all() == b""
    server.bio_write(hello)
    handshake(client, server)
    # Past the 64 KiB a single OpenSSL read takes: several chunks, in order.
    payload = bytes(range(256)) * 1024
    assert client.sendall(payload) == len(payload)
    records = client.bio_read_all()
    assert len(records) > 65536
    assert client.bio_read_all() == b""
    server.bio_write(records)
    assert read_all(server, len(payload)) == payload


@pytest.mark.parametrize("method", ["bio_pending", "bio_read_all"])
def test_bio_methods_need_memory_mode(method: str) -> None:
    client, server = socket_connection_pair()
    try:
        with pytest.raises(TypeError):
            getattr(client, method)()
    finally:
        client.close()  # the sockets' close (Connection forwards it)
        server.close()


def test_verify_error_string() -> None:
    code = SSL.X509VerificationCodes.ERR_CERT_HAS_EXPIRED
    assert SSL.verify_error_string(code) == "certificate has expired"
    assert SSL.verify_error_string(0) == "ok"
    with pytest.raises(TypeError):
        SSL.verify_error_string("10")  # type: ignore[arg-type]
    for wrapped in (2**32, 2**40 + 10, -(2**31) - 1):  # not read as 0 or 10
        with pytest.raises(ValueError):
            SSL.verify_error_string(wrapped)


def test_error_strings_and_other_lookups() -> None:
    assert SSL.error_strings(20)[0] == "SSL routines"
    assert SSL.error_strings(20, 134) == ("SSL routines", "certificate verify failed")
    assert SSL.oid_long_name("2.5.4.3") == "commonName"
    assert SSL.oid_long_name("1.2.3.4.5.6.7.8") is None
    cafile, capath = SSL.default_verify_paths()
    assert cafile.endswith(".pem") and capath
    assert SSL.random_status() is True
    SSL.random_add(b"entropy", 1.0)


def test_error_strings_before_any_context() -> None:
    """libssl's reason strings, in a process that has made no Context yet."""
    script = "from OpenSSL import SSL\nprint(SSL.error_strings(20, 134))\n"
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "('SSL routines', 'certificate verify failed')"


def test_cipher_details_are_the_enabled_suites() -> None:
    ctx = Context(TLS_METHOD)
    ctx.set_cipher_list(b"ECDHE-ECDSA-AES128-GCM-SHA256")
    ctx.set_tls13_ciphersuites(b"TLS_AES_256_GCM_SHA384")
    conn = Connection(ctx, None)
    details = conn.get_cipher_details()
    assert [d.name for d in details] == conn.get_cipher_list()
    first, second = details
    assert first == SSL.CipherDetails(
        "TLS_AES_256_GCM_SHA384", 0x1302, "TLSv1.3", 256, 256
    )
    assert second.code == 0xC02B and second.version == "TLSv1.2"


# -- the servername callback that can answer with an alert ----------------------


def test_servername_alert_callback_fails_with_the_chosen_alert() -> None:
    ctx = server_context()
    ctx.set_tlsext_servername_alert_callback(
        lambda conn: None if conn.get_servername() == b"ok.example" else 112
    )
    handshake_pair(client_context(verify=False), ctx, server_name=b"ok.example")
    ctx = server_context()
    ctx.set_tlsext_servername_alert_callback(lambda conn: 112)
    client, server = memory_pair(client_context(verify=False), ctx, server_name=b"x")
    with pytest.raises(WantReadError):
        client.do_handshake()
    pump(client, server)
    with pytest.raises(Error):
        server.do_handshake()
    pump(client, server)
    with pytest.raises(Error) as info:
        client.do_handshake()
    assert "unrecognized name" in str(info.value)


def test_servername_alert_callback_exception_comes_out_of_the_handshake() -> None:
    boom = RuntimeError("boom")

    def raising(conn: Connection) -> Optional[int]:
        raise boom

    ctx = server_context()
    ctx.set_tlsext_servername_alert_callback(raising)
    client, server = memory_pair(client_context(verify=False), ctx, server_name=b"x")
    with pytest.raises(WantReadError):
        client.do_handshake()
    pump(client, server)
    with pytest.raises(RuntimeError) as info:  # the server re-raises it ...
        server.do_handshake()
    assert info.value is boom
    pump(client, server)
    with pytest.raises(Error) as alert:  # ... the client heard internal_error
        client.do_handshake()
    assert "internal error" in str(alert.value)


@pytest.mark.parametrize("bad", ["112", 1.5, 300, True])
def test_servername_alert_callback_bad_results(bad: Any) -> None:
    ctx = server_context()
    ctx.set_tlsext_servername_alert_callback(lambda conn: bad)
    client, server = memory_pair(client_context(verify=False), ctx, server_name=b"x")
    with pytest.raises((TypeError, ValueError)):
        handshake(server, client)


# -- post-handshake client authentication (TLS 1.3) ------------------------------


def _pha_contexts(pki: PKI, seen: list[Any]) -> tuple[Context, Context]:
    server = server_context(verify_client=True)
    server.set_verify(
        VERIFY_PEER | SSL.VERIFY_POST_HANDSHAKE,
        lambda conn, cert, errnum, depth, ok: seen.append((depth, cert)) or ok,
    )
    client = client_context(identity=pki.client)
    client.set_post_handshake_auth(True)
    return client, server


def test_post_handshake_auth_in_memory(pki: PKI) -> None:
    seen: list[Any] = []
    client_ctx, server_ctx = _pha_contexts(pki, seen)
    client, server = handshake_pair(client_ctx, server_ctx)
    assert server.get_protocol_version_name() == "TLSv1.3"
    assert server.get_peer_certificate() is None and seen == []
    server.verify_client_post_handshake()
    assert transfer(server, client, b"please") == b"please"  # carries the request
    assert transfer(client, server, b"here") == b"here"  # carries the certificate
    assert server.get_peer_certificate(as_cryptography=True) == pki.client.cert
    assert [depth for depth, _ in seen] == [2, 1, 0]
    assert seen[-1][1].to_cryptography() == pki.client.cert


def test_post_handshake_auth_over_sockets(pki: PKI) -> None:
    seen: list[Any] = []
    client_ctx, server_ctx = _pha_contexts(pki, seen)
    client, server = socket_connection_pair(client_ctx, server_ctx)
    handshake(client, server)
    server.verify_client_post_handshake()
    server.sendall(b"ask")
    assert client.recv(10) == b"ask"
    client.sendall(b"answer")
    for _ in range(100):
        try:
            assert server.recv(10) == b"answer"
            break
        except WantReadError:
            import select

            select.select([server], [], [], 5)
    assert server.get_peer_certificate(as_cryptography=True) == pki.client.cert
    assert seen and seen[-1][0] == 0
    client.close()
    server.close()


def test_post_handshake_auth_refused_when_the_client_did_not_offer(pki: PKI) -> None:
    _client, server = handshake_pair(
        client_context(identity=pki.client), server_context(verify_client=True)
    )
    with pytest.raises(Error):
        server.verify_client_post_handshake()


def test_post_handshake_auth_needs_verify_peer(pki: PKI) -> None:
    """What doc/post_handshake_auth.rst says: no VERIFY_PEER, no request."""
    client_ctx = client_context(identity=pki.client)
    client_ctx.set_post_handshake_auth(True)
    _client, server = handshake_pair(client_ctx, server_context())
    with pytest.raises(Error):
        server.verify_client_post_handshake()


def test_post_handshake_auth_not_in_tls12(pki: PKI) -> None:
    seen: list[Any] = []
    client_ctx, server_ctx = _pha_contexts(pki, seen)
    pinned(client_ctx, TLS1_2_VERSION)
    _client, server = handshake_pair(client_ctx, server_ctx)
    with pytest.raises(Error):
        server.verify_client_post_handshake()


def test_post_handshake_auth_per_connection(pki: PKI) -> None:
    seen: list[Any] = []
    _, server_ctx = _pha_contexts(pki, seen)
    client, server = memory_pair(client_context(identity=pki.client), server_ctx)
    client.set_post_handshake_auth(True)
    handshake(client, server)
    server.verify_client_post_handshake()
    transfer(server, client, b"a")
    transfer(client, server, b"b")
    assert server.get_peer_certificate() is not None


# -- TLS-PSK ---------------------------------------------------------------------


def psk_contexts(
    version: int,
    client_cb: Any = None,
    server_cb: Any = None,
    **options: Any,
) -> tuple[Context, Context]:
    client = pinned(Context(TLS_METHOD), version)
    server = pinned(Context(TLS_METHOD), version)
    for ctx in (client, server):
        ctx.set_cipher_list(b"PSK-AES128-GCM-SHA256")
    client.set_psk_client_callback(
        client_cb or (lambda conn, hint: (b"alice", KEY)), **options
    )
    server.set_psk_server_callback(
        server_cb or (lambda conn, identity: KEY if identity == b"alice" else b""),
        **options,
    )
    return client, server


@pytest.mark.parametrize("version", [TLS1_2_VERSION, TLS1_3_VERSION])
def test_psk_handshake(version: int) -> None:
    hints: list[Optional[bytes]] = []
    identities: list[bytes] = []
    client_ctx, server_ctx = psk_contexts(
        version,
        lambda conn, hint: hints.append(hint) or (b"alice", KEY),
        lambda conn, identity: identities.append(identity) or KEY,
    )
    server_ctx.use_psk_identity_hint(b"our-hint")
    client, server = handshake_pair(client_ctx, server_ctx)
    assert transfer(client, server, b"psk data") == b"psk data"
    assert identities == [b"alice"]
    if version == TLS1_2_VERSION:
        assert hints == [b"our-hint"]
        assert client.get_cipher_name() == "PSK-AES128-GCM-SHA256"
    else:
        assert hints == [None]  # TLS 1.3 has no hint
        assert server.get_peer_certificate() is None
        assert client.get_peer_certificate() is None  # no certificate anywhere


@pytest.mark.parametrize("version", [TLS1_2_VERSION, TLS1_3_VERSION])
def test_psk_wrong_key_fails(version: int) -> None:
    client_ctx, server_ctx = psk_contexts(
        version, server_cb=lambda conn, identity: b"\x01" * 32
    )
    with pytest.raises(Error):
        handshake_pair(client_ctx, server_ctx)


@pytest.mark.parametrize("version", [TLS1_2_VERSION, TLS1_3_VERSION])
def test_psk_unknown_identity_is_refused_once(version: int) -> None:
    calls: list[bytes] = []
    client_ctx, server_ctx = psk_contexts(
        version, server_cb=lambda conn, identity: calls.append(identity) or b""
    )
    with pytest.raises(Error):
        handshake_pair(client_ctx, server_ctx)
    assert calls == [b"alice"]  # not asked again by OpenSSL's fallback


def test_psk_tls13_falls_back_to_certificates_when_refused() -> None:
    client = client_context()
    client.set_psk_client_callback(lambda conn, hint: (b"alice", KEY))
    server = server_context()
    server.set_psk_server_callback(lambda conn, identity: b"")
    conn, _ = handshake_pair(client, server, server_name=b"localhost")
    assert conn.get_peer_certificate() is not None  # authenticated by certificate


def test_psk_tls13_ciphersuite_choice() -> None:
    client_ctx, server_ctx = psk_contexts(
        TLS1_3_VERSION, tls13_ciphersuite="TLS_AES_256_GCM_SHA384"
    )
    # The key is bound to SHA-384: the suites negotiated must use it too.
    for ctx in (client_ctx, server_ctx):
        ctx.set_tls13_ciphersuites(b"TLS_AES_256_GCM_SHA384")
    client, _ = handshake_pair(client_ctx, server_ctx)
    assert client.get_cipher_name() == "TLS_AES_256_GCM_SHA384"
    with pytest.raises(ValueError):
        Context(TLS_METHOD).set_psk_client_callback(
            lambda conn, hint: (b"", b""), tls13_ciphersuite="PSK-AES128-GCM-SHA256"
        )


def test_psk_tls13_long_identity_works() -> None:
    identity = b"i" * 10240
    seen: list[bytes] = []
    client_ctx, server_ctx = psk_contexts(
        TLS1_3_VERSION,
        lambda conn, hint: (identity, KEY),
        lambda conn, got: seen.append(got) or (KEY if got == identity else b""),
    )
    client, server = handshake_pair(client_ctx, server_ctx)
    assert seen == [identity]
    assert client.get_protocol_version_name() == "TLSv1.3"
    assert transfer(client, server, b"psk") == b"psk"


@pytest.mark.parametrize(
    ("version", "result", "error"),
    [
        (TLS1_2_VERSION, (b"i" * 10240, KEY), ValueError),  # identity too long
        (TLS1_3_VERSION, (b"i" * 70000, KEY), ValueError),
        (TLS1_3_VERSION, (b"", KEY), ValueError),  # RFC 8446: 1 byte at least
        (TLS1_2_VERSION, (b"a", b"k" * 513), ValueError),  # oversized key
        (TLS1_3_VERSION, (b"a", b"k" * 513), ValueError),
        (TLS1_2_VERSION, (b"a\0b", KEY), ValueError),
        (TLS1_3_VERSION, ("alice", KEY), TypeError),
        (TLS1_2_VERSION, (b"alice", "key"), TypeError),
        (TLS1_3_VERSION, b"alice", TypeError),
        (TLS1_3_VERSION, (b"a", KEY, b"x"), TypeError),
    ],
)
def test_psk_client_bad_results_raise_from_the_handshake(
    version: int, result: Any, error: type[Exception]
) -> None:
    client_ctx, server_ctx = psk_contexts(version, lambda conn, hint: result)
    client, server = memory_pair(client_ctx, server_ctx)
    with pytest.raises(error):
        handshake(client, server)


@pytest.mark.parametrize("version", [TLS1_2_VERSION, TLS1_3_VERSION])
@pytest.mark.parametrize(
    ("result", "error"),
    [(b"k" * 513, ValueError), ("key", TypeError), (None, TypeError)],
)
def test_psk_server_bad_results_raise_from_the_handshake(
    version: int, result: Any, error: type[Exception]
) -> None:
    client_ctx, server_ctx = psk_contexts(version, server_cb=lambda conn, i: result)
    client, server = memory_pair(client_ctx, server_ctx)
    with pytest.raises(error):
        handshake(server, client)


@pytest.mark.parametrize("version", [TLS1_2_VERSION, TLS1_3_VERSION])
def test_psk_callback_exception_is_the_same_object(version: int) -> None:
    boom = KeyError("no such user")

    def raising(conn: Connection, hint: Optional[bytes]) -> tuple[bytes, bytes]:
        raise boom

    client_ctx, server_ctx = psk_contexts(version, raising)
    client, server = memory_pair(client_ctx, server_ctx)
    with pytest.raises(KeyError) as info:
        handshake(client, server)
    assert info.value is boom


def test_psk_setters_check_arguments() -> None:
    ctx = Context(TLS_METHOD)
    with pytest.raises(TypeError):
        ctx.set_psk_client_callback(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ctx.set_psk_server_callback("x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ctx.use_psk_identity_hint("hint")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ctx.use_psk_identity_hint(b"a\0b")
    with pytest.raises(ValueError):
        ctx.use_psk_identity_hint(b"h" * 300)


# -- the certificate callback ------------------------------------------------------


def test_cert_callback_picks_the_certificate_by_name(pki: PKI) -> None:
    seen: list[Optional[bytes]] = []

    def choose(conn: Connection) -> bool:
        name = conn.get_servername()
        seen.append(name)
        identity = pki.rsa_server if name == b"rsa.example" else pki.server
        conn.use_certificate(identity.cert)
        conn.use_privatekey(identity.key)
        return True

    ctx = Context(TLS_METHOD)  # no certificate of its own
    ctx.set_cert_callback(choose)
    for name, identity in (
        (b"rsa.example", pki.rsa_server),
        (b"ec.example", pki.server),
    ):
        client, _ = handshake_pair(client_context(verify=False), ctx, server_name=name)
        assert client.get_peer_certificate(as_cryptography=True) == identity.cert
    assert seen == [b"rsa.example", b"ec.example"]


def test_cert_callback_runs_on_clients_when_asked(pki: PKI) -> None:
    calls: list[Connection] = []

    def provide(conn: Connection) -> bool:
        calls.append(conn)
        conn.use_certificate(pki.client.cert)
        conn.use_privatekey(pki.client.key)
        return True

    client_ctx = client_context()
    client_ctx.add_extra_chain_cert(pki.intermediate.cert)
    client_ctx.set_cert_callback(provide)
    client, server = handshake_pair(client_ctx, server_context(verify_client=True))
    assert calls == [client]
    assert server.get_peer_certificate(as_cryptography=True) == pki.client.cert


@pytest.mark.parametrize("result", [False, None, 1, "yes"])
def test_cert_callback_refusal_and_bad_results(result: Any) -> None:
    ctx = server_context()
    ctx.set_cert_callback(lambda conn: result)
    client, server = memory_pair(client_context(verify=False), ctx)
    expected = Error if result is False else TypeError
    with pytest.raises(expected):
        handshake(server, client)


def test_cert_callback_exception_is_the_same_object() -> None:
    boom = LookupError("no certificate for you")

    def raising(conn: Connection) -> bool:
        raise boom

    ctx = server_context()
    ctx.set_cert_callback(raising)
    client, server = memory_pair(client_context(verify=False), ctx)
    with pytest.raises(LookupError) as info:
        handshake(server, client)
    assert info.value is boom


def test_connection_set_verify_without_callback_after_one_does_not_crash() -> None:
    # SSL_set_verify(ssl, mode, NULL) keeps the callback set before; dropping
    # its cffi object made the next verification call freed memory.
    import gc

    calls: list[int] = []
    client, server = memory_pair(client_context(), server_context())
    client.set_verify(VERIFY_PEER, lambda *args: calls.append(1) or True)
    client.set_verify(VERIFY_PEER)
    gc.collect()
    handshake(client, server)
    assert calls == []  # the removed callback is not called
    assert client.get_verify_result() == 0
    # And the verdict is OpenSSL's: an untrusted server still fails.
    untrusted = Context(TLS_METHOD)
    untrusted.set_verify(VERIFY_PEER)
    client, server = memory_pair(untrusted, server_context())
    client.set_verify(VERIFY_PEER, lambda *args: True)
    client.set_verify(VERIFY_PEER)
    gc.collect()
    with pytest.raises(Error):
        handshake(client, server)


def test_add_verify_flags_changes_this_connections_verification(pki: PKI) -> None:
    # Trusting only the intermediate verifies with PARTIAL_CHAIN, not without.
    from OpenSSL import crypto

    def client_trusting_intermediate() -> Context:
        ctx = Context(TLS_METHOD)
        ctx.set_verify(VERIFY_PEER)
        store = ctx.get_cert_store()
        assert store is not None
        store.add_cert(crypto.X509.from_cryptography(pki.intermediate.cert))
        return ctx

    client, server = memory_pair(client_trusting_intermediate(), server_context())
    with pytest.raises(Error):
        handshake(client, server)
    client, server = memory_pair(client_trusting_intermediate(), server_context())
    client.add_verify_flags(crypto.X509StoreFlags.PARTIAL_CHAIN)
    handshake(client, server)
    with pytest.raises(ValueError):
        client.add_verify_flags(-1)
    with pytest.raises(TypeError):
        client.add_verify_flags("1")  # type: ignore[arg-type]
