"""The mutation engine of the record fuzzer (``fuzz_records``).

.. list-table:: Who relies on this module, and where verdicts are computed
   :header-rows: 1

   * - test
     - uses
     - verdict computed in
   * - ``test_fuzz_records.py::test_record_fuzz``
     - every mutator, through ``fuzz_records``
     - not here: ``fuzz_records.Checker`` (mutators only make input)
   * - ``test_fuzz_records.py::test_hello_round_trip``, ``test_oversize_records``,
       ``test_alerts_cover_every_code_and_both_levels``,
       ``test_refragment_keeps_the_bytes``, ``test_mutators_survive_degenerate_input``
     - the wire-format helpers and the mutators directly
     - the tests

TLS and DTLS wire-format helpers (records, handshake messages, hellos and
their extensions) and the mutators: each takes a ``random.Random`` and the
records of a real flight and returns mutated records. Everything is drawn
from the given generator, so a seed reproduces the decisions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Optional

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
    return [data[: rng.randrange(len(data))]] if data else [b""]


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
    if not data:
        return "random", rbytes(rng, rng.randrange(1, 64))
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


# -- DTLS datagrams ------------------------------------------------------------------


def split_dtls(data: bytes) -> list[bytes]:
    """DTLS records (13-byte headers) in *data*; a trailing fragment last."""
    out = []
    i = 0
    while i + 13 <= len(data):
        end = i + 13 + int.from_bytes(data[i + 11 : i + 13], "big")
        out.append(data[i:end])
        i = end
    if i < len(data):
        out.append(data[i:])
    return out


#: (offset, size) of the fields of a DTLS record and handshake header.
DTLS_FIELDS = (
    (0, 1), (1, 2), (3, 2), (5, 6), (11, 2),  # type, version, epoch, seq, length
    (13, 1), (14, 3), (17, 2), (19, 3), (22, 3),  # msg type, len, seq, frag off/len
)  # fmt: skip


def mutate_dtls(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    """Mutate a DTLS flight: header fields, fragment fields, bodies, datagrams."""
    recs = split_dtls(data) or [data]
    i = rng.randrange(len(recs))
    rec = bytearray(recs[i])
    kind = rng.randrange(7)
    name = (
        "dtls "
        + ("field", "field", "body", "truncate", "records", "alert", "random")[kind]
    )
    if kind <= 1:
        offset, size = rng.choice(DTLS_FIELDS)
        if offset + size <= len(rec):
            value = rng.choice((0, 1, 2 ** (8 * size) - 1, rng.getrandbits(8 * size)))
            rec[offset : offset + size] = value.to_bytes(size, "big")
        recs[i] = bytes(rec)
    elif kind == 2:
        body = mutate_bytes(rng, bytes(rec[13:]))
        head = rec[:13]
        if rng.random() < 0.8 and len(head) == 13:
            head[11:13] = _u16(len(body))
        recs[i] = bytes(head) + body
    elif kind == 3:
        recs[i] = bytes(rec[: rng.randrange(len(rec) + 1)])
    elif kind == 4:
        if rng.random() < 0.5:
            recs.insert(i, recs[i])
        elif len(recs) > 1:
            del recs[i]
        else:
            recs.append(recs[i][:13] + rbytes(rng, 20))
    elif kind == 5:
        level, desc = rng.choice((1, 2, 0, 255)), rng.randrange(256)
        epoch_seq = rbytes(rng, 8) if rng.random() < 0.3 else bytes(8)
        alert = (
            bytes([ALERT]) + b"\xfe\xfd" + epoch_seq + _u16(2) + bytes([level, desc])
        )
        recs.insert(i, alert)
    else:
        recs = [rbytes(rng, rng.choice((1, 13, 25, 200, 1500)))]
    return name, b"".join(recs)


# -- TLS 1.3: decrypt a live flight, mutate the plaintext, encrypt it again -------


def _aead_suites() -> dict[str, tuple[Any, int, Any]]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

    return {
        "TLS_AES_128_GCM_SHA256": (AESGCM, 16, hashes.SHA256()),
        "TLS_AES_256_GCM_SHA384": (AESGCM, 32, hashes.SHA384()),
        "TLS_CHACHA20_POLY1305_SHA256": (ChaCha20Poly1305, 32, hashes.SHA256()),
    }


SUITES = _aead_suites()

#: Keylog labels of the secrets that protect records, per direction.
SECRET_LABELS = {
    "server": (b"SERVER_HANDSHAKE_TRAFFIC_SECRET", b"SERVER_TRAFFIC_SECRET_0"),
    "client": (b"CLIENT_HANDSHAKE_TRAFFIC_SECRET", b"CLIENT_TRAFFIC_SECRET_0"),
}


def hkdf_expand_label(hash_: Any, secret: bytes, label: bytes, length: int) -> bytes:
    """RFC 8446 HKDF-Expand-Label with an empty context."""
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\0"
    return HKDFExpand(hash_, length, info).derive(secret)


@dataclass
class Protection:
    """The AEAD state of one direction: key, IV and the next sequence number."""

    aead: Any
    iv: bytes
    seq: int

    @classmethod
    def from_secret(cls, suite: str, secret: bytes, seq: int = 0) -> Protection:
        algorithm, key_size, hash_ = SUITES[suite]
        key = hkdf_expand_label(hash_, secret, b"key", key_size)
        iv = hkdf_expand_label(hash_, secret, b"iv", 12)
        return cls(algorithm(key), iv, seq)

    def _nonce(self) -> bytes:
        seq = self.seq.to_bytes(12, "big")
        return bytes(a ^ b for a, b in zip(self.iv, seq))

    def open(self, rec: bytes) -> Optional[bytes]:
        try:
            plain: bytes = self.aead.decrypt(self._nonce(), rec[5:], rec[:5])
        except Exception:  # cryptography's InvalidTag
            return None
        self.seq += 1
        return plain

    def seal(self, inner: bytes) -> bytes:
        header = bytes([APPDATA]) + _u16(TLS12) + _u16(len(inner) + 16)
        rec = header + self.aead.encrypt(self._nonce(), inner, header)
        self.seq += 1
        return rec


def open_flight(
    suite: str, secrets: list[bytes], data: bytes
) -> Optional[tuple[list[bytes], list[bytes], Protection]]:
    """Split *data* into plaintext records and decrypted inner plaintexts.

    Returns ``(plain records before the first encrypted one, inner
    plaintexts, the protection to encrypt with again)`` or ``None`` when no
    secret opens the first encrypted record (sequence numbers 0..15 tried).
    """
    if suite not in SUITES:
        return None
    recs = split_records(data)
    first = next((i for i, r in enumerate(recs) if r[:1] == bytes([APPDATA])), None)
    if first is None:
        return None
    for secret in secrets:
        for seq in range(16):
            prot = Protection.from_secret(suite, secret, seq)
            inner = prot.open(recs[first])
            if inner is None:
                continue
            inners = [inner]
            for rec in recs[first + 1 :]:
                more = prot.open(rec) if rec[:1] == bytes([APPDATA]) else None
                if more is None:
                    break
                inners.append(more)
            return recs[:first], inners, Protection.from_secret(suite, secret, seq)
    return None


def _unpad(inner: bytes) -> tuple[int, bytes]:
    body = inner.rstrip(b"\0")
    return (body[-1], body[:-1]) if body else (0, b"")


def mutate_inner(rng: random.Random, inners: list[bytes]) -> tuple[str, list[bytes]]:
    """Mutate decrypted TLSInnerPlaintexts: messages, content types, alerts, padding."""
    parts = [_unpad(i) for i in inners]
    hs = b"".join(body for ctype, body in parts if ctype == HANDSHAKE)
    kind = rng.randrange(8)
    if kind <= 2 and hs:
        # The handshake messages, mutated as a plaintext record would be.
        name, data = mutate(rng, record(HANDSHAKE, hs))
        body = data[5:] if data[:1] == bytes([HANDSHAKE]) else data
        size = rng.choice((16384, 16384, 16384, 1 if len(body) < 300 else 7, 100))
        out = [
            body[i : i + size] + bytes([HANDSHAKE]) for i in range(0, len(body), size)
        ]
        return "tls13 inner " + name, out or [bytes([HANDSHAKE])]
    out = [body + bytes([ctype]) for ctype, body in parts]
    i = rng.randrange(len(out) + 1)
    if kind == 3:
        level = rng.choice((1, 2, 0, 255))
        shape = rng.choice((bytes([level, rng.randrange(256)]), bytes([level]), b""))
        out.insert(i, shape + bytes([ALERT]))
        return "tls13 encrypted alert", out
    if kind == 4:
        msg_type = rng.choice((24, 4, 13, 5, 0, 1, 2, 8, 11, 15, 20, 254, 255))
        body = rng.choice(
            (b"\x00", b"\x01", b"\x02", b"", rbytes(rng, rng.randrange(64)))
        )
        out.insert(i, message(msg_type, body) + bytes([HANDSHAKE]))
        return "tls13 stray message", out
    if kind == 5 and out:
        j = rng.randrange(len(out))
        ctype = rng.choice((0, CCS, ALERT, HANDSHAKE, APPDATA, HEARTBEAT, 255))
        out[j] = out[j][:-1] + bytes([ctype])
        return "tls13 inner content type", out
    if kind == 6 and out:
        j = rng.randrange(len(out))
        out[j] = rng.choice(
            (b"", bytes(rng.randrange(1, 300)), out[j] + bytes(rng.randrange(1, 300)))
        )
        return "tls13 padding", out
    if out:
        j = rng.randrange(len(out))
        out[j] = mutate_bytes(rng, out[j])
    return "tls13 inner bytes", out
