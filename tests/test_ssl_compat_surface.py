"""``OpenSSL.ssl_compat``: every documented name, constants, module functions."""

from __future__ import annotations

import calendar
import os
import ssl
import warnings

import pytest
from cryptography.hazmat.primitives import serialization

from OpenSSL import ssl_compat
from OpenSSL._util import ffi, lib
from tests.support import files

# Every name of the stdlib ssl documentation (shared/reference/stdlib-ssl-surface.txt).
SURFACE_NAMES = (
    "MemoryBIO.eof",
    "MemoryBIO.pending",
    "SSLContext.check_hostname",
    "SSLContext.hostname_checks_common_name",
    "SSLContext.keylog_filename",
    "SSLContext.maximum_version",
    "SSLContext.minimum_version",
    "SSLContext.num_tickets",
    "SSLContext.options",
    "SSLContext.post_handshake_auth",
    "SSLContext.protocol",
    "SSLContext.security_level",
    "SSLContext.set_servername_callback",
    "SSLContext.sni_callback",
    "SSLContext.sslobject_class",
    "SSLContext.sslsocket_class",
    "SSLContext.verify_flags",
    "SSLContext.verify_mode",
    "SSLSocket.context",
    "SSLSocket.server_hostname",
    "SSLSocket.server_side",
    "SSLSocket.session",
    "SSLSocket.session_reused",
    "TLSVersion.MAXIMUM_SUPPORTED",
    "TLSVersion.MINIMUM_SUPPORTED",
    "TLSVersion.SSLv3",
    "TLSVersion.TLSv1",
    "TLSVersion.TLSv1_1",
    "TLSVersion.TLSv1_2",
    "TLSVersion.TLSv1_3",
    "has_ticket",
    "id",
    "library",
    "reason",
    "ticket_lifetime_hint",
    "time",
    "timeout",
    "verify_code",
    "verify_message",
    "AlertDescription",
    "MemoryBIO",
    "Options",
    "SSLContext",
    "SSLErrorNumber",
    "SSLObject",
    "SSLSession",
    "SSLSocket",
    "TLSVersion",
    "VerifyFlags",
    "VerifyMode",
    "ALERT_DESCRIPTION_HANDSHAKE_FAILURE",
    "CERT_NONE",
    "CERT_OPTIONAL",
    "CERT_REQUIRED",
    "CHANNEL_BINDING_TYPES",
    "HAS_ALPN",
    "HAS_ECDH",
    "HAS_NEVER_CHECK_COMMON_NAME",
    "HAS_NPN",
    "HAS_SNI",
    "HAS_SSLv2",
    "HAS_SSLv3",
    "HAS_TLSv1",
    "HAS_TLSv1_1",
    "HAS_TLSv1_2",
    "HAS_TLSv1_3",
    "OPENSSL_VERSION",
    "OPENSSL_VERSION_INFO",
    "OPENSSL_VERSION_NUMBER",
    "OP_ALL",
    "OP_CIPHER_SERVER_PREFERENCE",
    "OP_ENABLE_MIDDLEBOX_COMPAT",
    "OP_IGNORE_UNEXPECTED_EOF",
    "OP_NO_COMPRESSION",
    "OP_NO_RENEGOTIATION",
    "OP_NO_SSLv2",
    "OP_NO_SSLv3",
    "OP_NO_TICKET",
    "OP_NO_TLSv1",
    "OP_NO_TLSv1_1",
    "OP_NO_TLSv1_2",
    "OP_NO_TLSv1_3",
    "OP_SINGLE_DH_USE",
    "OP_SINGLE_ECDH_USE",
    "PROTOCOL_SSLv2",
    "PROTOCOL_SSLv23",
    "PROTOCOL_SSLv3",
    "PROTOCOL_TLS",
    "PROTOCOL_TLS_CLIENT",
    "PROTOCOL_TLS_SERVER",
    "PROTOCOL_TLSv1",
    "PROTOCOL_TLSv1_1",
    "PROTOCOL_TLSv1_2",
    "Purpose.CLIENT_AUTH",
    "Purpose.SERVER_AUTH",
    "VERIFY_ALLOW_PROXY_CERTS",
    "VERIFY_CRL_CHECK_CHAIN",
    "VERIFY_CRL_CHECK_LEAF",
    "VERIFY_DEFAULT",
    "VERIFY_X509_STRICT",
    "VERIFY_X509_TRUSTED_FIRST",
    "CertificateError",
    "SSLCertVerificationError",
    "SSLEOFError",
    "SSLError",
    "SSLSyscallError",
    "SSLWantReadError",
    "SSLWantWriteError",
    "SSLZeroReturnError",
    "DER_cert_to_PEM_cert",
    "PEM_cert_to_DER_cert",
    "RAND_add",
    "RAND_bytes",
    "RAND_pseudo_bytes",
    "RAND_status",
    "cert_time_to_seconds",
    "create_default_context",
    "enum_certificates",
    "enum_crls",
    "get_default_verify_paths",
    "get_server_certificate",
    "match_hostname",
    "wrap_socket",
    "MemoryBIO.read",
    "MemoryBIO.write",
    "MemoryBIO.write_eof",
    "SSLContext.cert_store_stats",
    "SSLContext.get_ca_certs",
    "SSLContext.get_ciphers",
    "SSLContext.load_cert_chain",
    "SSLContext.load_default_certs",
    "SSLContext.load_dh_params",
    "SSLContext.load_verify_locations",
    "SSLContext.session_stats",
    "SSLContext.set_alpn_protocols",
    "SSLContext.set_ciphers",
    "SSLContext.set_default_verify_paths",
    "SSLContext.set_ecdh_curve",
    "SSLContext.set_npn_protocols",
    "SSLContext.wrap_bio",
    "SSLContext.wrap_socket",
    "SSLSocket.cipher",
    "SSLSocket.compression",
    "SSLSocket.do_handshake",
    "SSLSocket.get_channel_binding",
    "SSLSocket.getpeercert",
    "SSLSocket.pending",
    "SSLSocket.read",
    "SSLSocket.selected_alpn_protocol",
    "SSLSocket.selected_npn_protocol",
    "SSLSocket.shared_ciphers",
    "SSLSocket.unwrap",
    "SSLSocket.verify_client_post_handshake",
    "SSLSocket.version",
    "SSLSocket.write",
)
# Names whose owner the surface file leaves out (SSLSession's and the
# exceptions' attributes) and where they live.
_OWNERLESS = {
    "has_ticket": "SSLSession",
    "id": "SSLSession",
    "ticket_lifetime_hint": "SSLSession",
    "time": "SSLSession",
    "timeout": "SSLSession",
}
# Absent from the OpenSSL in use, as from CPython built against it.
_ABSENT = {"PROTOCOL_SSLv2", "PROTOCOL_SSLv3"}


