"""OCSP stapling through ssl_compat: our server, ``openssl s_server``, the checks.

Responses are built with ``cryptography.x509.ocsp`` by the one builder
(``PKI.ocsp_response``): good, revoked, unknown, expired, signed by a wrong
responder, about another certificate. The client is an ssl_compat context
with ``ocsp_mode``; the server is ssl_compat's ``set_ocsp_response_callback``
(over memory BIOs and sockets) or ``openssl s_server -status_file``. The
exporter comparison with ``openssl s_client -keymatexport`` is here too, as
it shares the CLI plumbing.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import socket
import ssl
import threading
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from OpenSSL import SSL
from OpenSSL import ssl_compat as compat
from OpenSSL.ssl_compat import _ocsp
from tests.support import (
    IO_TIMEOUT,
    PEER_TIMEOUT,
    PKI,
    Identity,
    OpenSSLProcess,
    handshake,
    identity_args,
    needs_openssl,
    object_pair,
    s_client,
    s_server,
)

CODES = SSL.X509VerificationCodes
VERSIONS = ["TLSv1_2", "TLSv1_3"]


def server_context(pki: PKI, staple: Optional[Callable[[Any], Any]] = None) -> Any:
    ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server.chain_pem(), pki.server.key)
    if staple is not None:
        ctx.set_ocsp_response_callback(staple)
    return ctx


def client_context(pki: PKI, mode: str, version: str = "TLSv1_3") -> Any:
    ctx = compat.create_default_context(cadata=pki.root.cert)
    ctx.ocsp_mode = mode
    ctx.maximum_version = getattr(compat.TLSVersion, version)
    return ctx


def objects(client_ctx: Any, server_ctx: Any) -> tuple[Any, Any]:
    client, server = object_pair(client_ctx, server_ctx)
    handshake(client, server)
    return client.obj, server.obj


def handed_over_but_not_good(pki: PKI, version: str, staple: bytes, why: str) -> None:
    """*staple* reaches a ``request`` client unchanged, and a
    ``require_good`` client refuses it with a message matching *why*."""
    client, _ = objects(
        client_context(pki, "request", version),
        server_context(pki, lambda obj: staple),
    )
    assert client.get_ocsp_response() == staple
    with pytest.raises(ssl.SSLCertVerificationError, match=why):
        objects(
            client_context(pki, "require_good", version),
            server_context(pki, lambda obj: staple),
        )


def delegated_responder(pki: PKI, *, ocsp_signing: bool = True) -> Identity:
    """A responder certificate issued by the intermediate (RFC 6960 4.2.2.2)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    usage = (
        ExtendedKeyUsageOID.OCSP_SIGNING
        if ocsp_signing
        else (ExtendedKeyUsageOID.SERVER_AUTH)
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ocsp")]))
        .issuer_name(pki.intermediate.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .sign(pki.intermediate.key, hashes.SHA256())
    )
    return Identity("ocsp", cert, key, [pki.intermediate.cert])


# -- the checks, case by case, against our own server -------------------------------


BAD_STAPLES: dict[str, tuple[Callable[[PKI], bytes], str, int]] = {
    "revoked": (
        lambda pki: pki.ocsp_response(revoked=True),
        "certificate revoked",
        CODES.ERR_CERT_REVOKED,
    ),
    "expired": (
        lambda pki: pki.ocsp_response(expired=True),
        "expired",
        CODES.ERR_APPLICATION_VERIFICATION,
    ),
    "wrong responder": (
        lambda pki: pki.ocsp_response(signer=pki.client, include_signer=True),
        "unauthorised responder",
        CODES.ERR_APPLICATION_VERIFICATION,
    ),
    "forged signature": (
        lambda pki: pki.ocsp_response(forge_signature=True),
        "signature is not valid",
        CODES.ERR_APPLICATION_VERIFICATION,
    ),
    "wrong root": (
        lambda pki: pki.ocsp_response(signer=pki.root),
        "unauthorised responder",
        CODES.ERR_APPLICATION_VERIFICATION,
    ),
    "another certificate": (
        lambda pki: pki.ocsp_response(subject=pki.rsa_server),
        "not about the server certificate",
        CODES.ERR_APPLICATION_VERIFICATION,
    ),
}


@pytest.mark.parametrize("version", VERSIONS)
class TestOurServer:
    def test_good(self, pki: PKI, version: str) -> None:
        staple = pki.ocsp_response()
        client, server = objects(
            client_context(pki, "require_good", version),
            server_context(pki, lambda obj: staple),
        )
        assert client.get_ocsp_response() == staple
        assert server.get_ocsp_response() == staple
        assert client.version() == version.replace("_", ".")

    @pytest.mark.parametrize("mode", ["request", "require_good"])
    @pytest.mark.parametrize("case", sorted(set(BAD_STAPLES) - {"another certificate"}))
    def test_bad_staple_fails(
        self, pki: PKI, version: str, mode: str, case: str
    ) -> None:
        make, words, code = BAD_STAPLES[case]
        staple = make(pki)
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            objects(
                client_context(pki, mode, version),
                server_context(pki, lambda obj: staple),
            )
        assert info.value.verify_message.startswith("OCSP: ")
        assert words in info.value.verify_message
        assert info.value.verify_code == code
        assert words in str(info.value)

    def test_missing_when_required(self, pki: PKI, version: str) -> None:
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            objects(
                client_context(pki, "require_good", version),
                server_context(pki, lambda obj: None),
            )
        assert "no stapled response" in info.value.verify_message

    def test_missing_when_requested(self, pki: PKI, version: str) -> None:
        client, _ = objects(
            client_context(pki, "request", version), server_context(pki)
        )
        assert client.get_ocsp_response() is None

    def test_unknown_status(self, pki: PKI, version: str) -> None:
        staple = pki.ocsp_response(unknown=True)
        handed_over_but_not_good(pki, version, staple, "does not know")

    def test_unsuccessful_response(self, pki: PKI, version: str) -> None:
        """tryLater carries no status: no staple to ``request``, a failure to
        ``require_good`` (what doc/ssl_compat_beyond.rst says)."""
        staple = ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.TRY_LATER
        ).public_bytes(serialization.Encoding.DER)
        handed_over_but_not_good(pki, version, staple, "TRY_LATER")

    def test_off_asks_for_nothing(self, pki: PKI, version: str) -> None:
        calls: list[Any] = []
        client, _server = objects(
            client_context(pki, "off", version),
            server_context(pki, lambda obj: calls.append(obj)),
        )
        assert calls == []
        assert client.get_ocsp_response() is None

    def test_delegated_responder(self, pki: PKI, version: str) -> None:
        responder = delegated_responder(pki)
        staple = pki.ocsp_response(signer=responder, include_signer=True)
        objects(
            client_context(pki, "require_good", version),
            server_context(pki, lambda obj: staple),
        )
        without_eku = delegated_responder(pki, ocsp_signing=False)
        staple = pki.ocsp_response(signer=without_eku, include_signer=True)
        with pytest.raises(ssl.SSLCertVerificationError, match="unauthorised"):
            objects(
                client_context(pki, "require_good", version),
                server_context(pki, lambda obj: staple),
            )


