"""The documentation's examples (``doc/examples/*.py``) run and do what they say.

Each example is imported from its file and driven against real peers over
memory BIOs or 127.0.0.1: the standard library's ``ssl`` and ``http.server``,
asyncio, trio and urllib3. Certificates come from the test PKI.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import re
import socket
import ssl
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from OpenSSL import SSL, crypto
from tests.support import PKI, BodyHandler, WhoAmIHandler, https_server

EXAMPLES = Path(__file__).resolve().parent.parent / "doc" / "examples"
TIMEOUT = 20


def load(name: str) -> ModuleType:
    """Import ``doc/examples/<name>.py`` under a private module name."""
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_doc_example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


memory_bio = load("memory_bio")

DOC = EXAMPLES.parent
_INCLUDE = re.compile(
    r"^\.\. literalinclude:: (examples/\w+\.py)\n(?:   :pyobject: (\w+)\n)?",
    re.MULTILINE,
)


def _includes() -> list[tuple[str, str, str | None]]:
    found = []
    for page in sorted(DOC.rglob("*.rst")):
        for match in _INCLUDE.finditer(page.read_text(encoding="utf-8")):
            found.append((page.name, match.group(1), match.group(2)))
    return found


class TestExamplesAreWired:
    @pytest.mark.parametrize(
        "path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name
    )
    def test_every_example_imports_and_is_shown(self, path: Path) -> None:
        load(path.stem)
        shown = {include for _, include, _ in _includes()}
        assert f"examples/{path.name}" in shown, f"{path.name} is in no page"

    @pytest.mark.parametrize(("page", "include", "name"), _includes())
    def test_every_included_object_exists(
        self, page: str, include: str, name: str | None
    ) -> None:
        module = load(Path(include).stem)
        if name is not None:
            assert callable(getattr(module, name, None)), f"{page}: {include}:{name}"


def server_context(pki: PKI, identity: str = "server") -> SSL.Context:
    ident = getattr(pki, identity)
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.use_certificate(ident.cert)
    ctx.use_privatekey(ident.key)
    for cert in ident.chain:
        ctx.add_extra_chain_cert(cert)
    return ctx


def verifying_client_context(pki: PKI) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_PEER)
    store = ctx.get_cert_store()
    assert store is not None
    store.add_cert(crypto.X509.from_cryptography(pki.root.cert))
    return ctx


# -- servers used as peers ---------------------------------------------------------


class _Handler(BodyHandler):
    """HTTP/1.0 (the quickstart test reads its status line)."""

    def body(self) -> bytes:
        return b"hello from http.server\n"


@contextlib.contextmanager
def doc_https_server(files: SimpleNamespace) -> Iterator[int]:
    """A stdlib HTTPS server (http.server + ssl) on 127.0.0.1; yields the port."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(files.server_pem, files.server_key)
    with https_server(ctx, _Handler) as (_, port):
        yield port


