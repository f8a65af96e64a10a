"""``ssl_compat.SSLContext``: defaults, validation and loading, against CPython."""

from __future__ import annotations

import socket
import ssl
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from OpenSSL import SSL, ssl_compat
from tests.support import (
    EchoServer,
    connect,
    files,
    ssl_client_context,
    ssl_server_context,
)

MODULES = [ssl, ssl_compat]


def _both(protocol: int) -> tuple[Any, Any]:
    return ssl.SSLContext(protocol), ssl_compat.SSLContext(protocol)


def test_is_a_stdlib_context() -> None:
    ctx = ssl_compat.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert isinstance(ctx, ssl.SSLContext)
    assert isinstance(ctx.openssl_context, SSL.Context)
    assert ctx.protocol is ssl.PROTOCOL_TLS_CLIENT
    assert ctx.sslsocket_class is ssl_compat.SSLSocket
    assert ctx.sslobject_class is ssl_compat.SSLObject


def test_deprecated_constructions_warn_like_cpython() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ctx = ssl_compat.SSLContext()
    assert [str(w.message) for w in caught] == [
        "ssl.SSLContext() without protocol argument is deprecated.",
        "ssl.PROTOCOL_TLS is deprecated",
    ]
    assert ctx.protocol == ssl.PROTOCOL_TLS
    with pytest.warns(DeprecationWarning, match="PROTOCOL_TLSv1_2 is deprecated"):
        ssl_compat.SSLContext(ssl.PROTOCOL_TLSv1_2)
    with pytest.raises(ValueError):
        ssl_compat.SSLContext(999)


@pytest.mark.skipif(
    sys.version_info < (3, 10), reason="ssl_compat has the 3.10+ secure defaults"
)
@pytest.mark.parametrize("protocol", [ssl.PROTOCOL_TLS_CLIENT, ssl.PROTOCOL_TLS_SERVER])
def test_defaults_equal_cpython(protocol: int) -> None:
    theirs, ours = _both(protocol)
    for name in (
        "verify_mode",
        "check_hostname",
        "minimum_version",
        "maximum_version",
        "verify_flags",
        "post_handshake_auth",
        "hostname_checks_common_name",
        "security_level",
        "num_tickets",
        "keylog_filename",
        "sni_callback",
        "protocol",
    ):
        assert getattr(ours, name) == getattr(theirs, name), name
    # The documented option bits agree (OP_ALL itself differs by version).
    for flag in ssl.Options:
        if flag is not ssl.OP_ALL:
            assert bool(ours.options & flag) == bool(theirs.options & flag), flag


@pytest.mark.skipif(
    sys.version_info < (3, 10), reason="ssl_compat has the 3.10+ secure defaults"
)
@pytest.mark.parametrize("purpose", [ssl.Purpose.SERVER_AUTH, ssl.Purpose.CLIENT_AUTH])
def test_create_default_context_equals_the_running_pythons(purpose: Any) -> None:
    ours = ssl_compat.create_default_context(purpose)
    theirs = ssl.create_default_context(purpose)
    for name in ("protocol", "verify_mode", "check_hostname"):
        assert getattr(ours, name) == getattr(theirs, name), name
    # The verify flags are CPython 3.13's on every Python (strict, partial
    # chains), so older Pythons differ by exactly those two.
    strict = ssl_compat.VERIFY_X509_STRICT | ssl_compat.VERIFY_X509_PARTIAL_CHAIN
    assert ours.verify_flags == theirs.verify_flags | strict


def test_create_default_context_has_the_313_verify_flags() -> None:
    for purpose in (ssl.Purpose.SERVER_AUTH, ssl.Purpose.CLIENT_AUTH):
        flags = ssl_compat.create_default_context(purpose).verify_flags
        assert flags & ssl_compat.VERIFY_X509_STRICT
        assert flags & ssl_compat.VERIFY_X509_PARTIAL_CHAIN


def test_create_default_context_is_secure() -> None:
    ctx = ssl_compat.create_default_context()
    assert ctx.protocol == ssl.PROTOCOL_TLS_CLIENT
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname is True
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    assert ctx.options & ssl.OP_NO_COMPRESSION
    server = ssl_compat.create_default_context(ssl.Purpose.CLIENT_AUTH)
    assert server.protocol == ssl.PROTOCOL_TLS_SERVER
    assert server.verify_mode == ssl.CERT_NONE
    with pytest.raises(TypeError):
        ssl_compat.create_default_context("server")  # type: ignore[arg-type]


