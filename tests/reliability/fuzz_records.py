"""Record fuzzer: mutated and random TLS records fed to live connections.

.. list-table:: What each test checks, and where its verdict is computed
   :header-rows: 1

   * - test (``test_fuzz_records.py``)
     - checks
     - verdict computed in
   * - ``test_record_fuzz``
     - the child fuzzes every scenario and stage: only ``SSL.Error`` (or
       ``ssl.SSLError`` for the compat slice), clean error queue, dead
       connections stay dead, data is a prefix of what was sent, controls
       complete
     - :class:`Checker` here (each call), :meth:`Fuzzer.report` collects,
       :func:`run_shard` exits 1 on any defect and ``subproc.run_driver``
       fails the test; the test checks the case counts and that at least 90
       stages were reached
   * - ``test_checker_flags_*``, ``test_checker_accepts_ssl_errors``
     - :class:`Checker` flags each kind of defect on stubs (self-test)
     - the tests
   * - ``test_hello_round_trip``, ``test_oversize_records``,
       ``test_alerts_cover_every_code_and_both_levels``,
       ``test_refragment_keeps_the_bytes``, ``test_mutators_survive_degenerate_input``
     - the wire helpers and mutators of ``record_mutators``
     - the tests
   * - ``test_tls13_flight_reencrypted_unchanged_still_works``
     - the TLS 1.3 re-encryption the fuzzer mutates through is exact
     - the test
   * - the other tests (``..._leaves_no_error_queued``, ``ssl_compat_...``)
     - one defect the fuzzer found each, pinned on a real handshake
     - the tests

Run as ``python -m tests.reliability.fuzz_records --seed N --records M
[--jobs J]``; it prints its figures with :func:`subproc.emit_figures` and
exits 1 after printing every defect it found (at most a screenful).

What it does, per fuzz case (one case delivers one mutated or random record,
or one flight in which a record was mutated, and counts as one record):

* picks a *scenario* (TLS 1.3, TLS 1.2, client certificate requested,
  session resumption, RSA key transport; every context carries info, SNI,
  ALPN and verify callbacks) and a *stage*: a fresh server given a ClientHello,
  a fresh client given the server's first flight (recorded once per process,
  the session id echo patched so that TLS 1.3 parsing goes past it), a client
  given bytes before it sent anything, a live handshake stopped at flight *k*
  (the receiver gets a mutation of the real flight *k*), an established
  connection receiving application records, and connections after a
  close_notify was sent or received;
* mutates the bytes (``MUTATORS`` in ``record_mutators``): truncation,
  oversized records, wrong length fields, content types and versions, bit
  flips and byte insertions and deletions in plaintext handshake messages
  (with the lengths fixed up so parsing goes deeper), extension-level edits
  of hellos, inserted, dropped and duplicated records, refragmentation,
  garbage after the flight, every alert code at both levels (and malformed
  alerts), random bytes;
* for TLS 1.3, half of the flights with encrypted records are decrypted with
  the sender's traffic secrets (from the keylog callback), their plaintext
  mutated (handshake messages, inner content types, padding, encrypted
  alerts of every code, stray KeyUpdate/NewSessionTicket/... messages) and
  encrypted again, so the receiver parses mutated EncryptedExtensions,
  Certificate, CertificateVerify, Finished and post-handshake messages;
* delivers them with ``bio_write`` in one call, one byte per call, or random
  chunks, driving the receiver after each write, then keeps the live peer
  talking until no bytes move;
* checks (:class:`Checker`): every call raises nothing but ``SSL.Error``
  subclasses (plus the one exception the ALPN callback raises on purpose,
  once, from the call that ran it); OpenSSL's error queue is empty after
  every call; no callback exception is left stored on the connection; once
  a call failed, ``do_handshake``/``recv``/``send``/... keep failing with
  ``SSL.Error`` (not ``WantReadError``: nothing can help any more);
  application data received is exactly a prefix of what the peer sent (not
  checked for input the fuzzer encrypted with the real keys); a peeked read
  agrees with the read after it; unmutated but split, refragmented or
  re-encrypted flights complete the handshake; and every getter that reports
  what the peer sent (certificates, chains, CA names, SNI, ALPN, session,
  finished messages, ...) raises nothing undocumented, on live and failed
  connections alike.

A slice of the cases (``record_fuzz_compat``) runs through
``OpenSSL.ssl_compat`` (``SSLObject`` over ``MemoryBIO``; TLS 1.3, and TLS
1.2 with a ``CERT_NONE`` client so mutated certificates reach the getters),
where only ``ssl.SSLError`` may escape, and
a slice through DTLS memory-BIO connections with mutated datagrams (with and
without cookie exchange, ``DTLSv1_listen`` included).

Reproducing: case *i* of seed *N* draws everything from
``random.Random(N * 1000003 + i)``; ``--seed N --records 1 --case i`` runs
that one case. ``--jobs J`` runs J child interpreters on interleaved cases
and sums their figures. Live
handshakes use OpenSSL's randomness, so a replay repeats the decisions, not
always the exact bytes: a defect report therefore prints the input in hex.

atheris is not used: OpenSSL's C code in the cryptography wheel is not
instrumented, so coverage guidance would only see this Python driver; the
structured mutators above reach the parsers more directly.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from socket import MSG_PEEK
from typing import Any, Callable, Optional

from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import InvalidVersion

from OpenSSL import SSL, crypto
from OpenSSL._util import lib
from tests import support
from tests.reliability.outcomes import NETWORK_ERRORS_SSL
from tests.reliability.record_mutators import (  # noqa: F401 (re-exported)
    _MUT_FUNCS,
    _MUT_NAMES,
    _MUT_WEIGHTS,
    ALERT,
    APPDATA,
    CCS,
    CONTENT_TYPES,
    DTLS_FIELDS,
    EXT_TYPES,
    HANDSHAKE,
    HEARTBEAT,
    HS_CLIENT_HELLO,
    HS_SERVER_HELLO,
    HS_TYPES,
    INTERESTING,
    MAX_PLAIN,
    MUTATORS,
    PAYLOAD,
    ROUNDS,
    SECRET_LABELS,
    TLS12,
    VERSIONS,
    Hello,
    _edit_messages,
    _pick,
    _set_header,
    _u16,
    _u24,
    alert_record,
    build_hello,
    chunks,
    is_plain_handshake,
    junk_record,
    m_alert,
    m_bytes_anywhere,
    m_ctype,
    m_garbage_tail,
    m_hello_extensions,
    m_hello_version,
    m_insert,
    m_length,
    m_message_body,
    m_message_header,
    m_oversize,
    m_random,
    m_refragment_bad,
    m_reorder,
    m_truncate,
    m_version,
    message,
    mutate,
    mutate_bytes,
    mutate_dtls,
    mutate_inner,
    open_flight,
    parse_hello,
    rbytes,
    record,
    refragment,
    session_id_of,
    split_dtls,
    split_messages,
    split_records,
    with_session_id,
)
from tests.reliability.subproc import FIGURES_PREFIX, emit_figures
from tests.support import make_pki

DER = Encoding.DER

# -- checking one connection -----------------------------------------------------

OK, WANT, ZERO, FATAL = "ok", "want", "zero", "fatal"


class Defect(Exception):
    """Something a hostile peer must never cause; the message says what."""


class Boom(Exception):
    """Raised on purpose by the server's ALPN callback for unknown protocols."""