def stdlib_line_echo(files: SimpleNamespace) -> tuple[socket.socket, threading.Thread]:
    """A stdlib TLS server that upper-cases one line for one client."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(files.server_pem, files.server_key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)

    def serve() -> None:
        raw, _ = listener.accept()
        raw.settimeout(TIMEOUT)
        with ctx.wrap_socket(raw, server_side=True) as tls:
            line = b""
            while not line.endswith(b"\n"):
                data = tls.recv(1024)
                if not data:
                    break
                line += data
            # The client may close before reading everything or the close_notify.
            with contextlib.suppress(OSError):
                tls.sendall(line.upper())
                tls.unwrap()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


# -- quick start -----------------------------------------------------------------


class TestQuickstart:
    def test_client_fetches_from_https_server(self, pki_files: SimpleNamespace) -> None:
        example = load("quickstart_client")
        with doc_https_server(pki_files) as port:
            response = example.https_get("localhost", port, str(pki_files.ca_pem))
        assert response.startswith(b"HTTP/1.0 200 OK\r\n")
        assert response.endswith(b"\r\n\r\nhello from http.server\n")

    def test_client_refuses_untrusted_server(self, pki_files: SimpleNamespace) -> None:
        example = load("quickstart_client")
        with doc_https_server(pki_files) as port:
            with pytest.raises(SSL.Error) as info:
                # the system trust store does not know the test root
                example.https_get("localhost", port)
        assert not isinstance(info.value, SSL.SysCallError)

    def test_server_answers_stdlib_client(self, pki_files: SimpleNamespace) -> None:
        example = load("quickstart_server")
        ctx = example.server_context(
            str(pki_files.server_pem), str(pki_files.server_key)
        )
        listener = socket.create_server(("127.0.0.1", 0))
        thread = threading.Thread(target=example.serve, args=(listener, ctx, 1))
        thread.start()
        try:
            client = ssl.create_default_context(cafile=str(pki_files.ca_pem))
            port = listener.getsockname()[1]
            with socket.create_connection(("127.0.0.1", port), TIMEOUT) as raw:
                with client.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(b"twelve bytes")
                    assert tls.recv(100) == b"received 12 bytes\n"
        finally:
            thread.join(TIMEOUT)
            listener.close()
        assert not thread.is_alive()

    def test_server_context_refuses_mismatched_key(
        self, pki_files: SimpleNamespace
    ) -> None:
        example = load("quickstart_server")
        with pytest.raises(SSL.Error):
            example.server_context(str(pki_files.server_pem), str(pki_files.client_key))

    def test_nonblocking_request(self, pki: PKI, pki_files: SimpleNamespace) -> None:
        example = load("nonblocking")
        listener, thread = stdlib_line_echo(pki_files)
        port = listener.getsockname()[1]
        payload = b"x" * 300_000 + b"\n"  # more than one socket buffer
        try:
            reply = example.request(
                verifying_client_context(pki), "localhost", port, payload
            )
        finally:
            thread.join(TIMEOUT)
            listener.close()
        assert reply and payload.upper().startswith(reply)

    def test_nonblocking_silent_server_times_out(self, pki: PKI) -> None:
        example = load("nonblocking")
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]
            with pytest.raises(TimeoutError):
                example.request(
                    verifying_client_context(pki), "localhost", port, b"x", 0.2
                )

    def test_memory_bio_handshake_and_exchange(self, pki: PKI) -> None:
        client, server = memory_bio.connect_in_memory(
            verifying_client_context(pki), server_context(pki)
        )
        assert client.get_protocol_version_name() == "TLSv1.3"
        assert client.get_verify_result() == 0
        assert memory_bio.exchange(client, server, b"over memory") == b"over memory"

    def test_memory_bio_wrong_name_fails(self, pki: PKI) -> None:
        with pytest.raises(SSL.Error):
            memory_bio.connect_in_memory(
                verifying_client_context(pki), server_context(pki), b"other.example"
            )


# -- callbacks ---------------------------------------------------------------------


class TestCallbacks:
    def test_pinning_accepts_the_pinned_leaf(self, pki: PKI) -> None:
        example = load("verify_callback")
        pin = crypto.X509.from_cryptography(pki.server.cert).digest("sha256")
        seen: list[str] = []
        client, _ = memory_bio.connect_in_memory(
            example.pinned_client_context(pin, seen), server_context(pki)
        )
        assert client.get_peer_certificate(as_cryptography=True) == pki.server.cert
        # called for the chain above the leaf (untrusted here), then the leaf
        assert seen[-1].startswith("depth 0: CN=localhost")
        assert any("ok=0" in line for line in seen)

    def test_pinning_refuses_another_leaf(self, pki: PKI) -> None:
        example = load("verify_callback")
        pin = crypto.X509.from_cryptography(pki.rsa_server.cert).digest("sha256")
        with pytest.raises(SSL.Error):
            memory_bio.connect_in_memory(
                example.pinned_client_context(pin, []), server_context(pki)
            )

    @pytest.mark.parametrize(
        ("name", "expected"),
        [(b"wrong.example", "wrong_host_server"), (b"localhost", "server")],
    )
    def test_sni_picks_the_certificate(
        self, pki: PKI, name: bytes, expected: str
    ) -> None:
        example = load("sni")
        ctx = example.sni_server_context(
            server_context(pki),
            {b"wrong.example": server_context(pki, "wrong_host_server")},
        )
        client, server = memory_bio.connect_in_memory(
            verifying_client_context(pki), ctx, name
        )
        assert server.get_servername() == name
        peer = client.get_peer_certificate(as_cryptography=True)
        assert peer == getattr(pki, expected).cert

    def test_alpn_server_preference(self, pki: PKI) -> None:
        example = load("alpn")
        client_ctx, server_ctx = verifying_client_context(pki), server_context(pki)
        example.configure(client_ctx, server_ctx)
        client, server = memory_bio.connect_in_memory(client_ctx, server_ctx)
        assert client.get_alpn_proto_negotiated() == b"h2"
        assert server.get_alpn_proto_negotiated() == b"h2"

    def test_alpn_no_overlap(self, pki: PKI) -> None:
        example = load("alpn")
        client_ctx, server_ctx = verifying_client_context(pki), server_context(pki)
        client_ctx.set_alpn_protos([b"spdy/3"])
        server_ctx.set_alpn_select_callback(example.server_preference([b"h2"]))
        client, _ = memory_bio.connect_in_memory(client_ctx, server_ctx)
        assert client.get_alpn_proto_negotiated() == b""

    def _ocsp_pair(
        self, pki: PKI, stapled: bytes | None, results: list[str]
    ) -> tuple[SSL.Connection, SSL.Connection]:
        example = load("ocsp_stapling")
        client_ctx, server_ctx = verifying_client_context(pki), server_context(pki)
        if stapled is not None:
            example.staple(server_ctx, stapled)
        example.check_stapled(client_ctx, results)
        server = SSL.Connection(server_ctx, None)
        server.set_accept_state()
        client = SSL.Connection(client_ctx, None)
        client.set_tlsext_host_name(b"localhost")
        client.request_ocsp()
        client.set_connect_state()
        memory_bio.handshake(client, server)
        return client, server

    def test_ocsp_stapled_good_response(self, pki: PKI) -> None:
        example = load("ocsp_stapling")
        der = example.make_ocsp_response(
            pki.server.cert, pki.intermediate.cert, pki.intermediate.key
        )
        results: list[str] = []
        self._ocsp_pair(pki, der, results)
        assert results == ["GOOD"]

    def test_ocsp_response_for_another_certificate_refused(self, pki: PKI) -> None:
        example = load("ocsp_stapling")
        der = example.make_ocsp_response(
            pki.rsa_server.cert, pki.intermediate.cert, pki.intermediate.key
        )
        results: list[str] = []
        with pytest.raises(SSL.Error):
            self._ocsp_pair(pki, der, results)
        # OpenSSL 4 drops a stapled response that is not about the server's
        # certificate, so the callback sees none (pyOpenSSL 26.4 alike).
        assert results == ["no OCSP response stapled"]

    def test_ocsp_missing_response_refused(self, pki: PKI) -> None:
        results: list[str] = []
        with pytest.raises(SSL.Error):
            self._ocsp_pair(pki, None, results)
        assert results == ["no OCSP response stapled"]

    def test_keylog_file(
        self, pki: PKI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        example = load("keylog")
        path = tmp_path / "keys.log"
        monkeypatch.setenv("SSLKEYLOGFILE", str(path))
        client_ctx = verifying_client_context(pki)
        example.enable_keylog(client_ctx)
        client, _ = memory_bio.connect_in_memory(client_ctx, server_context(pki))
        client_random = client.client_random()
        assert client_random is not None
        lines = path.read_text().splitlines()
        labels = {line.split()[0] for line in lines}
        assert {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"} <= labels
        assert all(line.split()[1] == client_random.hex() for line in lines)

    def test_keylog_off_without_variable(
        self, pki: PKI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        example = load("keylog")
        monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
        monkeypatch.chdir(tmp_path)
        client_ctx = verifying_client_context(pki)
        example.enable_keylog(client_ctx)
        memory_bio.connect_in_memory(client_ctx, server_context(pki))
        assert list(tmp_path.iterdir()) == []


# -- ssl_compat recipes --------------------------------------------------------------


class TestSslCompat:
    def test_http_client(self, pki_files: SimpleNamespace) -> None:
        example = load("compat_http_client")
        with doc_https_server(pki_files) as port:
            body = example.get_with_http_client(
                "localhost", port, str(pki_files.ca_pem)
            )
        assert body == b"hello from http.server\n"

    def test_urllib(self, pki_files: SimpleNamespace) -> None:
        example = load("compat_http_client")
        with doc_https_server(pki_files) as port:
            body = example.get_with_urllib(
                f"https://localhost:{port}/", str(pki_files.ca_pem)
            )
        assert body == b"hello from http.server\n"

    def test_http_client_untrusted(self, pki_files: SimpleNamespace) -> None:
        example = load("compat_http_client")
        with doc_https_server(pki_files) as port:
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                example.get_with_http_client("localhost", port)
        assert info.value.verify_code == 20

    def test_urllib3(self, pki_files: SimpleNamespace) -> None:
        example = load("compat_urllib3")
        with doc_https_server(pki_files) as port:
            status, body = example.get(
                f"https://localhost:{port}/", str(pki_files.ca_pem)
            )
        assert (status, body) == (200, b"hello from http.server\n")

    def test_asyncio_both_ends(self, pki_files: SimpleNamespace) -> None:
        example = load("compat_asyncio")

        async def scenario() -> tuple[bytes, str | None]:
            server = await example.echo_server(
                str(pki_files.server_pem), str(pki_files.server_key)
            )
            port = server.sockets[0].getsockname()[1]
            try:
                return await asyncio.wait_for(  # type: ignore[no-any-return]
                    example.ask(port, str(pki_files.ca_pem), b"asyncio\n"), TIMEOUT
                )
            finally:
                server.close()
                await server.wait_closed()

        assert asyncio.run(scenario()) == (b"ASYNCIO\n", "TLSv1.3")

    def test_trio(self, pki_files: SimpleNamespace) -> None:
        trio = pytest.importorskip("trio")
        example = load("compat_trio")
        listener, thread = stdlib_line_echo(pki_files)
        port = listener.getsockname()[1]

        async def scenario() -> bytes:
            with trio.fail_after(TIMEOUT):
                answer: bytes = await example.ask(
                    port, str(pki_files.ca_pem), b"trio\n"
                )
                return answer

        try:
            answer = trio.run(scenario)
        finally:
            thread.join(TIMEOUT)
            listener.close()
        assert answer == b"TRIO\n"

    def test_escape_hatch_info_callback(self, pki_files: SimpleNamespace) -> None:
        example = load("compat_escape_hatch")
        events: list[str] = []
        ctx = example.traced_client_context(str(pki_files.ca_pem), events)
        listener, thread = stdlib_line_echo(pki_files)
        port = listener.getsockname()[1]
        try:
            with socket.create_connection(("127.0.0.1", port), TIMEOUT) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(b"hatch\n")
                    assert tls.recv(100) == b"HATCH\n"
        finally:
            thread.join(TIMEOUT)
            listener.close()
        assert events[:2] == ["handshake started", "handshake done"]


# -- controls beyond pyOpenSSL: PSK, PHA, certificate callback, groups ------------


def _memory_handshake(client_ctx: Any, server_ctx: Any, name: bytes = b"") -> Any:
    from tests.support import handshake, memory_pair

    client, server = memory_pair(client_ctx, server_ctx, server_name=name or None)
    handshake(client, server)
    return client, server


class TestControls:
    @pytest.mark.parametrize("version", [SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION])
    def test_psk_admits_known_identities_only(self, version: int) -> None:
        example = load("psk")
        keys = {b"sensor-17": bytes(range(32))}

        def contexts(identity: bytes, key: bytes) -> tuple[Any, Any]:
            client = example.psk_client_context(identity, key)
            server = example.psk_server_context(keys)
            for ctx in (client, server):
                ctx.set_max_proto_version(version)
            return client, server

        client, server = _memory_handshake(*contexts(b"sensor-17", keys[b"sensor-17"]))
        assert server.get_peer_certificate() is None  # no certificates at all
        client.send(b"reading: 21.5")
        from tests.support import pump

        pump(client, server)
        assert server.recv(100) == b"reading: 21.5"
        with pytest.raises(SSL.Error):
            _memory_handshake(*contexts(b"intruder", keys[b"sensor-17"]))
        with pytest.raises(SSL.Error):
            _memory_handshake(*contexts(b"sensor-17", b"\x00" * 32))

    def test_post_handshake_auth(self, pki: PKI, pki_files: SimpleNamespace) -> None:
        example = load("post_handshake_auth")
        from tests.support import transfer

        server_ctx = example.server_context(
            pki.server.cert, pki.server.key, str(pki_files.ca_pem)
        )
        for cert in pki.server.chain:
            server_ctx.add_extra_chain_cert(cert)
        client_ctx = example.client_context(
            pki.client.cert, pki.client.key, str(pki_files.ca_pem)
        )
        for cert in pki.client.chain:
            client_ctx.add_extra_chain_cert(cert)
        client, server = _memory_handshake(client_ctx, server_ctx)
        assert server.get_peer_certificate() is None  # not asked yet
        example.require_client_certificate(server)
        assert transfer(server, client, b"admin area: who are you?") != b""
        assert transfer(client, server, b"GET /admin") == b"GET /admin"
        peer = server.get_peer_certificate(as_cryptography=True)
        assert peer == pki.client.cert

    def test_cert_callback_per_name(self, pki: PKI) -> None:
        example = load("cert_callback")
        ctx = example.certificate_per_name(
            {b"rsa.example": (pki.rsa_server.cert, pki.rsa_server.key)},
            (pki.server.cert, pki.server.key),
        )
        for name, expected in ((b"rsa.example", pki.rsa_server), (b"", pki.server)):
            client, _ = _memory_handshake(SSL.Context(SSL.TLS_CLIENT_METHOD), ctx, name)
            assert client.get_peer_certificate(as_cryptography=True) == expected.cert

    def test_modern_context_against_stdlib(self, pki_files: SimpleNamespace) -> None:
        example = load("key_exchange")
        ctx = example.modern_context(SSL.TLS_CLIENT_METHOD)
        with pytest.raises(SSL.Error):
            ctx.set_groups(["X25519", "no-such-group"])  # refused at once
        listener, thread = stdlib_line_echo(pki_files)
        port = listener.getsockname()[1]
        try:
            with socket.create_connection(("127.0.0.1", port), TIMEOUT) as raw:
                from tests.support import blocking_with_deadline

                conn = SSL.Connection(ctx, blocking_with_deadline(raw))
                conn.set_connect_state()
                conn.do_handshake()
                assert conn.get_cipher_name() in example.TLS13_SUITES.decode()
                assert conn.get_group_name() in ("X25519MLKEM768", "x25519", "X25519")
                report = example.handshake_report(conn)
                assert report["peer_signature"] == "ecdsa_secp256r1_sha256"
                assert report["our_signature"] is None  # no client certificate
                assert report["version"] == "TLSv1.3"
                conn.sendall(b"modern\n")
                assert conn.recv(100) == b"MODERN\n"
        finally:
            thread.join(TIMEOUT)
            listener.close()

    def test_compat_psk(self) -> None:
        example = load("compat_psk")
        from tests.support import handshake, object_pair

        server_ctx = example.psk_server_context({"sensor-17": b"k" * 32})
        client_ctx = example.psk_client_context("sensor-17", b"k" * 32)
        client, server = object_pair(client_ctx, server_ctx, server_hostname=None)
        handshake(client, server)
        assert client.obj.version() == "TLSv1.3"
        assert client.obj.getpeercert(True) is None


# -- ssl_compat beyond the standard library -----------------------------------------


@contextlib.contextmanager
def client_cert_server(files: SimpleNamespace) -> Iterator[int]:
    """A stdlib HTTPS server that requires a client certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(files.server_pem, files.server_key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(files.ca_pem)
    with https_server(ctx, WhoAmIHandler) as (_, port):
        yield port


def compat_objects(client_ctx: Any, server_ctx: Any) -> tuple[Any, Any]:
    """Handshake an ssl_compat SSLObject pair over memory BIOs."""
    from OpenSSL import ssl_compat

    c_in, c_out, s_in, s_out = (ssl_compat.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    done = [False, False]
    for _ in range(20):
        for index, obj in enumerate((client, server)):
            if not done[index]:
                try:
                    obj.do_handshake()
                    done[index] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done):
            return client, server
    raise AssertionError("handshake did not complete")


def compat_server(pki: PKI) -> Any:
    from OpenSSL import ssl_compat

    ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server.chain_pem(), pki.server.key)
    return ctx