def test_create_default_context_honours_sslkeylogfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys.log"
    monkeypatch.setenv("SSLKEYLOGFILE", str(path))
    ctx = ssl_compat.create_default_context(cafile=str(files().ca))
    assert ctx.keylog_filename == str(path)
    server = EchoServer(ssl_server_context())
    with server, connect(ctx, server.address):
        pass
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# TLS secrets log file")
    labels = {line.split()[0] for line in lines[1:]}
    assert {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"} <= labels


@pytest.mark.parametrize("module", MODULES)
def test_verify_mode_validation(module: Any) -> None:
    ctx = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    with pytest.raises(ValueError, match="check_hostname"):
        ctx.verify_mode = ssl.CERT_NONE
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    assert ctx.verify_mode is ssl.CERT_NONE
    ctx.verify_mode = ssl.CERT_OPTIONAL
    assert ctx.verify_mode is ssl.CERT_OPTIONAL
    with pytest.raises(ValueError):
        ctx.verify_mode = 42
    # Turning hostname checking on upgrades CERT_NONE to CERT_REQUIRED.
    ctx.verify_mode = ssl.CERT_NONE
    ctx.check_hostname = True
    assert ctx.verify_mode is ssl.CERT_REQUIRED


def test_verify_mode_reaches_openssl() -> None:
    ctx = ssl_compat.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.verify_mode = ssl.CERT_REQUIRED
    assert ctx.openssl_context.get_verify_mode() == (
        SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT
    )
    ctx.verify_mode = ssl.CERT_OPTIONAL
    assert ctx.openssl_context.get_verify_mode() == SSL.VERIFY_PEER


@pytest.mark.parametrize("module", MODULES)
def test_version_bounds(module: Any) -> None:
    ctx = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    assert ctx.minimum_version is ssl.TLSVersion.TLSv1_3
    assert ctx.maximum_version is ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    assert ctx.minimum_version is ssl.TLSVersion.MINIMUM_SUPPORTED
    with pytest.raises(ValueError):
        ctx.minimum_version = 0x1234


@pytest.mark.parametrize("module", MODULES)
def test_fixed_protocol_has_no_version_bounds(module: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = module.SSLContext(module.PROTOCOL_TLSv1_2)
    assert ctx.minimum_version is ssl.TLSVersion.MINIMUM_SUPPORTED
    assert ctx.maximum_version is ssl.TLSVersion.MAXIMUM_SUPPORTED
    with pytest.raises(ValueError, match="doesn't support modification"):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3


def test_version_bounds_are_enforced_in_the_handshake() -> None:
    server = EchoServer(ssl_server_context(maximum_version=ssl.TLSVersion.TLSv1_2))
    client = ssl_client_context(minimum_version=ssl.TLSVersion.TLSv1_3)
    with server, pytest.raises(ssl.SSLError) as info:
        with connect(client, server.address):
            pass
    assert info.value.reason in ("TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL")
    assert len(server.errors) == 1


def test_tls12_only_handshake_reports_tls12() -> None:
    server = EchoServer(ssl_server_context(maximum_version=ssl.TLSVersion.TLSv1_2))
    with server, connect(ssl_client_context(), server.address) as tls:
        assert tls.version() == "TLSv1.2"
        _name, protocol, bits = tls.cipher()
        assert protocol == "TLSv1.2" and bits in (128, 256)


def test_options_can_be_added_and_cleared_with_effect() -> None:
    ctx = ssl_client_context()
    with pytest.warns(DeprecationWarning, match="OP_NO_SSL.*OP_NO_TLS.*deprecated"):
        ctx.options |= ssl.OP_NO_TLSv1_3
    assert ctx.options & ssl.OP_NO_TLSv1_3
    assert isinstance(ctx.options, ssl.Options)
    server = EchoServer(ssl_server_context(), connections=2)
    with server:
        with connect(ctx, server.address) as tls:
            assert tls.version() == "TLSv1.2"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # clearing does not warn
            ctx.options &= ~ssl.OP_NO_TLSv1_3
        assert not ctx.options & ssl.OP_NO_TLSv1_3
        with connect(ctx, server.address) as tls:
            assert tls.version() == "TLSv1.3"


def test_options_assignment_as_hypercorn_does() -> None:
    """``options = OP_NO_COMPRESSION`` clears everything else that can be."""
    ctx = ssl_server_context()
    ctx.options = ssl.OP_NO_COMPRESSION
    # OpenSSL puts these two in every SSL_CTX and the binding cannot clear
    # them: they are still reported (the module docstring says so).
    assert ctx.options == ssl.OP_NO_COMPRESSION | ssl_compat.OP_ENABLE_MIDDLEBOX_COMPAT
    server = EchoServer(ctx)
    with server, connect(ssl_client_context(), server.address) as tls:
        tls.sendall(b"hypercorn\n")
        assert tls.recv(100) == b"hypercorn\n"


def test_verify_flags_round_trip() -> None:
    ctx = ssl_compat.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    assert ctx.verify_flags == ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_TRUSTED_FIRST
    ctx.verify_flags = ssl.VERIFY_DEFAULT
    assert ctx.verify_flags == ssl.VERIFY_DEFAULT
    with pytest.raises(TypeError):
        ctx.verify_flags = "strict"  # type: ignore[assignment]


def test_crl_check_flag_is_applied_to_connections() -> None:
    # With CRL checking required and no CRL loaded, verification must fail
    # ("unable to get certificate CRL", code 3): proof the flag reached OpenSSL.
    client = ssl_client_context(verify_flags=ssl.VERIFY_CRL_CHECK_LEAF)
    server = EchoServer(ssl_server_context())
    with server, pytest.raises(ssl.SSLCertVerificationError) as info:
        with connect(client, server.address):
            pass
    assert info.value.verify_code == 3
    # Dropping the flag again works (it is per connection, not sticky).
    client.verify_flags = ssl.VERIFY_DEFAULT
    server = EchoServer(ssl_server_context())
    with server, connect(client, server.address) as tls:
        assert tls.version() is not None


# -- loading certificates and keys -------------------------------------------


def test_load_cert_chain_errors(tmp_path: Path) -> None:
    ctx = ssl_compat.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with pytest.raises(FileNotFoundError):
        ctx.load_cert_chain(tmp_path / "missing.pem")
    with pytest.raises(TypeError):
        ctx.load_cert_chain(42)  # type: ignore[arg-type]
    server_pem, _server_key = files().identities["server"]
    _client_pem, client_key = files().identities["client"]
    with pytest.raises(ssl.SSLError) as info:
        ctx.load_cert_chain(server_pem, client_key)
    assert info.value.reason == "KEY_VALUES_MISMATCH"
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ssl.SSLError):
        ctx.load_cert_chain(garbage)


def _encrypted_key(tmp_path: Path, password: bytes) -> tuple[Path, Path]:
    identity = files().pki.server
    key = tmp_path / "encrypted.key"
    key.write_bytes(
        identity.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        )
    )
    cert = tmp_path / "chain.pem"
    cert.write_bytes(identity.chain_pem())
    return cert, key


