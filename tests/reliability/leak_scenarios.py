"""The scenarios of ``leak_driver``: one iteration each, repeated many times.

.. list-table:: Which test runs each scenario, and where its verdict is computed
   :header-rows: 1

   * - scenario
     - test (``test_leaks.py``)
     - verdict computed in
   * - :func:`scenario_handshakes`
     - ``test_handshakes_with_every_callback``, ``test_a_deliberate_leak_is_caught``
     - ``expect`` calls and ``step.check`` here (every callback ran);
       growth in ``leak_driver.main``
   * - :func:`scenario_objects`
     - ``test_contexts_and_connections_created_and_dropped``
     - ``expect`` here; growth in ``leak_driver.main``
   * - :func:`scenario_sessions`
     - ``test_sessions_stored_and_reused``
     - ``expect`` here; growth in ``leak_driver.main``
   * - :func:`scenario_errors`
     - ``test_errors_provoked``
     - ``expect_error``/``expect`` and ``step.check`` here; growth in
       ``leak_driver.main``
   * - :func:`scenario_compat`
     - ``test_ssl_compat_objects_and_errors``
     - ``expect`` here; growth in ``leak_driver.main``
   * - :func:`scenario_data`
     - ``test_data_path_on_long_lived_connections``
     - ``expect`` here; growth in ``leak_driver.main``
   * - :func:`scenario_dtls`
     - ``test_dtls_cookie_exchange``
     - ``expect`` and ``step.check`` here; growth in ``leak_driver.main``
   * - :func:`scenario_client_ca_list_error`
     - ``test_set_client_ca_list_refusing_a_name_frees_the_copies``
     - ``expect`` here; growth in ``leak_driver.main``

Each ``scenario_<name>(files, figures)`` sets up what its iterations share
(Contexts with every callback set, sessions kept for resumption, ...) and
returns ``step(i)``, one iteration; ``step.check()``, when present, runs
after the last iteration and checks that the scenario exercised what it
claims (every callback ran, sessions were resumed, errors were raised).
``figures`` collects counts the driver reports. A wrong result raises
:class:`LeakDriverError`, which fails the run like a leak does.
"""

from __future__ import annotations

import os
import socket
import sys
import warnings
from collections import deque
from pathlib import Path
from typing import Any, Callable, Optional

from OpenSSL import SSL, ssl_compat
from OpenSSL._util import lib
from tests.support import (
    ca_file,
    close_pair,
    deliver,
    drain,
    dtls_finish_handshake,
    dtls_step,
    encrypted_key_file,
    handshake,
    identity_files,
    make_pki,
    move_datagram,
    object_pair,
    present,
    pump,
    read_all,
)

__all__ = ["SCENARIOS", "Files", "LeakDriverError", "Step"]

Step = Callable[[int], None]

_MAX_ROUNDS = 50


class LeakDriverError(AssertionError):
    """A scenario did not behave as it should (not a leak: a wrong result)."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise LeakDriverError(message)


# -- memory-BIO plumbing ------------------------------------------------------


def shutdown_both(client: SSL.Connection, server: SSL.Connection) -> None:
    close_pair(client, server)
    expect(
        client.get_shutdown() == server.get_shutdown() == 3,
        "shutdown did not complete on both sides",
    )


# -- the PKI on disk ----------------------------------------------------------


class Files:
    """The test PKI's files (``tests.support``'s scratch directory), as ``str``."""

    def __init__(self) -> None:
        self.pki = make_pki()
        self.ca = str(ca_file())
        self.server_pem, self.server_key = map(str, identity_files("server"))
        self.client_pem, self.client_key = map(str, identity_files("client"))
        self.encrypted_server_key = str(encrypted_key_file(b"objects passphrase"))


def ocsp_good(pki: Any) -> bytes:
    """A real DER OCSP response for the server (OpenSSL 4 parses staples)."""
    return pki.ocsp_response()  # type: ignore[no-any-return]


# -- scenario: handshakes with every callback set -----------------------------


class Seen:
    """What the callbacks saw, checked after each handshake."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.current: tuple[Any, ...] = ()

    def saw(self, name: str, conn: Any) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if conn not in self.current:
            raise LeakDriverError(f"the {name} callback got a foreign Connection")


def renegotiate(client: SSL.Connection, server: SSL.Connection) -> None:
    """A server-initiated TLS 1.2 renegotiation, carried by a data exchange."""
    expect(server.renegotiate(), "renegotiation refused")
    try:
        server.do_handshake()
    except SSL.WantReadError:
        pass
    for _ in range(_MAX_ROUNDS):
        pump(client, server)
        for conn in (client, server):
            try:
                conn.recv(1)
            except SSL.WantReadError:
                pass
        if not server.renegotiate_pending():
            break
    expect(not server.renegotiate_pending(), "renegotiation did not finish")
    expect(client.total_renegotiations() == 1, "client did not renegotiate")


