"""Fuzzer for session import (``Session.from_bytes``) and the early-data calls.

Run as ``python -m tests.reliability.fuzz_sessions --seed N --imports M
--flights K`` (``test_fuzz_sessions.py`` does, through
``subproc.run_driver``, so that a crash fails one test with the command that
reproduces it). Three parts, every decision drawn from the seed:

1. **Import.** Real sessions (TLS 1.2 with a session ID, TLS 1.2 and 1.3
   with tickets, TLS 1.3 allowing early data) are exported with
   ``to_bytes`` and mutated (DER-aware edits of tags and lengths, byte
   edits, truncations, splices of two sessions, random bytes). Each result
   goes to ``Session.from_bytes``, which must return a ``Session`` or raise
   ``ValueError``/``TypeError``; a loaded session's facts must all read
   (and export again), and
2. **use**: every loaded session is offered by a client (``set_session``,
   and ``write_early_data`` when it claims early data) to a real server
   that allows early data, and the handshake runs: resumed or not, the
   outcome must be a documented exception or success, and whatever a
   client sent as early data must reach the server either as early data or
   not at all.
3. **Early-data flights.** A client's first flight carrying early data is
   mutated with the record fuzzer's mutators and fed to a server calling
   ``read_early_data``: data, ``b""``, ``WantReadError`` or ``SSL.Error``.

After every call OpenSSL's error queue must be empty. A finding prints the
seed and the case and exits 1.
"""

from __future__ import annotations

import argparse
import random
import sys
import traceback
from typing import Any, Callable

from OpenSSL import SSL
from OpenSSL._util import lib
from tests import support
from tests.reliability.outcomes import SSL_DOCUMENTED
from tests.reliability.record_mutators import mutate, mutate_bytes, rbytes
from tests.reliability.subproc import emit_figures

EARLY = b"GET /fuzz HTTP/1.0\r\n\r\n"


class Finding(Exception):
    """A defect: an undocumented outcome or a dirty error queue."""


def check_queue(what: str) -> None:
    if lib.ERR_peek_error():
        lib.ERR_clear_error()
        raise Finding(f"{what} left OpenSSL's error queue non-empty")


def run(
    what: str, call: Callable[[], Any], allowed: tuple[type[BaseException], ...]
) -> Any:
    try:
        result = call()
    except allowed as exc:
        check_queue(what)
        return exc
    except BaseException as exc:
        raise Finding(f"{what} raised {type(exc).__name__}: {exc}") from exc
    check_queue(what)
    return result


# -- real sessions --------------------------------------------------------------


def server_context() -> SSL.Context:
    ctx = support.server_context()
    ctx.set_max_early_data(16384)
    return ctx


def client_context() -> SSL.Context:
    ctx = support.client_context()
    ctx.set_max_early_data(16384)
    return ctx


def fresh_ticket(server_ctx: SSL.Context) -> bytes:
    """A new single-use ticket of *server_ctx* (which allows early data)."""
    client, server = support.handshake_pair(client_context(), server_ctx)
    support.transfer(server, client, b"tickets")
    session = client.get_session()
    assert session is not None and session.max_early_data
    client.shutdown()
    server.shutdown()
    return session.to_bytes()


def seed_sessions(server_ctx: SSL.Context) -> list[bytes]:
    plain = support.server_context()
    no_ticket = support.server_context()
    no_ticket.set_options(SSL.OP_NO_TICKET)
    no_ticket.set_session_id(b"fuzz")
    out = []
    for server, version in (
        (no_ticket, SSL.TLS1_2_VERSION),
        (plain, SSL.TLS1_2_VERSION),
        (plain, SSL.TLS1_3_VERSION),
        (server_ctx, SSL.TLS1_3_VERSION),
    ):
        client, srv = support.handshake_pair(
            support.client_context(max_version=version), server
        )
        support.transfer(srv, client, b"tickets")
        session = client.get_session()
        assert session is not None
        out.append(session.to_bytes())
        client.shutdown()
        srv.shutdown()
    return out


# -- DER-aware mutation ------------------------------------------------------------


def der_mutate(rng: random.Random, der: bytes, others: list[bytes]) -> bytes:
    kind = rng.randrange(8)
    buf = bytearray(der)
    if kind == 0 and len(buf) > 2:
        # A tag byte somewhere: a real one or any.
        buf[rng.randrange(len(buf))] = rng.choice(
            (0x02, 0x04, 0x30, 0xA0, 0xA1, 0xA2, 0xA3, 0xA9, 0xAA, 0xAF, 0x00, 0xFF)
        )
    elif kind == 1 and len(buf) > 3:
        # A length byte: long forms, indefinite, huge.
        i = rng.randrange(1, len(buf))
        buf[i : i + 1] = rng.choice(
            (b"\x80", b"\x81\xff", b"\x82\xff\xff", b"\x84\xff\xff\xff\xff", b"\x00")
        )
    elif kind == 2:
        del buf[rng.randrange(len(buf) + 1) :]
    elif kind == 3 and others:
        other = rng.choice(others)
        cut = rng.randrange(min(len(buf), len(other)) + 1)
        buf = bytearray(bytes(buf[:cut]) + other[cut:])
    elif kind == 4:
        # An element added at the end of the sequence (an unknown field).
        tag = rng.choice((0xA0 | rng.randrange(32), 0x04, 0x02))
        body = rbytes(rng, rng.choice((0, 1, 2, 40, 200)))
        buf += bytes((tag, len(body))) + body if len(body) < 128 else b""
    elif kind == 5:
        return rbytes(rng, rng.choice((1, 2, 8, 100, 600)))
    else:
        return mutate_bytes(rng, der)
    return bytes(buf)