@pytest.mark.parametrize("version", VERSIONS)
def test_resumed_sessions_are_not_checked_again(pki: PKI, version: str) -> None:
    staple = pki.ocsp_response()
    calls: list[Any] = []
    server_ctx = server_context(pki, lambda obj: calls.append(obj) or staple)
    client_ctx = client_context(pki, "require_good", version)
    session = None
    for round_ in range(2):
        a, b = socket.socketpair()
        a.settimeout(IO_TIMEOUT)
        b.settimeout(IO_TIMEOUT)

        def serve(sock: socket.socket = a) -> None:
            with server_ctx.wrap_socket(sock, server_side=True) as tls:
                tls.sendall(b"x")
                tls.recv(1)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        with client_ctx.wrap_socket(
            b, server_hostname="localhost", session=session
        ) as tls:
            assert tls.recv(1) == b"x"
            assert tls.session_reused is (round_ == 1)
            # The first handshake checked a staple; the resumption has none.
            assert (tls.get_ocsp_response() == staple) is (round_ == 0)
            session = tls.session
            tls.sendall(b"y")
        thread.join(IO_TIMEOUT)
    assert len(calls) == 1


class TestServerCallback:
    def test_receives_the_server_object(self, pki: PKI) -> None:
        seen: list[Any] = []
        staple = pki.ocsp_response()

        def callback(obj: Any) -> bytes:
            seen.append(obj)
            return staple

        _client, server = objects(
            client_context(pki, "request"), server_context(pki, callback)
        )
        assert seen == [server]

    def test_exception_comes_out_of_the_server_handshake(self, pki: PKI) -> None:
        class Outage(Exception):
            pass

        raised = Outage("responder down")

        def callback(obj: Any) -> bytes:
            raise raised

        with pytest.raises(Outage) as info:
            objects(client_context(pki, "request"), server_context(pki, callback))
        assert info.value is raised

    @pytest.mark.parametrize(
        ("result", "error"),
        [
            ("text", TypeError),
            (42, TypeError),
            (b"\x30\x03garbage", ValueError),
            (b"\x00" * (_ocsp.MAX_STAPLE_SIZE + 1), ValueError),
            ("about another certificate", ValueError),
        ],
        ids=["str", "int", "garbage", "huge", "another certificate"],
    )
    def test_bad_results_are_refused(
        self, pki: PKI, result: Any, error: type[Exception]
    ) -> None:
        # OpenSSL 4 drops a staple about another certificate without a word;
        # ssl_compat says so (openssl s_server 3.0 sends it: TestOpenSSLServer).
        if result == "about another certificate":
            result = pki.ocsp_response(subject=pki.rsa_server)
        server_ctx = server_context(pki, lambda obj: result)
        with pytest.raises(error):
            objects(client_context(pki, "request"), server_ctx)

    def test_socket_server(self, pki: PKI) -> None:
        staple = pki.ocsp_response()
        server_ctx = server_context(pki, lambda obj: staple)
        a, b = socket.socketpair()
        a.settimeout(IO_TIMEOUT)
        b.settimeout(IO_TIMEOUT)
        seen: list[Any] = []

        def serve() -> None:
            with server_ctx.wrap_socket(a, server_side=True) as tls:
                seen.append(tls.get_ocsp_response())
                tls.sendall(b"ok")

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        with client_context(pki, "require_good").wrap_socket(
            b, server_hostname="localhost"
        ) as tls:
            assert tls.recv(2) == b"ok"
            assert tls.get_ocsp_response() == staple
        thread.join(IO_TIMEOUT)
        assert seen == [staple]