@pytest.mark.parametrize("name", SURFACE_NAMES)
def test_documented_name_exists(name: str) -> None:
    if name in _ABSENT:
        assert not hasattr(ssl, name)
        return
    if name in ("library", "reason", "verify_code", "verify_message"):
        # Exception attributes: checked on real exceptions in the error tests.
        return
    owner: object = ssl_compat
    if name in _OWNERLESS:
        owner = getattr(ssl_compat, _OWNERLESS[name])
        attribute = name
    elif "." in name:
        owner_name, attribute = name.split(".", 1)
        owner = getattr(ssl_compat, owner_name)
    else:
        attribute = name
    assert hasattr(owner, attribute), name


def test_all_lists_existing_names() -> None:
    for name in ssl_compat.__all__:
        assert hasattr(ssl_compat, name), name


def test_enums_are_the_stdlibs() -> None:
    for name in (
        "TLSVersion",
        "Options",
        "VerifyMode",
        "AlertDescription",
        "SSLErrorNumber",
        "Purpose",
    ):
        assert getattr(ssl_compat, name) is getattr(ssl, name)
    # VerifyFlags is the stdlib's wherever that has every member (3.10+);
    # on 3.9 it is a completed copy whose members equal the stdlib's.
    if hasattr(ssl.VerifyFlags, "VERIFY_X509_PARTIAL_CHAIN"):
        assert ssl_compat.VerifyFlags is ssl.VerifyFlags
    for member in ssl.VerifyFlags:
        assert ssl_compat.VerifyFlags[member.name] == member
    assert ssl_compat.CERT_REQUIRED is ssl.CERT_REQUIRED
    assert ssl_compat.PROTOCOL_TLS_CLIENT == ssl.PROTOCOL_TLS_CLIENT
    assert ssl_compat.VERIFY_X509_STRICT == ssl.VERIFY_X509_STRICT
    assert ssl_compat.ALERT_DESCRIPTION_HANDSHAKE_FAILURE == 40
    assert ssl_compat.SSL_ERROR_EOF == ssl.SSL_ERROR_EOF


