"""ssl_compat beyond the stdlib: memory certificates, verify callback, exporters.

Every handshake has two real ends (ssl_compat against itself over memory
BIOs or a socket pair, or against the standard library's ``ssl``). OCSP
stapling is in ``test_ssl_compat_ocsp.py``; the client libraries (urllib3,
httpx, asyncio, trio, http.client) in ``test_ssl_compat_beyond_clients.py``.
"""

from __future__ import annotations

import builtins
import os
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from OpenSSL import SSL, crypto
from OpenSSL import ssl_compat as compat
from tests.support import IO_TIMEOUT, PKI, Identity, files, handshake, object_pair

PASSWORD = "correct horse"


def encrypted_key(identity: Identity, password: bytes = PASSWORD.encode()) -> bytes:
    return identity.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )


def objects(
    client_ctx: Any, server_ctx: Any, hostname: str = "localhost"
) -> tuple[Any, Any]:
    """A handshaken SSLObject pair (client, server)."""
    client, server = object_pair(client_ctx, server_ctx, server_hostname=hostname)
    handshake(client, server)
    return client.obj, server.obj


def memory_server(pki: PKI, **settings: Any) -> Any:
    ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server.chain_pem(), pki.server.key_pem())
    for name, value in settings.items():
        setattr(ctx, name, value)
    return ctx


def root_client(pki: PKI) -> Any:
    """A default client context trusting only the test root (from memory)."""
    return compat.create_default_context(cadata=pki.root.cert)


def socket_pair_handshake(
    client_ctx: Any, server_ctx: Any, hostname: str = "localhost"
) -> tuple[Any, Any, list[BaseException]]:
    """Client and server SSLSockets over a socketpair; server errors collected."""
    a, b = socket.socketpair()
    a.settimeout(IO_TIMEOUT)
    b.settimeout(IO_TIMEOUT)
    server_side: list[Any] = []
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            server_side.append(server_ctx.wrap_socket(a, server_side=True))
        except BaseException as exc:
            errors.append(exc)
            a.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        client = client_ctx.wrap_socket(b, server_hostname=hostname)
    finally:
        thread.join(IO_TIMEOUT)
    return client, (server_side[0] if server_side else None), errors


def _later_error(client: Any) -> BaseException:
    """The error a client SSLObject raises when a bad record arrives."""
    client._incoming.write(b"\x17\x03\x03\x00\x07garbage")
    try:
        client.read(10)
    except ssl.SSLError as exc:
        return exc
    raise AssertionError("garbage was read as data")


# -- certificates and keys from memory ----------------------------------------------


def _assert_serves_the_chain(pki: PKI, server_ctx: Any) -> None:
    """A client trusting only the root verifies the server's leaf and chain."""
    client, _ = objects(root_client(pki), server_ctx)
    assert client.getpeercert(True) == pki.server.cert.public_bytes(
        serialization.Encoding.DER
    )
    assert len(client.get_verified_chain()) == 3


