"""``OpenSSL.SSL`` against the ``openssl`` command-line tool.

The system's ``openssl`` (a different OpenSSL build from the one bundled with
``cryptography``) is an independent peer: ``openssl s_server -rev`` (it
answers every line with the line reversed) for our client, and
``openssl s_client`` for our server, which runs in a thread on a loopback
socket. Every subprocess has a bounded lifetime and is killed in ``finally``.
Without the tool the whole module is skipped with a visible reason.
"""

from __future__ import annotations

import contextlib
import re
import socket
from pathlib import Path
from typing import Optional

import pytest

from OpenSSL import SSL
from tests.support import (
    PEER_TIMEOUT,
    PKI,
    VERSION_FLAG,
    Background,
    OpenSSLProcess,
    blocking_with_deadline,
    client_context,
    identity_args,
    listener,
    make_pki,
    needs_openssl,
    reasons,
    recv_line,
    rev_line,
    s_client,
    s_server,
    server_context,
    tls_client,
    unrelated_ca_file,
    write_files,
)

pytestmark = needs_openssl

versions = pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])


@pytest.fixture
def files(pki: PKI, tmp_path: Path) -> dict[str, Path]:
    """PEM files for the CLI: leaf, chain and key files kept apart."""
    contents = {
        "client_cert": pki.client.cert_pem(),
        "client_key": pki.client.key_pem(),
        "intermediate": pki.intermediate.cert_pem(),
        "ca": pki.root_pem(),
    }
    return {**write_files(tmp_path, contents), "log": tmp_path / "s_server.log"}


def rev_server(
    files: dict[str, Path], *args: str
) -> contextlib.AbstractContextManager[OpenSSLProcess]:
    """``openssl s_server -rev`` (each line comes back reversed), server identity."""
    identity = identity_args(make_pki().server, files["log"].parent)
    return s_server(*identity, "-rev", *args, log=files["log"])


def our_client(
    port: int,
    *,
    version: Optional[str] = None,
    ctx: Optional[SSL.Context] = None,
    hostname: str = "localhost",
) -> SSL.Connection:
    """Our socket-mode client, connected and with the handshake done."""
    if ctx is None:
        ctx = client_context(version=version)
    return tls_client(port, ctx, hostname=hostname)


# --- our client, s_server -------------------------------------------------------


@versions
def test_our_client_s_server(pki: PKI, files: dict[str, Path], version: str) -> None:
    with rev_server(files, VERSION_FLAG[version]) as server:
        conn = our_client(server.port, version=version)
        assert conn.get_protocol_version_name() == version
        assert conn.get_verify_result() == SSL.X509VerificationCodes.OK
        chain = conn.get_peer_cert_chain(as_cryptography=True)
        assert chain == [pki.server.cert, pki.intermediate.cert]
        assert rev_line(conn, b"hello openssl") == b"lssnepo olleh"
        long_line = bytes(range(48, 58)) * 1000
        assert rev_line(conn, long_line) == long_line[::-1]
        conn.sendall(b"CLOSE\n")
        # s_server -rev answers "CLOSE" with close_notify.
        with pytest.raises(SSL.ZeroReturnError):
            conn.recv(1024)
        assert conn.get_shutdown() & SSL.RECEIVED_SHUTDOWN
        conn.close()
    assert "CONNECTION ESTABLISHED" in server.output()


def test_our_client_s_server_alpn(files: dict[str, Path]) -> None:
    ctx = client_context()
    ctx.set_alpn_protos([b"http/1.1", b"h2"])
    with rev_server(files, "-alpn", "h2") as server:
        conn = our_client(server.port, ctx=ctx)
        assert conn.get_alpn_proto_negotiated() == b"h2"
        assert rev_line(conn, b"alpn") == b"npla"
        conn.close()


@versions
def test_our_client_cert_to_s_server(
    pki: PKI, files: dict[str, Path], version: str
) -> None:
    flags = ("-Verify", "1", "-CAfile", str(files["ca"]), "-verify_return_error")
    with rev_server(files, VERSION_FLAG[version], *flags) as server:
        ctx = client_context(version=version, identity=pki.client)
        conn = our_client(server.port, ctx=ctx)
        assert rev_line(conn, b"with cert") == b"trec htiw"
        conn.close()