@dataclass
class Side:
    """One connection under test and what the checks know about it."""

    conn: Any
    name: str
    failed: bool = False
    zero: bool = False
    done: bool = False
    boom: bool = False
    received: bytearray = field(default_factory=bytearray)
    expected: bytes = b""
    reads: int = 0
    error: Optional[type] = None
    #: Set when the input was encrypted with the real keys: the fuzzer holds
    #: them, so data it forged is authentic and the prefix check is off.
    forged: bool = False


class Checker:
    """Runs calls on connections and enforces the rules of the module docstring."""

    def __init__(self, stats: Counter[str]) -> None:
        self.stats = stats
        self.seen_certificates: set[bytes] = set()

    def call(
        self, side: Side, what: str, fn: Callable[..., Any], *args: Any
    ) -> tuple[str, Any]:
        result = None
        try:
            result = fn(*args)
            outcome = OK
        except (SSL.WantReadError, SSL.WantWriteError):
            outcome = WANT
        except SSL.ZeroReturnError:
            outcome = ZERO
        except Boom:
            if side.boom:
                raise Defect(
                    f"{side.name}.{what}: the ALPN callback's exception came out twice"
                ) from None
            side.boom = True
            self.stats["ALPN callback exception re-raised"] += 1
            outcome = FATAL
        except NETWORK_ERRORS_SSL as exc:
            outcome = FATAL
            if not side.failed:
                side.error = type(exc)
        except Exception as exc:
            raise Defect(
                f"{side.name}.{what} raised {type(exc).__name__}: {exc!r}"
            ) from exc
        self.after(side, what, outcome)
        return outcome, result

    def after(self, side: Side, what: str, outcome: str) -> None:
        queued = lib.ERR_peek_error()
        if queued:
            lib.ERR_clear_error()
            raise Defect(
                f"{side.name}.{what} ({outcome}) left OpenSSL's error queue non-empty "
                f"(first error {queued:#x})"
            )
        if getattr(side.conn, "_callback_exception", None) is not None:
            raise Defect(f"{side.name}.{what} left a callback exception stored")
        if outcome == FATAL:
            side.failed = True
        elif outcome == ZERO:
            side.zero = True

    def write(self, side: Side, data: bytes) -> None:
        outcome, result = self.call(side, "bio_write", side.conn.bio_write, data)
        if outcome != OK or result != len(data):
            raise Defect(
                f"{side.name}.bio_write({len(data)} bytes) gave {outcome} {result!r}"
            )

    def drain(self, side: Side) -> bytes:
        out = []
        for _ in range(ROUNDS):
            outcome, data = self.call(side, "bio_read", side.conn.bio_read, 65536)
            if outcome != OK:
                break
            out.append(data)
        return b"".join(out)

    def step(self, side: Side) -> bytes:
        """Drive *side* once (handshake, then reads); return what it wants sent."""
        conn = side.conn
        if not side.failed and not side.done:
            outcome, _ = self.call(side, "do_handshake", conn.do_handshake)
            side.done = outcome == OK
        if not side.failed and side.done and not side.zero:
            for _ in range(ROUNDS):
                side.reads += 1
                outcome, data = self.read(side, side.reads % 3)
                if outcome != OK:
                    break
                self.got(side, data)
        return self.drain(side)

    def read(self, side: Side, how: int) -> tuple[str, bytes]:
        """``recv``, ``recv_into`` or a ``MSG_PEEK`` then ``recv`` (which agree)."""
        conn = side.conn
        if how == 0:
            return self.call(side, "recv", conn.recv, 16384)  # type: ignore[no-any-return]
        if how == 1:
            buf = bytearray(16384)
            outcome, n = self.call(side, "recv_into", conn.recv_into, buf)
            return outcome, bytes(buf[:n]) if outcome == OK else b""
        outcome, peeked = self.call(side, "recv(MSG_PEEK)", conn.recv, 16384, MSG_PEEK)
        if outcome != OK:
            return outcome, b""
        outcome, data = self.call(side, "recv", conn.recv, len(peeked))
        if outcome != OK or data != peeked:
            raise Defect(
                f"{side.name}: recv gave {outcome} {data[:32]!r} "
                f"after peeking {peeked[:32]!r}"
            )
        return outcome, data

    def got(self, side: Side, data: bytes) -> None:
        side.received += data
        if not side.forged and not side.expected.startswith(bytes(side.received)):
            raise Defect(
                f"{side.name}.recv returned bytes the peer never sent: "
                f"{bytes(side.received)[-64:]!r}"
            )

    def check_dead(self, side: Side) -> None:
        """After a failure, the connection keeps failing and yields nothing."""
        conn = side.conn
        probes: list[tuple[str, Callable[[], Any]]] = [
            ("do_handshake", conn.do_handshake),
            ("recv", lambda: conn.recv(16384)),
            ("send", lambda: conn.send(b"after the failure")),
            ("bio_write", lambda: conn.bio_write(record(APPDATA, b"\0" * 32))),
            ("do_handshake", conn.do_handshake),
            ("recv_into", lambda: conn.recv_into(bytearray(100))),
            ("sendall", lambda: conn.sendall(b"after the failure")),
        ]
        for what, probe in probes:
            outcome, _ = self.call(side, what, probe)
            if what == "bio_write":
                continue
            if outcome == OK:
                raise Defect(
                    f"{side.name}.{what} succeeded after the connection failed"
                )
            dtls = side.name.startswith("dtls")
            if outcome == WANT and dtls and side.error is SSL.SysCallError:
                # OpenSSL's DTLS drops a malformed datagram: over a memory BIO
                # (no datagram boundaries) it may first report it as
                # SSL_ERROR_SYSCALL, which pyOpenSSL 26.4 too raises as
                # SysCallError(-1, "Unexpected EOF"), and then carry on.
                self.stats["DTLS: datagram dropped after SysCallError"] += 1
                break
            if outcome == WANT:
                # An event loop would wait for bytes that can never help.
                raise Defect(f"{side.name}.{what} asked for more input after a failure")
            self.stats[f"after failure: {what} {outcome}"] += 1
        self.drain(side)

    def introspect(self, side: Side) -> None:
        """Call every getter that reports what the peer sent (after any outcome)."""
        conn = side.conn
        failed = side.failed
        for what, getter in CONNECTION_GETTERS:
            _, result = self.call(side, what, getter, conn)
            # A getter's refusal (no keys to export yet) fails nothing.
            side.failed = failed
            if what == "get_peer_certificate" and result is not None:
                self.certificate(side, result)
            elif what == "get_peer_cert_chain" and result:
                for cert in result[:4]:
                    self.certificate(side, cert)

    def certificate(self, side: Side, cert: Any) -> None:
        """A (possibly mutated) certificate from the peer: every getter.

        Each distinct certificate is examined once per process (most are the
        unmutated ones, again and again).
        """
        der = crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
        if der in self.seen_certificates:
            return
        if len(self.seen_certificates) > 10000:
            self.seen_certificates.clear()
        self.seen_certificates.add(der)
        self.stats["distinct peer certificates examined"] += 1
        for what, getter in CERT_GETTERS:
            try:
                getter(cert)
            except (SSL.Error, crypto.Error):
                pass
            except CRYPTOGRAPHY_REFUSALS as exc:
                # As pyOpenSSL 26.4: cryptography refuses what it cannot
                # represent (to_cryptography: ValueError, or InvalidVersion
                # for a version it does not know); get_signature_algorithm
                # raises ValueError for an unknown algorithm.
                if what not in ("to_cryptography", "get_signature_algorithm"):
                    raise Defect(f"X509.{what} raised {exc!r}") from exc
                self.stats[f"certificate: {what} {type(exc).__name__}"] += 1
            except Exception as exc:
                raise Defect(
                    f"X509.{what} raised {type(exc).__name__}: {exc!r}"
                ) from exc
            self.after(side, f"X509.{what}", OK)

    def check_closed(self, side: Side) -> None:
        """After close_notify arrived, no application data comes out."""
        outcome, data = self.call(side, "recv", side.conn.recv, 16384)
        if outcome == OK:
            raise Defect(f"{side.name}.recv returned {data[:32]!r} after close_notify")


