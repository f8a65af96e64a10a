"""Record fuzzing: mutated and random TLS records at every handshake stage.

The fuzzing itself runs in child interpreters (``fuzz_records`` driver, two
jobs) so that a crash inside OpenSSL fails this test with the command that
reproduces it. The fast profile uses a fixed seed; the long profile (``make
stress``) runs a million records on a fresh seed that it prints.

The other tests here check the fuzzer's own checks (a check that cannot fire
finds nothing) and pin, with exact bytes, the defects it found.
"""

from __future__ import annotations

import os
import random
import ssl
import time
from typing import Any

import pretend
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from OpenSSL import SSL, crypto, ssl_compat
from OpenSSL._util import ffi, lib
from tests import support
from tests.reliability import fuzz_records as fr
from tests.reliability import profile, subproc
from tests.support import make_pki

FAST_SEED = 20261122


def _seed() -> int:
    if not profile.LONG:
        return FAST_SEED
    seed = int(os.environ.get("PYOPENSSL_NG_FUZZ_SEED", "0")) or int(time.time())
    print(f"record fuzz seed: {seed}")
    return seed


def test_record_fuzz() -> None:
    """Only SSL.Error, no hang, clean failed states, over every stage."""
    records = profile.scale(6_000, 1_040_000)
    seed = _seed()
    figures = subproc.run_driver(
        "fuzz_records",
        ["--seed", str(seed), "--records", str(records), "--jobs", "2"],
        timeout=profile.scale(300, 3600),
    )
    assert figures["record fuzz: cases"] == records
    # A few cases are controls: unmutated flights delivered in pieces.
    assert figures["record fuzz: records"] + figures["record fuzz: controls"] == records
    for name in (
        "records",
        "connections",
        "handshake stages",
        "ssl_compat records",
        "DTLS datagrams",
        "TLS 1.3 re-encrypted",
        "controls",
        "distinct peer certificates examined",
    ):
        key = f"record fuzz: {name}"
        profile.record(key, figures.get(key, 0.0))
    profile.record("record fuzz: bytes delivered", figures["record fuzz: bytes"], "B")
    profile.record("record fuzz: slowest job", figures["record fuzz: seconds"], "s")
    # CPU time of that job: the wall time on an otherwise idle machine.
    profile.record(
        "record fuzz: slowest job CPU", figures["record fuzz: cpu seconds"], "s"
    )
    if profile.LONG:
        profile.record("record fuzz: seed", seed)
    for key, value in sorted(figures.items()):
        if key.startswith("record fuzz: outcome"):
            profile.record(key, value)
    if profile.LONG:
        assert figures["record fuzz: records"] >= 1_000_000
    # Every scenario reached every one of its stages (102 in all).
    assert figures["record fuzz: handshake stages"] >= 90


# -- the fuzzer's checks fire -------------------------------------------------------


def _side(**methods: object) -> fr.Side:
    conn = pretend.stub(_callback_exception=None, **methods)
    return fr.Side(conn, "stub")


def _raiser(exc: BaseException) -> object:
    def call(*args: object) -> object:
        raise exc

    return call


def test_checker_flags_foreign_exception() -> None:
    checker = fr.Checker(fr.Counter())
    side = _side(do_handshake=_raiser(KeyError("x")))
    with pytest.raises(fr.Defect, match="raised KeyError"):
        checker.call(side, "do_handshake", side.conn.do_handshake)


def test_checker_accepts_ssl_errors() -> None:
    checker = fr.Checker(fr.Counter())
    side = _side(do_handshake=_raiser(SSL.WantReadError()))
    assert checker.call(side, "do_handshake", side.conn.do_handshake)[0] == fr.WANT
    assert not side.failed
    side = _side(do_handshake=_raiser(SSL.Error([])))
    assert checker.call(side, "do_handshake", side.conn.do_handshake)[0] == fr.FATAL
    assert side.failed


def test_checker_flags_error_queue_left_behind() -> None:
    checker = fr.Checker(fr.Counter())

    def leaks() -> None:
        # A failing OpenSSL call whose error nobody collects.
        bio = lib.BIO_new_mem_buf(b"junk", 4)
        assert lib.d2i_X509_bio(bio, ffi.NULL) == ffi.NULL
        lib.BIO_free(bio)

    side = _side(do_handshake=leaks)
    with pytest.raises(fr.Defect, match="error queue"):
        checker.call(side, "do_handshake", side.conn.do_handshake)
    assert lib.ERR_peek_error() == 0