def test_exceptions_are_the_stdlibs() -> None:
    for name in (
        "SSLError",
        "SSLZeroReturnError",
        "SSLWantReadError",
        "SSLWantWriteError",
        "SSLSyscallError",
        "SSLEOFError",
        "SSLCertVerificationError",
        "CertificateError",
    ):
        assert getattr(ssl_compat, name) is getattr(ssl, name)


def test_option_values_come_from_our_openssl() -> None:
    assert ssl_compat.OP_NO_TICKET == lib.SSL_OP_NO_TICKET
    # As CPython's: OpenSSL's bug workarounds without empty-fragment insertion.
    assert ssl_compat.OP_ALL == lib.SSL_OP_ALL & ~lib.SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS
    assert ssl_compat.create_default_context().options & ssl_compat.OP_ALL == (
        ssl_compat.OP_ALL
    )
    assert isinstance(ssl_compat.OP_NO_COMPRESSION, ssl.Options)


def test_every_option_of_the_running_stdlib_exists() -> None:
    """Python 3.12 added OP_LEGACY_SERVER_CONNECT and OP_ENABLE_KTLS."""
    names = [name for name in dir(ssl) if name.startswith("OP_")]
    assert "OP_NO_TICKET" in names
    for name in names:
        assert isinstance(getattr(ssl_compat, name, None), ssl.Options), name
        assert name in ssl_compat.__all__, name


def test_openssl_version_describes_the_bundled_library() -> None:
    expected = ffi.string(lib.OpenSSL_version(lib.OPENSSL_VERSION)).decode()
    assert ssl_compat.OPENSSL_VERSION == expected
    assert ssl_compat.OPENSSL_VERSION_NUMBER == lib.OpenSSL_version_num()
    major, minor, fix, patch, status = ssl_compat.OPENSSL_VERSION_INFO
    assert ssl_compat.OPENSSL_VERSION.startswith(f"OpenSSL {major}.{minor}.{patch}")
    assert (fix, status) == (0, 0)


def test_protocol_support_flags() -> None:
    assert ssl_compat.HAS_TLSv1_3 is True
    assert ssl_compat.HAS_TLSv1_2 is True
    assert ssl_compat.HAS_SSLv2 is False
    assert ssl_compat.HAS_SNI is True
    assert ssl_compat.HAS_ALPN is True
    assert ssl_compat.HAS_NPN is False
    # tls-exporter (RFC 9266) is an ssl_compat addition (issue 16).
    assert ssl_compat.CHANNEL_BINDING_TYPES == ["tls-unique", "tls-exporter"]


def test_rand_functions() -> None:
    assert ssl_compat.RAND_status() is True
    data = ssl_compat.RAND_bytes(32)
    assert isinstance(data, bytes) and len(data) == 32
    assert ssl_compat.RAND_bytes(32) != data
    ssl_compat.RAND_add(b"entropy", 1.0)
    ssl_compat.RAND_add("text entropy", 0.5)
    with pytest.raises(ValueError):
        ssl_compat.RAND_bytes(-1)
    with pytest.warns(DeprecationWarning):
        pseudo, strong = ssl_compat.RAND_pseudo_bytes(8)
    assert len(pseudo) == 8 and strong is True


def test_pem_der_round_trip_equals_stdlib() -> None:
    der = files().pki.server.cert.public_bytes(serialization.Encoding.DER)
    pem = ssl_compat.DER_cert_to_PEM_cert(der)
    assert pem == ssl.DER_cert_to_PEM_cert(der)
    assert ssl_compat.PEM_cert_to_DER_cert(pem) == der
    with pytest.raises(ValueError, match="must start with"):
        ssl_compat.PEM_cert_to_DER_cert("garbage")
    with pytest.raises(ValueError, match="must end with"):
        ssl_compat.PEM_cert_to_DER_cert(ssl_compat.PEM_HEADER + "\nAAAA\n")


@pytest.mark.parametrize(
    "text",
    [
        "Jan  5 09:34:43 2018 GMT",
        "Dec 31 23:59:59 2049 GMT",
        "Feb 29 12:00:00 2024 GMT",
    ],
)
def test_cert_time_to_seconds_equals_stdlib(text: str) -> None:
    assert ssl_compat.cert_time_to_seconds(text) == ssl.cert_time_to_seconds(text)