def _components(name: Any) -> Any:
    return (name.get_components(), name.der(), name.hash(), repr(name))


#: Getters of a Connection that report what the peer sent or negotiated.
CONNECTION_GETTERS: list[tuple[str, Callable[[Any], Any]]] = [
    ("get_peer_certificate", lambda c: c.get_peer_certificate()),
    ("get_peer_cert_chain", lambda c: c.get_peer_cert_chain()),
    (
        "get_peer_certificate(as_cryptography)",
        lambda c: _crypto(c.get_peer_certificate),
    ),
    ("get_verified_chain", lambda c: c.get_verified_chain()),
    ("get_client_ca_list", lambda c: [_components(n) for n in c.get_client_ca_list()]),
    ("get_client_ca_list(as_cryptography)", lambda c: _crypto(c.get_client_ca_list)),
    ("get_servername", lambda c: c.get_servername()),
    ("get_alpn_proto_negotiated", lambda c: c.get_alpn_proto_negotiated()),
    ("get_cipher_name", lambda c: (c.get_cipher_name(), c.get_cipher_bits())),
    ("get_cipher_version", lambda c: c.get_cipher_version()),
    ("get_protocol_version_name", lambda c: c.get_protocol_version_name()),
    ("get_group_name", lambda c: c.get_group_name()),
    ("get_state_string", lambda c: c.get_state_string()),
    ("get_finished", lambda c: (c.get_finished(), c.get_peer_finished())),
    ("client_random", lambda c: (c.client_random(), c.server_random())),
    ("master_key", lambda c: c.master_key()),
    ("get_session", lambda c: c.get_session()),
    ("get_verify_result", lambda c: c.get_verify_result()),
    ("pending", lambda c: (c.pending(), c.want_read(), c.want_write())),
    ("get_shutdown", lambda c: c.get_shutdown()),
    ("export_keying_material", lambda c: c.export_keying_material(b"EXPORTER-x", 8)),
]


