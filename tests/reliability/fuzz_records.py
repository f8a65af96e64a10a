"""Record fuzzer: mutated and random TLS records fed to live connections.

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
* mutates the bytes (see ``MUTATORS``): truncation, oversized records, wrong
  length fields, content types and versions, bit flips and byte insertions
  and deletions in plaintext handshake messages (with the lengths fixed up so
  parsing goes deeper), extension-level edits of hellos, inserted, dropped
  and duplicated records, refragmentation, garbage after the flight, every
  alert code at both levels (and malformed alerts), random bytes;
* delivers them with ``bio_write`` in one call, one byte per call, or random
  chunks, driving the receiver after each write, then keeps the live peer
  talking until no bytes move;
* checks (:class:`Checker`): every call raises nothing but ``SSL.Error``
  subclasses (plus the one exception the ALPN callback raises on purpose,
  once, from the call that ran it); OpenSSL's error queue is empty after
  every call; no callback exception is left stored on the connection; once
  a call failed, ``do_handshake``/``recv``/``send`` keep failing with
  ``SSL.Error``; application data received is exactly a prefix of what the
  peer sent; unmutated but split or refragmented flights complete the
  handshake.

A slice of the cases runs through ``OpenSSL.ssl_compat`` (``SSLObject`` over
``MemoryBIO``), where only ``ssl.SSLError`` may escape, and a slice through
DTLS memory-BIO connections with mutated datagrams.

Reproducing: case *i* of seed *N* draws everything from
``random.Random(N * 1000003 + i)``; ``--case i`` runs that one case. Live
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
import ssl
import subprocess
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from OpenSSL import SSL, ssl_compat
from OpenSSL._util import lib
from tests import compat_helpers, ssl_helpers
from tests.pki import make_pki
from tests.reliability.outcomes import NETWORK_ERRORS_COMPAT, NETWORK_ERRORS_SSL
from tests.reliability.subproc import FIGURES_PREFIX, emit_figures

# -- TLS wire format -----------------------------------------------------------

CCS, ALERT, HANDSHAKE, APPDATA, HEARTBEAT = 20, 21, 22, 23, 24
TLS12 = 0x0303
MAX_PLAIN = 2**14
HS_CLIENT_HELLO, HS_SERVER_HELLO = 1, 2
#: Upper bound on rounds of any drive/pump loop (real handshakes need < 10).
ROUNDS = 40
PAYLOAD = b"record-fuzz payload " * 8


def record(ctype: int, body: bytes, version: int = TLS12) -> bytes:
    """One TLS record (the length is the body's, whatever it is)."""
    return bytes([ctype]) + version.to_bytes(2, "big") + _u16(len(body)) + body


def _u16(n: int) -> bytes:
    return (n & 0xFFFF).to_bytes(2, "big")


def _u24(n: int) -> bytes:
    return (n & 0xFFFFFF).to_bytes(3, "big")


def split_records(data: bytes) -> list[bytes]:
    """Whole records in *data*; a trailing partial record is the last item."""
    out = []
    i = 0
    while i + 5 <= len(data):
        end = i + 5 + int.from_bytes(data[i + 3 : i + 5], "big")
        out.append(data[i:end])
        i = end
    if i < len(data):
        out.append(data[i:])
    return out


def is_plain_handshake(rec: bytes) -> bool:
    """A complete handshake record whose body parses as handshake messages."""
    if len(rec) < 9 or rec[0] != HANDSHAKE:
        return False
    body = rec[5:]
    if len(body) != int.from_bytes(rec[3:5], "big"):
        return False
    i = 0
    while i + 4 <= len(body):
        i += 4 + int.from_bytes(body[i + 1 : i + 4], "big")
    return i == len(body)


def split_messages(body: bytes) -> list[bytes]:
    """Handshake messages (header included) in a plaintext handshake body."""
    out = []
    i = 0
    while i + 4 <= len(body):
        end = i + 4 + int.from_bytes(body[i + 1 : i + 4], "big")
        out.append(body[i:end])
        i = end
    return out


def message(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + _u24(len(body)) + body


@dataclass
class Hello:
    """A ClientHello or ServerHello split into its fields."""

    msg_type: int
    head: bytes  # legacy_version, random, session id, suites, compression
    extensions: list[tuple[int, bytes]]


def parse_hello(msg: bytes) -> Optional[Hello]:
    """Split a hello message; ``None`` when it does not parse."""
    if len(msg) < 4 or msg[0] not in (HS_CLIENT_HELLO, HS_SERVER_HELLO):
        return None
    body = msg[4:]
    try:
        i = 34
        i += 1 + body[i]
        if msg[0] == HS_CLIENT_HELLO:
            i += 2 + int.from_bytes(body[i : i + 2], "big")
            i += 1 + body[i]
        else:
            i += 3
        head = body[:i]
        end = i + 2 + int.from_bytes(body[i : i + 2], "big")
        if end != len(body):
            return None
        i += 2
        exts = []
        while i < end:
            ext_type = int.from_bytes(body[i : i + 2], "big")
            size = int.from_bytes(body[i + 2 : i + 4], "big")
            exts.append((ext_type, body[i + 4 : i + 4 + size]))
            i += 4 + size
        if i != end:
            return None
    except IndexError:
        return None
    return Hello(msg[0], head, exts)


def build_hello(hello: Hello) -> bytes:
    exts = b"".join(_u16(t) + _u16(len(d)) + d for t, d in hello.extensions)
    return message(hello.msg_type, hello.head + _u16(len(exts)) + exts)


def session_id_of(flight: bytes) -> Optional[bytes]:
    """The legacy session id of the hello opening *flight*."""
    if len(flight) < 44 or flight[0] != HANDSHAKE:
        return None
    size = flight[43]
    return flight[44 : 44 + size]


def with_session_id(flight: bytes, sid: bytes) -> bytes:
    """*flight* with its hello's session id replaced by *sid* (same length)."""
    old = session_id_of(flight)
    if old is None or len(old) != len(sid):
        return flight
    return flight[:44] + sid + flight[44 + len(sid) :]


# -- the mutation engine -------------------------------------------------------

INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF)
VERSIONS = (0x0000, 0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0305,
            0x7F1C, 0xFEFF, 0xFEFD, 0xFEFC, 0xFFFF, 0x0203, 0x0403)  # fmt: skip
CONTENT_TYPES = (0, 1, 19, CCS, ALERT, HANDSHAKE, APPDATA, HEARTBEAT, 25, 127, 255)
HS_TYPES = (0, 1, 2, 3, 4, 5, 6, 8, 11, 12, 13, 14, 15, 16, 20, 21, 22, 24, 25,
            67, 254, 255)  # fmt: skip
EXT_TYPES = (0, 1, 5, 10, 11, 13, 16, 18, 21, 23, 35, 41, 42, 43, 44, 45, 47, 49,
             50, 51, 0xFF01, 0x3374, 0xFFFF, 0xFE0D)  # fmt: skip


def rbytes(rng: random.Random, n: int) -> bytes:
    """*n* random bytes from *rng* (fast, and reproducible from the seed)."""
    return rng.getrandbits(8 * n).to_bytes(n, "big") if n > 0 else b""


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    """One byte-level edit: bit flips, insertion, deletion, an interesting byte."""
    if not data:
        return rbytes(rng, rng.randrange(1, 8))
    buf = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0:
        for _ in range(rng.choice((1, 1, 2, 4, 8))):
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
    elif kind == 1:
        i = rng.randrange(len(buf) + 1)
        n = rng.choice((1, 1, 2, 4, 16, 255))
        buf[i:i] = rbytes(rng, n)
    elif kind == 2:
        i = rng.randrange(len(buf))
        del buf[i : i + rng.choice((1, 1, 2, 4, 16, 200))]
    elif kind == 3:
        buf[rng.randrange(len(buf))] = rng.choice(INTERESTING)
    elif kind == 4:
        # A length-like pair of bytes set to an extreme.
        i = rng.randrange(len(buf))
        buf[i : i + 2] = rng.choice(
            (b"\x00\x00", b"\xff\xff", b"\x00\x01", b"\x7f\xff")
        )
    else:
        del buf[rng.randrange(len(buf)) :]
    return bytes(buf)


def _pick(rng: random.Random, recs: list[bytes], want: Callable[[bytes], bool]) -> int:
    choices = [i for i, r in enumerate(recs) if want(r)]
    return rng.choice(choices) if choices else rng.randrange(len(recs))


def _set_header(rec: bytes, *, ctype: Any = None, version: Any = None,
                length: Any = None) -> bytes:  # fmt: skip
    head = bytearray(rec[:5].ljust(5, b"\0"))
    if ctype is not None:
        head[0] = ctype
    if version is not None:
        head[1:3] = _u16(version)
    if length is not None:
        head[3:5] = _u16(length)
    return bytes(head) + rec[5:]


def m_truncate(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    data = b"".join(recs)
    return [data[: rng.randrange(len(data))]]


def m_oversize(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    i = rng.randrange(len(recs))
    size = rng.choice(
        (
            MAX_PLAIN + 1,
            MAX_PLAIN + 256,
            MAX_PLAIN + 257,
            MAX_PLAIN + 2048 + 1,
            rng.randrange(MAX_PLAIN + 257, 2**16),
            2**16 - 1,
        )
    )
    body = recs[i][5:]
    if rng.random() < 0.8:
        body = (body + rbytes(rng, 64) * (size // 64 + 1))[:size]
    recs[i] = _set_header(recs[i][:5], length=size) + body
    return recs


def m_length(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    i = rng.randrange(len(recs))
    actual = max(len(recs[i]) - 5, 0)
    size = rng.choice(
        (0, 1, 2, 3, actual - 1, actual + 1, actual // 2, rng.randrange(2**16))
    )
    recs[i] = _set_header(recs[i], length=max(size, 0))
    return recs


def m_ctype(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    i = rng.randrange(len(recs))
    ctype = rng.choice(CONTENT_TYPES) if rng.random() < 0.8 else rng.randrange(256)
    recs[i] = _set_header(recs[i], ctype=ctype)
    return recs


def m_version(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    i = rng.randrange(len(recs))
    version = rng.choice(VERSIONS) if rng.random() < 0.8 else rng.randrange(2**16)
    recs[i] = _set_header(recs[i], version=version)
    return recs


def m_hello_version(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    """Change the legacy_version inside a hello (the record header is kept)."""
    i = _pick(rng, recs, is_plain_handshake)
    rec = recs[i]
    if len(rec) >= 11:
        recs[i] = rec[:9] + _u16(rng.choice(VERSIONS)) + rec[11:]
    return recs


def m_bytes_anywhere(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    i = rng.randrange(len(recs))
    recs[i] = mutate_bytes(rng, recs[i])
    return recs


def _edit_messages(
    rng: random.Random, recs: list[bytes], edit: Callable[[list[bytes]], list[bytes]]
) -> list[bytes]:
    i = _pick(rng, recs, is_plain_handshake)
    rec = recs[i]
    if not is_plain_handshake(rec):
        recs[i] = mutate_bytes(rng, rec)
        return recs
    msgs = edit(split_messages(rec[5:]))
    body = b"".join(msgs)
    fix = rng.random() < 0.85
    recs[i] = _set_header(rec[:5], length=len(body) if fix else None) + body
    return recs


def m_message_body(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    """Byte edits inside one handshake message, lengths fixed up (mostly)."""

    def edit(msgs: list[bytes]) -> list[bytes]:
        j = rng.randrange(len(msgs))
        body = mutate_bytes(rng, msgs[j][4:])
        if rng.random() < 0.85:
            msgs[j] = message(msgs[j][0], body)
        else:
            msgs[j] = msgs[j][:4] + body
        return msgs

    return _edit_messages(rng, recs, edit)


def m_message_header(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    """A wrong handshake type or length, or a message duplicated or dropped."""

    def edit(msgs: list[bytes]) -> list[bytes]:
        j = rng.randrange(len(msgs))
        kind = rng.randrange(4)
        if kind == 0:
            msgs[j] = bytes([rng.choice(HS_TYPES)]) + msgs[j][1:]
        elif kind == 1:
            size = len(msgs[j]) - 4
            new = rng.choice(
                (0, 1, size - 1, size + 1, 2**24 - 1, rng.randrange(2**17))
            )
            msgs[j] = msgs[j][:1] + _u24(max(new, 0)) + msgs[j][4:]
        elif kind == 2:
            msgs.insert(j, msgs[j])
        elif len(msgs) > 1:
            del msgs[j]
        else:
            msgs.append(message(rng.choice(HS_TYPES), bytes(rng.randrange(4))))
        return msgs

    return _edit_messages(rng, recs, edit)


def m_hello_extensions(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    """Structured edits of a hello's extension list, re-encoded consistently."""

    def edit(msgs: list[bytes]) -> list[bytes]:
        for j, msg in enumerate(msgs):
            hello = parse_hello(msg)
            if hello is None:
                continue
            exts = hello.extensions
            kind = rng.randrange(7)
            k = rng.randrange(len(exts)) if exts else 0
            if kind == 0 and exts:
                del exts[k]
            elif kind == 1 and exts:
                exts.insert(k, exts[k])
            elif kind == 2 and exts:
                exts[k] = (exts[k][0], mutate_bytes(rng, exts[k][1]))
            elif kind == 3:
                data = rbytes(rng, rng.choice((0, 1, 2, 5, 40)))
                exts.insert(k, (rng.choice(EXT_TYPES), data))
            elif kind == 4 and exts:
                exts[k] = (rng.choice(EXT_TYPES), exts[k][1])
            elif kind == 5 and len(exts) > 1:
                rng.shuffle(exts)
            else:
                hello.head = mutate_bytes(rng, hello.head)
            msgs[j] = build_hello(hello)
            return msgs
        j = rng.randrange(len(msgs))
        msgs[j] = message(msgs[j][0], mutate_bytes(rng, msgs[j][4:]))
        return msgs

    return _edit_messages(rng, recs, edit)


def alert_record(rng: random.Random) -> bytes:
    """An alert: every code, both levels, and malformed ones."""
    level = rng.choice((1, 2, 1, 2, 0, 3, 255))
    desc = rng.randrange(256)
    shape = rng.randrange(8)
    if shape == 0:
        body = bytes([level])
    elif shape == 1:
        body = bytes([level, desc, rng.randrange(256)])
    elif shape == 2:
        body = b""
    elif shape == 3:
        body = bytes([level, desc, rng.choice((1, 2)), rng.randrange(256)])
    else:
        body = bytes([level, desc])
    return record(ALERT, body, rng.choice((TLS12, TLS12, 0x0301, 0x0304)))


def junk_record(rng: random.Random) -> bytes:
    """A record that does not belong here: empty, CCS, heartbeat, stray message."""
    kind = rng.randrange(8)
    if kind == 0:
        return record(rng.choice(CONTENT_TYPES), b"")
    if kind == 1:
        return record(CCS, rng.choice((b"\x01", b"\x01", b"\x02", b"\x01\x01", b"")))
    if kind == 2:
        # A heartbeat request claiming more payload than it carries.
        return record(HEARTBEAT, b"\x01\xff\xff" + bytes(16))
    if kind == 3:
        body = rbytes(rng, rng.choice((1, 4, 16, 100)))
        return record(HANDSHAKE, message(rng.choice(HS_TYPES), body))
    if kind == 4:
        return record(APPDATA, rbytes(rng, rng.choice((1, 17, 40))))
    if kind == 5:
        return alert_record(rng)
    return record(rng.randrange(256), rbytes(rng, rng.randrange(30)))


def m_alert(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    alerts = [alert_record(rng) for _ in range(rng.choice((1, 1, 1, 2, 40)))]
    where = rng.randrange(3)
    if where == 0:
        return alerts
    if where == 1:
        return alerts + recs
    i = rng.randrange(len(recs) + 1)
    return recs[:i] + alerts + recs[i:]


def m_insert(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    i = rng.randrange(len(recs) + 1)
    recs.insert(i, junk_record(rng))
    return recs


def m_reorder(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    kind = rng.randrange(3)
    i = rng.randrange(len(recs))
    if kind == 0 and len(recs) > 1:
        del recs[i]
    elif kind == 1:
        recs.insert(i, recs[i])
    elif len(recs) > 1:
        j = rng.randrange(len(recs))
        recs[i], recs[j] = recs[j], recs[i]
    else:
        recs = recs + recs
    return recs


def refragment(rng: random.Random, recs: list[bytes], size: int) -> list[bytes]:
    """Re-split the leading plaintext handshake records into *size*-byte ones."""
    n = 0
    while n < len(recs) and is_plain_handshake(recs[n]):
        n += 1
    if n == 0:
        return recs
    body = b"".join(r[5:] for r in recs[:n])
    version = int.from_bytes(recs[0][1:3], "big")
    pieces = [
        record(HANDSHAKE, body[i : i + size], version)
        for i in range(0, len(body), size)
    ]
    return pieces + recs[n:]


def m_refragment_bad(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    """Fragmentation OpenSSL must refuse or survive: empty or interleaved records."""
    recs = refragment(rng, recs, rng.choice((1, 3, 7, 100)))
    i = rng.randrange(len(recs) + 1)
    recs.insert(i, rng.choice((record(HANDSHAKE, b""), junk_record(rng))))
    return recs


def m_garbage_tail(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    tail = rng.choice(
        (
            lambda: rbytes(rng, rng.randrange(1, 300)),
            lambda: recs[0],
            lambda: junk_record(rng),
            lambda: b"\x16\x03\x03\xff\xff",
            lambda: b"GET / HTTP/1.1\r\n\r\n",
        )
    )()
    return [*recs, tail]


def m_random(rng: random.Random, recs: list[bytes]) -> list[bytes]:
    kind = rng.randrange(3)
    n = rng.choice((1, 5, 6, 64, 600, 5000))
    data = rbytes(rng, n)
    if kind == 0:
        return [data]
    ctype = rng.choice((CCS, ALERT, HANDSHAKE, APPDATA, HEARTBEAT))
    if kind == 1:
        return [record(ctype, data)]
    return [record(HANDSHAKE, message(rng.choice(HS_TYPES), data))]


#: (name, weight, mutator). The names appear in the per-mutator figures.
MUTATORS: list[tuple[str, int, Callable[[random.Random, list[bytes]], list[bytes]]]] = [
    ("truncate", 6, m_truncate),
    ("oversize", 5, m_oversize),
    ("length", 8, m_length),
    ("content type", 8, m_ctype),
    ("version", 6, m_version),
    ("hello version", 3, m_hello_version),
    ("bytes anywhere", 10, m_bytes_anywhere),
    ("message body", 16, m_message_body),
    ("message header", 8, m_message_header),
    ("hello extensions", 14, m_hello_extensions),
    ("alert", 8, m_alert),
    ("insert record", 6, m_insert),
    ("reorder records", 4, m_reorder),
    ("bad fragmentation", 3, m_refragment_bad),
    ("garbage after", 5, m_garbage_tail),
    ("random", 6, m_random),
]
_MUT_NAMES = [m[0] for m in MUTATORS]
_MUT_WEIGHTS = [m[1] for m in MUTATORS]
_MUT_FUNCS = {m[0]: m[2] for m in MUTATORS}


def mutate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    """Apply one (sometimes two) mutators to *data*; return the name and bytes."""
    recs = split_records(data) or [data]
    names = []
    for _ in range(1 if rng.random() < 0.85 else 2):
        name = rng.choices(_MUT_NAMES, _MUT_WEIGHTS)[0]
        recs = _MUT_FUNCS[name](rng, list(recs) or [b""])
        names.append(name)
    return "+".join(names), b"".join(recs)


def chunks(rng: random.Random, data: bytes) -> tuple[str, list[bytes]]:
    """How to deliver *data*: whole, one byte per write, or random pieces."""
    roll = rng.random()
    if roll < 0.8 or len(data) < 2:
        return "whole", [data]
    if roll < 0.82 and len(data) <= 2048:
        return "1-byte", [data[i : i + 1] for i in range(len(data))]
    out = []
    i = 0
    while i < len(data):
        n = rng.choice((1, 2, 5, 13, 100, 1000))
        out.append(data[i : i + n])
        i += n
    return "pieces", out


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


class Checker:
    """Runs calls on connections and enforces the rules of the module docstring."""

    def __init__(self, stats: Counter[str]) -> None:
        self.stats = stats

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
            outcome = FATAL
        except NETWORK_ERRORS_SSL:
            outcome = FATAL
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
                outcome, data = self.call(side, "recv", conn.recv, 16384)
                if outcome != OK:
                    break
                self.got(side, data)
        return self.drain(side)

    def got(self, side: Side, data: bytes) -> None:
        side.received += data
        if not side.expected.startswith(bytes(side.received)):
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
            ("recv", lambda: conn.recv(16384)),
        ]
        for what, probe in probes:
            outcome, _ = self.call(side, what, probe)
            if what == "bio_write":
                continue
            if outcome == OK:
                raise Defect(
                    f"{side.name}.{what} succeeded after the connection failed"
                )
            if outcome == WANT:
                # An event loop would wait for bytes that can never help.
                raise Defect(f"{side.name}.{what} asked for more input after a failure")
            self.stats[f"after failure: {what} {outcome}"] += 1
        self.drain(side)

    def check_closed(self, side: Side) -> None:
        """After close_notify arrived, no application data comes out."""
        outcome, data = self.call(side, "recv", side.conn.recv, 16384)
        if outcome == OK:
            raise Defect(f"{side.name}.recv returned {data[:32]!r} after close_notify")


# -- scenarios: contexts, recorded transcripts ------------------------------------

ALPN = [b"h2", b"http/1.1"]


def _alpn_select(conn: Any, protos: list[bytes]) -> Any:
    for proto in protos:
        if proto not in ALPN:
            raise Boom(proto)
    return b"h2" if b"h2" in protos else SSL.NO_OVERLAPPING_PROTOCOLS


def _verify(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
    return bool(ok)


def _with_callbacks(sctx: Any, cctx: Any) -> None:
    sctx.set_info_callback(lambda conn, where, ret: None)
    sctx.set_tlsext_servername_callback(lambda conn: conn.get_servername())
    sctx.set_alpn_select_callback(_alpn_select)
    sctx.set_session_id(b"record-fuzz")
    cctx.set_alpn_protos(ALPN)
    cctx.set_verify(SSL.VERIFY_PEER, _verify)
    cctx.set_keylog_callback(lambda conn, line: None)


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
        if self.session is not None:
            client.set_session(self.session)
        server = SSL.Connection(self.sctx)
        server.set_accept_state()
        return Side(client, f"{self.name} client"), Side(server, f"{self.name} server")


def _x25519(*contexts: Any) -> None:
    for ctx in contexts:
        if lib.SSL_CTX_set1_curves_list(ctx._context, b"X25519") != 1:
            raise RuntimeError("cannot restrict the groups to X25519")


def make_scenarios(checker: Checker) -> list[Scenario]:
    pki = make_pki()
    v12, v13 = SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION
    made = []

    def add(name: str, sctx: Any, cctx: Any, resume: bool = False) -> None:
        _with_callbacks(sctx, cctx)
        scn = Scenario(name, sctx, cctx)
        if resume:
            client, server = scn.pair(checker)
            ssl_helpers.handshake(client.conn, server.conn)
            ssl_helpers.pump(client.conn, server.conn)
            try:
                client.conn.recv(1)
            except SSL.WantReadError:
                pass
            scn.session = client.conn.get_session()
        scn.flights = record_flights(scn, checker)
        made.append(scn)

    add(
        "tls13",
        ssl_helpers.server_context(max_version=v13),
        ssl_helpers.client_context(),
    )
    sctx = ssl_helpers.server_context(verify_client=True)
    cctx = ssl_helpers.client_context(identity=pki.client)
    _x25519(sctx, cctx)
    add("tls13-client-cert", sctx, cctx)
    sctx, cctx = ssl_helpers.server_context(), ssl_helpers.client_context()
    _x25519(sctx, cctx)
    add("tls13-resumed", sctx, cctx, resume=True)
    add(
        "tls12",
        ssl_helpers.server_context(max_version=v12),
        ssl_helpers.client_context(max_version=v12),
    )
    sctx = ssl_helpers.server_context(
        pki.rsa_server, max_version=v12, verify_client=True
    )
    sctx.set_cipher_list(b"AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
    cctx = ssl_helpers.client_context(max_version=v12, identity=pki.client)
    cctx.set_cipher_list(b"AES128-GCM-SHA256")
    add("tls12-rsa-kx-client-cert", sctx, cctx)
    add(
        "tls12-resumed",
        ssl_helpers.server_context(max_version=v12),
        ssl_helpers.client_context(max_version=v12),
        resume=True,
    )
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
        self.defects: list[str] = []
        self.case = Case(-1)
        self._compat: Optional[CompatFuzzer] = None

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

    def input_for(self, rng: random.Random, original: bytes) -> tuple[str, bytes, bool]:
        """Mutate *original*; a few cases deliver it unmutated (the control)."""
        roll = rng.random()
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
        name, data, control = self.input_for(rng, flight)
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
        name, data, control = self.input_for(rng, original)
        if control:
            self.deliver_control(rng, target, peer, name, data)
        else:
            self.deliver(rng, target, peer, name, data)
        self.converse(target, peer)
        self.finish(target, peer, control and variant == 0)

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
            elif roll < 0.45:
                self.case.kind = "fresh server"
                self.case_fresh_server(rng, scn)
            elif roll < 0.58:
                self.case.kind = "fresh client"
                self.case_fresh_client(rng, scn, pre=False)
            elif roll < 0.62:
                self.case.kind = "client before ClientHello"
                self.case_fresh_client(rng, scn, pre=True)
            elif roll < 0.88:
                self.case.kind = "live handshake"
                self.case_live(rng, scn)
            else:
                self.case.kind = "established"
                self.case_established(rng, scn)
        except Defect as exc:
            self.report(exc)
        lib.ERR_clear_error()

    def compat(self) -> CompatFuzzer:
        if self._compat is None:
            self._compat = CompatFuzzer()
        return self._compat

    def report(self, exc: BaseException) -> None:
        case = self.case
        cause = exc.__cause__
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


# -- the ssl_compat slice: SSLObject over MemoryBIO ---------------------------------


@dataclass
class CompatSide(Side):
    """An ``ssl_compat.SSLObject`` with its two ``MemoryBIO`` queues."""

    incoming: Any = None
    outgoing: Any = None


class CompatFuzzer:
    """The cases through ``OpenSSL.ssl_compat``: only ``ssl.SSLError`` may escape."""

    def __init__(self) -> None:
        self.sctx = compat_helpers.server_context()
        self.cctx = compat_helpers.client_context()
        for ctx in (self.sctx, self.cctx):
            ctx.set_alpn_protocols(["h2", "http/1.1"])
        self.stats: Counter[str] = Counter()
        client, server = self.new(False), self.new(True)
        self.flights = []
        sender, receiver = client, server
        for _ in range(ROUNDS):
            data = self.step(sender)
            if not data:
                break
            self.flights.append(data)
            receiver.incoming.write(data)
            sender, receiver = receiver, sender
        if not (client.done and server.done):
            raise RuntimeError("the ssl_compat handshake did not complete")

    def new(self, server: bool) -> CompatSide:
        incoming, outgoing = ssl_compat.MemoryBIO(), ssl_compat.MemoryBIO()
        ctx = self.sctx if server else self.cctx
        obj = ctx.wrap_bio(
            incoming, outgoing, server_side=server,
            server_hostname=None if server else "localhost",
        )  # fmt: skip
        name = "ssl_compat " + ("server" if server else "client")
        return CompatSide(obj, name, incoming=incoming, outgoing=outgoing)

    def call(
        self, side: CompatSide, what: str, fn: Callable[..., Any], *args: Any
    ) -> tuple[str, Any]:
        result = None
        try:
            result = fn(*args)
            outcome = OK
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            outcome = WANT
        except ssl.SSLZeroReturnError:
            outcome = ZERO
        except NETWORK_ERRORS_COMPAT:
            outcome = FATAL
        except Exception as exc:
            raise Defect(
                f"{side.name}.{what} raised {type(exc).__name__}: {exc!r}"
            ) from exc
        queued = lib.ERR_peek_error()
        if queued:
            lib.ERR_clear_error()
            raise Defect(
                f"{side.name}.{what} left OpenSSL's error queue non-empty ({queued:#x})"
            )
        if side.conn.openssl_connection._callback_exception is not None:
            raise Defect(f"{side.name}.{what} left a callback exception stored")
        if outcome == FATAL:
            side.failed = True
        elif outcome == ZERO:
            side.zero = True
        return outcome, result

    def step(self, side: CompatSide) -> bytes:
        obj = side.conn
        if not side.failed and not side.done:
            outcome, _ = self.call(side, "do_handshake", obj.do_handshake)
            side.done = outcome == OK
        if not side.failed and side.done and not side.zero:
            for _ in range(ROUNDS):
                outcome, data = self.call(side, "read", obj.read, 16384)
                if outcome != OK:
                    break
                if not data:
                    side.zero = True
                    break
                side.received += data
                if not side.expected.startswith(bytes(side.received)):
                    raise Defect(f"{side.name}.read returned bytes the peer never sent")
        return side.outgoing.read()  # type: ignore[no-any-return]

    def deliver(self, rng: random.Random, side: CompatSide, peer: Optional[CompatSide],
                data: bytes) -> None:  # fmt: skip
        for piece in chunks(rng, data)[1]:
            if side.failed:
                break
            side.incoming.write(piece)
            out = self.step(side)
            if out and peer is not None:
                peer.incoming.write(out)
        for _ in range(ROUNDS if peer is not None else 0):
            moved = False
            for x, y in ((side, peer), (peer, side)):
                out = self.step(x)
                if out:
                    y.incoming.write(out)
                    moved = True
            if not moved:
                break

    def check_dead(self, side: CompatSide) -> None:
        obj = side.conn
        for what, probe in (
            ("do_handshake", obj.do_handshake),
            ("read", lambda: obj.read(1024)),
            ("write", lambda: obj.write(b"after the failure")),
        ):
            outcome, result = self.call(side, what, probe)
            if outcome == OK and (what != "read" or result):
                raise Defect(
                    f"{side.name}.{what} succeeded after the connection failed"
                )
            if outcome == WANT:
                raise Defect(f"{side.name}.{what} asked for more input after a failure")
            self.stats[f"after failure: {what} {outcome}"] += 1

    def run(self, rng: random.Random, owner: Fuzzer) -> None:
        kind = rng.randrange(3)
        peer: Optional[CompatSide] = None
        if kind == 0:
            owner.case.stage = "ssl_compat server: ClientHello (fresh)"
            target = self.new(True)
            original = self.flights[0]
        elif kind == 1:
            owner.case.stage = "ssl_compat client: recorded server flight 1"
            target = self.new(False)
            sid = session_id_of(self.step(target))
            original = self.flights[1]
            if sid is not None:
                original = with_session_id(original, sid)
        else:
            k = rng.randrange(len(self.flights))
            owner.case.stage = f"ssl_compat: live flight {k}"
            sender, receiver = self.new(False), self.new(True)
            for _ in range(k):
                receiver.incoming.write(self.step(sender))
                sender, receiver = receiver, sender
            original = self.step(sender)
            target, peer = receiver, sender
        owner.stages.add(owner.case.stage)
        name, data = mutate(rng, original)
        case = owner.case
        case.mutation, case.data = name, data
        owner.stats["records"] += 1
        owner.stats["ssl_compat records"] += 1
        owner.stats["connections"] += 1 if peer is None else 2
        self.deliver(rng, target, peer, data)
        for side in (target, peer):
            if side is not None and side.failed:
                self.check_dead(side)


# -- the driver ---------------------------------------------------------------------


def run_shard(
    seed: int, records: int, shard: int, shards: int, only: Optional[int]
) -> int:
    started = time.perf_counter()
    fuzzer = Fuzzer(seed)
    indices = [only] if only is not None else range(shard, records, shards)
    for index in indices:
        fuzzer.run_case(index)
        if len(fuzzer.defects) >= 20:
            break
    stats = fuzzer.stats
    if fuzzer._compat is not None:
        stats.update(fuzzer._compat.stats)
    figures = {f"record fuzz: {k}": float(v) for k, v in stats.items()}
    figures["record fuzz: seconds"] = time.perf_counter() - started
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
    for i, child in enumerate(children):
        out, _ = child.communicate()
        for line in out.splitlines():
            if line.startswith(FIGURES_PREFIX):
                for k, v in json.loads(line[len(FIGURES_PREFIX) :]).items():
                    total[k] += v
            elif line.startswith("STAGES "):
                stages.update(s for s in line[7:].split("\x1f") if s)
            else:
                print(line, flush=True)
        if child.returncode != 0:
            status = 1
            print(f"shard {i} failed (status {child.returncode}): "
                  f"{' '.join(command)} --shard {i}", flush=True)  # fmt: skip
    figures = dict(total)
    figures["record fuzz: seconds"] = max(
        (v for k, v in total.items() if k == "record fuzz: seconds"), default=0.0
    )
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
    print(f"record fuzz: seed {args.seed}, {args.records} records", flush=True)
    if args.jobs > 1 and args.case is None:
        return run_jobs(args)
    return run_shard(args.seed, args.records, args.shard, args.shards, args.case)


if __name__ == "__main__":
    sys.exit(main())
