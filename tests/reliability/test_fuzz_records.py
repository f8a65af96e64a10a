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
import time

import pretend
import pytest

from OpenSSL import SSL
from OpenSSL._util import ffi, lib
from tests.reliability import fuzz_records as fr
from tests.reliability import profile, subproc

FAST_SEED = 20261122


def _seed() -> int:
    if not profile.LONG:
        return FAST_SEED
    seed = int(os.environ.get("PYOPENSSL_NG_FUZZ_SEED", "0")) or int(time.time())
    print(f"record fuzz seed: {seed}")
    return seed


def test_record_fuzz() -> None:
    """Only SSL.Error, no hang, clean failed states, over every stage."""
    records = profile.scale(16_000, 1_040_000)
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
        "controls",
        "bytes",
    ):
        key = f"record fuzz: {name}"
        profile.record(key, figures.get(key, 0.0))
    for key, value in sorted(figures.items()):
        if key.startswith("record fuzz: outcome"):
            profile.record(key, value)
    if profile.LONG:
        assert figures["record fuzz: records"] >= 1_000_000
    # Every scenario reached every one of its stages.
    assert figures["record fuzz: handshake stages"] >= 60


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