def test_checker_flags_stored_callback_exception() -> None:
    checker = fr.Checker(fr.Counter())
    side = _side(do_handshake=lambda: None)
    side.conn._callback_exception = ValueError("left over")
    with pytest.raises(fr.Defect, match="callback exception"):
        checker.call(side, "do_handshake", side.conn.do_handshake)


def test_checker_flags_success_after_failure() -> None:
    checker = fr.Checker(fr.Counter())
    side = _side(
        do_handshake=lambda: None,
        recv=lambda n: b"",
        send=lambda b: len(b),
        bio_write=lambda b: len(b),
        bio_read=_raiser(SSL.WantReadError()),
    )
    side.failed = True
    with pytest.raises(fr.Defect, match="succeeded after the connection failed"):
        checker.check_dead(side)


def test_checker_flags_want_after_failure() -> None:
    checker = fr.Checker(fr.Counter())
    side = _side(do_handshake=_raiser(SSL.WantReadError()))
    with pytest.raises(fr.Defect, match="asked for more input"):
        checker.check_dead(side)


def test_checker_flags_forged_data() -> None:
    checker = fr.Checker(fr.Counter())
    side = _side()
    side.expected = b"hello world"
    checker.got(side, b"hello")
    with pytest.raises(fr.Defect, match="never sent"):
        checker.got(side, b" wxrld")


# -- the mutators make what they claim ------------------------------------------------