# -- the three parts ----------------------------------------------------------------


def import_and_use(
    rng: random.Random, data: bytes, server_ctx: SSL.Context, figures: dict[str, float]
) -> None:
    result = run(
        "Session.from_bytes",
        lambda: SSL.Session.from_bytes(data),
        (ValueError, TypeError),
    )
    if isinstance(result, BaseException):
        figures["refused"] += 1
        return
    figures["loaded"] += 1
    session: SSL.Session = result
    for name in (
        "id", "time", "timeout", "ticket_lifetime_hint", "has_ticket",
        "protocol_version", "cipher", "max_early_data",
    ):  # fmt: skip
        run(f"Session.{name}", lambda n=name: getattr(session, n), ())
    run("repr(Session)", lambda: repr(session), ())
    # OpenSSL re-encodes what it loaded (non-canonical input comes out
    # canonical); what it wrote must load and come out the same.
    exported = run("Session.to_bytes", session.to_bytes, ())
    again = run(
        "Session.from_bytes(exported)", lambda: SSL.Session.from_bytes(exported), ()
    )
    if again.to_bytes() != exported:
        raise Finding("an exported session does not survive import and export")
    if rng.random() > 0.5:
        return
    figures["handshakes"] += 1
    client, server = support.memory_pair(client_context(), server_ctx)
    run("set_session", lambda: client.set_session(session), SSL_DOCUMENTED)
    sent = b""
    if session.max_early_data and rng.random() < 0.8:
        outcome = run(
            "write_early_data", lambda: client.write_early_data(EARLY), SSL_DOCUMENTED
        )
        if outcome == len(EARLY):
            sent = EARLY
    early = b""
    finished = False
    for _ in range(30):
        if not finished:
            outcome = run(
                "read_early_data", lambda: server.read_early_data(1024), SSL_DOCUMENTED
            )
            if isinstance(outcome, bytes):
                early += outcome
                finished = outcome == b""
            elif not isinstance(outcome, SSL.WantReadError):
                return
        for conn in (client, server) if finished else (client,):
            outcome = run("do_handshake", conn.do_handshake, SSL_DOCUMENTED)
            if isinstance(outcome, BaseException) and not isinstance(
                outcome, (SSL.WantReadError, SSL.WantWriteError)
            ):
                return
        if not support.pump(client, server) and finished:
            break
    if early and early != sent:
        raise Finding(
            f"the server read {early!r} as early data; the client sent {sent!r}"
        )
    if early:
        figures["early accepted"] += 1
        if client.get_early_data_status() != SSL.EARLY_DATA_ACCEPTED:
            raise Finding("early data arrived but the client says it was not accepted")
    if client.session_reused():
        figures["resumed"] += 1


def mutated_flight(
    rng: random.Random,
    flight: bytes,
    session: SSL.Session,
    server_ctx: SSL.Context,
    figures: dict[str, float],
) -> None:
    name, data = mutate(rng, flight)
    server = SSL.Connection(server_ctx)
    server.set_accept_state()
    run("bio_write", lambda: server.bio_write(data) if data else 0, SSL_DOCUMENTED)
    for _ in range(4):
        outcome = run(
            f"read_early_data after {name}",
            lambda: server.read_early_data(4096),
            SSL_DOCUMENTED,
        )
        if isinstance(outcome, bytes):
            if outcome == b"":
                break
            # AEAD: what arrives despite the mutation is what was sent.
            if outcome not in EARLY:
                raise Finding(f"a mutated flight ({name}) gave early data {outcome!r}")
            figures["early read from mutated flights"] += 1
        elif isinstance(outcome, BaseException):
            break
    run("get_early_data_status", server.get_early_data_status, ())
    figures["flights"] += 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--imports", type=int, default=500)
    parser.add_argument("--flights", type=int, default=200)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    figures: dict[str, float] = {
        key: 0.0
        for key in (
            "imports", "refused", "loaded", "handshakes", "resumed",
            "early accepted", "flights", "early read from mutated flights",
        )
    }  # fmt: skip
    server_ctx = server_context()
    sessions = seed_sessions(server_ctx)
    case = ""
    try:
        for i in range(args.imports):
            # Half of the cases start from a ticket the server still knows,
            # so that mutations it tolerates reach resumption and early data.
            if rng.random() < 0.5:
                base = fresh_ticket(server_ctx)
            else:
                base = rng.choice(sessions)
            data = base if rng.random() < 0.2 else der_mutate(rng, base, sessions)
            case = f"import #{i}: {data.hex()}"
            figures["imports"] += 1
            import_and_use(rng, data, server_ctx, figures)
        # Flights: a fresh ticket that allows early data, and the first
        # flight (ClientHello + early data) of a client using it.
        for i in range(args.flights):
            early_session = SSL.Session.from_bytes(fresh_ticket(server_ctx))
            client = SSL.Connection(client_context())
            client.set_connect_state()
            client.set_session(early_session)
            client.write_early_data(EARLY)
            flight = support.drain(client)
            case = f"flight #{i}"
            mutated_flight(rng, flight, early_session, server_ctx, figures)
    except Finding:
        print(f"FINDING (seed {args.seed}, {case})", file=sys.stderr)
        traceback.print_exc()
        return 1
    emit_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