class TestSettings:
    def test_modes(self) -> None:
        ctx = compat.SSLContext(compat.PROTOCOL_TLS_CLIENT)
        assert ctx.ocsp_mode is compat.OCSPMode.OFF
        ctx.ocsp_mode = "require_good"
        assert ctx.ocsp_mode is compat.OCSPMode.REQUIRE_GOOD
        ctx.ocsp_mode = compat.OCSPMode.REQUEST
        assert ctx.ocsp_mode is compat.OCSPMode.REQUEST
        with pytest.raises(ValueError):
            ctx.ocsp_mode = "sometimes"

    def test_roles(self) -> None:
        with pytest.raises(ValueError):
            compat.SSLContext(compat.PROTOCOL_TLS_SERVER).ocsp_mode = "request"
        with pytest.raises(ValueError):
            compat.SSLContext(compat.PROTOCOL_TLS_CLIENT).set_ocsp_response_callback(
                lambda o: None
            )
        with pytest.raises(TypeError):
            compat.SSLContext(compat.PROTOCOL_TLS_SERVER).set_ocsp_response_callback(1)  # type: ignore[arg-type]

    def test_one_slot_for_both(self) -> None:
        with pytest.warns(DeprecationWarning):
            ctx = compat.SSLContext(compat.PROTOCOL_TLS)
        ctx.ocsp_mode = "request"
        with pytest.raises(ValueError, match="one OpenSSL slot"):
            ctx.set_ocsp_response_callback(lambda o: None)

    @pytest.mark.parametrize("version", VERSIONS)
    def test_a_checking_context_still_serves(self, pki: PKI, version: str) -> None:
        """A PROTOCOL_TLS context with ocsp_mode set, on the server side of a
        connection whose client asks for a status, staples nothing and goes on
        (the client check must not answer OpenSSL's server-side question)."""
        with pytest.warns(DeprecationWarning):
            either = compat.SSLContext(compat.PROTOCOL_TLS)
        either.load_cert_chain(pki.server.chain_pem(), pki.server.key)
        either.ocsp_mode = "require_good"
        client, server = objects(client_context(pki, "request", version), either)
        assert client.get_ocsp_response() is None
        assert server.get_ocsp_response() is None
        assert client.version() == version.replace("_", ".")

    def test_stop_stapling(self, pki: PKI) -> None:
        server_ctx = server_context(pki, lambda obj: pki.ocsp_response())
        server_ctx.set_ocsp_response_callback(None)
        client, _ = objects(client_context(pki, "request"), server_ctx)
        assert client.get_ocsp_response() is None