@pytest.mark.parametrize(
    "password",
    ["sekrit", b"sekrit", bytearray(b"sekrit"), lambda: "sekrit", lambda: b"sekrit"],
)
def test_load_cert_chain_with_password(password: Any, tmp_path: Path) -> None:
    cert, key = _encrypted_key(tmp_path, b"sekrit")
    ctx = ssl_compat.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key, password)
    server = EchoServer(ctx)
    with server, connect(ssl_client_context(), server.address) as tls:
        assert tls.getpeercert()["subject"][-1] == (("commonName", "localhost"),)


def test_load_cert_chain_password_errors(tmp_path: Path) -> None:
    cert, key = _encrypted_key(tmp_path, b"sekrit")
    for module in MODULES:
        ctx = module.SSLContext(module.PROTOCOL_TLS_SERVER)
        with pytest.raises(ssl.SSLError):
            ctx.load_cert_chain(cert, key, "wrong")
        with pytest.raises(TypeError):
            ctx.load_cert_chain(cert, key, lambda: 42)
        with pytest.raises(ValueError, match="cannot be longer"):
            ctx.load_cert_chain(cert, key, "x" * 2000)
        with pytest.raises(TypeError):
            ctx.load_cert_chain(cert, key, 42)


def test_password_callback_not_called_for_plain_key() -> None:
    calls = []
    certfile, keyfile = files().identities["server"]
    ssl_compat.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
        certfile, keyfile, lambda: calls.append(1) or "x"
    )
    assert calls == []


