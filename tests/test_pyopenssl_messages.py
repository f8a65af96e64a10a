"""Warning and exception texts are pyOpenSSL 26.4's, word for word.

Warning filters (``-W "ignore:str for buf"``), ``pytest.warns(match=...)``
and ``except ... if "..." in str(e)`` in code written for pyOpenSSL match on
these texts, so they are part of the API. Where this project raises a
different exception type on purpose, the migration notes say so; where the
type is the same, the text is too.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from OpenSSL import SSL, crypto
from OpenSSL.SSL import DTLS_METHOD, TLS_METHOD, Connection, Context
from tests.support import handshake, make_pki, memory_pair


def _warning_text(call: Callable[[], Any]) -> str:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    texts = [str(w.message) for w in caught if w.category is DeprecationWarning]
    assert len(texts) == 1, texts
    return texts[0]


def _error_text(kind: type[Exception], call: Callable[[], Any]) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(kind) as info:
            call()
    return str(info.value)


class TestStrForBytes:
    def test_send(self) -> None:
        client, server = memory_pair()
        handshake(client, server)
        assert (
            _warning_text(lambda: client.send("x"))  # type: ignore[arg-type]
            == "str for buf is no longer accepted, use bytes"
        )

    def test_load_client_ca(self, tmp_path: Any) -> None:
        ca = tmp_path / "ca.pem"
        ca.write_bytes(make_pki().root.cert_pem())
        ctx = Context(TLS_METHOD)
        text = _warning_text(lambda: ctx.load_client_ca(str(ca)))  # type: ignore[arg-type]
        assert text == "str for cafile is no longer accepted, use bytes"
        assert Connection(ctx, None).get_client_ca_list()  # the names were loaded


def test_send_too_large() -> None:
    class Huge(bytes):
        def __len__(self) -> int:
            return 2**31

    conn = Connection(Context(TLS_METHOD), None)
    assert (
        _error_text(ValueError, lambda: conn.send(Huge()))
        == "Cannot send more than 2**31-1 bytes at once."
    )


def test_used_context() -> None:
    ctx = Context(TLS_METHOD)
    Connection(ctx, None)
    assert _error_text(ValueError, lambda: ctx.set_cipher_list(b"ALL")) == (
        "Context has already been used to create a Connection, it cannot be "
        "mutated again"
    )


def test_dtls_cookie_too_long() -> None:
    pki = make_pki()
    ctx = Context(DTLS_METHOD)
    ctx.use_certificate(pki.server.cert)
    ctx.use_privatekey(pki.server.key)
    ctx.set_options(SSL.OP_NO_QUERY_MTU)
    ctx.set_cookie_generate_callback(lambda conn: b"\0" * 256)
    ctx.set_cookie_verify_callback(lambda conn, cookie: True)
    client_ctx = Context(DTLS_METHOD)
    client_ctx.set_options(SSL.OP_NO_QUERY_MTU)
    server = Connection(ctx, None)
    client = Connection(client_ctx, None)
    server.set_accept_state()
    client.set_connect_state()
    client.set_ciphertext_mtu(1500)
    server.set_ciphertext_mtu(1500)
    with pytest.raises(SSL.WantReadError):
        client.do_handshake()
    server.bio_write(client.bio_read(65536))
    with pytest.raises(ValueError) as info:
        server.DTLSv1_listen()
    assert str(info.value) == "Cookie too long (got 256 bytes, max 255)"


_X509_BUILDER = (
    "X509.{} is deprecated. You should use cryptography's CertificateBuilder instead."
)
_X509_GETTER = (
    "X509.{} is deprecated. You should use cryptography's X.509 APIs instead."
)


def _cert() -> crypto.X509:
    return crypto.X509.from_cryptography(make_pki().server.cert)


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: _cert().get_subject(), _X509_GETTER.format("get_subject")),
        (lambda: _cert().get_issuer(), _X509_GETTER.format("get_issuer")),
        (lambda: _cert().set_version(2), _X509_BUILDER.format("set_version")),
        (
            lambda: _cert().set_serial_number(3),
            _X509_BUILDER.format("set_serial_number"),
        ),
        (
            lambda: _cert().gmtime_adj_notAfter(1),
            _X509_BUILDER.format("gmtime_adj_notAfter"),
        ),
        (
            lambda: _cert().gmtime_adj_notBefore(1),
            _X509_BUILDER.format("gmtime_adj_notBefore"),
        ),
        (
            lambda: _cert().set_notBefore(b"20200101000000Z"),
            _X509_BUILDER.format("set_notBefore"),
        ),
        (
            lambda: _cert().set_notAfter(b"20200101000000Z"),
            _X509_BUILDER.format("set_notAfter"),
        ),
        (
            lambda: crypto.get_elliptic_curves(),
            "get_elliptic_curves is deprecated. You should use the APIs in "
            "cryptography instead.",
        ),
        (
            lambda: crypto.get_elliptic_curve("prime256v1"),
            "get_elliptic_curve is deprecated. You should use the APIs in "
            "cryptography instead.",
        ),
        (
            lambda: crypto.PKey().generate_key(crypto.TYPE_RSA, 1024),
            "PKey.generate_key is deprecated. You should use the key generation "
            "APIs in cryptography instead.",
        ),
        (
            lambda: Context(TLS_METHOD).set_passwd_cb(lambda *a: b""),
            "Context.set_passwd_cb is deprecated. You should decrypt and load your "
            "private key yourself, with cryptography's key loading APIs, and then "
            "use Context.use_privatekey instead.",
        ),
        (
            lambda: Context(TLS_METHOD).set_client_ca_list([]),
            "Context.set_client_ca_list is deprecated. X509Name support in "
            "pyOpenSSL is deprecated.",
        ),
        (
            lambda: Context(TLS_METHOD).use_certificate(_cert()),
            "Passing pyOpenSSL X509 objects is deprecated. You should use a "
            "cryptography.x509.Certificate instead.",
        ),
        (
            lambda: Context(TLS_METHOD).use_privatekey(
                crypto.PKey.from_cryptography_key(
                    ec.generate_private_key(ec.SECP256R1())
                )
            ),
            "Passing pyOpenSSL PKey objects is deprecated. You should use a "
            "cryptography private key instead.",
        ),
    ],
)
def test_deprecation_texts(call: Callable[[], Any], text: str) -> None:
    assert _warning_text(call) == text


def test_x509name_and_dump_privatekey_texts() -> None:
    name = crypto.X509().get_subject  # deprecated itself; text checked above
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        subject = name()
    assert _warning_text(lambda: crypto.X509Name(subject)) == (
        "X509Name support in pyOpenSSL is deprecated. You should use the APIs in "
        "cryptography."
    )
    key = crypto.PKey.from_cryptography_key(ec.generate_private_key(ec.SECP256R1()))
    assert _warning_text(lambda: crypto.dump_privatekey(crypto.FILETYPE_PEM, key)) == (
        "dump_privatekey is deprecated. You should use the APIs in cryptography."
    )


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda c: c.set_options(None), "options must be an integer"),
        (lambda c: c.set_mode(None), "mode must be an integer"),
        (lambda c: c.set_verify(None), "mode must be an integer"),
        (lambda c: c.set_verify_depth(None), "depth must be an integer"),
        (lambda c: c.set_timeout(None), "timeout must be an integer"),
        (lambda c: c.set_cipher_list(None), "cipher_list must be a byte string."),
        (
            lambda c: c.set_tls13_ciphersuites(None),
            "ciphersuites must be a byte string.",
        ),
        (lambda c: c.set_info_callback(None), "callback must be callable"),
    ],
)
def test_setter_type_errors(call: Callable[[Context], Any], text: str) -> None:
    assert _error_text(TypeError, lambda: call(Context(TLS_METHOD))) == text


def test_alpn_empty_list() -> None:
    text = _error_text(ValueError, lambda: Context(TLS_METHOD).set_alpn_protos([]))
    assert re.fullmatch("at least one protocol must be specified", text)


def test_context_deprecations_point_at_the_caller() -> None:
    ctx = Context(TLS_METHOD)
    for call in (
        lambda: ctx.set_passwd_cb(lambda *a: b""),
        lambda: ctx.set_client_ca_list([]),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert [w.filename for w in caught] == [__file__]