def test_cert_time_to_seconds_is_locale_independent_and_strict() -> None:
    expected = calendar.timegm((2018, 1, 5, 9, 34, 43))
    assert ssl_compat.cert_time_to_seconds("Jan  5 09:34:43 2018 GMT") == expected
    for bad in ("Foo  5 09:34:43 2018 GMT", "Jan  5 09:34:43 2018", ""):
        with pytest.raises(ValueError):
            ssl_compat.cert_time_to_seconds(bad)


def test_get_default_verify_paths_describes_our_openssl() -> None:
    paths = ssl_compat.get_default_verify_paths()
    assert paths.openssl_cafile_env == "SSL_CERT_FILE"
    assert paths.openssl_capath_env == "SSL_CERT_DIR"
    assert paths.openssl_cafile == ffi.string(lib.X509_get_default_cert_file()).decode()
    assert paths.cafile is None or os.path.isfile(paths.cafile)
    assert paths.capath is None or os.path.isdir(paths.capath)


def test_get_default_verify_paths_honours_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(files().ca))
    monkeypatch.setenv("SSL_CERT_DIR", str(files().directory))
    paths = ssl_compat.get_default_verify_paths()
    assert paths.cafile == str(files().ca)
    assert paths.capath == str(files().directory)


def test_get_protocol_name() -> None:
    assert (
        ssl_compat.get_protocol_name(ssl.PROTOCOL_TLS_CLIENT) == "PROTOCOL_TLS_CLIENT"
    )
    assert ssl_compat.get_protocol_name(12345) == "<unknown>"


def test_windows_store_functions_outside_windows() -> None:
    if hasattr(ssl, "enum_certificates"):  # pragma: no cover - Windows
        assert isinstance(ssl_compat.enum_certificates("CA"), list)
        return
    with pytest.raises(NotImplementedError):
        ssl_compat.enum_certificates("CA")
    with pytest.raises(NotImplementedError):
        ssl_compat.enum_crls("CA")


def test_module_wrap_socket_is_deprecated_and_validates() -> None:
    import socket

    with socket.socket() as sock:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with pytest.raises(ValueError, match="certfile must be specified"):
                ssl_compat.wrap_socket(sock, server_side=True)
            with pytest.raises(ValueError, match="certfile must be specified"):
                ssl_compat.wrap_socket(sock, keyfile="x.key")
        with pytest.warns(DeprecationWarning):
            wrapped = ssl_compat.wrap_socket(sock)
        assert isinstance(wrapped, ssl_compat.SSLSocket)
        assert wrapped.context.verify_mode == ssl.CERT_NONE
        wrapped.close()


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (ssl_compat.SSLContext, ssl.SSLContext),
        (ssl_compat.SSLContext, ssl._ssl._SSLContext),  # type: ignore[attr-defined]
        (ssl_compat.SSLSocket, ssl.SSLSocket),
        (ssl_compat.SSLObject, ssl.SSLObject),
    ],
)
def test_nothing_falls_through_to_the_stdlib_implementation(
    ours: type, theirs: type
) -> None:
    # Every attribute the stdlib class defines itself is redefined by ours,
    # whatever Python runs the tests (newer ones add methods).
    pure_python_helpers = {
        "_encode_hostname",
        "_load_windows_store_certs",
        "_windows_cert_stores",
    }
    missing = [
        name
        for name in vars(theirs)
        if name not in vars(ours)
        and name not in pure_python_helpers
        and not (name.startswith("__") and name.endswith("__"))
    ]
    assert missing == []


def test_get_server_certificate_equals_cpython() -> None:
    from tests.support import EchoServer, ssl_server_context

    results = []
    for module, ca in ((ssl, None), (ssl_compat, None), (ssl_compat, str(files().ca))):
        server = EchoServer(ssl_server_context())
        with server:
            results.append(module.get_server_certificate(server.address, ca_certs=ca))
    assert results[0] == results[1] == results[2]
    assert ssl_compat.PEM_cert_to_DER_cert(
        results[0]
    ) == files().pki.server.cert.public_bytes(serialization.Encoding.DER)


def test_get_server_certificate_verifies_with_ca_certs() -> None:
    from tests.support import EchoServer, ssl_server_context

    server = EchoServer(ssl_server_context())
    with server, pytest.raises(ssl.SSLCertVerificationError):
        ssl_compat.get_server_certificate(
            server.address, ca_certs=str(files().pki.client.write(files().directory)[0])
        )