def test_load_verify_locations_variants_match_cpython() -> None:
    pki = files().pki
    pem = pki.root_pem().decode() + pki.intermediate.cert_pem().decode()
    der = pki.root.cert.public_bytes(
        serialization.Encoding.DER
    ) + pki.intermediate.cert.public_bytes(serialization.Encoding.DER)
    for kwargs in ({"cafile": str(files().ca)}, {"cadata": pem}, {"cadata": der}):
        theirs, ours = _both(ssl.PROTOCOL_TLS_CLIENT)
        theirs.load_verify_locations(**kwargs)
        ours.load_verify_locations(**kwargs)
        assert ours.cert_store_stats() == theirs.cert_store_stats(), kwargs
        assert sorted(ours.get_ca_certs(True)) == sorted(theirs.get_ca_certs(True))
        assert sorted(map(repr, ours.get_ca_certs())) == sorted(
            map(repr, theirs.get_ca_certs())
        )


def test_load_verify_locations_cadata_is_trusted() -> None:
    ctx = ssl_compat.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=files().pki.root_pem().decode())
    server = EchoServer(ssl_server_context())
    with server, connect(ctx, server.address) as tls:
        assert tls.version() is not None


def test_load_verify_locations_errors(tmp_path: Path) -> None:
    for module in MODULES:
        ctx = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        with pytest.raises(TypeError, match="cannot be all omitted"):
            ctx.load_verify_locations()
        with pytest.raises(FileNotFoundError):
            ctx.load_verify_locations(str(tmp_path / "missing.pem"))
        with pytest.raises(ssl.SSLError):
            ctx.load_verify_locations(cadata="no certificate here")
        with pytest.raises(ssl.SSLError):
            ctx.load_verify_locations(cadata=b"\x30\x03abc")
        with pytest.raises(TypeError):
            ctx.load_verify_locations(cadata=42)
        with pytest.raises(TypeError):
            ctx.load_verify_locations(cafile=42)


def test_load_default_certs() -> None:
    ctx = ssl_compat.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_default_certs()
    with pytest.raises(TypeError):
        ctx.load_default_certs("SERVER_AUTH")


def test_default_context_does_not_trust_the_test_root() -> None:
    server = EchoServer(ssl_server_context())
    with server, pytest.raises(ssl.SSLCertVerificationError) as info:
        with connect(ssl_compat.create_default_context(), server.address):
            pass
    assert info.value.verify_code == 20


# -- ciphers, curves, DH -----------------------------------------------------


def test_get_ciphers_matches_cpython_for_shared_suites() -> None:
    theirs = {c["name"]: c for c in ssl.create_default_context().get_ciphers()}
    ours = ssl_compat.create_default_context().get_ciphers()
    assert ours
    common = [c for c in ours if c["name"] in theirs]
    assert len(common) >= len(ours) // 2
    for cipher in common:
        assert cipher == theirs[cipher["name"]]