def introspect(client: SSL.Connection, server: SSL.Connection, full: bool) -> None:
    """Call every getter that builds objects from what OpenSSL holds.

    *full*: a full handshake (a resumed one has no chain to show).
    """
    for conn in (client, server):
        expect(conn.get_peer_certificate() is not None, "no peer certificate")
        expect(
            conn.get_peer_certificate(as_cryptography=True) is not None,
            "no peer certificate",
        )
        expect(conn.get_certificate() is not None, "no own certificate")
        conn.get_peer_cert_chain()
        conn.get_peer_cert_chain(as_cryptography=True)
        chain = conn.get_verified_chain()
        expect(not full or len(chain or ()) == 3, "no verified chain")
        conn.get_client_ca_list()
        conn.get_client_ca_list(as_cryptography=True)
        expect(conn.get_cipher_name() is not None, "no cipher")
        conn.get_cipher_bits()
        conn.get_cipher_version()
        conn.get_protocol_version_name()
        conn.get_group_name()
        conn.get_state_string()
        conn.client_random()
        conn.server_random()
        conn.master_key()
        conn.get_finished()
        conn.get_peer_finished()
        conn.get_alpn_proto_negotiated()
        expect(
            len(conn.export_keying_material(b"EXPORTER-leaks", 32, b"ctx")) == 32,
            "exporter",
        )
    expect(server.get_servername() == b"localhost", "no SNI name")


def scenario_handshakes(files: Files, figures: dict[str, float]) -> Step:
    seen = Seen()
    pki = files.pki
    ocsp_response = ocsp_good(pki)

    def verify(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
        seen.saw("verify", conn)
        expect(cert is not None, "verify callback got no certificate")
        return bool(ok)

    def info(conn: Any, where: int, ret: int) -> None:
        seen.saw("info", conn)

    def keylog(conn: Any, line: bytes) -> None:
        seen.saw("keylog", conn)
        expect(line.count(b" ") == 2, f"odd keylog line {line!r}")

    def alpn_select(conn: Any, offered: list[bytes]) -> bytes:
        seen.saw("alpn", conn)
        return offered[0]

    def ocsp_server(conn: Any, data: Any) -> bytes:
        seen.saw("ocsp server", conn)
        return ocsp_response

    def ocsp_client(conn: Any, response: bytes, data: Any) -> bool:
        seen.saw("ocsp client", conn)
        # Nothing is stapled when a TLS 1.3 session is resumed.
        return response in (ocsp_response, b"")

    def server_ctx() -> SSL.Context:
        ctx = SSL.Context(SSL.TLS_METHOD)
        present(ctx, pki.server)
        ctx.load_verify_locations(files.ca)
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, verify)
        ctx.set_info_callback(info)
        ctx.set_keylog_callback(keylog)
        ctx.set_alpn_select_callback(alpn_select)
        ctx.set_ocsp_server_callback(ocsp_server)
        ctx.set_session_id(b"leak-driver")
        return ctx

    alternate = server_ctx()

    def servername(conn: Any) -> None:
        seen.saw("servername", conn)
        expect(conn.get_servername() == b"localhost", "wrong SNI name")
        if conn.get_app_data() == "switch":
            conn.set_context(alternate)

    server = server_ctx()
    server.set_tlsext_servername_callback(servername)

    def client_ctx(max_version: int) -> SSL.Context:
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_max_proto_version(max_version)
        ctx.load_verify_locations(files.ca)
        ctx.set_verify(SSL.VERIFY_PEER, verify)
        present(ctx, pki.client)
        ctx.set_info_callback(info)
        ctx.set_keylog_callback(keylog)
        ctx.set_alpn_protos([b"h2", b"http/1.1"])
        ctx.set_ocsp_client_callback(ocsp_client)
        return ctx

    clients = [client_ctx(SSL.TLS1_3_VERSION), client_ctx(SSL.TLS1_2_VERSION)]
    sessions: list[Optional[SSL.Session]] = [None, None]
    payload = b"a little data " * 8

    def step(i: int) -> None:
        which = i % 2
        client = SSL.Connection(clients[which])
        peer = SSL.Connection(server)
        seen.current = (client, peer)
        client.set_connect_state()
        peer.set_accept_state()
        client.set_tlsext_host_name(b"localhost")
        client.set_verify_hostname("localhost")
        client.request_ocsp()
        if i % 4 == 3:
            peer.set_app_data("switch")
        if i % 5 == 4:
            # Per-connection callbacks, replacing the Context's.
            client.set_verify(SSL.VERIFY_PEER, verify)
            peer.set_info_callback(info)
        resume = i % 3 == 0 and sessions[which] is not None
        if resume:
            client.set_session(sessions[which])  # type: ignore[arg-type]
        handshake(client, peer)
        expect(client.get_alpn_proto_negotiated() == b"h2", "ALPN not negotiated")
        client.sendall(payload)
        pump(client, peer)
        expect(
            read_all(peer, pump_with=client, size=len(payload)) == payload,
            "data garbled",
        )
        peer.sendall(payload)
        pump(peer, client)
        expect(
            read_all(client, pump_with=peer, size=len(payload)) == payload,
            "data garbled",
        )
        reused = bool(lib.SSL_session_reused(client._ssl))
        introspect(client, peer, full=not reused)
        if which == 1 and i % 10 == 1:
            renegotiate(client, peer)
            figures["renegotiations"] = figures.get("renegotiations", 0) + 1
        shutdown_both(client, peer)
        if reused:
            figures["resumed"] = figures.get("resumed", 0) + 1
        sessions[which] = client.get_session()
        seen.current = ()
        figures["handshakes"] = figures.get("handshakes", 0) + 1

    def check() -> None:
        for name in (
            "verify",
            "info",
            "keylog",
            "alpn",
            "ocsp server",
            "ocsp client",
            "servername",
        ):
            expect(seen.calls.get(name, 0) > 0, f"the {name} callback never ran")
        expect(figures.get("resumed", 0) > 0, "no handshake resumed a session")
        expect(figures.get("renegotiations", 0) > 0, "no renegotiation")

    step.check = check  # type: ignore[attr-defined]
    return step