def _flight() -> bytes:
    hello = fr.message(1, bytes(34) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00")
    exts = fr.Hello(1, hello[4:45], [(0, b"\x00\x01a"), (43, b"\x02\x03\x04")])
    return fr.record(fr.HANDSHAKE, fr.build_hello(exts))


def test_hello_round_trip() -> None:
    msg = fr.split_messages(_flight()[5:])[0]
    parsed = fr.parse_hello(msg)
    assert parsed is not None
    assert [t for t, _ in parsed.extensions] == [0, 43]
    assert fr.build_hello(parsed) == msg


def test_oversize_records() -> None:
    rng = random.Random(1)
    lengths = set()
    for _ in range(200):
        recs = fr.m_oversize(rng, [_flight()])
        lengths.add(int.from_bytes(recs[0][3:5], "big"))
    assert min(lengths) > 2**14
    assert max(lengths) == 2**16 - 1
    assert any(n > 2**14 + 256 for n in lengths)


def test_alerts_cover_every_code_and_both_levels() -> None:
    rng = random.Random(2)
    seen = set()
    for _ in range(20000):
        rec = fr.alert_record(rng)
        if len(rec) == 7:
            seen.add((rec[5], rec[6]))
    for level in (1, 2):
        assert {d for lv, d in seen if lv == level} == set(range(256))


def test_refragment_keeps_the_bytes() -> None:
    flight = _flight() + fr.record(fr.CCS, b"\x01")
    pieces = fr.refragment(random.Random(3), fr.split_records(flight), 3)
    assert all(len(p) <= 8 for p in pieces[:-1])
    assert b"".join(p[5:] for p in pieces) == b"".join(
        r[5:] for r in fr.split_records(flight)
    )


# -- defects the fuzzer found, pinned with exact bytes -------------------------------


def _client_hello(client: SSL.Connection) -> bytes:
    with pytest.raises(SSL.WantReadError):
        client.do_handshake()
    return client.bio_read(65536)


def test_ocsp_response_openssl_drops_leaves_no_error_queued() -> None:
    """An OCSP server callback returning non-DER bytes leaked an ASN.1 error.

    OpenSSL 4 parses the stapled response in SSL_set_tlsext_status_ocsp_resp,
    drops one that does not parse (returning success) and leaves "asn1
    encoding routines: too long" queued. The next call that looks at the
    queue, in any connection of the thread, then failed:
    ``set_tlsext_host_name`` raised SSL.Error for a valid name.
    """
    sctx = support.server_context()
    sctx.set_ocsp_server_callback(lambda conn, data: b"not an OCSP response")
    received = []
    cctx = support.client_context()
    cctx.set_ocsp_client_callback(
        lambda conn, resp, data: received.append(resp) or True
    )
    client, server = support.memory_pair(cctx, sctx)
    client.request_ocsp()
    server.bio_write(_client_hello(client))
    with pytest.raises(SSL.WantReadError):
        server.do_handshake()
    assert lib.ERR_peek_error() == 0
    SSL.Connection(support.client_context()).set_tlsext_host_name(b"example.com")
    support.handshake(client, server)
    assert received == [b""]  # nothing was stapled


def _compat_client_with_odd_chain() -> tuple[Any, bytes, bytes]:
    """An ssl_compat CERT_NONE client whose server sent a chain certificate
    that OpenSSL accepts and cryptography refuses; ``(client, leaf, odd)``."""
    pki = make_pki()
    der = pki.intermediate.cert.public_bytes(Encoding.DER)
    i = der.index(b"\x17\x0d")  # notBefore, a 13-byte UTCTime
    odd = der[: i + 14] + b"!" + der[i + 15 :]
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(odd)
    sctx = SSL.Context(SSL.TLS_METHOD)
    sctx.use_certificate(pki.server.cert)
    sctx.use_privatekey(pki.server.key)
    with pytest.warns(DeprecationWarning):  # an X509: cryptography refuses it
        sctx.add_extra_chain_cert(crypto.load_certificate(crypto.FILETYPE_ASN1, odd))
    server = SSL.Connection(sctx)
    server.set_accept_state()
    cctx = support.ssl_client_context(check_hostname=False)
    cctx.verify_mode = ssl_compat.CERT_NONE
    incoming, outgoing = ssl_compat.MemoryBIO(), ssl_compat.MemoryBIO()
    client = cctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    for _ in range(10):
        try:
            client.do_handshake()
            break
        except ssl.SSLWantReadError:
            pass
        server.bio_write(outgoing.read())
        with pytest.raises(SSL.WantReadError):
            server.do_handshake()
        incoming.write(server.bio_read(65536))
    return client, pki.server.cert.public_bytes(Encoding.DER), odd


def test_ssl_compat_chain_with_certificate_cryptography_refuses() -> None:
    """ssl_compat raised ValueError for a peer certificate OpenSSL accepted.

    Found by the ssl_compat slice (a mutated TLS 1.2 Certificate message to a
    CERT_NONE client). ``get_unverified_chain``/``get_verified_chain`` and
    ``getpeercert(True)`` went through cryptography, whose strict parser
    refuses what OpenSSL takes (here a notBefore UTCTime ending in "!"
    instead of "Z"); CPython returns such certificates. Now they are
    OpenSSL's DER, as CPython 3.13 returns them, never re-parsed.
    """
    client, leaf, odd = _compat_client_with_odd_chain()
    assert client.get_unverified_chain() == [leaf, odd]
    assert client.getpeercert(True) == leaf


def test_verify_callback_accepting_leaves_no_error_queued() -> None:
    """A verify callback that accepted a bad certificate left OpenSSL's error.

    Found by a mutated TLS 1.2 client Certificate (server with an accept-all
    verify callback, as applications checking certificates themselves have).
    OpenSSL queued "digital envelope routines: provider signature failure"
    while checking the signature; the callback overrode the verdict, the
    handshake went on, and the stale entry failed the next call that looks at
    the queue in the thread (``set_tlsext_host_name`` raised SSL.Error).
    Here: the client's certificate with the last byte of its signature
    flipped.
    """
    pki = make_pki()
    der = pki.client.cert.public_bytes(Encoding.DER)
    forged = der[:-1] + bytes([der[-1] ^ 1])
    sctx = support.server_context(verify_client=True)
    seen = []

    def accept(conn: object, cert: object, errnum: int, depth: int, ok: int) -> bool:
        seen.append(errnum)
        return True

    sctx.set_verify(SSL.VERIFY_PEER, accept)
    cctx = support.client_context()
    with pytest.warns(DeprecationWarning):  # X509: the forged bytes unchanged
        cctx.use_certificate(crypto.load_certificate(crypto.FILETYPE_ASN1, forged))
    cctx.use_privatekey(pki.client.key)
    for extra in pki.client.chain:
        cctx.add_extra_chain_cert(extra)
    client, server = support.memory_pair(cctx, sctx)
    for conn in (client, server, client):
        try:
            conn.do_handshake()
        except SSL.WantReadError:
            pass
        support.pump(client, server)
    server.do_handshake()
    assert lib.ERR_peek_error() == 0
    assert 7 in seen  # X509_V_ERR_CERT_SIGNATURE_FAILURE, overridden
    SSL.Connection(support.client_context()).set_tlsext_host_name(b"example.com")


def test_tls13_flight_reencrypted_unchanged_still_works() -> None:
    """The TLS 1.3 re-encryption the fuzzer mutates through is exact.

    The server's first flight is decrypted with the keylog secrets and sealed
    again unchanged: the client completes the handshake on it. (If the
    re-sealing were wrong, every "tls13 inner" mutation would only test MAC
    failures.)
    """
    checker = fr.Checker(fr.Counter())
    scn = fr.make_scenarios(checker)[0]
    assert scn.name == "tls13"
    client, server = scn.pair(checker)
    checker.write(server, checker.step(client))
    flight = checker.step(server)
    secrets = server.conn.get_app_data()
    opened = fr.open_flight(
        server.conn.get_cipher_name(),
        [secrets[b"SERVER_HANDSHAKE_TRAFFIC_SECRET"]],
        flight,
    )
    assert opened is not None
    plain, inners, protection = opened
    assert [fr.split_messages(i[:-1])[0][0] for i in inners if i[-1] == 22][:2] == [
        8,
        11,
    ]
    resealed = b"".join(plain) + b"".join(protection.seal(i) for i in inners)
    assert resealed == flight
    checker.write(client, resealed)
    checker.step(client)
    assert client.done and not client.failed


def test_dtls_listen_dropping_a_datagram_leaves_no_error_queued() -> None:
    """DTLSv1_listen left the reason it dropped a bad datagram queued.

    Found by the DTLS slice (random datagrams to a cookie-exchange server).
    OpenSSL returns 0 (no ClientHello with a valid cookie yet) and queues
    "SSL routines: unexpected message"; the stale entry then failed an
    unrelated ``set_tlsext_host_name`` in the same thread. The datagram:
    13 random bytes from the fuzzer.
    """
    sctx = support.server_context(method=SSL.DTLS_METHOD)
    sctx.set_options(SSL.OP_COOKIE_EXCHANGE)
    sctx.set_cookie_generate_callback(lambda conn: b"cookie")
    sctx.set_cookie_verify_callback(lambda conn, cookie: cookie == b"cookie")
    server = SSL.Connection(sctx)
    server.set_accept_state()
    server.bio_write(bytes.fromhex("8ddaa9826c7fac668675d70c1a"))
    with pytest.raises(SSL.WantReadError):
        server.DTLSv1_listen()
    assert lib.ERR_peek_error() == 0
    SSL.Connection(support.client_context()).set_tlsext_host_name(b"example.com")


def test_mutators_survive_degenerate_input() -> None:
    """No mutator raises on empty, tiny or headless records (the driver died
    on a truncation of an empty flight in a long run)."""
    degenerate = [
        [b""],
        [b"\x16"],
        [b"", b""],
        [fr.record(fr.HANDSHAKE, b"")],
        [fr.record(fr.HANDSHAKE, b"\x01\x00\x00\x00")],
    ]
    outputs = 0
    for i in range(150):
        rng = random.Random(i)
        for _, _, mutator in fr.MUTATORS:
            for recs in degenerate:
                mutated = mutator(rng, list(recs))
                assert all(isinstance(r, bytes) for r in mutated), mutated
                outputs += 1
        for data in (b"", b"\x16", b"\x17\x03\x03\x00\x01x"):
            for name, out in (fr.mutate(rng, data), fr.mutate_dtls(rng, data)):
                assert isinstance(name, str) and isinstance(out, bytes)
            name, inner = fr.mutate_inner(rng, [data or b"\x16"])
            assert all(isinstance(r, bytes) for r in inner), (name, inner)
            outputs += 3
    assert outputs == 150 * (len(fr.MUTATORS) * len(degenerate) + 9)