@pytest.mark.parametrize("module", MODULES)
def test_set_ciphers(module: Any) -> None:
    ctx = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ECDHE+AESGCM")
    names = {c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert names and all("GCM" in n for n in names)
    with pytest.raises(ssl.SSLError, match="No cipher can be selected"):
        ctx.set_ciphers("NOT-A-CIPHER")
    ctx.set_ciphers("DEFAULT:@SECLEVEL=1")
    if hasattr(ctx, "security_level"):  # Python 3.10+
        assert ctx.security_level == 1


def test_set_ecdh_curve() -> None:
    for module in MODULES:
        ctx = module.SSLContext(module.PROTOCOL_TLS_SERVER)
        ctx.set_ecdh_curve("prime256v1")
        with pytest.raises(ValueError):
            ctx.set_ecdh_curve("no-such-curve")
        with pytest.raises(TypeError):
            ctx.set_ecdh_curve(42)


def test_load_dh_params_errors(tmp_path: Path) -> None:
    ctx = ssl_compat.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with pytest.raises(FileNotFoundError):
        ctx.load_dh_params(tmp_path / "missing.pem")
    bad = tmp_path / "bad.pem"
    bad.write_text("nothing\n")
    with pytest.raises(ssl.SSLError):
        ctx.load_dh_params(bad)


# -- ALPN, NPN, SNI, tickets -------------------------------------------------


@pytest.mark.parametrize("module", MODULES)
def test_alpn_validation(module: Any) -> None:
    ctx = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with pytest.raises(ssl.SSLError, match="1 to 255"):
        ctx.set_alpn_protocols([""])
    with pytest.raises(ssl.SSLError, match="1 to 255"):
        ctx.set_alpn_protocols(["x" * 256])


def test_npn_is_unavailable() -> None:
    ctx = ssl_compat.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with pytest.warns(DeprecationWarning), pytest.raises(NotImplementedError):
        ctx.set_npn_protocols(["http/1.1"])


@pytest.mark.parametrize("module", MODULES)
def test_sni_callback_validation(module: Any) -> None:
    client = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    with pytest.raises(ValueError):
        client.sni_callback = lambda *args: None
    server = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    with pytest.raises(TypeError):
        server.sni_callback = 42

    def callback(*args: Any) -> None:
        return None

    server.sni_callback = callback
    assert server.sni_callback is callback
    server.sni_callback = None
    assert server.sni_callback is None


@pytest.mark.parametrize("module", MODULES)
def test_num_tickets_validation(module: Any) -> None:
    server = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    server.num_tickets = 0
    assert server.num_tickets == 0
    with pytest.raises(ValueError):
        server.num_tickets = -1
    with pytest.raises(TypeError):
        server.num_tickets = "2"
    client = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    with pytest.raises(ValueError, match="not a server context"):
        client.num_tickets = 1


def test_keylog_filename(tmp_path: Path) -> None:
    path = tmp_path / "keys.log"
    ctx = ssl_client_context()
    with pytest.raises(TypeError):
        ctx.keylog_filename = 42
    ctx.keylog_filename = path
    assert ctx.keylog_filename == path
    server = EchoServer(ssl_server_context())
    with server, connect(ctx, server.address):
        pass
    text = path.read_text()
    assert text.startswith("# TLS secrets log file, generated by OpenSSL / Python\n")
    assert text.count("\n") >= 5
    ctx.keylog_filename = None
    size = path.stat().st_size
    server = EchoServer(ssl_server_context())
    with server, connect(ctx, server.address):
        pass
    assert path.stat().st_size == size


def test_session_stats_count_handshakes() -> None:
    client = ssl_client_context()
    server_ctx = ssl_server_context()
    server = EchoServer(server_ctx, connections=2)
    with server:
        for _ in range(2):
            with connect(client, server.address):
                pass
    stats = client.session_stats()
    assert stats["connect"] == 2 and stats["connect_good"] == 2
    assert server_ctx.session_stats()["accept_good"] == 2
    assert set(stats) == set(ssl.create_default_context().session_stats())


# -- changes after use and the escape hatch ----------------------------------


def test_context_can_change_after_use() -> None:
    # The stdlib allows it (urllib3 calls set_alpn_protocols per connection);
    # OpenSSL.SSL.Context on its own would refuse.
    client = ssl_client_context()
    server_ctx = ssl_server_context()
    server_ctx.set_alpn_protocols(["b", "a"])
    server = EchoServer(server_ctx, connections=2)
    with server:
        with connect(client, server.address) as tls:
            assert tls.selected_alpn_protocol() is None
        client.set_alpn_protocols(["a"])
        client.load_verify_locations(cadata=files().pki.root_pem().decode())
        client.minimum_version = ssl.TLSVersion.TLSv1_2
        with connect(client, server.address) as tls:
            assert tls.selected_alpn_protocol() == "a"


def test_escape_hatch_verify_callback_combines_with_stdlib_settings() -> None:
    seen = []

    def verify(
        conn: SSL.Connection, cert: Any, errnum: int, depth: int, ok: int
    ) -> bool:
        seen.append((depth, cert.get_subject().CN, ok))
        return bool(ok)

    client = ssl_client_context()
    client.openssl_context.set_verify(
        SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, verify
    )
    server = EchoServer(ssl_server_context())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # X509Name access
        with server, connect(client, server.address) as tls:
            assert tls.getpeercert()["subject"][-1] == (("commonName", "localhost"),)
    assert [depth for depth, _cn, _ok in seen] == [2, 1, 0]
    assert all(ok for _depth, _cn, ok in seen)
    # verify_mode keeps the installed callback.
    client.verify_mode = ssl.CERT_REQUIRED
    seen.clear()
    server = EchoServer(ssl_server_context())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with server, connect(client, server.address):
            pass
    assert len(seen) == 3


def test_escape_hatch_callback_exception_comes_out_unchanged() -> None:
    class Boom(Exception):
        pass

    def verify(*args: Any) -> bool:
        raise Boom("from the verify callback")

    client = ssl_client_context()
    client.openssl_context.set_verify(SSL.VERIFY_PEER, verify)
    server = EchoServer(ssl_server_context())
    with server, pytest.raises(Boom, match="from the verify callback"):
        with connect(client, server.address):
            pass


def test_escape_hatch_info_callback() -> None:
    events = []
    client = ssl_client_context()
    client.openssl_context.set_info_callback(
        lambda conn, where, ret: events.append(where)
    )
    server = EchoServer(ssl_server_context())
    with server, connect(client, server.address):
        pass
    assert SSL.SSL_CB_HANDSHAKE_DONE in events


def test_native_wrap_functions_refuse() -> None:
    ctx = ssl_compat.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(TypeError, match="ssl_compat"):
        ctx._wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), False, None)
    with socket.socket() as sock, pytest.raises(TypeError, match="ssl_compat"):
        ctx._wrap_socket(sock, False, "localhost")