@versions
def test_our_client_without_cert_rejected_by_s_server(
    files: dict[str, Path], version: str
) -> None:
    flags = ("-Verify", "1", "-CAfile", str(files["ca"]), "-verify_return_error")
    with rev_server(files, VERSION_FLAG[version], *flags) as server:
        with pytest.raises(SSL.Error) as info:
            conn = our_client(server.port, version=version)
            try:
                # TLS 1.3: the verdict on our (missing) certificate comes
                # after our handshake finished, with the first read.
                rev_line(conn, b"no cert")
            finally:
                conn.close()
        assert type(info.value) is SSL.Error
        assert any("alert" in reason for reason in reasons(info.value))


def test_our_client_rejects_s_server_wrong_host(files: dict[str, Path]) -> None:
    with rev_server(files) as server:
        with pytest.raises(SSL.Error) as info:
            our_client(server.port, hostname="example.org")
        assert "certificate verify failed" in reasons(info.value)


def test_our_client_rejects_s_server_untrusted(files: dict[str, Path]) -> None:
    with rev_server(files) as server:
        ctx = client_context(cafile=unrelated_ca_file())
        with pytest.raises(SSL.Error) as info:
            our_client(server.port, ctx=ctx)
        assert "certificate verify failed" in reasons(info.value)


# --- s_client, our server ---------------------------------------------------------


class OurServer:
    """Our socket-mode server in a thread: accept, handshake, answer a line.

    The answer to a line ``X`` is ``b"you said: X"``; then the server sends
    close_notify and closes. What the server saw comes back from
    :meth:`result`; an exception in the thread is re-raised there.
    """

    def __init__(self, ctx: SSL.Context, connections: int = 1) -> None:
        self.ctx = ctx
        self.servernames: list[Optional[bytes]] = []
        self.listener = listener()
        self.port = self.listener.port
        self._peer = Background(lambda: [self._serve_one() for _ in range(connections)])

    def _serve_one(self) -> dict[str, object]:
        conn = SSL.Connection(self.ctx, blocking_with_deadline(self.listener.accept()))
        try:
            conn.set_accept_state()
            conn.do_handshake()
            line = recv_line(conn.recv)
            conn.sendall(b"you said: " + line)
            conn.shutdown()
            return {
                "line": line,
                "version": conn.get_protocol_version_name(),
                "alpn": conn.get_alpn_proto_negotiated(),
                "servername": conn.get_servername(),
                "peer": conn.get_peer_certificate(as_cryptography=True),
            }
        finally:
            conn.close()

    def result(self) -> list[dict[str, object]]:
        try:
            value: list[dict[str, object]] = self._peer.result()
            return value
        finally:
            self.listener.__exit__()


@versions
def test_s_client_our_server(files: dict[str, Path], version: str) -> None:
    ctx = server_context(version=version)
    ctx.set_alpn_select_callback(
        lambda conn, protos: b"h2" if b"h2" in protos else SSL.NO_OVERLAPPING_PROTOCOLS
    )
    server = OurServer(ctx)
    code, output = s_client(
        server.port,
        VERSION_FLAG[version],
        "-CAfile",
        str(files["ca"]),
        "-verify_return_error",
        "-servername",
        "localhost",
        "-verify_hostname",
        "localhost",
        "-alpn",
        "http/1.1,h2",
    )
    [seen] = server.result()
    assert code == 0, output
    assert "you said: ping" in output
    assert "Verify return code: 0 (ok)" in output
    assert "ALPN protocol: h2" in output
    assert re.search(rf"Protocol\s*:\s*{re.escape(version)}", output), output
    assert seen["line"] == b"ping\n"
    assert seen["version"] == version
    assert seen["alpn"] == b"h2"
    assert seen["servername"] == b"localhost"
    assert seen["peer"] is None


def test_s_client_sni_reaches_servername_callback(files: dict[str, Path]) -> None:
    seen: list[Optional[bytes]] = []
    ctx = server_context()
    ctx.set_tlsext_servername_callback(lambda conn: seen.append(conn.get_servername()))
    server = OurServer(ctx)
    code, output = s_client(
        server.port, "-CAfile", str(files["ca"]), "-servername", "sni.example"
    )
    server.result()
    assert code == 0, output
    assert seen == [b"sni.example"]


def test_s_client_verification_fails_against_our_server(files: dict[str, Path]) -> None:
    server = OurServer(server_context())
    code, output = s_client(
        server.port,
        "-CAfile",
        str(unrelated_ca_file()),
        "-verify_return_error",
        "-servername",
        "localhost",
    )
    with pytest.raises(SSL.Error) as info:
        server.result()
    assert code != 0, output
    assert "unable to get local issuer certificate" in output
    assert type(info.value) is SSL.Error
    assert any("alert unknown ca" in r for r in reasons(info.value))