#: What cryptography raises for certificates and names it will not load.
CRYPTOGRAPHY_REFUSALS = (ValueError, InvalidVersion)

#: Conversions cryptography refused (figures), see ``_crypto``.
CRYPTO_REFUSALS: Counter[str] = Counter()


def _crypto(getter: Callable[..., Any]) -> Any:
    try:
        return getter(as_cryptography=True)
    except CRYPTOGRAPHY_REFUSALS:
        # pyOpenSSL 26.4 converts with cryptography, which may refuse what
        # OpenSSL parsed (it raises ValueError too); counted, not a defect.
        CRYPTO_REFUSALS[f"as_cryptography ValueError: {getter.__name__}"] += 1
        return None


CERT_GETTERS: list[tuple[str, Callable[[Any], Any]]] = [
    ("get_subject", lambda x: _components(x.get_subject())),
    ("get_issuer", lambda x: _components(x.get_issuer())),
    ("get_serial_number", lambda x: x.get_serial_number()),
    ("get_version", lambda x: x.get_version()),
    ("get_notBefore", lambda x: (x.get_notBefore(), x.get_notAfter())),
    ("has_expired", lambda x: x.has_expired()),
    ("get_extension_count", lambda x: x.get_extension_count()),
    ("get_signature_algorithm", lambda x: x.get_signature_algorithm()),
    ("digest", lambda x: x.digest("sha256")),
    ("subject_name_hash", lambda x: x.subject_name_hash()),
    ("get_pubkey", lambda x: x.get_pubkey().bits()),
    ("to_cryptography", lambda x: x.to_cryptography().public_bytes(DER)),
]


# -- scenarios: contexts, recorded transcripts ------------------------------------

ALPN = [b"h2", b"http/1.1"]


def _alpn_select(conn: Any, protos: list[bytes]) -> Any:
    for proto in protos:
        if proto not in ALPN:
            raise Boom(proto)
    return b"h2" if b"h2" in protos else SSL.NO_OVERLAPPING_PROTOCOLS


