"""The ssl_compat slice of the record fuzzer (``fuzz_records``).

.. list-table:: What each test checks, and where its verdict is computed
   :header-rows: 1

   * - test
     - checks
     - verdict computed in
   * - ``test_fuzz_records.py::test_record_fuzz`` (its ``ssl_compat`` slice)
     - only ``ssl.SSLError`` escapes; after a failure ``do_handshake``,
       ``read`` and ``write`` keep failing; getters raise nothing undocumented
     - :meth:`CompatFuzzer.call`, :meth:`CompatFuzzer.check_dead` and
       :meth:`CompatFuzzer.introspect` here; defects go to
       ``fuzz_records.Fuzzer.report`` (exit 1 in ``run_shard``)

The same kinds of cases as the ``OpenSSL.SSL`` ones, through
``OpenSSL.ssl_compat``: ``SSLObject`` over ``MemoryBIO`` (TLS 1.3, and TLS
1.2 with a ``CERT_NONE`` client so mutated certificates reach the getters).
Only the stdlib's ``ssl.SSLError`` family may escape; after a failure,
``do_handshake``/``read``/``write`` keep failing; every getter that reports
what the peer sent raises nothing undocumented.
"""

from __future__ import annotations

import random
import ssl
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Optional

from OpenSSL import ssl_compat
from OpenSSL._util import lib
from tests import support
from tests.reliability.fuzz_records import (
    FATAL,
    OK,
    WANT,
    ZERO,
    Defect,
    Fuzzer,
    Side,
)
from tests.reliability.outcomes import NETWORK_ERRORS_COMPAT
from tests.reliability.record_mutators import (
    ROUNDS,
    chunks,
    mutate,
    session_id_of,
    with_session_id,
)

#: ``SSLObject`` getters that report what the peer sent or negotiated.
COMPAT_GETTERS: list[tuple[str, Callable[[Any], Any]]] = [
    ("getpeercert", lambda o: o.getpeercert()),
    ("getpeercert(binary_form)", lambda o: o.getpeercert(True)),
    ("cipher", lambda o: (o.cipher(), o.version(), o.shared_ciphers())),
    ("selected_alpn_protocol", lambda o: o.selected_alpn_protocol()),
    ("get_channel_binding", lambda o: o.get_channel_binding()),
    ("session", lambda o: (o.session, o.session_reused, o.server_hostname)),
    ("get_verified_chain", lambda o: o.get_verified_chain()),
    ("get_unverified_chain", lambda o: o.get_unverified_chain()),
    ("pending", lambda o: o.pending()),
]


# -- the ssl_compat slice: SSLObject over MemoryBIO ---------------------------------


@dataclass
class CompatSide(Side):
    """An ``ssl_compat.SSLObject`` with its two ``MemoryBIO`` queues."""

    incoming: Any = None
    outgoing: Any = None


class CompatFuzzer:
    """The cases through ``OpenSSL.ssl_compat``: only ``ssl.SSLError`` may escape."""

    def __init__(self) -> None:
        self.stats: Counter[str] = Counter()
        self.variants: list[tuple[str, Any, Any, list[bytes]]] = []
        sctx, cctx = support.ssl_server_context(), support.ssl_client_context()
        self.add("tls13", sctx, cctx)
        # A TLS 1.2 client that checks nothing: mutated certificates from the
        # server are accepted, so they reach getpeercert and the chain getters.
        sctx = support.ssl_server_context(maximum_version=ssl.TLSVersion.TLSv1_2)
        cctx = support.ssl_client_context(check_hostname=False)
        cctx.verify_mode = ssl_compat.CERT_NONE
        self.add("tls12 CERT_NONE", sctx, cctx)

    def add(self, name: str, sctx: Any, cctx: Any) -> None:
        for ctx in (sctx, cctx):
            ctx.set_alpn_protocols(["h2", "http/1.1"])
        sctx.sni_callback = lambda obj, server_name, ctx: None
        variant: tuple[str, Any, Any, list[bytes]] = (name, sctx, cctx, [])
        client, server = self.new(False, variant), self.new(True, variant)
        sender, receiver = client, server
        for _ in range(ROUNDS):
            data = self.step(sender)
            if not data:
                break
            variant[3].append(data)
            receiver.incoming.write(data)
            sender, receiver = receiver, sender
        if not (client.done and server.done):
            raise RuntimeError(f"the ssl_compat {name} handshake did not complete")
        self.variants.append(variant)

    def new(
        self, server: bool, variant: tuple[str, Any, Any, list[bytes]]
    ) -> CompatSide:
        incoming, outgoing = ssl_compat.MemoryBIO(), ssl_compat.MemoryBIO()
        ctx = variant[1] if server else variant[2]
        obj = ctx.wrap_bio(
            incoming, outgoing, server_side=server,
            server_hostname=None if server else "localhost",
        )  # fmt: skip
        name = f"ssl_compat {variant[0]} " + ("server" if server else "client")
        return CompatSide(obj, name, incoming=incoming, outgoing=outgoing)

    def introspect(self, side: CompatSide) -> None:
        """The SSLObject getters, fed by what the peer sent."""
        obj = side.conn
        failed = side.failed
        for what, getter in COMPAT_GETTERS:
            try:
                getter(obj)
            except ValueError as exc:
                if str(exc) != "handshake not done yet":
                    raise Defect(f"{side.name}.{what} raised {exc!r}") from exc
            except NETWORK_ERRORS_COMPAT:
                pass
            except Exception as exc:
                raise Defect(
                    f"{side.name}.{what} raised {type(exc).__name__}: {exc!r}"
                ) from exc
            self.call(side, what, lambda: None)
        side.failed = failed

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
        variant = rng.choice(self.variants)
        flights = variant[3]
        label = f"ssl_compat {variant[0]}"
        peer: Optional[CompatSide] = None
        if kind == 0:
            owner.case.stage = f"{label} server: ClientHello (fresh)"
            target = self.new(True, variant)
            original = flights[0]
        elif kind == 1:
            owner.case.stage = f"{label} client: recorded server flight 1"
            target = self.new(False, variant)
            sid = session_id_of(self.step(target))
            original = flights[1]
            if sid is not None:
                original = with_session_id(original, sid)
        else:
            k = rng.randrange(len(flights))
            owner.case.stage = f"{label}: live flight {k}"
            sender, receiver = self.new(False, variant), self.new(True, variant)
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
            if side is not None:
                self.introspect(side)
                if side.failed:
                    self.check_dead(side)