@versions
def test_s_client_cert_to_our_server(
    pki: PKI, files: dict[str, Path], version: str
) -> None:
    server = OurServer(server_context(version=version, require_client_cert=True))
    code, output = s_client(
        server.port,
        VERSION_FLAG[version],
        "-CAfile",
        str(files["ca"]),
        "-verify_return_error",
        "-cert",
        str(files["client_cert"]),
        "-key",
        str(files["client_key"]),
        "-cert_chain",
        str(files["intermediate"]),
    )
    [seen] = server.result()
    assert code == 0, output
    assert "you said: ping" in output
    assert seen["peer"] == pki.client.cert


@versions
def test_s_client_resumes_session_with_our_server(
    files: dict[str, Path], tmp_path: Path, version: str
) -> None:
    server = OurServer(server_context(version=version), connections=2)
    session_file = tmp_path / "session.pem"
    common = (
        VERSION_FLAG[version],
        "-CAfile",
        str(files["ca"]),
        "-servername",
        "localhost",
    )
    code1, out1 = s_client(server.port, *common, "-sess_out", str(session_file))
    code2, out2 = s_client(server.port, *common, "-sess_in", str(session_file))
    server.result()
    assert code1 == 0, out1
    assert code2 == 0, out2
    assert re.search(rf"^New, {re.escape(version)}", out1, re.M), out1
    assert re.search(rf"^Reused, {re.escape(version)}", out2, re.M), out2


# --- OCSP stapling ----------------------------------------------------------------


def ocsp_response(pki: PKI) -> bytes:
    """A signed 'good' OCSP response for the server certificate (DER)."""
    return pki.ocsp_response()


@versions
def test_our_client_receives_s_server_staple(
    pki: PKI, files: dict[str, Path], tmp_path: Path, version: str
) -> None:
    der = ocsp_response(pki)
    status_file = tmp_path / "ocsp.der"
    status_file.write_bytes(der)
    stapled: list[tuple[bytes, object]] = []

    def check(conn: SSL.Connection, data: bytes, user_data: object) -> bool:
        stapled.append((data, user_data))
        return True

    ctx = client_context(version=version)
    ctx.set_ocsp_client_callback(check, "marker")
    with rev_server(
        files, VERSION_FLAG[version], "-status_file", str(status_file)
    ) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), PEER_TIMEOUT)
        conn = SSL.Connection(ctx, blocking_with_deadline(sock))
        conn.set_tlsext_host_name(b"localhost")
        conn.request_ocsp()
        conn.set_connect_state()
        conn.do_handshake()
        assert rev_line(conn, b"stapled") == b"delpats"
        conn.close()
    assert stapled == [(der, "marker")]


def test_our_client_rejecting_staple_aborts_handshake(
    pki: PKI, files: dict[str, Path], tmp_path: Path
) -> None:
    status_file = tmp_path / "ocsp.der"
    status_file.write_bytes(ocsp_response(pki))
    ctx = client_context()
    ctx.set_ocsp_client_callback(lambda conn, data, user_data: False)
    with rev_server(files, "-status_file", str(status_file)) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), PEER_TIMEOUT)
        conn = SSL.Connection(ctx, blocking_with_deadline(sock))
        conn.request_ocsp()
        conn.set_connect_state()
        with pytest.raises(SSL.Error) as info:
            conn.do_handshake()
        assert type(info.value) is SSL.Error
        conn.close()


@versions
def test_s_client_receives_our_staple(
    pki: PKI, files: dict[str, Path], version: str
) -> None:
    der = ocsp_response(pki)
    calls: list[object] = []

    def staple(conn: SSL.Connection, user_data: object) -> bytes:
        calls.append(user_data)
        return der

    ctx = server_context(version=version)
    ctx.set_ocsp_server_callback(staple, "server-data")
    server = OurServer(ctx)
    code, output = s_client(
        server.port,
        VERSION_FLAG[version],
        "-CAfile",
        str(files["ca"]),
        "-servername",
        "localhost",
        "-status",
    )
    server.result()
    assert code == 0, output
    assert calls == ["server-data"]
    assert "OCSP Response Status: successful (0x0)" in output, output
    assert "Cert Status: good" in output, output