def test_check_staple_clock_skew(pki: PKI) -> None:
    chain = [pki.server.cert, pki.intermediate.cert]
    staple = pki.ocsp_response()
    now = datetime.datetime.now(datetime.timezone.utc)
    mode = compat.OCSPMode.REQUIRE_GOOD
    assert _ocsp.check_staple(staple, chain, mode, now) is None
    # this_update is five minutes ago: within the skew from ten minutes ago.
    assert (
        _ocsp.check_staple(staple, chain, mode, now - datetime.timedelta(minutes=9))
        is None
    )
    early = _ocsp.check_staple(staple, chain, mode, now - datetime.timedelta(hours=1))
    assert early is not None and "not yet valid" in early.verify_message
    late = _ocsp.check_staple(staple, chain, mode, now + datetime.timedelta(days=2))
    assert late is not None and "expired" in late.verify_message
    assert _ocsp.check_staple(staple, chain[:1], mode, now) is not None
    assert _ocsp.check_staple(b"junk", chain, mode, now) is not None


# -- openssl s_server -status_file, s_client -keymatexport ----------------------------


def rev_server(
    tmp_path: Path, pki: PKI, *args: str
) -> contextlib.AbstractContextManager[OpenSSLProcess]:
    """``openssl s_server -rev`` with the server identity."""
    identity = identity_args(pki.server, tmp_path)
    return s_server(*identity, "-rev", *args, log=tmp_path / "s_server.log")


def status_file(tmp_path: Path, staple: bytes) -> str:
    path = tmp_path / "staple.der"
    path.write_bytes(staple)
    return str(path)


def connect_to(port: int, ctx: Any) -> Any:
    raw = socket.create_connection(("127.0.0.1", port), PEER_TIMEOUT)
    try:
        return ctx.wrap_socket(raw, server_hostname="localhost")
    except BaseException:
        raw.close()
        raise


@needs_openssl
@pytest.mark.parametrize("version", VERSIONS)
class TestOpenSSLServer:
    def test_good(self, pki: PKI, tmp_path: Path, version: str) -> None:
        staple = pki.ocsp_response()
        with rev_server(
            tmp_path, pki, "-status_file", status_file(tmp_path, staple)
        ) as server:
            with connect_to(
                server.port, client_context(pki, "require_good", version)
            ) as tls:
                assert tls.get_ocsp_response() == staple
                tls.sendall(b"hello\n")
                assert tls.recv(100) == b"olleh\n"

    @pytest.mark.parametrize("case", sorted(BAD_STAPLES))
    def test_bad(self, pki: PKI, tmp_path: Path, version: str, case: str) -> None:
        make, words, code = BAD_STAPLES[case]
        path = status_file(tmp_path, make(pki))
        with rev_server(tmp_path, pki, "-status_file", path) as server:
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                connect_to(server.port, client_context(pki, "request", version))
        assert words in info.value.verify_message
        assert info.value.verify_code == code

    def test_missing_when_required(
        self, pki: PKI, tmp_path: Path, version: str
    ) -> None:
        with rev_server(tmp_path, pki) as server:
            with pytest.raises(ssl.SSLCertVerificationError, match="no stapled"):
                connect_to(server.port, client_context(pki, "require_good", version))
            with connect_to(
                server.port, client_context(pki, "request", version)
            ) as tls:
                assert tls.get_ocsp_response() is None


def serve_once(ctx: Any, ready: Callable[[int], Any]) -> list[Any]:
    """Serve one connection with *ctx*; call *ready(port)* meanwhile."""
    results: list[Any] = []
    errors: list[BaseException] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(PEER_TIMEOUT)
    port = listener.getsockname()[1]

    def serve() -> None:
        try:
            raw, _ = listener.accept()
            raw.settimeout(PEER_TIMEOUT)
            with ctx.wrap_socket(raw, server_side=True) as tls:
                results.append(tls.get_channel_binding("tls-exporter"))
                results.append(tls.export_keying_material("EXPORTER-test", 48))
                results.append(tls.get_ocsp_response())
                tls.recv(100)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        results.append(ready(port))
    finally:
        thread.join(PEER_TIMEOUT)
        listener.close()
    assert errors == []
    return results