class TestSslCompatBeyond:
    PASSWORD = b"kept in a vault"

    def encrypted_client_key(self, pki: PKI) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return pki.client.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self.PASSWORD),
        )

    def test_urllib3_mtls_from_memory(
        self, pki: PKI, pki_files: SimpleNamespace
    ) -> None:
        example = load("beyond_mtls_urllib3")
        pool = example.mtls_pool(
            pki.client.chain_pem(),
            self.encrypted_client_key(pki),
            self.PASSWORD,
            pki.root_pem().decode(),
        )
        with client_cert_server(pki_files) as port, pool:
            status, body = example.fetch(pool, f"https://localhost:{port}/")
        assert (status, body) == (200, b"hello client")

    def test_urllib3_mtls_wrong_password(self, pki: PKI) -> None:
        example = load("beyond_mtls_urllib3")
        with pytest.raises(ssl.SSLError):
            example.mtls_pool(
                pki.client.chain_pem(),
                self.encrypted_client_key(pki),
                b"guess",
                pki.root_pem().decode(),
            )

    def test_ocsp_good_staple(self, pki: PKI) -> None:
        example = load("beyond_ocsp")
        staple = pki.ocsp_response()
        server_ctx = example.stapling_server_context(
            pki.server.chain_pem(), pki.server.key, lambda: staple
        )
        client, _ = compat_objects(
            example.must_staple_client_context(pki.root.cert), server_ctx
        )
        assert client.get_ocsp_response() == staple

    def test_ocsp_revoked_and_missing_staples_fail(self, pki: PKI) -> None:
        example = load("beyond_ocsp")
        for staple, words in [
            (pki.ocsp_response(revoked=True), "revoked"),
            (None, "no stapled response"),
        ]:
            server_ctx = example.stapling_server_context(
                pki.server.chain_pem(), pki.server.key, lambda s=staple: s
            )
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                compat_objects(
                    example.must_staple_client_context(pki.root.cert), server_ctx
                )
            assert words in info.value.verify_message

    def test_pinning(self, pki: PKI) -> None:
        example = load("beyond_verify_callback")
        pin = example.spki_sha256(pki.server.cert)
        compat_objects(
            example.pinning_context(pki.root.cert, {pin}), compat_server(pki)
        )
        other = example.spki_sha256(pki.client.cert)
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            compat_objects(
                example.pinning_context(pki.root.cert, {other}), compat_server(pki)
            )
        assert "verify callback" in info.value.verify_message

    def test_channel_binding(self, pki: PKI) -> None:
        from OpenSSL import ssl_compat

        example = load("beyond_channel_binding")
        client_ctx = ssl_compat.create_default_context(cadata=pki.root.cert)
        a, b = socket.socketpair()
        a.settimeout(TIMEOUT)
        b.settimeout(TIMEOUT)
        server_side: list[Any] = []

        def serve() -> None:
            tls = compat_server(pki).wrap_socket(a, server_side=True)
            server_side.append(
                (example.binding_for_scram(tls), example.session_key(tls))
            )
            tls.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        with client_ctx.wrap_socket(b, server_hostname="localhost") as tls:
            ours = (example.binding_for_scram(tls), example.session_key(tls))
        thread.join(TIMEOUT)
        assert example.supported()
        assert server_side == [ours]
        assert ours[0].startswith(b"p=tls-exporter,,") and len(ours[0]) == 16 + 32
        assert len(ours[1]) == 32


