"""End-to-end tests of ``python -m OpenSSL`` (demo, client, server).

Peers are real: the standard library's ``ssl`` serves the ``client`` command
and connects to the ``server`` command, over 127.0.0.1. The client and the
demo run in-process through :func:`OpenSSL._cli.main`; the server runs as a
subprocess so that Ctrl-C (SIGINT) can be tested for real.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from OpenSSL._cli.report import ocsp_summary
from tests.support import (
    PKI,
    PREFIX,
    TIMEOUT,
    assert_one_line_error,
    free_port,
    python_m_openssl,
    run_main,
    server_args,
    server_process,
)

# -- helpers ------------------------------------------------------------------


class StdlibServer:
    """A stdlib ``ssl`` echo server on a thread, one client at a time."""

    def __init__(self, context: ssl.SSLContext, host: str = "127.0.0.1") -> None:
        self.context = context
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.create_server((host, 0), family=family)
        self.listener.settimeout(TIMEOUT)
        self.port: int = self.listener.getsockname()[1]
        self.alpn: list[str | None] = []
        self.peer_certs: list[dict[str, object]] = []
        self.failures: list[BaseException] = []
        self.received = b""
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            if self._stopping:
                raw.close()
                return
            raw.settimeout(TIMEOUT)
            try:
                with self.context.wrap_socket(raw, server_side=True) as tls:
                    self.alpn.append(tls.selected_alpn_protocol())
                    self.peer_certs.append(tls.getpeercert() or {})
                    while True:
                        data = tls.recv(65536)
                        if not data:
                            break
                        self.received += data
                        tls.sendall(data)
            except (ssl.SSLError, OSError) as exc:
                self.failures.append(exc)
            finally:
                raw.close()

    def close(self) -> None:
        # A blocked accept() does not notice close(): wake it with a connection.
        self._stopping = True
        host, port = self.listener.getsockname()[:2]
        with contextlib.suppress(OSError):
            socket.create_connection((host, port), timeout=TIMEOUT).close()
        self._thread.join(TIMEOUT)
        self.listener.close()


@contextlib.contextmanager
def stdlib_server(
    files: SimpleNamespace,
    *,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    alpn: list[str] | None = None,
    require_client_cert: bool = False,
) -> Iterator[StdlibServer]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile or files.server_pem, keyfile or files.server_key)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(files.ca_pem)
    server = StdlibServer(ctx)
    try:
        yield server
    finally:
        server.close()


def ocsp_response_file(pki: PKI, directory: Path, *, revoked: bool = False) -> Path:
    """A DER OCSP response about the test server's certificate."""
    path = directory / ("revoked.ocsp" if revoked else "good.ocsp")
    path.write_bytes(pki.ocsp_response(revoked=revoked))
    return path


# -- demo -----------------------------------------------------------------------