def test_every_setter_works_after_use() -> None:
    client = ssl_client_context()
    server = EchoServer(ssl_server_context(), connections=2)
    with server:
        with connect(client, server.address):
            pass
        client.options |= ssl.OP_NO_TICKET
        client.verify_mode = ssl.CERT_REQUIRED
        client.maximum_version = ssl.TLSVersion.TLSv1_2
        client.set_ciphers("ECDHE+AESGCM")
        client.set_ecdh_curve("prime256v1")
        client.load_cert_chain(*files().identities["client"])
        client.keylog_filename = None
        with connect(client, server.address) as tls:
            assert tls.version() == "TLSv1.2"
            assert "GCM" in tls.cipher()[0]


@pytest.mark.parametrize("module", MODULES)
def test_partial_chain_flag_equals_cpython(module: Any) -> None:
    # Trust only the intermediate: without VERIFY_X509_PARTIAL_CHAIN OpenSSL
    # insists on a self-signed root (code 2); with it the intermediate is a
    # trust anchor.
    intermediate = files().pki.intermediate.cert_pem().decode()

    def attempt(flags: int) -> Any:
        client = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(cadata=intermediate)
        client.verify_flags = flags
        server = EchoServer(ssl_server_context())
        try:
            with server, connect(client, server.address) as tls:
                return tls.version()
        except ssl.SSLCertVerificationError as exc:
            return exc.verify_code

    assert attempt(ssl.VERIFY_DEFAULT) == 2
    assert attempt(ssl_compat.VERIFY_X509_PARTIAL_CHAIN) == "TLSv1.3"


def test_capath_directory_is_trusted(tmp_path: Path) -> None:
    from OpenSSL import crypto

    root = crypto.X509.from_cryptography(files().pki.root.cert)
    (tmp_path / f"{root.subject_name_hash():08x}.0").write_bytes(files().pki.root_pem())
    for module in MODULES:
        client = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(capath=str(tmp_path))
        # Lazily looked up by OpenSSL: neither lists it beforehand.
        assert client.cert_store_stats()["x509"] == 0
        server = EchoServer(ssl_server_context())
        with server, connect(client, server.address) as tls:
            assert tls.version() == "TLSv1.3"


def _crl_file(tmp_path: Path, revoked_serials: list[int]) -> Path:
    crl = files().pki.crl(revoked_serials)
    path = tmp_path / f"crl-{len(revoked_serials)}.pem"
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.mark.parametrize("revoked", [False, True])
def test_crl_checking_equals_cpython(revoked: bool, tmp_path: Path) -> None:
    serials = [files().pki.server.cert.serial_number] if revoked else [12345]
    crl = _crl_file(tmp_path, serials)

    def outcome(module: Any) -> Any:
        client = ssl_client_context(module, verify_flags=ssl.VERIFY_CRL_CHECK_LEAF)
        client.load_verify_locations(str(crl))
        stats = client.cert_store_stats()
        server = EchoServer(ssl_server_context())
        try:
            with server, connect(client, server.address) as tls:
                return stats, tls.version()
        except ssl.SSLCertVerificationError as exc:
            return stats, (exc.verify_code, exc.verify_message)

    ours = outcome(ssl_compat)
    assert ours == outcome(ssl)
    assert ours[0]["crl"] == 1
    assert ours[1] == ((23, "certificate revoked") if revoked else "TLSv1.3")


def test_system_ca_bundle_lists_like_cpython(tmp_path: Path) -> None:
    # Real-world roots exercise odd encodings (serial 0, old name types).
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if not bundle.is_file():
        pytest.skip("no system CA bundle at /etc/ssl/certs/ca-certificates.crt")
    theirs, ours = _both(ssl.PROTOCOL_TLS_CLIENT)
    theirs.load_verify_locations(str(bundle))
    ours.load_verify_locations(str(bundle))
    assert ours.cert_store_stats() == theirs.cert_store_stats()
    assert sorted(map(repr, ours.get_ca_certs())) == sorted(
        map(repr, theirs.get_ca_certs())
    )