def tool_client(port: int, *args: str) -> str:
    """``openssl s_client`` output; it leaves after sending ``bye``."""
    _, output = s_client(port, "-no_ign_eof", *args, data=b"bye\n")
    return output


def keying_material(output: str) -> bytes:
    match = re.search(r"Keying material: ([0-9A-Fa-f]+)", output)
    assert match is not None, output
    return bytes.fromhex(match.group(1))


@needs_openssl
@pytest.mark.parametrize("version", VERSIONS)
def test_tls_exporter_equals_openssl_s_client(pki: PKI, version: str) -> None:
    flag = "-tls1_3" if version == "TLSv1_3" else "-tls1_2"
    results = serve_once(
        server_context(pki),
        lambda port: tool_client(
            port, flag, "-keymatexport", "EXPORTER-Channel-Binding",
            "-keymatexportlen", "32",
        ),
    )  # fmt: skip
    binding, _other, _staple, output = results
    assert len(binding) == 32
    assert keying_material(output) == binding


@needs_openssl
def test_export_keying_material_equals_openssl_s_client(pki: PKI) -> None:
    staple = pki.ocsp_response()
    results = serve_once(
        server_context(pki, lambda obj: staple),
        lambda port: tool_client(
            port, "-status", "-keymatexport", "EXPORTER-test", "-keymatexportlen", "48"
        ),
    )
    _binding, material, served, output = results
    assert keying_material(output) == material
    # s_client asked for a status: our server stapled, s_client printed it.
    assert served == staple
    assert "OCSP Response Status: successful" in output


def big_staple(pki: PKI, size: int) -> bytes:
    """A well-formed, signed OCSP response of at least *size* bytes."""
    return pki.ocsp_response(size=size)


@needs_openssl
@pytest.mark.parametrize("version", VERSIONS)
def test_huge_staples_from_openssl_s_server(
    pki: PKI, tmp_path: Path, version: str
) -> None:
    # Just under what TLS 1.3 can carry is checked and accepted. Under TLS
    # 1.2 OpenSSL clients take a CertificateStatus message of 16 KiB at most.
    near_limit = _ocsp.MAX_STAPLE_SIZE - 2048
    if version == "TLSv1_2":
        too_big = big_staple(pki, near_limit)
        path = status_file(tmp_path, too_big)
        with rev_server(tmp_path, pki, "-status_file", path) as server:
            with pytest.raises(ssl.SSLError, match="EXCESSIVE_MESSAGE_SIZE"):
                connect_to(server.port, client_context(pki, "request", version))
        near_limit = 15000
    staple = big_staple(pki, near_limit)
    path = status_file(tmp_path, staple)
    with rev_server(tmp_path, pki, "-status_file", path) as server:
        with connect_to(
            server.port, client_context(pki, "require_good", version)
        ) as tls:
            assert tls.get_ocsp_response() == staple
    # A megabyte: OpenSSL refuses the message (or s_server cannot send it);
    # a clean SSLError, nothing else.
    path = status_file(tmp_path, big_staple(pki, 1 << 20))
    with rev_server(tmp_path, pki, "-status_file", path) as server:
        with pytest.raises(ssl.SSLError):
            connect_to(server.port, client_context(pki, "request", version))


@needs_openssl
def test_verify_callback_against_openssl_s_server(pki: PKI, tmp_path: Path) -> None:
    """The verify callback sees s_server's chain inside the handshake."""
    seen: list[tuple[int, Any, bool]] = []
    ctx = client_context(pki, "off")
    ctx.set_verify_callback(
        lambda obj, cert, depth, error, ok: seen.append((depth, cert, ok)) or ok
    )
    with rev_server(tmp_path, pki) as server:
        with connect_to(server.port, ctx) as tls:
            tls.sendall(b"abc\n")
            assert tls.recv(100) == b"cba\n"
        ctx.set_verify_callback(lambda obj, cert, depth, error, ok: depth != 0)
        with pytest.raises(ssl.SSLCertVerificationError, match="verify callback"):
            connect_to(server.port, ctx)
    assert [(d, c) for d, c, _ in seen] == [
        (2, pki.root.cert),
        (1, pki.intermediate.cert),
        (0, pki.server.cert),
    ]
    assert all(ok for _, _, ok in seen)