class TestDemo:
    def test_demo_prints_the_session(self, capsys: pytest.CaptureFixture[str]) -> None:
        status, out, err = run_main(capsys, "demo")
        assert status == 0, err
        assert err == ""
        for label in ("protocol", "cipher", "group", "ALPN", "verification"):
            assert f"   {label} " in out
        assert "TLSv1.3" in out
        assert "ALPN          h2" in out
        assert "OK: chain up to the trusted root" in out
        assert "subject  CN=localhost,O=pyopenssl-ng demo" in out
        assert "issuer   CN=pyopenssl-ng demo intermediate CA" in out
        assert "subject  CN=pyopenssl-ng demo root CA" in out
        assert " ms" in out
        assert "server answered 'HELLO FROM THE PYOPENSSL-NG DEMO'" in out
        assert "refused: certificate verify failed: hostname mismatch" in out

    def test_show_certs_adds_pem(self, capsys: pytest.CaptureFixture[str]) -> None:
        status, out, _ = run_main(capsys, "demo", "--show-certs")
        assert status == 0
        # two certificates sent by the server, three in the verified chain
        assert out.count("-----BEGIN CERTIFICATE-----") == 5

    def test_no_arguments_runs_the_demo_as_a_module(self) -> None:
        proc = subprocess.run(
            python_m_openssl(), capture_output=True, text=True, timeout=TIMEOUT * 3
        )
        assert proc.returncode == 0, proc.stderr
        assert "verification  OK" in proc.stdout
        assert proc.stderr == ""

    def test_closed_stdout_is_not_a_traceback(self) -> None:
        # As in ``python -m OpenSSL | head -1``: the reader is gone.
        proc = subprocess.Popen(
            python_m_openssl("demo"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        proc.stdout.close()  # before the first line is written
        _, err = proc.communicate(timeout=TIMEOUT * 3)
        assert proc.returncode == 1
        assert err == ""


class TestOcspSummary:
    def test_unreadable(self) -> None:
        assert ocsp_summary(b"garbage", None) == "unreadable response (7 bytes)"

    def test_unsuccessful(self) -> None:
        der = ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.UNAUTHORIZED
        ).public_bytes(serialization.Encoding.DER)
        assert ocsp_summary(der, None) == "responder said UNAUTHORIZED"

    def test_about_another_certificate(self, pki: PKI, tmp_path: Path) -> None:
        der = ocsp_response_file(pki, tmp_path).read_bytes()
        summary = ocsp_summary(der, pki.rsa_server.cert)
        assert summary.startswith("GOOD, but about another certificate (this update ")
        assert ", next update " in summary

    def test_none(self) -> None:
        assert ocsp_summary(None, None) == "no response stapled"
        assert ocsp_summary(b"", None) == "no response stapled"


# -- help and usage errors --------------------------------------------------------


class TestUsage:
    @pytest.mark.parametrize("command", [[], ["demo"], ["client"], ["server"]])
    def test_help(self, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
        status, out, _ = run_main(capsys, *command, "--help")
        assert status == 0
        assert out.startswith(f"usage: {PREFIX}")

    def test_help_as_a_module(self) -> None:
        proc = subprocess.run(
            python_m_openssl("client", "--help"),
            capture_output=True,
            text=True,
            timeout=TIMEOUT * 3,
        )
        assert proc.returncode == 0
        assert "--servername" in proc.stdout
        assert "--show-certs" in proc.stdout

    def test_unknown_command(self, capsys: pytest.CaptureFixture[str]) -> None:
        status, _, err = run_main(capsys, "frobnicate")
        assert status == 2
        assert_one_line_error(err, "", "invalid choice: 'frobnicate'")

    @pytest.mark.parametrize(
        ("address", "fragment"),
        [
            ("localhost", "malformed address 'localhost'"),
            (":443", "malformed address ':443'"),
            ("localhost:", "invalid port ''"),
            ("localhost:https", "invalid port 'https'"),
            ("localhost:0", "port 0 out of range"),
            ("localhost:65536", "port 65536 out of range"),
            ("::1:443", "write IPv6 addresses as [ADDR]:PORT"),
            ("[::1]443", "malformed address '[::1]443'"),
        ],
    )
    def test_malformed_address(
        self, capsys: pytest.CaptureFixture[str], address: str, fragment: str
    ) -> None:
        status, out, err = run_main(capsys, "client", address)
        assert status == 2
        assert out == ""
        assert_one_line_error(err, "client", fragment)

    def test_missing_cafile(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        missing = tmp_path / "nope.pem"
        status, _, err = run_main(
            capsys, "client", "127.0.0.1:443", "--cafile", str(missing)
        )
        assert status == 2
        assert_one_line_error(err, "client", f"no such file: '{missing}'")

    @pytest.mark.parametrize("value", ["0", "-1", "soon"])
    def test_bad_timeout(self, capsys: pytest.CaptureFixture[str], value: str) -> None:
        status, _, err = run_main(capsys, "client", "127.0.0.1:443", "--timeout", value)
        assert status == 2
        assert_one_line_error(err, "client", "argument --timeout")

    @pytest.mark.parametrize("value", ["", "a" * 256, "h2,", "\u00e9"])
    def test_bad_alpn(self, capsys: pytest.CaptureFixture[str], value: str) -> None:
        status, _, err = run_main(capsys, "client", "127.0.0.1:443", "--alpn", value)
        assert status == 2
        assert_one_line_error(err, "client", "argument --alpn")

    def test_client_key_without_cert(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        status, _, err = run_main(
            capsys,
            "client",
            "127.0.0.1:443",
            "--client-key",
            str(pki_files.client_key),
        )
        assert status == 2
        assert_one_line_error(err, "client", "--client-key needs --client-cert")

    def test_server_requires_cert_and_key(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, _, err = run_main(capsys, "server")
        assert status == 2
        assert_one_line_error(err, "server", "--cert")

    def test_server_missing_key_file(
        self,
        capsys: pytest.CaptureFixture[str],
        pki_files: SimpleNamespace,
        tmp_path: Path,
    ) -> None:
        status, _, err = run_main(
            capsys,
            "server",
            "--cert",
            str(pki_files.server_pem),
            "--key",
            str(tmp_path / "missing.key"),
        )
        assert status == 2
        assert_one_line_error(err, "server", "no such file")

    @pytest.mark.parametrize("port", ["-1", "65536", "http"])
    def test_server_bad_port(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace, port: str
    ) -> None:
        status, _, err = run_main(
            capsys,
            "server",
            "--cert",
            str(pki_files.server_pem),
            "--key",
            str(pki_files.server_key),
            "--port",
            port,
        )
        assert status == 2
        assert_one_line_error(err, "server", "argument --port")

    def test_server_max_clients_must_be_positive(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        status, _, err = run_main(
            capsys,
            "server",
            "--cert",
            str(pki_files.server_pem),
            "--key",
            str(pki_files.server_key),
            "--max-clients",
            "0",
        )
        assert status == 2
        assert_one_line_error(err, "server", "--max-clients must be at least 1")


# -- client against the standard library's ssl server ------------------------------


class TestClient:
    def test_verified_connection(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files) as server:
            status, out, err = run_main(
                capsys,
                "client",
                f"localhost:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
            )
        assert status == 0, err
        assert err == ""
        assert out.startswith(f"connected to localhost:{server.port}\n")
        assert "protocol      TLSv1.3" in out
        assert "server name   localhost" in out
        assert "verification  OK (chain trusted, name 'localhost' matched)" in out
        assert "trusted root  CN=pyopenssl-ng test root CA,O=pyopenssl-ng tests" in out
        assert "0 subject  CN=localhost,O=pyopenssl-ng tests" in out
        assert "names    DNS:localhost, IP:127.0.0.1, IP:::1" in out
        assert "1 subject  CN=pyopenssl-ng test intermediate CA" in out
        assert "BEGIN CERTIFICATE" not in out
        assert server.failures == []

    def test_ip_address_is_verified_without_sni(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files) as server:
            status, out, err = run_main(
                capsys,
                "client",
                f"127.0.0.1:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
            )
        assert status == 0, err
        assert "server name   -" in out
        assert "name '127.0.0.1' matched" in out

    def test_ipv6_address(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki_files.server_pem, pki_files.server_key)
        try:
            server = StdlibServer(ctx, host="::1")
        except OSError as exc:
            pytest.skip(f"cannot listen on ::1: {exc}")
        try:
            status, out, err = run_main(
                capsys,
                "client",
                f"[::1]:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
            )
        finally:
            server.close()
        assert status == 0, err
        assert "name '::1' matched" in out

    def test_international_name_is_sent_as_idna(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files) as server:
            names: list[str | None] = []
            server.context.sni_callback = lambda sock, name, ctx: names.append(name)
            status, _, err = run_main(
                capsys,
                "client",
                f"127.0.0.1:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
                "--servername",
                "b\u00fccher.example",
            )
        assert names == ["xn--bcher-kva.example"]
        assert status == 1
        assert_one_line_error(err, "client", "hostname mismatch (code 62)")

    @pytest.mark.parametrize("name", ["a b", "a..b", "-a.example"])
    def test_invalid_servername(
        self, capsys: pytest.CaptureFixture[str], name: str
    ) -> None:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]
            status, out, err = run_main(
                capsys, "client", f"127.0.0.1:{port}", f"--servername={name}"
            )
        assert status == 2
        assert out == ""
        assert_one_line_error(err, "client", f"invalid host name {name!r}")

    def test_untrusted_ca_fails(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        # The default trust store does not know the test root.
        with stdlib_server(pki_files) as server:
            status, out, err = run_main(capsys, "client", f"localhost:{server.port}")
        assert status == 1
        assert out == ""
        assert_one_line_error(
            err,
            "client",
            f"handshake with localhost:{server.port} failed: certificate verify "
            "failed: unable to get local issuer certificate (code 20)",
        )

    def test_wrong_host_fails(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files) as server:
            status, out, err = run_main(
                capsys,
                "client",
                f"127.0.0.1:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
                "--servername",
                "other.example",
            )
        assert status == 1
        assert out == ""
        assert_one_line_error(
            err, "client", "certificate verify failed: hostname mismatch (code 62)"
        )

    def test_expired_certificate_fails(
        self,
        capsys: pytest.CaptureFixture[str],
        pki: PKI,
        pki_files: SimpleNamespace,
    ) -> None:
        certfile, keyfile = pki.expired_server.write(pki_files.directory)
        with stdlib_server(pki_files, certfile=certfile, keyfile=keyfile) as server:
            status, _, err = run_main(
                capsys,
                "client",
                f"localhost:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
            )
        assert status == 1
        assert_one_line_error(err, "client", "certificate has expired (code 10)")

    def test_insecure_connects_and_reports(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files) as server:
            status, out, err = run_main(
                capsys, "client", f"localhost:{server.port}", "--insecure"
            )
        assert status == 0, err
        assert (
            "verification  FAILED, not enforced (--insecure): unable to get local "
            "issuer certificate (code 20)"
        ) in out
        assert "trusted root  -" in out

    def test_insecure_reports_a_wrong_name(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files) as server:
            status, out, err = run_main(
                capsys,
                "client",
                f"127.0.0.1:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
                "--servername",
                "other.example",
                "--insecure",
            )
        assert status == 0, err
        assert "server name   other.example" in out
        assert (
            "verification  FAILED, not enforced (--insecure): hostname mismatch "
            "(code 62)"
        ) in out

    def test_alpn(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files, alpn=["h2"]) as server:
            status, out, err = run_main(
                capsys,
                "client",
                f"localhost:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
                "--alpn",
                "http/1.1,spdy/3",
                "--alpn",
                "h2",
            )
        assert status == 0, err
        assert "ALPN          h2" in out
        assert server.alpn == ["h2"]

    def test_no_alpn_offered(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files, alpn=["h2"]) as server:
            status, out, _ = run_main(
                capsys,
                "client",
                f"localhost:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
            )
        assert status == 0
        assert "ALPN          (none negotiated)" in out
        assert server.alpn == [None]

    def test_show_certs(
        self,
        capsys: pytest.CaptureFixture[str],
        pki: PKI,
        pki_files: SimpleNamespace,
    ) -> None:
        with stdlib_server(pki_files) as server:
            status, out, _ = run_main(
                capsys,
                "client",
                f"localhost:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
                "--show-certs",
            )
        assert status == 0
        assert pki.server.cert_pem().decode().strip() in out
        assert pki.intermediate.cert_pem().decode().strip() in out
        assert out.count("-----BEGIN CERTIFICATE-----") == 2

    def test_send_prints_the_reply(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files) as server:
            status, out, err = run_main(
                capsys,
                "client",
                f"localhost:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
                "--send",
                "ping\\n",
            )
        assert status == 0, err
        assert out.endswith("received 5 bytes:\nping\n")
        assert server.received == b"ping\n"

    def test_send_standard_input(self, pki_files: SimpleNamespace) -> None:
        with stdlib_server(pki_files) as server:
            proc = subprocess.run(
                python_m_openssl(
                    "client",
                    f"localhost:{server.port}",
                    "--cafile",
                    str(pki_files.ca_pem),
                    "--send",
                    "-",
                ),
                input=b"GET / HTTP/1.0\r\n\r\n",
                capture_output=True,
                timeout=TIMEOUT * 3,
            )
        assert proc.returncode == 0, proc.stderr
        assert server.received == b"GET / HTTP/1.0\r\n\r\n"
        assert proc.stdout.endswith(b"received 18 bytes:\nGET / HTTP/1.0\r\n\r\n")

    def test_client_certificate(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files, require_client_cert=True) as server:
            status, _, err = run_main(
                capsys,
                "client",
                f"localhost:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
                "--client-cert",
                str(pki_files.client_pem),
                "--client-key",
                str(pki_files.client_key),
                "--send",
                "x",
            )
        assert status == 0, err
        assert server.failures == []
        subject = server.peer_certs[0]["subject"]
        assert (("commonName", "client"),) in subject  # type: ignore[operator]

    def test_mismatched_client_key(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        status, _, err = run_main(
            capsys,
            "client",
            "127.0.0.1:443",
            "--client-cert",
            str(pki_files.client_pem),
            "--client-key",
            str(pki_files.server_key),
        )
        assert status == 1
        assert_one_line_error(
            err,
            "client",
            f"the private key in {pki_files.server_key} does not match the "
            f"certificate in {pki_files.client_pem}",
        )

    def test_unreadable_cafile_contents(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        garbage = tmp_path / "garbage.pem"
        garbage.write_text("this is not a certificate\n")
        status, _, err = run_main(
            capsys, "client", "127.0.0.1:443", "--cafile", str(garbage)
        )
        assert status == 1
        assert_one_line_error(
            err, "client", f"no certificate found in CA file {garbage}"
        )

    def test_connection_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        port = free_port()
        status, out, err = run_main(capsys, "client", f"127.0.0.1:{port}")
        assert status == 1
        assert out == ""
        assert_one_line_error(err, "client", f"cannot connect to 127.0.0.1:{port}")

    def test_silent_server_times_out(self, capsys: pytest.CaptureFixture[str]) -> None:
        # A TCP server that accepts and never answers the ClientHello.
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]
            status, _, err = run_main(
                capsys, "client", f"127.0.0.1:{port}", "--timeout", "0.2"
            )
        assert status == 1
        assert_one_line_error(err, "client", "timed out after 0.2 s")

    def test_plain_tcp_server_fails_handshake(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # A server that answers the ClientHello with plain text and closes.
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        try:
            status, _, err = run_main(capsys, "client", f"127.0.0.1:{port}")
        finally:
            thread.join(TIMEOUT)
            listener.close()
        assert status == 1
        assert_one_line_error(err, "client", f"handshake with 127.0.0.1:{port} failed")


# -- server against the standard library's ssl client --------------------------------


def stdlib_client_context(
    files: SimpleNamespace, *, alpn: list[str] | None = None, client_cert: bool = False
) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(files.ca_pem))
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if client_cert:
        ctx.load_cert_chain(files.client_pem, files.client_key)
    return ctx


def echo_once(
    ctx: ssl.SSLContext, port: int, payload: bytes
) -> tuple[bytes, str | None]:
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(payload)
            reply = b""
            while len(reply) < len(payload):
                chunk = tls.recv(65536)
                if not chunk:
                    break
                reply += chunk
            return reply, tls.selected_alpn_protocol()


class TestServer:
    def test_echo_and_ctrl_c(self, pki_files: SimpleNamespace) -> None:
        with server_process(*server_args(pki_files, "--alpn", "h2")) as server:
            ctx = stdlib_client_context(pki_files, alpn=["http/1.1", "h2"])
            payload = os.urandom(100_000)
            assert echo_once(ctx, server.port, payload) == (payload, "h2")
            assert echo_once(ctx, server.port, b"second") == (b"second", "h2")
            status, out, err = server.interrupt()
        assert status == 130  # as a shell expects after Ctrl-C
        assert "Traceback" not in err
        assert out.count("connected: protocol=TLSv1.3") == 2
        assert "ALPN=h2" in out
        assert "server name=localhost" in out
        assert "interrupted, shutting down" in out

    def test_clients_at_the_same_time(self, pki_files: SimpleNamespace) -> None:
        ctx = stdlib_client_context(pki_files)
        with server_process(*server_args(pki_files, "--max-clients", "2")) as server:
            # Two handshakes completed and held open before either sends.
            conns = []
            for _ in range(2):
                raw = socket.create_connection(("127.0.0.1", server.port), TIMEOUT)
                conns.append(ctx.wrap_socket(raw, server_hostname="localhost"))
            for i, tls in enumerate(reversed(conns)):
                tls.sendall(b"client %d" % i)
                assert tls.recv(100) == b"client %d" % i
            for tls in conns:
                tls.close()
            status, out, err = server.finish()
        assert status == 0, err
        assert out.count("closed: echoed 8 bytes") == 2

    def test_alpn_without_overlap_negotiates_none(
        self, pki_files: SimpleNamespace
    ) -> None:
        with server_process(
            *server_args(pki_files, "--alpn", "h2", "--max-clients", "1")
        ) as server:
            ctx = stdlib_client_context(pki_files, alpn=["http/1.1"])
            assert echo_once(ctx, server.port, b"x") == (b"x", None)
            status, out, err = server.finish()
        assert status == 0, err
        assert "ALPN=(none negotiated)" in out

    def test_client_ca_required(self, pki_files: SimpleNamespace) -> None:
        args = server_args(
            pki_files, "--client-ca", str(pki_files.ca_pem), "--max-clients", "2"
        )
        with server_process(*args) as server:
            good = stdlib_client_context(pki_files, client_cert=True)
            assert echo_once(good, server.port, b"hello") == (b"hello", None)
            bad = stdlib_client_context(pki_files)
            # TLS 1.3: the client learns of the refusal on its first read.
            with pytest.raises((ssl.SSLError, ConnectionError)):
                reply, _ = echo_once(bad, server.port, b"hello")
                if not reply:
                    raise ConnectionError("closed without a reply")
            status, out, err = server.finish()
        assert status == 0
        assert "client=CN=client,O=pyopenssl-ng tests" in out
        assert "peer did not return a certificate" in err
        assert "Traceback" not in err

    def test_our_client_against_our_server(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        args = server_args(
            pki_files,
            "--client-ca",
            str(pki_files.ca_pem),
            "--alpn",
            "h2",
            "--max-clients",
            "1",
        )
        with server_process(*args) as server:
            status, out, err = run_main(
                capsys,
                "client",
                f"localhost:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
                "--alpn",
                "h2",
                "--client-cert",
                str(pki_files.client_pem),
                "--client-key",
                str(pki_files.client_key),
                "--send",
                "round trip",
            )
            server_status, server_out, server_err = server.finish()
        assert status == 0, err
        assert "ALPN          h2" in out
        assert out.endswith("received 10 bytes:\nround trip\n")
        assert server_status == 0, server_err
        assert "closed: echoed 10 bytes" in server_out

    def test_ipv6(self, pki_files: SimpleNamespace) -> None:
        try:
            socket.create_server(("::1", 0), family=socket.AF_INET6).close()
        except OSError as exc:
            pytest.skip(f"cannot listen on ::1: {exc}")
        args = server_args(pki_files, "--max-clients", "1")
        with server_process(*args, host="::1") as server:
            ctx = stdlib_client_context(pki_files)
            with socket.create_connection(("::1", server.port), TIMEOUT) as raw:
                with ctx.wrap_socket(raw, server_hostname="::1") as tls:
                    tls.sendall(b"six")
                    assert tls.recv(10) == b"six"
            status, out, err = server.finish()
        assert status == 0, err
        assert "[::1]:" in out

    @pytest.mark.parametrize("revoked", [False, True])
    def test_ocsp_stapling(
        self,
        capsys: pytest.CaptureFixture[str],
        pki: PKI,
        pki_files: SimpleNamespace,
        revoked: bool,
    ) -> None:
        response = ocsp_response_file(pki, pki_files.directory, revoked=revoked)
        args = server_args(
            pki_files, "--ocsp-response", str(response), "--max-clients", "1"
        )
        with server_process(*args) as server:
            status, out, err = run_main(
                capsys,
                "client",
                f"localhost:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
                "--ocsp",
            )
            server_status, _, server_err = server.finish()
        assert status == 0, err
        assert server_status == 0, server_err
        expected = "REVOKED" if revoked else "GOOD"
        assert f"OCSP          {expected} (this update " in out

    def test_ocsp_not_asked_not_shown(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files) as server:
            status, out, _ = run_main(
                capsys,
                "client",
                f"localhost:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
            )
        assert status == 0
        assert "OCSP" not in out

    def test_ocsp_none_stapled(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with stdlib_server(pki_files) as server:
            status, out, err = run_main(
                capsys,
                "client",
                f"localhost:{server.port}",
                "--cafile",
                str(pki_files.ca_pem),
                "--ocsp",
            )
        assert status == 0, err
        assert "OCSP          no response stapled" in out

    def test_ocsp_response_file_missing(
        self,
        capsys: pytest.CaptureFixture[str],
        pki_files: SimpleNamespace,
        tmp_path: Path,
    ) -> None:
        status, _, err = run_main(
            capsys,
            "server",
            *server_args(pki_files, "--ocsp-response", str(tmp_path / "none.der")),
        )
        assert status == 2
        assert_one_line_error(err, "server", "argument --ocsp-response")

    def test_key_does_not_match_certificate(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        status, out, err = run_main(
            capsys,
            "server",
            "--cert",
            str(pki_files.server_pem),
            "--key",
            str(pki_files.client_key),
            "--port",
            "0",
        )
        assert status == 1
        assert out == ""
        assert_one_line_error(err, "server", "does not match the certificate in")

    def test_port_in_use(
        self, capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
    ) -> None:
        with socket.create_server(("127.0.0.1", 0), reuse_port=False) as busy:
            port = busy.getsockname()[1]
            status, _, err = run_main(
                capsys, "server", *server_args(pki_files, "--port", str(port))
            )
        assert status == 1
        assert_one_line_error(err, "server", f"cannot listen on 127.0.0.1:{port}")