def _verify(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
    return bool(ok)


def _accept_any(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
    # As applications that pin or check certificates themselves do: every
    # (possibly mutated) certificate is accepted, so it reaches the getters.
    cert.subject_name_hash()
    return True


#: A DER OCSPResponse ("unauthorized"), which OpenSSL 4 agrees to staple.
OCSP_RESPONSE = b"\x30\x03\x0a\x01\x06"


def _ocsp_client(conn: Any, response: bytes, data: Any) -> bool:
    return response in (b"", OCSP_RESPONSE)


def _keylog(conn: Any, line: bytes) -> None:
    """Keep the traffic secrets, to re-encrypt mutated TLS 1.3 plaintext."""
    secrets = conn.get_app_data()
    if isinstance(secrets, dict):
        label, _, secret = line.split(b" ")
        secrets[label] = bytes.fromhex(secret.decode("ascii"))


def _with_callbacks(sctx: Any, cctx: Any, accept_any: bool) -> None:
    sctx.set_info_callback(lambda conn, where, ret: None)
    sctx.set_tlsext_servername_callback(lambda conn: conn.get_servername())
    sctx.set_alpn_select_callback(_alpn_select)
    sctx.set_ocsp_server_callback(lambda conn, data: OCSP_RESPONSE)
    sctx.set_session_id(b"record-fuzz")
    cctx.set_alpn_protos(ALPN)
    cctx.set_ocsp_client_callback(_ocsp_client)
    verify = _accept_any if accept_any else _verify
    cctx.set_verify(SSL.VERIFY_PEER, verify)
    cctx.set_keylog_callback(_keylog)
    sctx.set_keylog_callback(_keylog)
    if sctx.get_verify_mode() & SSL.VERIFY_PEER:
        sctx.set_verify(sctx.get_verify_mode(), verify)


@dataclass
class Scenario:
    """Two contexts, the flights of one real handshake, how to start a client."""

    name: str
    sctx: Any
    cctx: Any
    session: Any = None
    flights: list[bytes] = field(default_factory=list)

    def pair(self, checker: Checker) -> tuple[Side, Side]:
        client = SSL.Connection(self.cctx)
        client.set_connect_state()
        client.set_tlsext_host_name(b"localhost")
        client.request_ocsp()
        if self.session is not None:
            client.set_session(self.session)
        server = SSL.Connection(self.sctx)
        server.set_accept_state()
        client.set_app_data({})
        server.set_app_data({})
        return Side(client, f"{self.name} client"), Side(server, f"{self.name} server")


def _x25519(*contexts: Any) -> None:
    for ctx in contexts:
        if lib.SSL_CTX_set1_curves_list(ctx._context, b"X25519") != 1:
            raise RuntimeError("cannot restrict the groups to X25519")


def make_scenarios(checker: Checker) -> list[Scenario]:
    pki = make_pki()
    v12, v13 = SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION
    made = []

    def add(
        name: str, sctx: Any, cctx: Any, resume: bool = False, accept_any: bool = False
    ) -> None:
        _with_callbacks(sctx, cctx, accept_any)
        scn = Scenario(name, sctx, cctx)
        if resume:
            client, server = scn.pair(checker)
            support.handshake(client.conn, server.conn)
            support.pump(client.conn, server.conn)
            try:
                client.conn.recv(1)
            except SSL.WantReadError:
                pass
            scn.session = client.conn.get_session()
        scn.flights = record_flights(scn, checker)
        made.append(scn)

    add(
        "tls13",
        support.server_context(max_version=v13),
        support.client_context(),
        accept_any=True,
    )
    sctx = support.server_context(verify_client=True)
    # CA names in the CertificateRequest: mutated, they reach the client's
    # get_client_ca_list (X509Name parsing of peer bytes).
    sctx.add_client_ca(pki.root.cert)
    sctx.add_client_ca(pki.intermediate.cert)
    cctx = support.client_context(identity=pki.client)
    _x25519(sctx, cctx)
    add("tls13-client-cert", sctx, cctx, accept_any=True)
    sctx, cctx = support.server_context(), support.client_context()
    _x25519(sctx, cctx)
    add("tls13-resumed", sctx, cctx, resume=True)
    add(
        "tls12",
        support.server_context(max_version=v12),
        support.client_context(max_version=v12),
        accept_any=True,
    )
    sctx = support.server_context(pki.rsa_server, max_version=v12, verify_client=True)
    sctx.set_cipher_list(b"AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
    sctx.add_client_ca(pki.root.cert)
    cctx = support.client_context(max_version=v12, identity=pki.client)
    cctx.set_cipher_list(b"AES128-GCM-SHA256")
    add("tls12-rsa-kx-client-cert", sctx, cctx, accept_any=True)
    add(
        "tls12-resumed",
        support.server_context(max_version=v12),
        support.client_context(max_version=v12),
        resume=True,
    )
    return made


COOKIE = b"record-fuzz cookie"


def make_dtls_scenarios(checker: Checker) -> list[Scenario]:
    """DTLS 1.2 over memory BIOs, with the same callbacks; and with cookies.

    With ``OP_COOKIE_EXCHANGE`` the server answers the first ClientHello with
    a HelloVerifyRequest; the second ClientHello's cookie (mutated by the
    fuzzer) reaches the cookie verify callback.
    """
    made = []
    for name in ("dtls", "dtls-cookie"):
        sctx = support.server_context(method=SSL.DTLS_METHOD)
        cctx = support.client_context(method=SSL.DTLS_METHOD)
        _with_callbacks(sctx, cctx, accept_any=False)
        if name == "dtls-cookie":
            sctx.set_options(SSL.OP_COOKIE_EXCHANGE)
            sctx.set_cookie_generate_callback(lambda conn: COOKIE)
            sctx.set_cookie_verify_callback(lambda conn, cookie: cookie == COOKIE)
        scn = Scenario(name, sctx, cctx)
        scn.flights = record_flights(scn, checker)
        made.append(scn)
    return made


def record_flights(scn: Scenario, checker: Checker) -> list[bytes]:
    """The handshake flights of one real conversation, client's first."""
    client, server = scn.pair(checker)
    flights = []
    sender, receiver = client, server
    for _ in range(ROUNDS):
        data = checker.step(sender)
        if not data:
            break
        flights.append(data)
        checker.write(receiver, data)
        sender, receiver = receiver, sender
    if not (client.done and server.done) or client.failed or server.failed:
        raise RuntimeError(f"the {scn.name} handshake did not complete")
    return flights


# -- fuzz cases ---------------------------------------------------------------------


@dataclass
class Case:
    """What the running case did so far, for the defect report."""

    index: int
    kind: str = ""
    stage: str = ""
    mutation: str = ""
    delivery: str = ""
    data: bytes = b""


class Fuzzer:
    """Runs fuzz cases against the scenarios and collects figures and defects."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.stats: Counter[str] = Counter()
        self.stages: set[str] = set()
        self.check = Checker(self.stats)
        self.scenarios = make_scenarios(self.check)
        self.dtls = make_dtls_scenarios(self.check)
        self.defects: list[str] = []
        self.case = Case(-1)
        self._compat: Optional[Any] = None

    # -- plumbing shared by the cases

    def fresh(self, scn: Scenario, server: bool) -> Side:
        self.stats["connections"] += 1
        if server:
            conn = SSL.Connection(scn.sctx)
            conn.set_accept_state()
            return Side(conn, f"{scn.name} server")
        conn = SSL.Connection(scn.cctx)
        conn.set_connect_state()
        conn.set_tlsext_host_name(b"localhost")
        conn.request_ocsp()
        return Side(conn, f"{scn.name} client")

    def pair(self, scn: Scenario) -> tuple[Side, Side]:
        self.stats["connections"] += 2
        return scn.pair(self.check)

    def deliver(self, rng: random.Random, side: Side, peer: Optional[Side],
                mutation: str, data: bytes) -> None:  # fmt: skip
        how, pieces = chunks(rng, data)
        case = self.case
        case.mutation, case.delivery, case.data = mutation, how, data
        self.stats["records"] += 1
        self.stats["bytes"] += len(data)
        self.stats[f"mutation: {mutation.split('+')[0]}"] += 1
        for piece in pieces:
            if side.failed:
                break
            self.check.write(side, piece)
            out = self.check.step(side)
            if out and peer is not None and not peer.failed:
                self.check.write(peer, out)

    def converse(self, a: Side, b: Side) -> None:
        for _ in range(ROUNDS):
            moved = False
            for x, y in ((a, b), (b, a)):
                out = self.check.step(x) if not x.failed else self.check.drain(x)
                if out and not y.failed:
                    self.check.write(y, out)
                    moved = True
            if not moved:
                return
        raise Defect("the two connections kept exchanging bytes without settling")

    def finish(self, a: Side, b: Optional[Side], control: bool = False) -> None:
        """The end-of-case checks (and a data exchange when both survived)."""
        sides = [a] if b is None else [a, b]
        alive = b is not None and all(
            s.done and not s.failed and not s.zero and not s.conn.get_shutdown()
            for s in sides
        )
        if alive and b is not None:
            for x, y in ((a, b), (b, a)):
                outcome, sent = self.check.call(x, "send", x.conn.send, PAYLOAD)
                if outcome == OK:
                    y.expected += PAYLOAD[:sent]
            self.converse(a, b)
        if control:
            for s in sides:
                if (
                    not s.done
                    or s.failed
                    or bytes(s.received) != s.expected
                    or not s.expected
                ):
                    raise Defect(
                        f"{s.name}: an unmutated flight delivered in pieces did not "
                        f"give a working connection (done={s.done} failed={s.failed} "
                        f"received {len(s.received)} of {len(s.expected)} bytes)"
                    )
        outcome = "survived"
        for s in sides:
            self.check.introspect(s)
            if s.failed:
                outcome = "failed"
                self.check_dead(s)
            elif s.zero:
                self.check.check_closed(s)
        if a.failed:
            outcome = "target failed"
        self.stats[f"outcome: {outcome}"] += 1

    def check_dead(self, side: Side) -> None:
        self.check.check_dead(side)

    def stage(self, scn: Scenario, label: str) -> None:
        name = f"{scn.name}: {label}"
        self.case.stage = name
        self.stages.add(name)

    def input_for(
        self, rng: random.Random, original: bytes, sender: Side
    ) -> tuple[str, bytes, bool]:
        """Mutate *original*; a few cases deliver it unmutated (the control).

        Half of the TLS 1.3 flights with encrypted records are decrypted with
        the sender's traffic secrets, mutated as plaintext and encrypted
        again, so that the receiver parses the mutated messages.
        """
        roll = rng.random()
        if roll >= 0.5 and sender.conn.get_protocol_version() == SSL.TLS1_3_VERSION:
            secrets = sender.conn.get_app_data()
            role = sender.name.rsplit(" ", 1)[1]
            wanted = [secrets.get(label) for label in SECRET_LABELS[role]]
            suite = sender.conn.get_cipher_name() or ""
            opened = open_flight(suite, [s for s in wanted if s], original)
            if opened is not None:
                plain, inners, protection = opened
                if roll < 0.52:
                    # Re-encrypted unchanged: must work (checks the re-sealing).
                    sealed = b"".join(protection.seal(inner) for inner in inners)
                    return "control: tls13 re-encrypted", b"".join(plain) + sealed, True
                name, inners = mutate_inner(rng, inners)
                sealed = b"".join(protection.seal(inner) for inner in inners)
                self.stats["TLS 1.3 re-encrypted"] += 1
                return name, b"".join(plain) + sealed, False
        if roll < 0.03 and original:
            return "control: split", original, True
        if roll < 0.05 and original:
            size = rng.choice((1, 2, 3, 16, 100))
            recs = refragment(rng, split_records(original), size)
            return "control: refragment", b"".join(recs), True
        name, data = mutate(rng, original)
        return name, data, False

    def deliver_control(self, rng: random.Random, side: Side, peer: Optional[Side],
                        name: str, data: bytes) -> None:  # fmt: skip
        """Deliver a control input in small pieces (it must still work)."""
        case = self.case
        case.mutation, case.delivery, case.data = name, "pieces", data
        self.stats["controls"] += 1
        size = 1 if len(data) <= 2048 and rng.random() < 0.3 else rng.choice((3, 7, 50))
        for i in range(0, len(data), size):
            self.check.write(side, data[i : i + size])
            out = self.check.step(side)
            if out and peer is not None and not peer.failed:
                self.check.write(peer, out)

    # -- the cases

    def case_fresh_server(self, rng: random.Random, scn: Scenario) -> None:
        self.stage(scn, "server: ClientHello (fresh connection)")
        server = self.fresh(scn, server=True)
        name, data = mutate(rng, scn.flights[0])
        self.deliver(rng, server, None, name, data)
        self.finish(server, None)

    def case_fresh_client(self, rng: random.Random, scn: Scenario, pre: bool) -> None:
        client = self.fresh(scn, server=False)
        flight = scn.flights[1]
        if pre:
            self.stage(scn, "client: bytes before its ClientHello")
        else:
            self.stage(scn, "client: recorded server flight 1")
            own = self.check.step(client)
            sid = session_id_of(own)
            if sid is not None:
                flight = with_session_id(flight, sid)
        name, data = mutate(rng, flight)
        self.deliver(rng, client, None, name, data)
        self.finish(client, None)

    def advance(self, scn: Scenario, flights: int) -> tuple[Side, Side, bytes]:
        """A live pair after *flights* flights; the next flight, not yet delivered."""
        client, server = self.pair(scn)
        sender, receiver = client, server
        for _ in range(flights):
            data = self.check.step(sender)
            if data:
                self.check.write(receiver, data)
            sender, receiver = receiver, sender
        return sender, receiver, self.check.step(sender)

    def case_live(self, rng: random.Random, scn: Scenario) -> None:
        k = rng.randrange(len(scn.flights))
        sender, receiver, flight = self.advance(scn, k)
        role = receiver.name.rsplit(" ", 1)[1]
        self.stage(scn, f"{role}: live flight {k}")
        name, data, control = self.input_for(rng, flight, sender)
        receiver.forged = name.startswith("tls13")
        if control:
            self.deliver_control(rng, receiver, sender, name, data)
        else:
            self.deliver(rng, receiver, sender, name, data)
        self.converse(receiver, sender)
        self.finish(receiver, sender, control)

    def established(self, scn: Scenario) -> tuple[Side, Side]:
        client, server = self.pair(scn)
        self.converse(client, server)
        if not (client.done and server.done) or client.failed or server.failed:
            raise Defect(f"{scn.name}: an unmutated handshake failed")
        return client, server

    def case_established(self, rng: random.Random, scn: Scenario) -> None:
        client, server = self.established(scn)
        target, peer = (client, server) if rng.random() < 0.5 else (server, client)
        role = target.name.rsplit(" ", 1)[1]
        variant = rng.randrange(3)
        if variant == 1:
            self.stage(scn, f"{role}: after it sent close_notify")
            outcome, _ = self.check.call(target, "shutdown", target.conn.shutdown)
            if outcome != OK:
                raise Defect(
                    f"{target.name}.shutdown gave {outcome} on a live connection"
                )
            notify = self.check.drain(target)
            if rng.random() < 0.5:
                self.check.write(peer, notify)
                self.check.step(peer)
            outcome, _ = self.check.call(target, "send", target.conn.send, b"x")
            if outcome == OK:
                raise Defect(f"{target.name}.send succeeded after its close_notify")
            # That refusal was expected; the connection has not failed.
            target.failed = False
        elif variant == 2:
            self.stage(scn, f"{role}: after it received close_notify")
            self.check.call(peer, "shutdown", peer.conn.shutdown)
            notify = self.check.drain(peer)
            self.check.write(target, notify)
            self.check.step(target)
            if not target.zero:
                raise Defect(f"{target.name}: close_notify did not end the session")
        else:
            self.stage(scn, f"{role}: application data")
        original = b""
        if not peer.zero and not peer.failed and peer.conn.get_shutdown() == 0:
            outcome, sent = self.check.call(peer, "send", peer.conn.send, PAYLOAD)
            if outcome == OK:
                target.expected += PAYLOAD[:sent]
            original = self.check.drain(peer)
        if not original:
            original = record(APPDATA, bytes(40))
        name, data, control = self.input_for(rng, original, peer)
        target.forged = name.startswith("tls13")
        if control:
            self.deliver_control(rng, target, peer, name, data)
        else:
            self.deliver(rng, target, peer, name, data)
        self.converse(target, peer)
        self.finish(target, peer, control and variant == 0)

    def case_dtls(self, rng: random.Random) -> None:
        """A mutated datagram to a fresh DTLS server or at a live DTLS stage."""
        scn = rng.choice(self.dtls)
        k = rng.randrange(len(scn.flights) + 1)
        listen = False
        if k == len(scn.flights):
            receiver = self.fresh(scn, server=True)
            sender: Optional[Side] = None
            # The second ClientHello carries the cookie (with cookie exchange).
            flight = scn.flights[
                2 if scn.name == "dtls-cookie" and rng.random() < 0.7 else 0
            ]
            listen = scn.name == "dtls-cookie" and rng.random() < 0.5
            how = "DTLSv1_listen" if listen else "fresh connection"
            self.stage(scn, f"server: ClientHello ({how})")
        else:
            sender, receiver, flight = self.advance(scn, k)
            role = receiver.name.rsplit(" ", 1)[1]
            self.stage(scn, f"{role}: live flight {k}")
        name, data = mutate_dtls(rng, flight)
        case = self.case
        case.mutation, case.delivery, case.data = name, "datagram", data
        self.stats["records"] += 1
        self.stats["DTLS datagrams"] += 1
        self.stats["bytes"] += len(data)
        self.check.write(receiver, data)
        if listen:
            self.check.call(receiver, "DTLSv1_listen", receiver.conn.DTLSv1_listen)
        out = self.check.step(receiver)
        if sender is not None:
            if out and not sender.failed:
                self.check.write(sender, out)
            self.converse(receiver, sender)
        self.finish(receiver, sender)

    def run_case(self, index: int) -> None:
        rng = random.Random(self.seed * 1000003 + index)
        self.case = Case(index)
        self.stats["cases"] += 1
        roll = rng.random()
        scn = rng.choice(self.scenarios)
        try:
            if roll < 0.05:
                self.case.kind = "ssl_compat"
                self.compat().run(rng, self)
            elif roll < 0.08:
                self.case.kind = "DTLS"
                self.case_dtls(rng)
            elif roll < 0.52:
                self.case.kind = "fresh server"
                self.case_fresh_server(rng, scn)
            elif roll < 0.64:
                self.case.kind = "fresh client"
                self.case_fresh_client(rng, scn, pre=False)
            elif roll < 0.67:
                self.case.kind = "client before ClientHello"
                self.case_fresh_client(rng, scn, pre=True)
            elif roll < 0.90:
                self.case.kind = "live handshake"
                self.case_live(rng, scn)
            else:
                self.case.kind = "established"
                self.case_established(rng, scn)
        except Defect as exc:
            self.report(exc)
        except Exception as exc:
            # The fuzzer's own bug: still name the case that hit it.
            self.report(RuntimeError(f"the fuzzer itself failed: {exc!r}"), exc)
        lib.ERR_clear_error()

    def compat(self) -> Any:
        if self._compat is None:
            # Imported here: that module builds on this one's classes.
            from tests.reliability.record_fuzz_compat import CompatFuzzer

            self._compat = CompatFuzzer()
        return self._compat

    def report(self, exc: BaseException, cause: Optional[BaseException] = None) -> None:
        case = self.case
        cause = cause or exc.__cause__
        where = ""
        if cause is not None:
            where = "".join(
                traceback.format_exception(type(cause), cause, cause.__traceback__)
            )
        self.defects.append(
            f"DEFECT (seed {self.seed}, --case {case.index}): {exc}\n"
            f"  kind={case.kind!r} stage={case.stage!r} mutation={case.mutation!r} "
            f"delivery={case.delivery!r}\n  input ({len(case.data)} bytes): "
            f"{case.data[:1500].hex()}\n{where}"
        )


# -- the driver ---------------------------------------------------------------------


def run_shard(
    seed: int, records: int, shard: int, shards: int, only: Optional[int]
) -> int:
    started = time.perf_counter()
    cpu_started = time.process_time()
    fuzzer = Fuzzer(seed)
    indices = [only] if only is not None else range(shard, records, shards)
    for index in indices:
        fuzzer.run_case(index)
        if len(fuzzer.defects) >= 20:
            break
    stats = fuzzer.stats
    if fuzzer._compat is not None:
        stats.update(fuzzer._compat.stats)
    stats.update(CRYPTO_REFUSALS)
    figures = {f"record fuzz: {k}": float(v) for k, v in stats.items()}
    figures["record fuzz: seconds"] = time.perf_counter() - started
    figures["record fuzz: cpu seconds"] = time.process_time() - cpu_started
    print("STAGES " + "\x1f".join(sorted(fuzzer.stages)), flush=True)
    emit_figures(figures)
    for text in fuzzer.defects:
        print(text, flush=True)
    return 1 if fuzzer.defects else 0


def run_jobs(args: argparse.Namespace) -> int:
    """Run *jobs* shards in child interpreters; sum their figures."""
    module = "tests.reliability.fuzz_records"
    command = [sys.executable, "-X", "faulthandler", "-m", module,
               "--seed", str(args.seed), "--records", str(args.records),
               "--shards", str(args.jobs)]  # fmt: skip
    children = [
        subprocess.Popen(
            [*command, "--shard", str(i)], stdout=subprocess.PIPE, text=True
        )
        for i in range(args.jobs)
    ]
    total: Counter[str] = Counter()
    stages: set[str] = set()
    status = 0
    slowest = slowest_cpu = 0.0
    for i, child in enumerate(children):
        out, _ = child.communicate()
        for line in out.splitlines():
            if line.startswith(FIGURES_PREFIX):
                for k, v in json.loads(line[len(FIGURES_PREFIX) :]).items():
                    total[k] += v
                    if k == "record fuzz: seconds":
                        slowest = max(slowest, v)
                    elif k == "record fuzz: cpu seconds":
                        slowest_cpu = max(slowest_cpu, v)
            elif line.startswith("STAGES "):
                stages.update(s for s in line[7:].split("\x1f") if s)
            else:
                print(line, flush=True)
        if child.returncode != 0:
            status = 1
            print(f"shard {i} failed (status {child.returncode}): "
                  f"{' '.join(command)} --shard {i}", flush=True)  # fmt: skip
    figures = dict(total)
    figures["record fuzz: seconds"] = slowest
    figures["record fuzz: cpu seconds"] = slowest_cpu
    figures["record fuzz: handshake stages"] = float(len(stages))
    emit_figures(figures)
    return status


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--shard", type=int, default=0)
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--case", type=int, default=None, help="run this one case")
    args = parser.parse_args(argv)
    # The getters exercised on peer certificates include deprecated ones.
    warnings.simplefilter("ignore", DeprecationWarning)
    print(f"record fuzz: seed {args.seed}, {args.records} records", flush=True)
    if args.jobs > 1 and args.case is None:
        return run_jobs(args)
    return run_shard(args.seed, args.records, args.shard, args.shards, args.case)


if __name__ == "__main__":
    # Run the package module, not this __main__ copy: the ssl_compat slice
    # imports it, and both must share one Defect class.
    from tests.reliability import fuzz_records

    sys.exit(fuzz_records.main())