@contextlib.contextmanager
def serving(
    serve_one: Any, context: SSL.Context, count: int
) -> Iterator[tuple[int, list[Any]]]:
    """Run ``serve_one(context, listener)`` *count* times in a thread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(TIMEOUT)
    results: list[Any] = []

    def loop() -> None:
        for _ in range(count):
            try:
                results.append(serve_one(context, listener))
            except Exception as exc:  # the test looks at it
                results.append(exc)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], results
    finally:
        thread.join(TIMEOUT)
        listener.close()


def _plain_serve_one(context: SSL.Context, listener: socket.socket) -> bytes:
    sock, _ = listener.accept()
    conn = SSL.Connection(context, sock)
    conn.set_accept_state()
    request = b""
    while not request.endswith(b"\r\n\r\n"):
        request += conn.recv(4096)
    conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello\n")
    conn.shutdown()
    sock.close()
    return request


class TestSessions:
    def test_session_file_resumes_across_calls(
        self, pki: PKI, pki_files: SimpleNamespace
    ) -> None:
        example = load("session_file")
        sessions = pki_files.directory / "sessions.der"
        with serving(_plain_serve_one, server_context(pki), 3) as (port, served):
            answers = [
                example.fetch("localhost", port, str(pki_files.ca_pem), sessions)
                for _ in range(3)
            ]
        assert [resumed for resumed, _ in answers] == [False, True, True]
        assert all(answer.endswith(b"hello\n") for _, answer in answers)
        assert sessions.stat().st_mode & 0o777 == 0o600
        assert len(served) == 3

    def test_early_data_accepted_then_refused_and_resent(
        self, pki_files: SimpleNamespace
    ) -> None:
        example = load("early_data")
        server = example.server_context(
            str(pki_files.server_pem), str(pki_files.server_key)
        )
        client = example.client_context(str(pki_files.ca_pem))
        with serving(example.serve_one, server, 3) as (port, served):
            first = example.request(client, "localhost", port, None)
            second = example.request(client, "localhost", port, first[2])
            # The same ticket again: single-use, so the server refuses.
            third = example.request(client, "localhost", port, first[2])
        statuses = [status for status, _, _ in (first, second, third)]
        assert statuses == [
            SSL.EARLY_DATA_NOT_SENT,
            SSL.EARLY_DATA_ACCEPTED,
            SSL.EARLY_DATA_REJECTED,
        ]
        assert all(
            answer.endswith(b"news\n") for _, answer, _ in (first, second, third)
        )
        assert served == [example.REQUEST] * 3  # each request exactly once

    def test_asyncio_client_keeps_sessions_in_a_file(
        self, pki_files: SimpleNamespace
    ) -> None:
        example = load("compat_asyncio_sessions")
        server_example = load("early_data")
        server = server_example.server_context(
            str(pki_files.server_pem), str(pki_files.server_key)
        )
        sessions = pki_files.directory / "asyncio-sessions.der"

        async def three(port: int) -> list[tuple[bool, int, bytes]]:
            cafile = str(pki_files.ca_pem)
            return [
                await asyncio.wait_for(
                    example.fetch("localhost", port, cafile, sessions, early), TIMEOUT
                )
                for early in (False, False, True)
            ]

        with serving(server_example.serve_one, server, 3) as (port, served):
            results = asyncio.run(three(port))
        assert [(resumed, status) for resumed, status, _ in results] == [
            (False, SSL.EARLY_DATA_NOT_SENT),
            (True, SSL.EARLY_DATA_NOT_SENT),
            (True, SSL.EARLY_DATA_ACCEPTED),
        ]
        assert all(answer.endswith(b"news\n") for _, _, answer in results)
        assert served == [example.REQUEST] * 3


class TestAsyncioEarlyData:
    def test_asyncio_on_both_ends_with_early_data(
        self, pki_files: SimpleNamespace
    ) -> None:
        server_example = load("compat_asyncio_early_server")
        client_example = load("compat_asyncio_sessions")
        sessions = pki_files.directory / "both-asyncio.der"
        seen: list[tuple[bytes, int]] = []

        async def scenario() -> list[tuple[bool, int, bytes]]:
            server = await server_example.serve(
                str(pki_files.server_pem), str(pki_files.server_key), seen
            )
            port = server.sockets[0].getsockname()[1]
            try:
                return [
                    await asyncio.wait_for(
                        client_example.fetch(
                            "localhost", port, str(pki_files.ca_pem), sessions, early
                        ),
                        TIMEOUT,
                    )
                    for early in (False, True, True)
                ]
            finally:
                server.close()
                await server.wait_closed()

        results = asyncio.run(scenario())
        assert [(resumed, status) for resumed, status, _ in results] == [
            (False, SSL.EARLY_DATA_NOT_SENT),
            (True, SSL.EARLY_DATA_ACCEPTED),
            (True, SSL.EARLY_DATA_ACCEPTED),
        ]
        assert all(answer.endswith(b"news\n") for _, _, answer in results)
        assert seen == [
            (client_example.REQUEST, SSL.EARLY_DATA_NOT_SENT),
            (client_example.REQUEST, SSL.EARLY_DATA_ACCEPTED),
            (client_example.REQUEST, SSL.EARLY_DATA_ACCEPTED),
        ]


class TestPreforkServer:
    @pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
    def test_workers_resume_each_others_sessions(
        self, pki: PKI, pki_files: SimpleNamespace
    ) -> None:
        import os
        import signal

        example = load("prefork_server")
        client = load("session_file")
        context = server_context(pki)  # before the fork: shared ticket keys
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        pids = example.start_workers(context, listener, 2)
        sessions = pki_files.directory / "prefork.der"
        try:
            answers = [
                client.fetch("localhost", port, str(pki_files.ca_pem), sessions)
                for _ in range(6)
            ]
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            listener.close()
        assert [resumed for resumed, _ in answers] == [False] + [True] * 5
        workers = {answer.split(b"worker ")[1].strip() for _, answer in answers}
        assert workers <= {str(pid).encode() for pid in pids}