class TestLoadCertChainFromMemory:
    def test_pem_bytes_chain_and_encrypted_key(self, pki: PKI) -> None:
        server = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(
            pki.server.chain_pem(), encrypted_key(pki.server), password=PASSWORD
        )
        # The client trusts only the root: the intermediate must come from
        # the chain loaded from memory.
        client, _srv = objects(root_client(pki), server)
        assert client.getpeercert()["subject"][-1] == (("commonName", "localhost"),)
        assert len(client.get_unverified_chain()) == 2

    @pytest.mark.parametrize(
        "password",
        [PASSWORD, PASSWORD.encode(), bytearray(PASSWORD.encode()), lambda: PASSWORD],
        ids=["str", "bytes", "bytearray", "callable"],
    )
    def test_password_forms(self, pki: PKI, password: Any) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki.server.chain_pem(), encrypted_key(pki.server), password)
        _assert_serves_the_chain(pki, ctx)

    def test_pem_text_with_key_in_the_same_string(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        combined = (pki.server.chain_pem() + encrypted_key(pki.server)).decode()
        ctx.load_cert_chain(combined, password=PASSWORD)
        _assert_serves_the_chain(pki, ctx)

    def test_cryptography_objects(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain([pki.server.cert, *pki.server.chain], pki.server.key)
        client, _ = objects(root_client(pki), ctx)
        assert client.getpeercert(True) == pki.server.cert.public_bytes(
            serialization.Encoding.DER
        )
        assert len(client.get_verified_chain()) == 3

    def test_single_certificate_object_and_pyopenssl_objects(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(
            crypto.X509.from_cryptography(pki.server.cert),
            crypto.PKey.from_cryptography_key(pki.server.key),
        )
        # No intermediate was given: a client trusting only the root fails.
        trusting_intermediate = compat.create_default_context(
            cadata=[pki.root.cert, pki.intermediate.cert]
        )
        objects(trusting_intermediate, ctx)
        with pytest.raises(ssl.SSLCertVerificationError):
            objects(root_client(pki), ctx)

    def test_memory_key_with_certificate_file(self, pki: PKI) -> None:
        certfile, _keyfile = files().identities["server"]
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(certfile), encrypted_key(pki.server), PASSWORD)
        _assert_serves_the_chain(pki, ctx)

    def test_paths_still_paths(self, pki: PKI, tmp_path: Path) -> None:
        certfile, keyfile = files().identities["server"]
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(certfile), str(keyfile))
        ctx.load_cert_chain(os.fsencode(certfile), os.fsencode(keyfile))
        # A path for one, memory for the other, paths as PathLike too.
        ctx.load_cert_chain(Path(certfile), pki.server.key)
        ctx.load_cert_chain(pki.server.chain_pem(), Path(keyfile))
        with pytest.raises(FileNotFoundError):
            ctx.load_cert_chain(tmp_path / "missing.pem", pki.server.key)
        with pytest.raises(FileNotFoundError):
            ctx.load_cert_chain(pki.server.chain_pem(), tmp_path / "missing.key")
        with pytest.raises(FileNotFoundError):
            ctx.load_cert_chain(str(tmp_path / "missing.pem"))
        with pytest.raises(FileNotFoundError):
            ctx.load_cert_chain(pki.server.chain_pem(), str(tmp_path / "missing.key"))

    def test_a_file_named_like_pem_is_a_path(self, pki: PKI, tmp_path: Path) -> None:
        # The ambiguity rule: a str naming an existing file is a path.
        odd = tmp_path / "-----BEGIN odd name"
        odd.write_bytes(pki.server.chain_pem() + pki.server.key_pem())
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(odd))
        _assert_serves_the_chain(pki, ctx)

    def test_no_file_is_opened(self, pki: PKI, monkeypatch: pytest.MonkeyPatch) -> None:
        opened: list[Any] = []
        real_open = builtins.open

        def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
            opened.append(file)
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", spy)
        monkeypatch.setattr(os, "open", lambda *a, **k: pytest.fail("os.open"))
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(
            pki.server.chain_pem(), encrypted_key(pki.server), password=PASSWORD
        )
        assert opened == []

    def test_wrong_password(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        with pytest.raises(ssl.SSLError):
            ctx.load_cert_chain(
                pki.server.chain_pem(), encrypted_key(pki.server), password="wrong"
            )

    def test_missing_password(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        with pytest.raises(ssl.SSLError):
            ctx.load_cert_chain(pki.server.chain_pem(), encrypted_key(pki.server))

    def test_password_callback_exception_comes_out_unchanged(self, pki: PKI) -> None:
        class Boom(Exception):
            pass

        def password() -> str:
            raise Boom("no password today")

        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        with pytest.raises(Boom, match="no password today"):
            ctx.load_cert_chain(
                pki.server.chain_pem(), encrypted_key(pki.server), password
            )

    def test_bad_password_types(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        with pytest.raises(TypeError):
            ctx.load_cert_chain(pki.server.chain_pem(), pki.server.key, password=5)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            ctx.load_cert_chain(
                pki.server.chain_pem(), encrypted_key(pki.server), lambda: 5
            )
        with pytest.raises(ValueError):
            ctx.load_cert_chain(
                pki.server.chain_pem(), encrypted_key(pki.server), "x" * 2000
            )

    @pytest.mark.parametrize(
        "certfile",
        [
            b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\n",
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            bytearray(b"-----BEGIN \x00\xff garbage"),
        ],
    )
    def test_garbage_pem_certificate(self, pki: PKI, certfile: Any) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        with pytest.raises(ssl.SSLError):
            ctx.load_cert_chain(certfile, pki.server.key)

    def test_garbage_pem_key(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        with pytest.raises(ssl.SSLError):
            ctx.load_cert_chain(
                pki.server.chain_pem(),
                b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            )

    def test_mismatched_key(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        with pytest.raises(ssl.SSLError, match=r"KEY_VALUES_MISMATCH|key values"):
            ctx.load_cert_chain(pki.server.chain_pem(), pki.client.key)

    def test_wrong_types(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        with pytest.raises(TypeError, match="keyfile is required"):
            ctx.load_cert_chain(pki.server.cert)
        with pytest.raises(TypeError):
            ctx.load_cert_chain([pki.server.cert, "nope"], pki.server.key)
        with pytest.raises(ValueError):
            ctx.load_cert_chain([], pki.server.key)
        with pytest.raises(TypeError):
            ctx.load_cert_chain(pki.server.cert, 42)
        # Not a certificate object: the error is about certfile, not keyfile.
        for wrong in (3.5, 42, object()):
            with pytest.raises(TypeError, match="certfile should be"):
                ctx.load_cert_chain(wrong)  # type: ignore[arg-type]

    def test_chain_certificates_are_not_added_twice(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
        for _ in range(3):
            ctx.load_cert_chain(pki.server.chain_pem(), pki.server.key)
        client, _ = objects(root_client(pki), ctx)
        assert len(client.get_unverified_chain()) == 2

    def test_stdlib_client_accepts_memory_loaded_server(self, pki: PKI) -> None:
        client_ctx = ssl.create_default_context(cafile=str(files().ca))
        client, server, errors = socket_pair_handshake(client_ctx, memory_server(pki))
        with client, server:
            assert client.version() is not None
        assert errors == []


class TestCadataCertificates:
    def test_single_certificate(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=pki.root.cert)
        assert ctx.cert_store_stats()["x509_ca"] == 1
        assert ctx.get_ca_certs(binary_form=True) == [
            pki.root.cert.public_bytes(serialization.Encoding.DER)
        ]
        objects(ctx, memory_server(pki))

    def test_list_of_certificates(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=[pki.root.cert, pki.intermediate.cert])
        assert ctx.cert_store_stats()["x509_ca"] == 2

    def test_other_types_still_refused(self) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_CLIENT)
        with pytest.raises(TypeError):
            ctx.load_verify_locations(cadata=[1, 2])
        with pytest.raises(ssl.SSLError):
            ctx.load_verify_locations(cadata="no certificate here")

    @pytest.mark.parametrize(
        "cadata", ["", b"", bytearray(), "\u00e9", "   ", b"not DER"]
    )
    def test_empty_and_bad_cadata_fail_as_in_the_stdlib(self, cadata: Any) -> None:
        failures = []
        for module in (ssl, compat):
            ctx = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
            with pytest.raises(Exception) as info:
                ctx.load_verify_locations(cadata=cadata)
            message = str(info.value).split(" (_ssl.c:")[0]
            failures.append((type(info.value), message, len(info.value.args)))
        assert failures[0] == failures[1]


# -- the verify callback -------------------------------------------------------------


class TestVerifyCallback:
    def test_called_for_every_chain_element_inside_the_handshake(
        self, pki: PKI
    ) -> None:
        seen: list[tuple[Any, ...]] = []
        client_ctx = root_client(pki)

        def callback(obj: Any, cert: Any, depth: int, error: int, ok: bool) -> bool:
            # Inside the handshake: the handshake has not finished yet.
            seen.append((obj, cert, depth, error, ok, obj.version()))
            return ok

        client_ctx.set_verify_callback(callback)
        client, _ = objects(client_ctx, memory_server(pki))
        assert [s[2] for s in seen] == [2, 1, 0]
        assert [s[1] for s in seen] == [
            pki.root.cert,
            pki.intermediate.cert,
            pki.server.cert,
        ]
        assert all(s[0] is client for s in seen)
        assert all(s[3] == 0 and s[4] is True for s in seen)
        assert all(s[5] is None for s in seen)

    def test_rejecting_fails_with_a_clear_verify_message(self, pki: PKI) -> None:
        client_ctx = root_client(pki)
        client_ctx.set_verify_callback(lambda obj, cert, depth, err, ok: depth != 0)
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            objects(client_ctx, memory_server(pki))
        assert (
            info.value.verify_code
            == SSL.X509VerificationCodes.ERR_APPLICATION_VERIFICATION
        )
        assert "verify callback" in info.value.verify_message
        assert info.value.reason == "CERTIFICATE_VERIFY_FAILED"

    def test_hostname_checking_stays_on(self, pki: PKI) -> None:
        seen: list[tuple[int, int, bool]] = []
        client_ctx = root_client(pki)

        def callback(obj: Any, cert: Any, depth: int, error: int, ok: bool) -> bool:
            seen.append((depth, error, ok))
            return ok

        client_ctx.set_verify_callback(callback)
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            objects(client_ctx, memory_server(pki), hostname="other.example")
        assert (0, SSL.X509_V_ERR_HOSTNAME_MISMATCH, False) in seen
        assert info.value.verify_code == SSL.X509_V_ERR_HOSTNAME_MISMATCH
        assert "Hostname mismatch" in info.value.verify_message

    def test_the_name_mismatch_comes_first_then_the_chain(self, pki: PKI) -> None:
        """The order doc/ssl_compat_beyond.rst describes."""
        seen: list[tuple[int, int, bool]] = []
        client_ctx = root_client(pki)

        def callback(obj: Any, cert: Any, depth: int, error: int, ok: bool) -> bool:
            seen.append((depth, error, ok))
            return True

        client_ctx.set_verify_callback(callback)
        objects(client_ctx, memory_server(pki), hostname="other.example")
        mismatch = SSL.X509_V_ERR_HOSTNAME_MISMATCH
        assert seen == [(0, mismatch, False), (2, 0, True), (1, 0, True), (0, 0, True)]

    def test_overriding_openssl_accepts_a_pinned_untrusted_server(
        self, pki: PKI
    ) -> None:
        # Trust nothing; accept exactly the pinned leaf and what OpenSSL
        # says about the chain above it.
        pinned = pki.server.cert
        client_ctx = compat.SSLContext(compat.PROTOCOL_TLS_CLIENT)

        def pin(obj: Any, cert: Any, depth: int, error: int, ok: bool) -> bool:
            return depth > 0 or cert == pinned

        client_ctx.set_verify_callback(pin)
        objects(client_ctx, memory_server(pki))
        client_ctx.set_verify_callback(None)
        with pytest.raises(ssl.SSLCertVerificationError):
            objects(client_ctx, memory_server(pki))

    @pytest.mark.parametrize("transport", ["object", "socket"])
    def test_exception_comes_out_of_the_handshake_unchanged(
        self, pki: PKI, transport: str
    ) -> None:
        class Refused(Exception):
            pass

        raised = Refused("not this one")

        def callback(*args: Any) -> bool:
            raise raised

        client_ctx = root_client(pki)
        client_ctx.set_verify_callback(callback)
        with pytest.raises(Refused) as info:
            if transport == "object":
                objects(client_ctx, memory_server(pki))
            else:
                socket_pair_handshake(client_ctx, memory_server(pki))
        assert info.value is raised

    def test_server_checks_client_certificates(self, pki: PKI) -> None:
        seen: list[Any] = []
        server_ctx = memory_server(pki, verify_mode=compat.CERT_REQUIRED)
        server_ctx.load_verify_locations(cadata=pki.root.cert)
        server_ctx.set_verify_callback(
            lambda obj, cert, depth, err, ok: seen.append((obj, cert)) or ok
        )
        client_ctx = root_client(pki)
        client_ctx.load_cert_chain(pki.client.chain_pem(), pki.client.key)
        _client, server = objects(client_ctx, server_ctx)
        assert seen[-1] == (server, pki.client.cert)

    def test_keeps_working_after_verify_mode_changes(self, pki: PKI) -> None:
        calls: list[int] = []
        client_ctx = root_client(pki)
        client_ctx.set_verify_callback(lambda o, c, d, e, ok: calls.append(d) or ok)
        client_ctx.verify_mode = compat.CERT_REQUIRED
        client_ctx.check_hostname = True
        objects(client_ctx, memory_server(pki))
        assert calls == [2, 1, 0]

    def test_cert_none_ignores_the_verdict(self, pki: PKI) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=pki.root.cert)  # OpenSSL says ok
        ctx.check_hostname = False
        ctx.verify_mode = compat.CERT_NONE
        seen: list[int] = []
        ctx.set_verify_callback(lambda o, c, d, e, ok: seen.append(d) or False)
        client, _server = objects(ctx, memory_server(pki))  # rejected: no matter
        assert seen  # it ran, as OpenSSL's own verification does
        # A later failure is not taken for a verification failure.
        later = _later_error(client)
        assert not isinstance(later, ssl.SSLCertVerificationError), later

    def test_not_callable(self, pki: PKI) -> None:
        with pytest.raises(TypeError):
            root_client(pki).set_verify_callback(42)  # type: ignore[arg-type]


# -- channel binding and exporters --------------------------------------------------


class TestExporters:
    @pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
    def test_tls_exporter_equal_on_both_ends(self, pki: PKI, version: str) -> None:
        client_ctx = root_client(pki)
        client_ctx.maximum_version = getattr(compat.TLSVersion, version)
        client, server = objects(client_ctx, memory_server(pki))
        binding = client.get_channel_binding("tls-exporter")
        assert isinstance(binding, bytes) and len(binding) == 32
        assert binding == server.get_channel_binding("tls-exporter")
        assert binding != client.get_channel_binding("tls-unique")
        # RFC 9266 is the exporter with this label and no context.
        assert binding == client.export_keying_material("EXPORTER-Channel-Binding", 32)

    def test_channel_binding_types(self) -> None:
        assert compat.CHANNEL_BINDING_TYPES == ["tls-unique", "tls-exporter"]

    def test_export_keying_material(self, pki: PKI) -> None:
        client, server = objects(root_client(pki), memory_server(pki))
        for args in [("a", 16), (b"a", 64, b""), ("a", 16, b"context")]:
            assert client.export_keying_material(
                *args
            ) == server.export_keying_material(*args)
        assert client.export_keying_material("a", 16) != client.export_keying_material(
            "b", 16
        )
        assert client.export_keying_material("a", 16, b"x") != (
            client.export_keying_material("a", 16, b"y")
        )

    def test_socket_ends_and_stdlib_peer(self, pki: PKI) -> None:
        client, server, errors = socket_pair_handshake(
            root_client(pki), memory_server(pki)
        )
        with client, server:
            assert client.get_channel_binding("tls-exporter") == (
                server.get_channel_binding("tls-exporter")
            )
            assert client.export_keying_material("x", 20) == (
                server.export_keying_material("x", 20)
            )
        assert errors == []

    def test_before_handshake(self, pki: PKI) -> None:
        obj = root_client(pki).wrap_bio(
            compat.MemoryBIO(), compat.MemoryBIO(), server_hostname="localhost"
        )
        assert obj.get_channel_binding("tls-exporter") is None
        with pytest.raises(ValueError, match="handshake not done"):
            obj.export_keying_material("x", 16)
        sock = socket.socket()
        with root_client(pki).wrap_socket(
            sock, do_handshake_on_connect=False, server_hostname="localhost"
        ) as unconnected:
            assert unconnected.get_channel_binding("tls-exporter") is None
            with pytest.raises(ValueError):
                unconnected.export_keying_material("x", 16)

    def test_bad_arguments(self, pki: PKI) -> None:
        client, _ = objects(root_client(pki), memory_server(pki))
        with pytest.raises(ValueError):
            client.export_keying_material("x", 0)
        with pytest.raises(ValueError):
            client.export_keying_material("x", 2**40)
        with pytest.raises(TypeError):
            client.export_keying_material("x", 1.5)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            client.export_keying_material(5, 16)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            client.export_keying_material("x", 16, "text")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            client.export_keying_material("\u00e9", 16)
        with pytest.raises(ValueError):
            client.get_channel_binding("tls-server-end-point")


# SSL_OP_NO_EXTENDED_MASTER_SECRET (OpenSSL 3.0+, bit 0): not in the binding.
NO_EXTENDED_MASTER_SECRET = 1 << 0


class TestExtendedMasterSecret:
    def test_connection_reports_it(self, pki: PKI) -> None:
        client_ctx = root_client(pki)
        client_ctx.maximum_version = compat.TLSVersion.TLSv1_2
        obj = client_ctx.wrap_bio(
            compat.MemoryBIO(), compat.MemoryBIO(), server_hostname="localhost"
        )
        assert obj.openssl_connection.get_extms_support() is None
        client, server = objects(client_ctx, memory_server(pki))
        assert client.openssl_connection.get_extms_support() is True
        assert server.openssl_connection.get_extms_support() is True
        client13, _ = objects(root_client(pki), memory_server(pki))
        assert client13.openssl_connection.get_extms_support() is False

    def test_tls12_without_it_has_no_tls_exporter(self, pki: PKI) -> None:
        server_ctx = memory_server(pki)
        server_ctx.openssl_context.set_options(NO_EXTENDED_MASTER_SECRET)
        client_ctx = root_client(pki)
        client_ctx.maximum_version = compat.TLSVersion.TLSv1_2
        client, server = objects(client_ctx, server_ctx)
        assert client.openssl_connection.get_extms_support() is False
        for end in (client, server):
            with pytest.raises(ValueError, match="extended master secret"):
                end.get_channel_binding("tls-exporter")
            # The exporter itself stays available to those who know.
            assert len(end.export_keying_material("x", 16)) == 16
        assert client.get_channel_binding("tls-unique") is not None