# -- scenario: Contexts and Connections created and dropped -------------------


def _socket_pair() -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


def scenario_objects(files: Files, figures: dict[str, float]) -> Step:
    client_ctx = SSL.Context(SSL.TLS_METHOD)
    client_ctx.load_verify_locations(files.ca)
    client_ctx.set_verify(SSL.VERIFY_PEER)

    def verify(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
        return bool(ok)

    def info(conn: Any, where: int, ret: int) -> None:
        pass

    from cryptography.hazmat.primitives.asymmetric import ec

    pki = files.pki

    def passphrase(size: int, twice: bool, data: Any) -> bytes:
        return b"objects passphrase"

    def step(i: int) -> None:
        ctx = SSL.Context(SSL.TLS_METHOD)
        if i % 2:
            ctx.use_certificate_chain_file(files.server_pem)
            ctx.use_privatekey_file(files.server_key)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.set_passwd_cb(passphrase)
            ctx.use_certificate_chain_file(files.server_pem)
            ctx.use_privatekey_file(files.encrypted_server_key)
        ctx.check_privatekey()
        ctx.load_verify_locations(files.ca)
        ctx.load_client_ca(files.ca.encode())
        ctx.add_client_ca(pki.intermediate.cert)
        ctx.set_verify(SSL.VERIFY_PEER, verify)
        ctx.set_verify_depth(4)
        ctx.set_info_callback(info)
        ctx.set_alpn_protos([b"h2"])
        ctx.set_session_id(b"objects")
        ctx.set_cipher_list(b"ECDHE+AESGCM")
        ctx.set_tls13_ciphersuites(b"TLS_AES_128_GCM_SHA256")
        ctx.set_tmp_ecdh(ec.SECP384R1())
        ctx.set_app_data(ctx)  # a reference cycle, for the collector
        expect(ctx.get_cert_store() is not None, "no certificate store")
        figures["contexts"] = figures.get("contexts", 0) + 1

        # Never used, with and without per-connection settings.
        SSL.Connection(ctx)
        conn = SSL.Connection(ctx, None)
        conn.set_connect_state()
        conn.set_tlsext_host_name(b"localhost")
        conn.set_alpn_protos([b"h2", b"h3"])
        conn.set_verify(SSL.VERIFY_PEER, verify)
        conn.set_info_callback(info)
        conn.use_certificate(pki.client.cert)
        conn.use_privatekey(pki.client.key)
        conn.set_verify_hostname("localhost")
        conn.set_app_data(conn)
        conn.set_context(client_ctx)
        del conn

        # Half-handshaken: the client's hello reached the server, which
        # answered; then both are dropped.
        client, server = SSL.Connection(client_ctx), SSL.Connection(ctx)
        client.set_connect_state()
        server.set_accept_state()
        for conn in (client, server):
            try:
                conn.do_handshake()
            except SSL.WantReadError:
                pass
            pump(client, server)
        expect(server.get_certificate() is not None, "server has no certificate")

        # Socket mode over a socketpair: completed on some, half on others.
        a, b = _socket_pair()
        try:
            sclient, sserver = SSL.Connection(client_ctx, a), SSL.Connection(ctx, b)
            sclient.set_connect_state()
            sserver.set_accept_state()
            if i % 2 == 0:
                handshake(sclient, sserver)
                expect(sclient.get_peer_certificate() is not None, "no peer cert")
            else:
                try:
                    sclient.do_handshake()
                except SSL.WantReadError:
                    pass
        finally:
            a.close()
            b.close()
        figures["connections"] = figures.get("connections", 0) + 5

    return step


# -- scenario: sessions stored and reused -------------------------------------


def scenario_sessions(files: Files, figures: dict[str, float]) -> Step:
    pki = files.pki
    server = SSL.Context(SSL.TLS_METHOD)
    present(server, pki.server)
    server.set_session_id(b"sessions")
    server.set_session_cache_mode(SSL.SESS_CACHE_SERVER)
    clients = []
    for version in (SSL.TLS1_3_VERSION, SSL.TLS1_2_VERSION):
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_max_proto_version(version)
        ctx.load_verify_locations(files.ca)
        ctx.set_verify(SSL.VERIFY_PEER)
        # Sessions as they arrive (the message callback underneath).
        ctx.set_new_session_callback(
            lambda conn, session: figures.__setitem__(
                "new sessions", figures.get("new sessions", 0) + 1
            )
        )
        clients.append(ctx)
    other = SSL.Context(SSL.TLS_METHOD)
    kept: list[deque[SSL.Session]] = [deque(maxlen=16), deque(maxlen=16)]

    def step(i: int) -> None:
        which = i % 2
        ctx = clients[which]
        client, peer = SSL.Connection(ctx), SSL.Connection(server)
        client.set_connect_state()
        peer.set_accept_state()
        expect(client.get_session() is None, "a session before the handshake")
        if kept[which] and i % 4 < 2:
            client.set_session(kept[which][(i * 7) % len(kept[which])])
            resuming = True
        else:
            resuming = False
        handshake(client, peer)
        # TLS 1.3 tickets arrive after the handshake, with the first data.
        peer.sendall(b"ping")
        pump(peer, client)
        expect(read_all(client, pump_with=peer, size=4) == b"ping", "data garbled")
        reused = bool(lib.SSL_session_reused(client._ssl))
        expect(reused == resuming, f"resumption: wanted {resuming}, got {reused}")
        # A session stays resumable only if its connection was closed
        # properly (a close_notify exchange, or the bits set by hand).
        if i % 3:
            shutdown_both(client, peer)
        else:
            client.set_shutdown(SSL.SENT_SHUTDOWN | SSL.RECEIVED_SHUTDOWN)
        session = client.get_session()
        expect(session is not None, "no session after the handshake")
        assert session is not None
        # Half of them go through their DER form, as across processes.
        der = session.to_bytes()
        imported = SSL.Session.from_bytes(der)
        expect(imported.id == session.id, "an imported session lost its id")
        expect(imported.cipher == session.cipher, "an imported session's cipher")
        try:
            SSL.Session.from_bytes(der[: len(der) // 2])
        except ValueError:
            pass
        else:
            raise LeakDriverError("half a session was loaded")
        kept[which].append(imported if i % 2 else session)
        # Both ends' sessions, and a session refused by a foreign Connection.
        expect(peer.get_session() is not None, "server has no session")
        try:
            SSL.Connection(other).set_session(session)  # type: ignore[arg-type]
        except ValueError:
            pass
        else:
            raise LeakDriverError("a foreign Context's Connection took the session")
        figures["sessions"] = figures.get("sessions", 0) + 1
        figures["resumed"] = figures.get("resumed", 0) + int(reused)

    return step


# -- scenario: errors provoked ------------------------------------------------


class Boom(Exception):
    """Raised by the callbacks of the errors scenario."""


def _raise(*args: Any) -> Any:
    raise Boom("from a callback")


def scenario_errors(files: Files, figures: dict[str, float]) -> Step:
    pki = files.pki
    hooked: list[int] = [0]

    def excepthook(kind: Any, value: Any, tb: Any) -> None:
        # The servername callback's errors come here, as in pyOpenSSL.
        expect(kind is Boom, f"unexpected exception in excepthook: {kind}")
        hooked[0] += 1

    sys.excepthook = excepthook

    def server_ctx(identity: Any = None) -> SSL.Context:
        ctx = SSL.Context(SSL.TLS_METHOD)
        present(ctx, identity if identity is not None else pki.server)
        return ctx

    def client_ctx() -> SSL.Context:
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.load_verify_locations(files.ca)
        ctx.set_verify(SSL.VERIFY_PEER)
        return ctx

    plain_client = client_ctx()
    plain_server = server_ctx()
    expired = server_ctx(pki.expired_server)
    wrong_host = server_ctx(pki.wrong_host_server)

    raising: dict[str, tuple[SSL.Context, SSL.Context]] = {}
    c = client_ctx()
    c.set_verify(SSL.VERIFY_PEER, _raise)
    raising["verify"] = (c, plain_server)
    c = client_ctx()
    c.set_info_callback(_raise)
    raising["info"] = (c, plain_server)
    c = client_ctx()
    c.set_keylog_callback(_raise)
    raising["keylog"] = (c, plain_server)
    c = client_ctx()
    c.set_alpn_protos([b"h2"])
    s = server_ctx()
    s.set_alpn_select_callback(_raise)
    raising["alpn"] = (c, s)
    s = server_ctx()
    s.set_ocsp_server_callback(_raise)
    raising["ocsp server"] = (plain_client, s)
    s = server_ctx()
    good = ocsp_good(pki)
    s.set_ocsp_server_callback(lambda conn, data: good)
    c = client_ctx()
    c.set_ocsp_client_callback(_raise)
    raising["ocsp client"] = (c, s)
    s = server_ctx()
    s.set_tlsext_servername_callback(_raise)
    raising["servername"] = (plain_client, s)

    def pair(client_ctx: SSL.Context, server: SSL.Context) -> tuple[Any, Any]:
        client, peer = SSL.Connection(client_ctx), SSL.Connection(server)
        client.set_connect_state()
        peer.set_accept_state()
        client.set_tlsext_host_name(b"localhost")
        return client, peer

    def expect_error(kind: type[BaseException], call: Callable[[], Any]) -> None:
        try:
            call()
        except kind:
            figures["errors"] = figures.get("errors", 0) + 1
            return
        raise LeakDriverError(f"{kind.__name__} was not raised")

    def failed_verification() -> None:
        client, peer = pair(plain_client, expired)
        expect_error(SSL.Error, lambda: handshake(client, peer))

    def hostname_mismatch() -> None:
        client, peer = pair(plain_client, wrong_host)
        client.set_verify_hostname("localhost")
        expect_error(SSL.Error, lambda: handshake(client, peer))

    def garbage_first() -> None:
        _, peer = pair(plain_client, plain_server)
        peer.bio_write(b"\x16\x03\x01\x00\x05garbage and more garbage")
        expect_error(SSL.Error, peer.do_handshake)

    def garbage_mid_handshake() -> None:
        client, peer = pair(plain_client, plain_server)
        try:
            client.do_handshake()
        except SSL.WantReadError:
            pass
        pump(client, peer)
        try:
            peer.do_handshake()
        except SSL.WantReadError:
            pass
        flight = bytearray(drain(peer))
        flight[len(flight) // 2] ^= 0xFF
        client.bio_write(bytes(flight))
        expect_error(SSL.Error, client.do_handshake)

    def garbage_after_handshake() -> None:
        client, peer = pair(plain_client, plain_server)
        handshake(client, peer)
        client.bio_write(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)
        expect_error(SSL.Error, lambda: client.recv(100))

    def callback_raises(name: str) -> Callable[[], None]:
        def provoke() -> None:
            client, peer = pair(*raising[name])
            if name.startswith("ocsp"):
                client.request_ocsp()
            kind = SSL.Error if name == "servername" else Boom
            expect_error(kind, lambda: handshake(client, peer))

        return provoke

    def bad_configuration() -> None:
        ctx = SSL.Context(SSL.TLS_METHOD)
        expect_error(SSL.Error, lambda: ctx.set_cipher_list(b"no-such-cipher"))
        expect_error(
            SSL.Error, lambda: ctx.load_verify_locations(files.ca + ".missing")
        )
        expect_error(SSL.Error, lambda: ctx.use_certificate_file(files.server_key))
        ctx.use_certificate(pki.server.cert)
        expect_error(SSL.Error, lambda: ctx.use_privatekey(pki.client.key))
        expect_error(SSL.Error, ctx.check_privatekey)

    from OpenSSL import crypto

    store = crypto.X509Store()
    store.add_cert(crypto.X509.from_cryptography(pki.root.cert))
    leaf = crypto.X509.from_cryptography(pki.expired_server.cert)
    untrusted = [crypto.X509.from_cryptography(pki.intermediate.cert)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        names = [crypto.X509.from_cryptography(pki.root.cert).get_subject()]
        encrypted_key = crypto.dump_privatekey(
            crypto.FILETYPE_PEM,
            crypto.PKey.from_cryptography_key(pki.client.key),
            "aes-128-cbc",
            b"right passphrase",
        )

    def crypto_errors() -> None:
        expect_error(
            crypto.Error,
            lambda: crypto.load_certificate(crypto.FILETYPE_PEM, b"not PEM at all"),
        )
        expect_error(
            crypto.Error,
            lambda: crypto.load_certificate(crypto.FILETYPE_ASN1, b"\x30\x03\x02"),
        )
        expect_error(
            crypto.X509StoreContextError,
            crypto.X509StoreContext(store, leaf, untrusted).verify_certificate,
        )
        expect_error(
            crypto.X509StoreContextError,
            crypto.X509StoreContext(store, leaf).get_verified_chain,
        )
        expect_error(
            crypto.Error,
            lambda: crypto.load_privatekey(
                crypto.FILETYPE_PEM, encrypted_key, b"wrong passphrase"
            ),
        )
        expect_error(
            Boom,
            lambda: crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted_key, _raise),
        )
        ctx = SSL.Context(SSL.TLS_METHOD)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            expect_error(
                TypeError, lambda: ctx.set_client_ca_list([*names, "not a name"])
            )

    kinds = [
        crypto_errors,
        failed_verification,
        hostname_mismatch,
        garbage_first,
        garbage_mid_handshake,
        garbage_after_handshake,
        bad_configuration,
        *(callback_raises(name) for name in raising),
    ]

    def step(i: int) -> None:
        kinds[i % len(kinds)]()
        expect(lib.ERR_peek_error() == 0, "an error left in OpenSSL's queue")

    def check() -> None:
        expect(
            hooked[0] > 0, "the servername callback's error never reached excepthook"
        )

    step.check = check  # type: ignore[attr-defined]
    return step


# -- scenario: ssl_compat SSLObject and SSLSocket pairs -----------------------


def scenario_compat(files: Files, figures: dict[str, float]) -> Step:
    import ssl

    client_ctx = ssl_compat.create_default_context(cafile=files.ca)
    client_ctx.set_alpn_protocols(["h2"])
    server_ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(files.server_pem, files.server_key)
    server_ctx.set_alpn_protocols(["h2"])
    sessions: deque[Any] = deque(maxlen=8)
    cadata = Path(files.ca).read_text()

    def fresh_contexts() -> None:
        """ssl_compat contexts loaded from files and cadata, then dropped."""
        ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(files.server_pem, files.server_key)
        ctx.load_verify_locations(cadata=cadata)
        ctx.load_verify_locations(cafile=files.ca)
        ctx.set_ciphers("ECDHE+AESGCM")
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        ctx.verify_mode = ssl.CERT_OPTIONAL
        expect(len(ctx.get_ca_certs()) == 1, "CA certificate not listed once")
        ctx.cert_store_stats()
        ctx.get_ciphers()
        client = ssl_compat.create_default_context(cadata=cadata)
        client.minimum_version = ssl.TLSVersion.TLSv1_2
        client.wrap_bio(
            ssl_compat.MemoryBIO(), ssl_compat.MemoryBIO(), server_hostname="x.test"
        )
        figures["contexts"] = figures.get("contexts", 0) + 2

    def sockets(i: int) -> None:
        a, b = _socket_pair()
        hostname = "wrong.example" if i % 8 == 7 else "localhost"
        with (
            client_ctx.wrap_socket(
                a, server_hostname=hostname, do_handshake_on_connect=False
            ) as client,
            server_ctx.wrap_socket(
                b, server_side=True, do_handshake_on_connect=False
            ) as server,
        ):
            done = [False, False]
            try:
                for _ in range(_MAX_ROUNDS):
                    for index, end in enumerate((client, server)):
                        if not done[index]:
                            try:
                                end.do_handshake()
                                done[index] = True
                            except ssl.SSLWantReadError:
                                pass
                    if all(done):
                        break
            except ssl.SSLCertVerificationError:
                expect(hostname != "localhost", "verification failed")
                figures["errors"] = figures.get("errors", 0) + 1
                return
            expect(all(done), "ssl_compat socket handshake did not complete")
            client.sendall(b"over a socket")
            data = b""
            for _ in range(_MAX_ROUNDS):
                try:
                    data += server.recv(100)
                except ssl.SSLWantReadError:
                    continue
                if len(data) == 13:
                    break
            expect(data == b"over a socket", "data garbled")
        figures["handshakes"] = figures.get("handshakes", 0) + 1

    def step(i: int) -> None:
        if i % 4 == 3:
            sockets(i)
            return
        hostname = "wrong.example" if i % 4 == 1 else "localhost"
        # (Not on the wrong-host iterations: resuming skips certificate
        # checks, in the stdlib too.)
        session = sessions[-1] if sessions and i % 12 in (0, 6) else None
        client_end, server_end = object_pair(
            client_ctx, server_ctx, server_hostname=hostname, session=session
        )
        client, server = client_end.obj, server_end.obj
        if i % 4 == 1:
            try:
                handshake(client_end, server_end)
            except ssl.SSLCertVerificationError:
                figures["errors"] = figures.get("errors", 0) + 1
                return
            raise LeakDriverError("a wrong host name was accepted")
        if i % 4 == 2:
            server_end.incoming(b"\x16\x03\x01\x00\x10" + b"\xff" * 16)
            try:
                server.do_handshake()
            except ssl.SSLError:
                figures["errors"] = figures.get("errors", 0) + 1
                return
            raise LeakDriverError("garbage was accepted as a ClientHello")
        handshake(client_end, server_end)
        expect(client.selected_alpn_protocol() == "h2", "ALPN not negotiated")
        client.write(b"hello")
        deliver(client_end, server_end)
        expect(server.read(5) == b"hello", "data garbled")
        server.write(b"world")
        deliver(client_end, server_end)
        expect(client.read(5) == b"world", "data garbled")
        expect(client.getpeercert()["subject"] is not None, "no peer certificate")
        expect(bool(client.getpeercert(binary_form=True)), "no peer certificate")
        expect(client.cipher() is not None, "no cipher")
        client.shared_ciphers()
        expect(client.version() == "TLSv1.3", "not TLS 1.3")
        server.get_channel_binding("tls-unique")
        if i % 8 == 0:
            fresh_contexts()
        if client.session is not None:
            sessions.append(client.session)
        figures["handshakes"] = figures.get("handshakes", 0) + 1
        figures["resumed"] = figures.get("resumed", 0) + int(client.session_reused)

    return step


# -- scenario: the data path on long-lived connections ---------------------------


def scenario_data(files: Files, figures: dict[str, float]) -> Step:
    """Records through long-lived connections: every send and receive form.

    One memory-BIO pair and one socket-mode pair live for the whole run;
    each iteration moves a few records of varying size each way with
    ``send``/``sendall``/``write`` (bytes, bytearray, memoryview),
    ``recv``/``read``/``recv_into`` (with and without ``MSG_PEEK``),
    ``pending``, ``bio_read``/``bio_write``, and every 50th renews the pairs.
    """
    pki = files.pki
    server_ctx = SSL.Context(SSL.TLS_METHOD)
    present(server_ctx, pki.server)
    client_ctx = SSL.Context(SSL.TLS_METHOD)
    client_ctx.load_verify_locations(files.ca)
    client_ctx.set_verify(SSL.VERIFY_PEER)
    state: dict[str, Any] = {}
    sizes = [1, 100, 1500, 16384, 20000, 70000]
    buffer = bytearray(70000)

    def renew() -> None:
        for sock in state.get("sockets", ()):
            sock.close()
        memory = (SSL.Connection(client_ctx), SSL.Connection(server_ctx))
        a, b = _socket_pair()
        sockets = (SSL.Connection(client_ctx, a), SSL.Connection(server_ctx, b))
        for client, server in (memory, sockets):
            client.set_connect_state()
            server.set_accept_state()
            handshake(client, server)
        state.update(memory=memory, sockets=(a, b), socket_pair=sockets)

    def receive(receiver: SSL.Connection, sender: SSL.Connection, size: int) -> bytes:
        data = b""
        view = memoryview(buffer)
        for _ in range(_MAX_ROUNDS * 4):
            try:
                if len(data) % 2:
                    data += receiver.recv(size - len(data))
                else:
                    peeked = receiver.recv(size - len(data), socket.MSG_PEEK)
                    count = receiver.recv_into(view, len(peeked))
                    expect(bytes(view[:count]) == peeked, "peek and read differ")
                    data += peeked
            except SSL.WantReadError:
                if receiver._into_ssl is not None:
                    pump(sender, receiver)
            if len(data) == size:
                return data
        raise LeakDriverError(f"expected {size} bytes, got {len(data)}")

    def step(i: int, primed: bool = False) -> None:
        if i % 50 == 0 and not primed:
            renew()
            # The memory BIOs keep the capacity of the largest flight they
            # held: fill them up front so that every reading sees the same.
            step(sizes.index(max(sizes)), primed=True)
        size = sizes[i % len(sizes)]
        payload = os.urandom(size)
        for client, server in (state["memory"], state["socket_pair"]):
            kind = i % 3
            if kind == 0:
                client.sendall(payload)
            elif kind == 1:
                client.sendall(bytearray(payload))
            else:
                client.sendall(memoryview(payload))
            if client._into_ssl is not None:
                pump(client, server)
            expect(receive(server, client, size) == payload, "data garbled")
            expect(server.pending() == 0, "bytes left over")
            sent = server.send(payload[:1000])
            if server._into_ssl is not None:
                pump(server, client)
            expect(receive(client, server, sent) == payload[:sent], "reply garbled")
        figures["records"] = figures.get("records", 0) + 4

    return step


# -- scenario: DTLS with the cookie exchange -----------------------------------


def scenario_dtls(files: Files, figures: dict[str, float]) -> Step:
    """DTLS handshakes through DTLSv1_listen; some cookies rejected or raising."""
    pki = files.pki
    cookie = b"leak-driver cookie"
    rejected: list[int] = [0]

    def generate(conn: Any) -> bytes:
        if conn.get_app_data() == "raise":
            raise Boom("from the cookie generate callback")
        return cookie

    def verify(conn: Any, got: bytes) -> bool:
        if conn.get_app_data() == "reject":
            rejected[0] += 1
            return False
        return got == cookie

    server_ctx = SSL.Context(SSL.DTLS_METHOD)
    present(server_ctx, pki.server)
    server_ctx.set_options(SSL.OP_NO_QUERY_MTU)
    server_ctx.set_cookie_generate_callback(generate)
    server_ctx.set_cookie_verify_callback(verify)
    client_ctx = SSL.Context(SSL.DTLS_METHOD)
    client_ctx.set_options(SSL.OP_NO_QUERY_MTU)
    client_ctx.load_verify_locations(files.ca)
    client_ctx.set_verify(SSL.VERIFY_PEER)

    def step(i: int) -> None:
        client = SSL.Connection(client_ctx, None)
        server = SSL.Connection(server_ctx, None)
        client.set_connect_state()
        server.set_accept_state()
        client.set_ciphertext_mtu(1500)
        server.set_ciphertext_mtu(1500)
        mode = ("ok", "ok", "reject", "raise")[i % 4]
        server.set_app_data(mode)
        expect(not dtls_step(client.do_handshake), "DTLS client finished early")
        move_datagram(client, server)
        if mode == "raise":
            try:
                server.DTLSv1_listen()
            except Boom:
                figures["errors"] = figures.get("errors", 0) + 1
                return
            raise LeakDriverError("the cookie callback's exception was lost")
        expect(not dtls_step(server.DTLSv1_listen), "no HelloVerifyRequest")
        move_datagram(server, client)
        expect(not dtls_step(client.do_handshake), "DTLS client finished early")
        move_datagram(client, server)
        if mode == "reject":
            expect(not dtls_step(server.DTLSv1_listen), "a bad cookie passed")
            figures["errors"] = figures.get("errors", 0) + 1
            return
        server.DTLSv1_listen()
        dtls_finish_handshake(client, server, stalled=LeakDriverError)
        client.send(b"datagram")
        move_datagram(client, server)
        expect(server.recv(100) == b"datagram", "DTLS data garbled")
        client.shutdown()
        figures["handshakes"] = figures.get("handshakes", 0) + 1

    def check() -> None:
        expect(rejected[0] > 0, "no cookie was rejected")

    step.check = check  # type: ignore[attr-defined]
    return step


# -- scenario: one call that leaked, repeated (a regression test) -------------


def scenario_client_ca_list_error(files: Files, figures: dict[str, float]) -> Step:
    """``set_client_ca_list`` refusing a bad element after good ones.

    It used to free the stack of copied names but not the copies: ~600
    bytes lost per call.
    """
    from OpenSSL import crypto

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        names = [
            crypto.X509.from_cryptography(identity.cert).get_subject()
            for identity in (files.pki.root, files.pki.intermediate)
        ]

    def step(i: int) -> None:
        ctx = SSL.Context(SSL.TLS_METHOD)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.set_client_ca_list([*names, b"not a name"])
        except TypeError:
            figures["errors"] = figures.get("errors", 0) + 1
        else:
            raise LeakDriverError("set_client_ca_list took a non-name")

    return step


SCENARIOS: dict[str, Callable[[Files, dict[str, float]], Step]] = {
    "client-ca-list-error": scenario_client_ca_list_error,
    "handshakes": scenario_handshakes,
    "objects": scenario_objects,
    "sessions": scenario_sessions,
    "errors": scenario_errors,
    "compat": scenario_compat,
    "dtls": scenario_dtls,
    "data": scenario_data,
}
