"""Tests for ``OpenSSL.SSL.Context``: construction, knobs, keys, trust.

Every setting is checked twice where that is possible: the call itself
(return value, exact exception type for misuse) and its effect on a real
handshake between two memory-BIO connections (``tests/support``).
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from pathlib import Path
from typing import Any, Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh, ec

from OpenSSL import SSL, crypto
from OpenSSL._util import ffi, lib
from OpenSSL.SSL import (
    DTLS_CLIENT_METHOD,
    DTLS_METHOD,
    DTLS_SERVER_METHOD,
    MODE_RELEASE_BUFFERS,
    OP_NO_TICKET,
    TLS1_2_VERSION,
    TLS1_3_VERSION,
    TLS_CLIENT_METHOD,
    TLS_METHOD,
    TLS_SERVER_METHOD,
    VERIFY_CLIENT_ONCE,
    VERIFY_FAIL_IF_NO_PEER_CERT,
    VERIFY_NONE,
    VERIFY_PEER,
    Connection,
    Context,
    Error,
    OP_NO_TLSv1_3,
    SSLv23_METHOD,
    TLSv1_1_METHOD,
    TLSv1_2_METHOD,
    TLSv1_METHOD,
)
from tests.support import (
    PKI,
    ca_file,
    client_context,
    dtls_handshake,
    dtls_pair,
    handshake,
    handshake_pair,
    make_pki,
    memory_pair,
    server_context,
)

ALL_METHODS = [
    SSLv23_METHOD,
    TLSv1_METHOD,
    TLSv1_1_METHOD,
    TLSv1_2_METHOD,
    TLS_METHOD,
    TLS_SERVER_METHOD,
    TLS_CLIENT_METHOD,
    DTLS_METHOD,
    DTLS_SERVER_METHOD,
    DTLS_CLIENT_METHOD,
]

NON_ASCII = "sérvér-ключ-証明書"


def _reasons(exc: BaseException) -> list[str]:
    """The reason strings of an ``SSL.Error`` built from the error queue."""
    return [entry[2] for entry in exc.args[0]]


def _error_queue_empty() -> bool:
    return bool(lib.ERR_peek_error() == 0)


def _server_ctx_bare(pki: PKI) -> Context:
    """A server context with key and leaf, no chain."""
    ctx = Context(TLS_METHOD)
    ctx.use_certificate(pki.server.cert)
    ctx.use_privatekey(pki.server.key)
    return ctx


# --- construction ----------------------------------------------------------


class TestConstruction:
    @pytest.mark.parametrize("method", ALL_METHODS)
    def test_every_method_constant(self, method: int) -> None:
        ctx = Context(method)
        assert ctx._context != ffi.NULL

    @pytest.mark.parametrize("method", [-1, 1, 2, max(ALL_METHODS) + 1, 2**40])
    def test_unknown_method_is_value_error(self, method: int) -> None:
        with pytest.raises(ValueError):
            Context(method)

    @pytest.mark.parametrize("method", ["TLS_METHOD", b"7", 7.0, None, object()])
    def test_non_int_method_is_type_error(self, method: Any) -> None:
        with pytest.raises(TypeError):
            Context(method)

    def test_tlsv1_2_method_pins_the_version(self) -> None:
        client = client_context(method=TLSv1_2_METHOD)
        c, s = handshake_pair(client)
        assert c.get_protocol_version_name() == "TLSv1.2"
        assert s.get_protocol_version() == TLS1_2_VERSION

    def test_tls_client_and_server_methods_talk(self) -> None:
        client = client_context(method=TLS_CLIENT_METHOD)
        server = server_context(method=TLS_SERVER_METHOD)
        c, _ = handshake_pair(client, server)
        assert c.get_protocol_version() == TLS1_3_VERSION

    def test_sslv23_method_negotiates_the_highest_version(self) -> None:
        c, _ = handshake_pair(client_context(method=SSLv23_METHOD))
        assert c.get_protocol_version_name() == "TLSv1.3"


# --- protocol and record knobs ---------------------------------------------


class TestProtocolVersions:
    def test_max_version_on_client(self) -> None:
        c, s = handshake_pair(client_context(max_version=TLS1_2_VERSION))
        assert c.get_protocol_version() == TLS1_2_VERSION
        assert s.get_protocol_version_name() == "TLSv1.2"

    def test_min_version_on_server(self) -> None:
        c, _ = handshake_pair(None, server_context(min_version=TLS1_3_VERSION))
        assert c.get_protocol_version() == TLS1_3_VERSION

    def test_disjoint_versions_fail_the_handshake(self) -> None:
        client, server = memory_pair(
            client_context(max_version=TLS1_2_VERSION),
            server_context(min_version=TLS1_3_VERSION),
        )
        with pytest.raises(Error):
            handshake(client, server)

    def test_invalid_version_is_error(self) -> None:
        ctx = Context(TLS_METHOD)
        with pytest.raises(Error):
            ctx.set_min_proto_version(0x1234)
        with pytest.raises(Error):
            ctx.set_max_proto_version(0x1234)

    def test_zero_means_library_bounds(self) -> None:
        client = client_context(max_version=TLS1_2_VERSION)
        client.set_max_proto_version(0)
        client.set_min_proto_version(0)
        c, _ = handshake_pair(client)
        assert c.get_protocol_version() == TLS1_3_VERSION


class TestOptionsAndModes:
    def test_set_options_returns_the_new_mask(self) -> None:
        ctx = Context(TLS_METHOD)
        first = ctx.set_options(OP_NO_TICKET)
        assert isinstance(first, int)
        assert first & OP_NO_TICKET
        second = ctx.set_options(OP_NO_TLSv1_3)
        assert second & OP_NO_TLSv1_3
        assert second & OP_NO_TICKET
        assert second == first | OP_NO_TLSv1_3

    @pytest.mark.parametrize("bad", [None, "1", 1.0])
    def test_set_options_non_int(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).set_options(bad)

    def test_set_options_takes_effect(self) -> None:
        client = client_context()
        client.set_options(OP_NO_TLSv1_3)
        c, _ = handshake_pair(client)
        assert c.get_protocol_version_name() == "TLSv1.2"

    def test_set_mode_and_clear_mode_return_the_new_mode(self) -> None:
        ctx = Context(TLS_METHOD)
        mode = ctx.set_mode(MODE_RELEASE_BUFFERS)
        assert isinstance(mode, int)
        assert mode & MODE_RELEASE_BUFFERS
        cleared = ctx.clear_mode(MODE_RELEASE_BUFFERS)
        assert not cleared & MODE_RELEASE_BUFFERS
        assert cleared == mode & ~MODE_RELEASE_BUFFERS

    def test_new_context_has_partial_write_and_moving_buffer(self) -> None:
        mode = Context(TLS_METHOD).set_mode(0)
        assert mode & lib.SSL_MODE_ENABLE_PARTIAL_WRITE
        assert mode & lib.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER

    @pytest.mark.parametrize("bad", [None, "16", 16.0])
    def test_set_mode_non_int(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).set_mode(bad)


class TestCiphers:
    def test_set_cipher_list_bytes(self) -> None:
        client = client_context(max_version=TLS1_2_VERSION)
        client.set_cipher_list(b"ECDHE-ECDSA-CHACHA20-POLY1305")
        conn = Connection(client, None)
        tls12 = [c for c in conn.get_cipher_list() if not c.startswith("TLS_")]
        assert tls12 == ["ECDHE-ECDSA-CHACHA20-POLY1305"]
        c, s = handshake_pair(client)
        assert c.get_cipher_name() == "ECDHE-ECDSA-CHACHA20-POLY1305"
        assert s.get_cipher_name() == "ECDHE-ECDSA-CHACHA20-POLY1305"

    def test_set_cipher_list_str_warns_and_works(self) -> None:
        ctx = Context(TLS_METHOD)
        with pytest.warns(DeprecationWarning):
            ctx.set_cipher_list("hello world:ECDHE-ECDSA-AES128-GCM-SHA256")
        names = Connection(ctx, None).get_cipher_list()
        assert "ECDHE-ECDSA-AES128-GCM-SHA256" in names
        assert "ECDHE-ECDSA-AES256-GCM-SHA384" not in names

    def test_invalid_cipher_list_is_error(self) -> None:
        ctx = Context(TLS_METHOD)
        with pytest.raises(Error) as info:
            ctx.set_cipher_list(b"imaginary-cipher")
        assert "no cipher match" in _reasons(info.value)
        assert _error_queue_empty()

    @pytest.mark.parametrize("bad", [None, 1, [b"AES128-SHA"]])
    def test_cipher_list_wrong_type(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).set_cipher_list(bad)

    def test_tls13_ciphersuites(self) -> None:
        client = client_context()
        client.set_tls13_ciphersuites(b"TLS_CHACHA20_POLY1305_SHA256")
        c, s = handshake_pair(client)
        assert c.get_cipher_name() == "TLS_CHACHA20_POLY1305_SHA256"
        assert s.get_cipher_version() == "TLSv1.3"

    def test_tls13_ciphersuites_invalid(self) -> None:
        with pytest.raises(Error):
            Context(TLS_METHOD).set_tls13_ciphersuites(b"TLS_NOT_A_SUITE")

    @pytest.mark.parametrize("bad", ["TLS_AES_128_GCM_SHA256", None, 3])
    def test_tls13_ciphersuites_wrong_type(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).set_tls13_ciphersuites(bad)


class TestEphemeralKeys:
    def test_set_tmp_ecdh_with_cryptography_curve(self) -> None:
        server = server_context()
        server.set_tmp_ecdh(ec.SECP384R1())
        c, s = handshake_pair(client_context(max_version=TLS1_2_VERSION), server)
        assert c.get_group_name() == "secp384r1"
        assert s.get_group_name() == "secp384r1"

    def test_set_tmp_ecdh_limits_tls13_groups(self) -> None:
        server = server_context()
        server.set_tmp_ecdh(ec.SECP521R1())
        c, _ = handshake_pair(None, server)
        assert c.get_protocol_version() == TLS1_3_VERSION
        assert c.get_group_name() == "secp521r1"

    @pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
    @pytest.mark.parametrize("version", [TLS1_2_VERSION, TLS1_3_VERSION])
    def test_set_tmp_ecdh_selects_the_group(self, curve: Any, version: int) -> None:
        # Left alone, the two ends agree on another group (the client's first).
        c, _ = handshake_pair(client_context(max_version=version))
        assert c.get_group_name() != curve.name
        server = server_context()
        server.set_tmp_ecdh(curve)
        c, _ = handshake_pair(client_context(max_version=version), server)
        assert c.get_protocol_version() == version
        assert c.get_group_name() == curve.name

    def test_set_tmp_ecdh_with_deprecated_curve_object(self) -> None:
        with pytest.warns(DeprecationWarning):
            curve = crypto.get_elliptic_curve("secp384r1")
        server = server_context()
        with pytest.warns(DeprecationWarning):
            server.set_tmp_ecdh(curve)
        c, _ = handshake_pair(client_context(max_version=TLS1_2_VERSION), server)
        assert c.get_group_name() == "secp384r1"

    def test_load_tmp_dh_enables_dhe(self, pki: PKI, tmp_path: Path) -> None:
        dhfile = tmp_path / f"{NON_ASCII}.pem"
        dhfile.write_bytes(_ffdhe2048_pem())

        def attempt(load: bool) -> Connection:
            server = server_context(pki.rsa_server)
            server.set_cipher_list(b"DHE-RSA-AES128-GCM-SHA256")
            if load:
                server.load_tmp_dh(str(dhfile))
            client = client_context(max_version=TLS1_2_VERSION)
            client.set_cipher_list(b"DHE-RSA-AES128-GCM-SHA256")
            # Offer no RFC 7919 group, so that only the loaded parameters
            # (and no negotiated FFDHE group) can make DHE possible.
            client.set_tmp_ecdh(ec.SECP256R1())
            c, _ = handshake_pair(client, server)
            return c

        with pytest.raises(Error) as info:
            attempt(load=False)
        assert "no shared cipher" in _reasons(info.value)
        assert attempt(load=True).get_cipher_name() == "DHE-RSA-AES128-GCM-SHA256"

    @pytest.mark.parametrize("kind", [str, bytes, Path])
    def test_load_tmp_dh_path_types(self, pki: PKI, tmp_path: Path, kind: Any) -> None:
        dhfile = tmp_path / "dh.pem"
        dhfile.write_bytes(_ffdhe2048_pem())
        arg = os.fsencode(dhfile) if kind is bytes else kind(dhfile)
        server = server_context(pki.rsa_server)
        server.set_cipher_list(b"DHE-RSA-AES128-GCM-SHA256")
        server.load_tmp_dh(arg)
        client = client_context(max_version=TLS1_2_VERSION)
        client.set_cipher_list(b"DHE-RSA-AES128-GCM-SHA256")
        client.set_tmp_ecdh(ec.SECP256R1())  # no FFDHE group offered
        c, _ = handshake_pair(client, server)
        assert c.get_cipher_name() == "DHE-RSA-AES128-GCM-SHA256"

    def test_load_tmp_dh_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(Error):
            Context(TLS_METHOD).load_tmp_dh(str(tmp_path / "missing.pem"))

    @pytest.mark.parametrize("on_client", [True, False])
    def test_set_tlsext_use_srtp(self, on_client: bool) -> None:
        """Both ends offering a profile make a DTLS handshake select it."""
        server_ctx = server_context(method=DTLS_METHOD)
        server_ctx.set_tlsext_use_srtp(b"SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80")
        server_ctx.set_cookie_generate_callback(lambda conn: b"cookie")
        server_ctx.set_cookie_verify_callback(lambda conn, cookie: cookie == b"cookie")
        client_ctx = client_context(method=DTLS_METHOD)
        if on_client:
            client_ctx.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_80")
        client, server = dtls_pair(client_ctx, server_ctx)
        dtls_handshake(client, server)
        for conn in (client, server):
            profile = lib.SSL_get_selected_srtp_profile(conn._ssl)
            if on_client:
                assert ffi.string(profile.name) == b"SRTP_AES128_CM_SHA1_80"
            else:
                assert profile == ffi.NULL

    def test_set_tlsext_use_srtp_invalid_profile(self) -> None:
        with pytest.raises(Error):
            Context(DTLS_METHOD).set_tlsext_use_srtp(b"SRTP_BOGUS")

    def test_set_tlsext_use_srtp_wrong_type(self) -> None:
        with pytest.raises(TypeError):
            Context(DTLS_METHOD).set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80")


def _ffdhe2048_pem() -> bytes:
    """The RFC 7919 ffdhe2048 group as PKCS#3 PEM, computed from its formula.

    p = 2^2048 - 2^1984 + (floor(2^1918 * e) + 560316) * 2^64 - 1, g = 2.
    """
    guard = 64
    scale = 1 << (1918 + guard)
    total, term, k = 0, scale, 0
    while term:
        total += term
        k += 1
        term //= k
    e_scaled = total >> guard
    assert math.isclose(e_scaled / 2**1918, math.e)
    p = 2**2048 - 2**1984 + (e_scaled + 560316) * 2**64 - 1
    assert format(p, "x").startswith("ffffffffffffffffadf85458a2bb4a9a")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography deprecates FFDH
        params = dh.DHParameterNumbers(p, 2).parameters()
    return params.parameter_bytes(
        serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3
    )


# --- certificates and keys -------------------------------------------------


class TestCertificatesAndKeys:
    def test_use_certificate_and_privatekey_cryptography(self, pki: PKI) -> None:
        ctx = Context(TLS_METHOD)
        ctx.use_certificate(pki.server.cert)
        ctx.use_privatekey(pki.server.key)
        ctx.check_privatekey()
        ctx.add_extra_chain_cert(pki.intermediate.cert)
        c, _ = handshake_pair(None, ctx)
        assert c.get_peer_certificate(as_cryptography=True) == pki.server.cert

    def test_rsa_key(self, pki: PKI) -> None:
        c, _ = handshake_pair(None, server_context(pki.rsa_server))
        assert c.get_peer_certificate(as_cryptography=True) == pki.rsa_server.cert

    def test_deprecated_crypto_objects_warn_and_work(self, pki: PKI) -> None:
        ctx = Context(TLS_METHOD)
        with pytest.warns(DeprecationWarning):
            ctx.use_certificate(crypto.X509.from_cryptography(pki.server.cert))
        with pytest.warns(DeprecationWarning):
            ctx.use_privatekey(crypto.PKey.from_cryptography_key(pki.server.key))
        with pytest.warns(DeprecationWarning):
            ctx.add_extra_chain_cert(
                crypto.X509.from_cryptography(pki.intermediate.cert)
            )
        ctx.check_privatekey()
        c, _ = handshake_pair(None, ctx)
        assert c.get_peer_certificate(as_cryptography=True) == pki.server.cert

    @pytest.mark.parametrize("bad", [None, b"-----BEGIN CERTIFICATE-----", object()])
    def test_use_certificate_wrong_type(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).use_certificate(bad)

    @pytest.mark.parametrize("bad", [None, b"key", object()])
    def test_use_privatekey_wrong_type(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).use_privatekey(bad)

    @pytest.mark.parametrize("bad", [None, 1, object()])
    def test_add_extra_chain_cert_wrong_type(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).add_extra_chain_cert(bad)

    def test_without_the_chain_verification_fails(self, pki: PKI) -> None:
        client, server = memory_pair(None, _server_ctx_bare(pki))
        with pytest.raises(Error) as info:
            handshake(client, server)
        assert "certificate verify failed" in _reasons(info.value)

    def test_check_privatekey_mismatch(self, pki: PKI) -> None:
        ctx = Context(TLS_METHOD)
        ctx.use_privatekey(pki.server.key)
        ctx.use_certificate(pki.client.cert)
        with pytest.raises(Error):
            ctx.check_privatekey()

    def test_use_privatekey_mismatching_certificate(self, pki: PKI) -> None:
        ctx = Context(TLS_METHOD)
        ctx.use_certificate(pki.client.cert)
        with pytest.raises(Error):
            ctx.use_privatekey(pki.server.key)

    def test_check_privatekey_without_key(self, pki: PKI) -> None:
        ctx = Context(TLS_METHOD)
        ctx.use_certificate(pki.server.cert)
        with pytest.raises(Error):
            ctx.check_privatekey()


class TestFiles:
    @pytest.mark.parametrize("kind", [str, bytes, Path])
    def test_pem_files(self, pki: PKI, tmp_path: Path, kind: Any) -> None:
        cert, key = pki.server.write(tmp_path)

        def arg(p: Path) -> Any:
            return os.fsencode(p) if kind is bytes else kind(p)

        ctx = Context(TLS_METHOD)
        ctx.use_certificate_file(arg(cert))
        ctx.use_privatekey_file(arg(key))
        ctx.check_privatekey()
        ctx.add_extra_chain_cert(pki.intermediate.cert)
        c, _ = handshake_pair(None, ctx)
        assert c.get_peer_certificate(as_cryptography=True) == pki.server.cert

    def test_asn1_files(self, pki: PKI, tmp_path: Path) -> None:
        cert = tmp_path / "server.der"
        key = tmp_path / "server-key.der"
        cert.write_bytes(pki.server.cert.public_bytes(serialization.Encoding.DER))
        key.write_bytes(
            pki.server.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        ctx = Context(TLS_METHOD)
        ctx.use_certificate_file(str(cert), crypto.FILETYPE_ASN1)
        ctx.use_privatekey_file(str(key), crypto.FILETYPE_ASN1)
        ctx.check_privatekey()
        ctx.add_extra_chain_cert(pki.intermediate.cert)
        c, _ = handshake_pair(None, ctx)
        assert c.get_peer_certificate(as_cryptography=True) == pki.server.cert

    def test_non_ascii_paths(self, pki: PKI, tmp_path: Path) -> None:
        directory = tmp_path / NON_ASCII
        directory.mkdir()
        cert, key = pki.server.write(directory)
        ctx = Context(TLS_METHOD)
        ctx.use_certificate_chain_file(str(cert))
        ctx.use_privatekey_file(str(key))
        ctx.check_privatekey()
        c, _ = handshake_pair(None, ctx)
        assert c.get_peer_certificate(as_cryptography=True) == pki.server.cert

    def test_use_certificate_chain_file_sends_the_chain(
        self, pki: PKI, tmp_path: Path
    ) -> None:
        cert, key = pki.server.write(tmp_path)
        ctx = Context(TLS_METHOD)
        ctx.use_certificate_chain_file(os.fsencode(cert))
        ctx.use_privatekey_file(key)
        c, _ = handshake_pair(None, ctx)
        chain = c.get_peer_cert_chain(as_cryptography=True)
        assert chain == [pki.server.cert, pki.intermediate.cert]

    @pytest.mark.parametrize(
        "method",
        [
            "use_certificate_file",
            "use_privatekey_file",
            "use_certificate_chain_file",
        ],
    )
    def test_missing_file_is_error(self, tmp_path: Path, method: str) -> None:
        ctx = Context(TLS_METHOD)
        with pytest.raises(Error):
            getattr(ctx, method)(str(tmp_path / "missing.pem"))
        assert _error_queue_empty()

    @pytest.mark.parametrize(
        "method",
        ["use_certificate_file", "use_privatekey_file", "use_certificate_chain_file"],
    )
    def test_garbage_file_is_error(self, tmp_path: Path, method: str) -> None:
        path = tmp_path / "garbage.pem"
        path.write_bytes(b"this is not PEM\n")
        with pytest.raises(Error):
            getattr(Context(TLS_METHOD), method)(str(path))

    @pytest.mark.parametrize("method", ["use_certificate_file", "use_privatekey_file"])
    def test_filetype_must_be_int(self, pki_files: Any, method: str) -> None:
        with pytest.raises(TypeError):
            getattr(Context(TLS_METHOD), method)(str(pki_files.server_pem), "PEM")

    @pytest.mark.parametrize("bad", [None, 1, object()])
    def test_path_wrong_type(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).use_certificate_file(bad)


class TestPassphraseCallback:
    PASSPHRASE = b"correct horse battery staple"

    @pytest.fixture
    def encrypted_key(self, pki: PKI, tmp_path: Path) -> Path:
        path = tmp_path / "encrypted.key"
        path.write_bytes(
            pki.server.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(self.PASSPHRASE),
            )
        )
        return path

    def _context(
        self, pki: PKI, callback: Callable[..., Any], data: Any = None
    ) -> Context:
        ctx = Context(TLS_METHOD)
        ctx.use_certificate(pki.server.cert)
        with pytest.warns(DeprecationWarning):
            ctx.set_passwd_cb(callback, data)
        return ctx

    def test_callback_decrypts_the_key(self, pki: PKI, encrypted_key: Path) -> None:
        calls: list[tuple[Any, ...]] = []
        marker = object()

        def callback(maxlen: int, verify: Any, userdata: Any) -> bytes:
            calls.append((maxlen, verify, userdata))
            return self.PASSPHRASE

        ctx = self._context(pki, callback, marker)
        ctx.use_privatekey_file(str(encrypted_key))
        ctx.check_privatekey()
        assert len(calls) == 1
        maxlen, verify, userdata = calls[0]
        assert isinstance(maxlen, int) and maxlen >= len(self.PASSPHRASE)
        assert not verify
        assert userdata is marker

    def test_wrong_passphrase_is_error(self, pki: PKI, encrypted_key: Path) -> None:
        ctx = self._context(pki, lambda *args: b"wrong")
        with pytest.raises(Error):
            ctx.use_privatekey_file(str(encrypted_key))
        assert _error_queue_empty()

    def test_exception_propagates(self, pki: PKI, encrypted_key: Path) -> None:
        class Boom(Exception):
            pass

        def callback(*args: Any) -> bytes:
            raise Boom("from the passphrase callback")

        ctx = self._context(pki, callback)
        with pytest.raises(Boom, match="from the passphrase callback") as info:
            ctx.use_privatekey_file(str(encrypted_key))
        assert any(entry.name == "callback" for entry in info.traceback)
        assert _error_queue_empty()

    def test_non_bytes_return_is_value_error(
        self, pki: PKI, encrypted_key: Path
    ) -> None:
        ctx = self._context(pki, lambda *args: self.PASSPHRASE.decode())
        with pytest.raises(ValueError):
            ctx.use_privatekey_file(str(encrypted_key))

    def test_too_long_return_is_truncated_not_overflowed(
        self, pki: PKI, encrypted_key: Path
    ) -> None:
        ctx = self._context(pki, lambda maxlen, *args: b"x" * (maxlen + 4096))
        with pytest.raises(Error):
            ctx.use_privatekey_file(str(encrypted_key))

    def test_set_passwd_cb_warns(self) -> None:
        with pytest.warns(DeprecationWarning):
            Context(TLS_METHOD).set_passwd_cb(lambda *args: b"")

    def test_non_callable_is_type_error(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with pytest.raises(TypeError):
                Context(TLS_METHOD).set_passwd_cb(b"not callable")  # type: ignore[arg-type]


# --- trust -----------------------------------------------------------------


def _hashed_ca_dir(pki: PKI, directory: Path) -> Path:
    """A c_rehash-style directory holding the test root."""
    directory.mkdir(parents=True, exist_ok=True)
    digest = crypto.X509.from_cryptography(pki.root.cert).subject_name_hash()
    (directory / f"{digest:08x}.0").write_bytes(pki.root_pem())
    return directory


def _verifying_client(setup: Callable[[Context], None]) -> Context:
    ctx = Context(TLS_METHOD)
    ctx.set_verify(VERIFY_PEER)
    setup(ctx)
    return ctx


def _verifies(client_ctx: Context) -> bool:
    client, server = memory_pair(client_ctx, server_context())
    try:
        handshake(client, server)
    except Error as exc:
        assert "certificate verify failed" in _reasons(exc)
        return False
    return True


class TestTrust:
    def test_untrusted_by_default(self) -> None:
        assert not _verifies(_verifying_client(lambda ctx: None))

    @pytest.mark.parametrize("kind", [str, bytes, Path])
    def test_load_verify_locations_cafile(
        self, pki: PKI, tmp_path: Path, kind: Any
    ) -> None:
        path = pki.write_ca(tmp_path)
        arg = os.fsencode(path) if kind is bytes else kind(path)
        assert _verifies(_verifying_client(lambda ctx: ctx.load_verify_locations(arg)))

    def test_load_verify_locations_non_ascii(self, pki: PKI, tmp_path: Path) -> None:
        directory = tmp_path / NON_ASCII
        directory.mkdir()
        path = pki.write_ca(directory)
        assert _verifies(
            _verifying_client(lambda ctx: ctx.load_verify_locations(str(path)))
        )

    def test_load_verify_locations_capath(self, pki: PKI, tmp_path: Path) -> None:
        capath = _hashed_ca_dir(pki, tmp_path / NON_ASCII)
        assert _verifies(
            _verifying_client(lambda ctx: ctx.load_verify_locations(None, str(capath)))
        )

    def test_load_verify_locations_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(Error):
            Context(TLS_METHOD).load_verify_locations(str(tmp_path / "nope.pem"))
        assert _error_queue_empty()

    def test_load_verify_locations_garbage_file(self, tmp_path: Path) -> None:
        path = tmp_path / "garbage.pem"
        path.write_bytes(b"garbage\n")
        with pytest.raises(Error):
            Context(TLS_METHOD).load_verify_locations(str(path))

    def test_load_verify_locations_neither(self) -> None:
        with pytest.raises(Error):
            Context(TLS_METHOD).load_verify_locations(None, None)

    def test_get_cert_store_add_cert(self, pki: PKI) -> None:
        def setup(ctx: Context) -> None:
            store = ctx.get_cert_store()
            assert isinstance(store, crypto.X509Store)
            store.add_cert(crypto.X509.from_cryptography(pki.root.cert))

        assert _verifies(_verifying_client(setup))

    def test_set_default_verify_paths_honours_ssl_cert_file(
        self, pki: PKI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        monkeypatch.setenv("SSL_CERT_FILE", str(pki.write_ca(tmp_path)))
        assert _verifies(_verifying_client(lambda ctx: ctx.set_default_verify_paths()))

    def test_set_default_verify_paths_honours_ssl_cert_dir(
        self, pki: PKI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        capath = _hashed_ca_dir(pki, tmp_path / "certs")
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.setenv("SSL_CERT_DIR", str(capath))
        assert _verifies(_verifying_client(lambda ctx: ctx.set_default_verify_paths()))

    def test_set_default_verify_paths_without_env_does_not_trust_test_root(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        assert not _verifies(
            _verifying_client(lambda ctx: ctx.set_default_verify_paths())
        )

    def test_set_default_verify_paths_falls_back_to_system_bundle(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        bundle = Path("/etc/ssl/certs/ca-certificates.crt")
        default_file = Path(os.fsdecode(ffi.string(lib.X509_get_default_cert_file())))
        if not bundle.is_file() or default_file.exists():
            pytest.skip("needs a Debian-style system bundle and no compiled-in one")
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        ctx = Context(TLS_METHOD)
        ctx.set_default_verify_paths()
        store = lib.SSL_CTX_get_cert_store(ctx._context)
        assert lib.sk_X509_OBJECT_num(lib.X509_STORE_get0_objects(store)) > 0


class TestVerifySettings:
    @pytest.mark.parametrize(
        "mode",
        [
            VERIFY_NONE,
            VERIFY_PEER,
            VERIFY_PEER | VERIFY_FAIL_IF_NO_PEER_CERT,
            VERIFY_PEER | VERIFY_CLIENT_ONCE,
        ],
    )
    def test_get_verify_mode(self, mode: int) -> None:
        ctx = Context(TLS_METHOD)
        ctx.set_verify(mode)
        assert ctx.get_verify_mode() == mode

    def test_default_verify_mode(self) -> None:
        assert Context(TLS_METHOD).get_verify_mode() == VERIFY_NONE

    @pytest.mark.parametrize("bad", [None, "1", 1.0])
    def test_set_verify_mode_non_int(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).set_verify(bad)

    @pytest.mark.parametrize("bad", [1, b"callback", object()])
    def test_set_verify_callback_not_callable(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).set_verify(VERIFY_PEER, bad)

    def test_verify_depth(self) -> None:
        ctx = Context(TLS_METHOD)
        ctx.set_verify_depth(7)
        assert ctx.get_verify_depth() == 7

    @pytest.mark.parametrize("bad", [None, "1", 1.5])
    def test_verify_depth_non_int(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).set_verify_depth(bad)

    def test_verify_depth_too_small_fails(self) -> None:
        # leaf <- intermediate <- root needs depth 1 (one intermediate).
        shallow = client_context()
        shallow.set_verify_depth(0)
        assert not _verifies(shallow)
        enough = client_context()
        enough.set_verify_depth(1)
        assert _verifies(enough)

    def test_client_certificate_required(self, pki: PKI) -> None:
        server = server_context(verify_client=True)
        server.set_verify(VERIFY_PEER | VERIFY_FAIL_IF_NO_PEER_CERT)
        client, srv = memory_pair(client_context(), server)
        with pytest.raises(Error):
            handshake(client, srv)
            # TLS 1.3: the client learns of the rejection on its next read.
            client.recv(1)

    def test_client_certificate_presented(self, pki: PKI) -> None:
        server = server_context(verify_client=True)
        server.set_verify(VERIFY_PEER | VERIFY_FAIL_IF_NO_PEER_CERT)
        _c, s = handshake_pair(client_context(identity=pki.client), server)
        assert s.get_peer_certificate(as_cryptography=True) == pki.client.cert


# --- client CA lists ---------------------------------------------------------


def _ca_names_seen_by_client(server: Context) -> list[x509.Name]:
    server.set_verify(VERIFY_PEER)
    server.load_verify_locations(str(ca_file()))
    c, s = handshake_pair(client_context(), server)
    assert s.get_client_ca_list(as_cryptography=True) == c.get_client_ca_list(
        as_cryptography=True
    )
    return c.get_client_ca_list(as_cryptography=True)


class TestClientCAs:
    def test_none_by_default(self) -> None:
        assert _ca_names_seen_by_client(server_context()) == []

    def test_add_client_ca(self, pki: PKI) -> None:
        server = server_context()
        server.add_client_ca(pki.root.cert)
        server.add_client_ca(pki.intermediate.cert)
        assert _ca_names_seen_by_client(server) == [
            pki.root.cert.subject,
            pki.intermediate.cert.subject,
        ]

    def test_add_client_ca_deprecated_x509(self, pki: PKI) -> None:
        server = server_context()
        with pytest.warns(DeprecationWarning):
            server.add_client_ca(crypto.X509.from_cryptography(pki.root.cert))
        assert _ca_names_seen_by_client(server) == [pki.root.cert.subject]

    @pytest.mark.parametrize("bad", [None, "CN=root", object()])
    def test_add_client_ca_wrong_type(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).add_client_ca(bad)

    def test_set_client_ca_list_deprecated(self, pki: PKI) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            names = [
                crypto.X509.from_cryptography(pki.intermediate.cert).get_subject(),
                crypto.X509.from_cryptography(pki.root.cert).get_subject(),
            ]
        server = server_context()
        with pytest.warns(DeprecationWarning):
            server.set_client_ca_list(names)
        assert _ca_names_seen_by_client(server) == [
            pki.intermediate.cert.subject,
            pki.root.cert.subject,
        ]

    def test_set_client_ca_list_wrong_items(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with pytest.raises(TypeError):
                Context(TLS_METHOD).set_client_ca_list(["CN=root"])  # type: ignore[list-item]

    def test_load_client_ca(self, pki: PKI, tmp_path: Path) -> None:
        path = tmp_path / "cas.pem"
        path.write_bytes(pki.root_pem() + pki.intermediate.cert_pem())
        server = server_context()
        server.load_client_ca(os.fsencode(path))
        assert _ca_names_seen_by_client(server) == [
            pki.root.cert.subject,
            pki.intermediate.cert.subject,
        ]

    def test_load_client_ca_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(Error):
            Context(TLS_METHOD).load_client_ca(os.fsencode(tmp_path / "none.pem"))


# --- session settings and app data -----------------------------------------


class TestSessionSettings:
    @pytest.mark.parametrize("with_id", [True, False])
    def test_set_session_id_allows_resumption_with_client_certs(
        self, pki: PKI, with_id: bool
    ) -> None:
        """A server that verifies clients resumes only with a session ID context.

        OpenSSL refuses to resume (a fatal "session id context
        uninitialized") when the server asks for client certificates but
        never named the context its sessions belong to.
        """
        server_ctx = server_context(verify_client=True)
        if with_id:
            server_ctx.set_session_id(b"x" * 32)
        client_ctx = client_context(max_version=TLS1_2_VERSION, identity=pki.client)
        # OpenSSL stops resuming the session of a connection freed without
        # a shutdown: the first pair stays referenced.
        first = handshake_pair(client_ctx, server_ctx)
        client, server = memory_pair(client_ctx, server_ctx)
        client.set_session(first[0].get_session())
        if not with_id:
            with pytest.raises(Error) as info:
                handshake(client, server)
            assert "session id context uninitialized" in _reasons(info.value)
            return
        handshake(client, server)
        assert lib.SSL_session_reused(server._ssl) == 1
        assert lib.SSL_session_reused(first[1]._ssl) == 0

    def test_set_session_id_str_warns(self) -> None:
        with pytest.warns(DeprecationWarning):
            Context(TLS_METHOD).set_session_id("session-id")

    def test_set_session_id_too_long(self) -> None:
        with pytest.raises(Error):
            Context(TLS_METHOD).set_session_id(b"x" * 33)

    def test_session_cache_mode(self) -> None:
        ctx = Context(TLS_METHOD)
        assert ctx.get_session_cache_mode() == SSL.SESS_CACHE_SERVER
        previous = ctx.set_session_cache_mode(SSL.SESS_CACHE_BOTH)
        assert previous == SSL.SESS_CACHE_SERVER
        assert ctx.get_session_cache_mode() == SSL.SESS_CACHE_BOTH
        assert ctx.set_session_cache_mode(SSL.SESS_CACHE_OFF) == SSL.SESS_CACHE_BOTH

    @pytest.mark.parametrize("bad", [None, "3", 3.0])
    def test_session_cache_mode_non_int(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).set_session_cache_mode(bad)

    def test_timeout(self) -> None:
        ctx = Context(TLS_METHOD)
        assert isinstance(ctx.get_timeout(), int)
        ctx.set_timeout(1234)
        assert ctx.get_timeout() == 1234

    @pytest.mark.parametrize("bad", [None, "10", 1.5])
    def test_timeout_non_int(self, bad: Any) -> None:
        with pytest.raises(TypeError):
            Context(TLS_METHOD).set_timeout(bad)

    def test_app_data(self) -> None:
        ctx = Context(TLS_METHOD)
        assert ctx.get_app_data() is None
        marker = object()
        ctx.set_app_data(marker)
        assert ctx.get_app_data() is marker


class TestAlpnSettings:
    def test_set_alpn_protos_empty_is_value_error(self) -> None:
        with pytest.raises(ValueError):
            Context(TLS_METHOD).set_alpn_protos([])

    def test_alpn_negotiated(self) -> None:
        client = client_context()
        client.set_alpn_protos([b"h2", b"http/1.1"])
        server = server_context()
        server.set_alpn_select_callback(lambda conn, protos: b"http/1.1")
        c, s = handshake_pair(client, server)
        assert c.get_alpn_proto_negotiated() == b"http/1.1"
        assert s.get_alpn_proto_negotiated() == b"http/1.1"


# --- mutation after a Connection exists --------------------------------------


def _mutations(pki: PKI) -> dict[str, Callable[[Context], Any]]:
    return {
        "set_options": lambda c: c.set_options(OP_NO_TICKET),
        "set_mode": lambda c: c.set_mode(MODE_RELEASE_BUFFERS),
        "clear_mode": lambda c: c.clear_mode(MODE_RELEASE_BUFFERS),
        "set_min_proto_version": lambda c: c.set_min_proto_version(TLS1_2_VERSION),
        "set_max_proto_version": lambda c: c.set_max_proto_version(TLS1_3_VERSION),
        "set_cipher_list": lambda c: c.set_cipher_list(
            b"ECDHE-ECDSA-AES128-GCM-SHA256"
        ),
        "set_tls13_ciphersuites": lambda c: c.set_tls13_ciphersuites(
            b"TLS_AES_128_GCM_SHA256"
        ),
        "set_tmp_ecdh": lambda c: c.set_tmp_ecdh(ec.SECP384R1()),
        "use_certificate": lambda c: c.use_certificate(pki.server.cert),
        "use_privatekey": lambda c: c.use_privatekey(pki.server.key),
        "add_extra_chain_cert": lambda c: c.add_extra_chain_cert(pki.intermediate.cert),
        "load_verify_locations": lambda c: c.load_verify_locations(str(ca_file())),
        "set_default_verify_paths": lambda c: c.set_default_verify_paths(),
        "set_verify": lambda c: c.set_verify(VERIFY_PEER),
        "set_verify_depth": lambda c: c.set_verify_depth(3),
        "add_client_ca": lambda c: c.add_client_ca(pki.root.cert),
        "set_session_id": lambda c: c.set_session_id(b"sid"),
        "set_session_cache_mode": lambda c: c.set_session_cache_mode(
            SSL.SESS_CACHE_OFF
        ),
        "set_timeout": lambda c: c.set_timeout(10),
        "set_info_callback": lambda c: c.set_info_callback(lambda *a: None),
        "set_keylog_callback": lambda c: c.set_keylog_callback(lambda *a: None),
        "set_tlsext_servername_callback": lambda c: c.set_tlsext_servername_callback(
            lambda conn: None
        ),
        "set_alpn_protos": lambda c: c.set_alpn_protos([b"h2"]),
        "set_alpn_select_callback": lambda c: c.set_alpn_select_callback(
            lambda conn, protos: b"h2"
        ),
        "set_ocsp_server_callback": lambda c: c.set_ocsp_server_callback(
            lambda conn, data: b""
        ),
        "set_ocsp_client_callback": lambda c: c.set_ocsp_client_callback(
            lambda conn, ocsp, data: True
        ),
        # pyOpenSSL 26.4.0 guards these two as well (its SSL.py decorates
        # set_cookie_generate_callback / set_cookie_verify_callback with
        # @_require_not_used), so they raise ValueError on a used Context.
        "set_cookie_generate_callback": lambda c: c.set_cookie_generate_callback(
            lambda conn: b"cookie"
        ),
        "set_cookie_verify_callback": lambda c: c.set_cookie_verify_callback(
            lambda conn, cookie: True
        ),
        "set_tlsext_use_srtp": lambda c: c.set_tlsext_use_srtp(
            b"SRTP_AES128_CM_SHA1_80"
        ),
        "load_tmp_dh": lambda c: c.load_tmp_dh(_dh_file()),
        "load_client_ca": lambda c: c.load_client_ca(os.fsencode(ca_file())),
        "set_client_ca_list": lambda c: c.set_client_ca_list(
            [crypto.X509.from_cryptography(pki.root.cert).get_subject()]
        ),
        "set_passwd_cb": lambda c: c.set_passwd_cb(lambda *args: b""),
        "use_certificate_file": lambda c: c.use_certificate_file(
            str(_identity_files()[0])
        ),
        "use_certificate_chain_file": lambda c: c.use_certificate_chain_file(
            str(_identity_files()[0])
        ),
        "use_privatekey_file": lambda c: c.use_privatekey_file(
            str(_identity_files()[1])
        ),
        # pyOpenSSL 26.4 refuses this one too.
        "set_app_data": lambda c: c.set_app_data(object()),
        # pyopenssl-ng's own controls (_ssl_controls), guarded the same way.
        "set_verify_mode": lambda c: c.set_verify_mode(VERIFY_PEER),
        "set_groups": lambda c: c.set_groups(["X25519"]),
        "set_sigalgs": lambda c: c.set_sigalgs(["ed25519"]),
        "set_signature_scheme_tracking": lambda c: c.set_signature_scheme_tracking(
            True
        ),
        "set_post_handshake_auth": lambda c: c.set_post_handshake_auth(True),
        "set_tlsext_servername_alert_callback": lambda c: (
            c.set_tlsext_servername_alert_callback(lambda conn: None)
        ),
        "clear_tlsext_servername_callback": lambda c: (
            c.clear_tlsext_servername_callback()
        ),
        "set_psk_client_callback": lambda c: c.set_psk_client_callback(
            lambda conn, hint: (b"id", b"key")
        ),
        "set_psk_server_callback": lambda c: c.set_psk_server_callback(
            lambda conn, identity: b"key"
        ),
        "use_psk_identity_hint": lambda c: c.use_psk_identity_hint(b"hint"),
        "set_cert_callback": lambda c: c.set_cert_callback(lambda conn: True),
        # pyopenssl-ng's sessions and early data (issue 14).
        "set_max_early_data": lambda c: c.set_max_early_data(1024),
        "set_msg_callback": lambda c: c.set_msg_callback(lambda *a: None),
        "set_new_session_callback": lambda c: c.set_new_session_callback(
            lambda conn, session: None
        ),
    }


@functools.cache
def _dh_file() -> str:
    path = ca_file().parent / "ffdhe2048.pem"
    path.write_bytes(_ffdhe2048_pem())
    return str(path)


@functools.cache
def _identity_files() -> tuple[Path, Path]:
    directory = ca_file().parent / "identity"
    directory.mkdir(exist_ok=True)
    return make_pki().server.write(directory)


#: Context methods that only read state (or check it) and stay usable.
_NON_MUTATING = {"check_privatekey", "allow_changes_after_use"}

_MUTATORS = sorted(
    name
    for name in dir(Context)
    if not name.startswith(("_", "get_")) and name not in _NON_MUTATING
)


class TestMutationAfterUse:
    def test_every_mutator_is_covered(self, pki: PKI) -> None:
        assert set(_MUTATORS) == set(_mutations(pki))

    @pytest.mark.parametrize("name", _MUTATORS)
    def test_mutation_after_connection_is_value_error(
        self, pki: PKI, name: str
    ) -> None:
        mutate = _mutations(pki)[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            fresh = Context(TLS_METHOD)
            mutate(fresh)  # allowed before any Connection exists
            used = Context(TLS_METHOD)
            Connection(used, None)
            with pytest.raises(ValueError):
                mutate(used)

    def test_getters_still_work_after_use(self) -> None:
        ctx = Context(TLS_METHOD)
        ctx.set_verify(VERIFY_PEER)
        ctx.set_timeout(99)
        Connection(ctx, None)
        assert ctx.get_verify_mode() == VERIFY_PEER
        assert ctx.get_timeout() == 99
        assert ctx.get_session_cache_mode() == SSL.SESS_CACHE_SERVER
        assert isinstance(ctx.get_verify_depth(), int)

    def test_rejected_mutation_changes_nothing(self) -> None:
        ctx = Context(TLS_METHOD)
        ctx.set_verify(VERIFY_PEER)
        Connection(ctx, None)
        with pytest.raises(ValueError):
            ctx.set_verify(VERIFY_NONE)
        assert ctx.get_verify_mode() == VERIFY_PEER
