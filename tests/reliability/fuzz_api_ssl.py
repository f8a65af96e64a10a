"""API fuzzer for ``OpenSSL.SSL``, ``OpenSSL.crypto`` and ``OpenSSL.rand``.

.. list-table:: What each test checks, and where its verdict is computed
   :header-rows: 1

   * - test (``test_fuzz_api_ssl.py``)
     - checks
     - verdict computed in
   * - ``test_fuzz_fixed_seed``, ``test_fuzz_fresh_seeds`` (long profile)
     - random call sequences: documented exceptions only, clean error queue,
       no swallowed callback exception, setters read back
     - :func:`judge` (each call), :func:`check_clean` (each step),
       :func:`check_round_trip` here; :meth:`Driver.run` exits 1 on a finding
       and ``subproc.run_driver`` fails the test; the test checks calls ran
   * - ``test_harness_flags_a_queued_error_and_undocumented_exceptions``
     - :func:`judge` and :func:`check_clean` do flag (self-test)
     - the test
   * - the other tests
     - one defect the fuzzer found each (lying ``len()``, MTU, ``recv_into``,
       ...)
     - the tests (some in a child interpreter, so that a crash fails one test)

Run as ``python -m tests.reliability.fuzz_api_ssl --seed N --examples M``
(``test_fuzz_api_ssl.py`` does, through ``subproc.run_driver``, so that a
crash fails one test with the command that reproduces it). What a step can
name -- fixtures, live objects, argument values, callbacks -- lives in
``fuzz_api_ssl_world``; this module draws, runs and judges the steps.

How it works
------------
hypothesis draws *sequences* of steps, interactively: each example builds a
fresh world (client and server Contexts, a memory-BIO pair and a socket-mode
pair over ``socket.socketpair``, certificates, keys, names, stores ...) and
then runs up to ``--steps`` steps on it. A step is one of

* a **call**: a public method of a live object, found by introspection
  (so new methods are fuzzed without touching this file), with 0..4
  positional arguments and sometimes keyword arguments;
* a **constructor** or **module function** call (``Context(...)``,
  ``crypto.load_certificate(...)``, ``rand.add(...)``, ...);
* an ``X509Name`` attribute read or write;
* a **state transition** from :data:`TRANSITIONS`: move bytes between a
  client and a server, run a handshake part of the way or to the end, send
  application data, shut down, drop the peer ("peer vanished"), close the
  socket under a socket-mode connection ("after the object was closed"),
  signal EOF, switch a connection to another Context, make a new pair from
  (possibly fuzzed) Contexts, collect garbage.

Arguments are tokens (:func:`resolve`): values from a fixed pool (``None``,
edge-case ints and floats, odd ``str``/``bytes``, read-only and
non-contiguous buffers, lists of mixed things, file paths, cryptography
objects, closed sockets, callables that raise :class:`FuzzCallbackError`,
return wrong types or oversized values, or behave), live objects of the
world, and small literals drawn by hypothesis. Parameter names and
annotations steer the choice towards plausible values half of the time, so
calls get past the type checks and reach OpenSSL.

What counts as a defect (a *finding*)
--------------------------------------
Every call must return, or raise an exception of
``outcomes.SSL_DOCUMENTED``, or raise the :class:`FuzzCallbackError` a
callback set by the fuzzer raised during that call (the same object), or
``AttributeError`` where an ``X509Name`` is involved, or
``X509StoreContextError`` from ``X509StoreContext``, ``OSError`` from the
socket pass-through methods (``connect``, ``accept``, ...), or ``BufferError``
for a non-contiguous buffer given to ``send``/``bio_write`` (as in pyOpenSSL
26.4 and ``socket.send``). After every step
the fuzzer also checks that

* OpenSSL's error queue is empty (a stale entry surfaces in an unrelated
  later call),
* no callback exception was swallowed (raised in a callback, not re-raised
  by the call that drove OpenSSL, nor reported through ``sys.excepthook``
  by the servername callback) or left pending on a Connection or Context,
* nothing went to ``sys.unraisablehook`` and no warning other than a
  ``DeprecationWarning`` was issued,
* a setter that succeeded reads back what it set (:data:`ROUND_TRIPS`:
  ``X509Name`` values -- the NUL-truncation class --, serials, names ...).

On a finding the driver prints the seed, the steps of the (shrunk) failing
sequence and the traceback, and exits 1. The steps, saved to a file one per
line, replay with ``--replay FILE`` without hypothesis. A crash or a hang is
caught by ``run_driver``; rerun the printed command with ``--verbose`` to see
each step as it runs. ``--keep-going`` reports every distinct finding instead
of stopping at the first.
"""

from __future__ import annotations

import argparse
import ast
import gc
import os
import random
import socket
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Optional

from OpenSSL import crypto
from OpenSSL._util import _drain_error_queue, lib
from tests.reliability.fuzz_api_ssl_world import (
    _CLASS_OF,
    CALLABLE_NAMES,
    CALLBACK_KINDS,
    CONSTRUCTORS,
    FUNCTIONS,
    KINDS,
    MAX_PER_KIND,
    MODULES,
    OUTCOMES,
    POOL_NAMES,
    SOCKET_PASSTHROUGH,
    TRACE,
    FuzzCallbackError,
    Pair,
    Step,
    World,
    fixtures,
    hint_values,
    methods_of,
    params_of,
    required_count,
    resolve,
    skip_reason,
)
from tests.reliability.outcomes import SSL_DOCUMENTED
from tests.reliability.subproc import emit_figures

__all__ = ["FuzzCallbackError", "main", "run_steps"]


class Finding(Exception):
    """A defect: an outcome outside the documented ones."""

    def __init__(self, message: str, signature: str) -> None:
        super().__init__(message)
        self.signature = signature


# -- the outcome rules ---------------------------------------------------------


def _mentions_name(values: Sequence[Any]) -> bool:
    for value in values:
        if isinstance(value, crypto.X509Name):
            return True
        if isinstance(value, (list, tuple)) and any(
            isinstance(v, crypto.X509Name) for v in value
        ):
            return True
    return False


#: A non-contiguous buffer raises BufferError here, as it does in pyOpenSSL
#: 26.4 and in the stdlib's ``socket.send``.
BUFFER_TAKERS = {"send", "sendall", "write", "bio_write"}


def _raised_in_callback(exc: BaseException) -> bool:
    """Whether *exc* was raised inside a callback OpenSSL called.

    Several callbacks may fail during one call; the first exception wins
    (it may be a TypeError of a callback with the wrong arity, say).
    """
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "trampoline" or code.co_filename.endswith("_callbacks.py"):
            return True
        tb = tb.tb_next
    return False


def judge(
    where: str, involved: Sequence[Any], method: str, exc: Optional[BaseException]
) -> None:
    """Raise :class:`Finding` unless *exc* (``None``: returned) is acceptable."""
    raised = [e for e in TRACE.raised if not any(e is h for h in TRACE.excepthook)]
    if exc is None:
        if raised:
            raise Finding(
                f"{where} returned normally although a callback raised "
                f"{raised[0]!r} during it (the exception was swallowed)",
                f"swallowed:{method}",
            )
        return
    if isinstance(exc, FuzzCallbackError):
        if any(exc is e for e in TRACE.raised):
            return
        raise Finding(
            f"{where} raised a FuzzCallbackError that no callback raised during it "
            "(a stale callback exception from an earlier call)",
            f"stale-callback:{method}",
        ) from exc
    if raised and not _raised_in_callback(exc):
        raise Finding(
            f"{where} raised {type(exc).__name__} instead of the exception a "
            f"callback raised during it ({raised[0]!r})",
            f"replaced:{method}:{type(exc).__name__}",
        ) from exc
    if isinstance(exc, SSL_DOCUMENTED):
        return
    if isinstance(exc, AttributeError) and _mentions_name(involved):
        return
    if isinstance(exc, crypto.X509StoreContextError) and method in (
        "verify_certificate",
        "get_verified_chain",
    ):
        return
    if isinstance(exc, OSError) and method in SOCKET_PASSTHROUGH:
        return
    if isinstance(exc, BufferError) and method in BUFFER_TAKERS:
        return
    raise Finding(
        f"{where} raised {type(exc).__name__}: {exc}",
        f"undocumented:{method}:{type(exc).__name__}",
    ) from exc


def check_clean(world: World, where: str) -> None:
    """The invariants that hold between any two steps."""
    if lib.ERR_peek_error() != 0:
        errors = _drain_error_queue()
        raise Finding(
            f"OpenSSL's error queue is not empty after {where}: {errors}",
            f"error-queue:{where.split('(')[0]}",
        )
    for conn in world.objects["Connection"]:
        pending = conn._callback_exception
        if pending is not None:
            conn._callback_exception = None
            raise Finding(
                f"after {where} a Connection still holds the callback exception "
                f"{pending!r} (it will surface from an unrelated later call)",
                f"pending-callback:{where.split('(')[0]}",
            )
    for ctx in world.objects["Context"]:
        slot = ctx._passphrase
        if slot is not None and slot.exception is not None:
            pending, slot.exception = slot.exception, None
            raise Finding(
                f"after {where} a Context still holds the passphrase callback "
                f"exception {pending!r}",
                f"pending-passphrase:{where.split('(')[0]}",
            )
    for exc in TRACE.excepthook:
        if not isinstance(exc, (FuzzCallbackError, *SSL_DOCUMENTED)):
            raise Finding(
                f"sys.excepthook got {exc!r} during {where}", f"excepthook:{where}"
            )
    if TRACE.unraisable:
        message = TRACE.unraisable[0]
        TRACE.unraisable.clear()
        raise Finding(f"unraisable exception during {where}: {message}", "unraisable")
    if TRACE.warnings:
        message = TRACE.warnings[0]
        TRACE.warnings.clear()
        raise Finding(f"warning during {where}: {message}", "warning")


def _text(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


#: Setters whose value must read back unchanged once they succeeded:
#: method -> (getter, how the value read back must relate to the one set).
ROUND_TRIPS: dict[str, tuple[Callable[[Any, list[Any]], Any], Any]] = {
    # The CVE-2026-40475 class: a value must not be truncated (at a NUL ...).
    "X509Name.setattr": (lambda obj, a: getattr(a[0], a[1]), lambda a: _text(a[2])),
    "X509.set_serial_number": (lambda obj, a: obj.get_serial_number(), lambda a: a[0]),
    "X509.set_version": (lambda obj, a: obj.get_version(), lambda a: a[0]),
    "X509.set_subject": (lambda obj, a: obj.get_subject(), lambda a: a[0]),
    "X509.set_issuer": (lambda obj, a: obj.get_issuer(), lambda a: a[0]),
    "Context.set_app_data": (lambda obj, a: obj.get_app_data(), lambda a: a[0]),
    "Connection.set_app_data": (lambda obj, a: obj.get_app_data(), lambda a: a[0]),
}


def check_round_trip(label: str, obj: Any, method: str, args: list[Any]) -> None:
    """After a successful setter, the getter gives back what was set."""
    known = ROUND_TRIPS.get(label)
    if known is None or len(args) != (3 if method == "setattr" else 1):
        return
    getter, expected_of = known
    if method == "setattr" and str(args[1]).startswith("_"):
        return  # a private attribute, not a name component
    expected = expected_of(args)
    try:
        got = getter(obj, args)
    except BaseException as exc:  # any failure to read back is the defect
        raise Finding(
            f"{label}{tuple(args[1:])!r} succeeded but reading it back raised {exc!r}",
            f"round-trip:{label}",
        ) from exc
    if not (got is expected or got == expected):
        raise Finding(
            f"{label} set {expected!r} but reads back {got!r}",
            f"round-trip:{label}",
        )


# -- running steps -------------------------------------------------------------


class Runner:
    """Executes steps on a World and judges every outcome."""

    def __init__(self, world: World, verbose: bool = False) -> None:
        self.world = world
        self.verbose = verbose
        self.calls = 0
        self.transition_calls = 0
        self.skipped = 0
        self.handshakes = 0

    # One API call, judged. Returns (ok, result).
    def invoke(
        self,
        where: str,
        method: str,
        function: Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: Optional[dict[str, Any]] = None,
        involved: Sequence[Any] = (),
    ) -> tuple[bool, Any]:
        TRACE.reset()
        try:
            result = function(*args, **(kwargs or {}))
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit, Finding)):
                raise
            self.last_outcome = type(exc).__name__
            judge(where, [*involved, *args, *(kwargs or {}).values()], method, exc)
            return False, None
        self.last_outcome = "ok"
        judge(where, involved, method, None)
        return True, result

    def run(self, step: Step) -> None:
        if self.verbose:
            print("STEP", repr(step), flush=True)
        TRACE.outside = False
        try:
            if step[0] == "t":
                self.transition(step)
            else:
                self.call(step)
        finally:
            TRACE.outside = True
        check_clean(self.world, describe(step))

    def call(self, step: Step) -> None:
        world = self.world
        kind, target, index, name, arg_tokens, kw_tokens = step
        args = [resolve(world, t) for t in arg_tokens]
        kwargs = {k: resolve(world, t) for k, t in kw_tokens}
        if kind == "call":
            obj = world.get(target, index)
            if obj is None:
                return
            if name in ("getattr", "setattr"):
                function = getattr if name == "getattr" else setattr
                args = [obj, *args]
            else:
                function = getattr(obj, name)
            involved = [obj]
            label = f"{target}.{name}"
        elif kind == "new":
            function = _CLASS_OF[target]
            involved = []
            label = f"{target}()"
        else:
            function = getattr(MODULES[target], name)
            involved = []
            label = f"{target}.{name}"
        reason = skip_reason(
            f"new:{target}" if kind == "new" else label, name, [*args, *kwargs.values()]
        )
        if reason is not None:
            self.skipped += 1
            return
        self.calls += 1
        ok, result = self.invoke(label, name, function, args, kwargs, involved)
        if ok:
            self.register(result)
            if kind == "call" and not kwargs:
                check_round_trip(label, involved[0], name, args)
        OUTCOMES[(label, self.last_outcome)] += 1

    def register(self, result: Any) -> None:
        if isinstance(result, (list, tuple)):
            for item in result[:2]:
                self.world.add(item)
        elif isinstance(result, (set, frozenset)):
            return
        else:
            self.world.add(result)

    # -- transitions -----------------------------------------------------------

    def _call(
        self, where: str, method: str, function: Callable[..., Any], *args: Any
    ) -> bool:
        self.transition_calls += 1
        ok, self.last_result = self.invoke(where, method, function, args)
        OUTCOMES[(where, self.last_outcome)] += 1
        return ok

    def _pump(self, pair: Pair) -> bool:
        if pair.mode != "memory":
            return False
        moved = False
        ends = ((pair.client, pair.server), (pair.server, pair.client))
        for source, sink in ends:
            if source is None:
                continue
            for _ in range(64):
                if not self._call("pump: bio_read", "bio_read", source.bio_read, 65536):
                    break
                data = self.last_result
                if not data:
                    break
                if sink is not None:
                    self._call("pump: bio_write", "bio_write", sink.bio_write, data)
                moved = True
        return moved

    def last_failed(self) -> bool:
        """Whether the last call failed for good (not a want-read/write)."""
        return self.last_outcome not in ("ok", "WantReadError", "WantWriteError")

    def drive(self, pair: Pair) -> None:
        """Handshake (DTLS: cookie exchange first), exchange data, shut down."""
        client, server = pair.client, pair.server
        assert client is not None and server is not None
        listening = pair.dtls
        where = "callback_pair: handshake"
        for _ in range(20):
            done = self._call(where, "do_handshake", client.do_handshake)
            failed = self.last_failed()
            if listening:
                listen = server.DTLSv1_listen
                listening = not self._call(where, "DTLSv1_listen", listen)
            else:
                done = self._call(where, "do_handshake", server.do_handshake) and done
            if failed or self.last_failed():
                return
            if not self._pump(pair) and done:
                self.handshakes += 1
                break
        else:
            return
        for sender, receiver in ((client, server), (server, client)):
            self._call("callback_pair: send", "send", sender.send, b"data")
            self._pump(pair)
            self._call("callback_pair: recv", "recv", receiver.recv, 1024)
        if self._call("callback_pair: session", "get_session", client.get_session):
            self.world.add(self.last_result)
        if pair.tls12 and self._call(
            "callback_pair: renegotiate", "renegotiate", client.renegotiate
        ):
            for _ in range(6):
                for conn in (client, server):
                    self._call("callback_pair: renegotiate", "recv", conn.recv, 1024)
                self._pump(pair)
        self._call("callback_pair: shutdown", "shutdown", client.shutdown)
        self._pump(pair)
        self._call("callback_pair: shutdown", "shutdown", server.shutdown)

    def transition(self, step: Step) -> None:
        world = self.world
        name = step[1]
        if name == "gc":
            gc.collect(1)
            return
        if name == "new_pair":
            _, _, mode, client_index, server_index = step
            if not world.objects["Context"]:
                return
            self.transition_calls += 1
            # The contexts may carry fuzzed settings: making Connections from
            # them is itself a call to judge.
            self.invoke(
                "new_pair",
                "Connection",
                lambda: world.new_pair(mode, client_index, server_index),
            )
            return
        if name == "callback_pair":
            _, _, mode, chosen = step
            self.transition_calls += 1
            ok, pair = self.invoke(
                "callback_pair",
                "callback_pair",
                lambda: world.callback_pair(mode, chosen),
            )
            if ok:
                self.drive(pair)
            return
        if name == "set_context":
            _, _, conn_index, ctx_index = step
            conn = world.get("Connection", conn_index)
            ctx = world.get("Context", ctx_index)
            if conn is not None and ctx is not None:
                self._call("set_context", "set_context", conn.set_context, ctx)
            return
        if not world.pairs:
            return
        pair = world.pairs[step[2] % len(world.pairs)]
        if name == "pump":
            self._pump(pair)
        elif name == "handshake":
            rounds = step[3]
            for _ in range(rounds):
                done = True
                for conn in (pair.client, pair.server):
                    if conn is None:
                        continue
                    c = conn
                    if not self._call("handshake", "do_handshake", c.do_handshake):
                        done = False
                moved = self._pump(pair)
                if done and not moved:
                    self.handshakes += 1
                    break
        elif name == "data":
            sender, receiver = pair.side(step[3]), pair.side(1 - step[3])
            if sender is not None:
                s = sender
                self._call("data: send", "send", s.send, b"ping" * 10)
            self._pump(pair)
            if receiver is not None:
                r = receiver
                self._call("data: recv", "recv", r.recv, 65536)
        elif name == "shutdown":
            conn = pair.side(step[3])
            if conn is not None:
                c = conn
                self._call("shutdown", "shutdown", c.shutdown)
                self._pump(pair)
        elif name == "drop":
            # The peer vanishes: its Connection is dropped and, in socket
            # mode, its socket closed, so the other end sees EOF.
            which = step[3]
            conn = pair.side(which)
            if conn is None:
                return
            world.forget(conn)
            if which == 0:
                pair.client = None
                sock = pair.client_sock
            else:
                pair.server = None
                sock = pair.server_sock
            del conn
            if sock is not None:
                sock.close()
            gc.collect(1)
        elif name == "close_sock":
            sock = pair.client_sock if step[3] == 0 else pair.server_sock
            if sock is not None:
                sock.close()
        elif name == "eof":
            conn = pair.side(step[3])
            if conn is None:
                return
            if pair.mode == "memory":
                c = conn
                self._call("eof", "bio_shutdown", c.bio_shutdown)
            else:
                sock = pair.client_sock if step[3] == 0 else pair.server_sock
                if sock is not None and sock.fileno() >= 0:
                    sock.shutdown(socket.SHUT_WR)


TRANSITIONS = [
    "pump",
    "handshake",
    "data",
    "shutdown",
    "drop",
    "close_sock",
    "eof",
    "set_context",
    "new_pair",
    "callback_pair",
    "callback_pair",
    "gc",
]


def describe(step: Step) -> str:
    if step[0] == "t":
        return f"transition {step[1]}{step[2:]}"
    kind, target, _index, name, args, kwargs = step
    shown = ", ".join(_show(t) for t in args)
    if kwargs:
        shown += ", " + ", ".join(f"{k}={_show(t)}" for k, t in kwargs)
    if kind == "new":
        return f"{target}({shown})"
    return f"{target}.{name}({shown})"


def _show(token: Any) -> str:
    if token[0] == "v":
        return token[1]
    if token[0] == "o":
        return f"<{token[1]} #{token[2]}>"
    return repr(token[1])


def run_steps(steps: Sequence[Step], verbose: bool = False) -> Runner:
    """Run *steps* on a fresh World (no hypothesis): the replay path."""
    world = World()
    runner = Runner(world, verbose)
    try:
        for step in steps:
            runner.run(step)
    finally:
        world.close()
    return runner


# -- drawing steps with hypothesis ---------------------------------------------


_ATTRS = ["CN", "commonName", "O", "emailAddress", "C", "countryName", "OU"]
_ATTRS += ["ST", "serialNumber", "title", "bogus", "", "_private", "\xe9", "a\0b"]
_TEXT_ALPHABET = "abcXYZ019 .:-_/\0\n\xe9\u20ac\U0001f600\ud800"


class Drawer:
    """Makes the steps of a sequence, for the current state of a World.

    hypothesis draws one integer per step; the step is a pure function of
    it (and of the World), so hypothesis can replay, drop and simplify steps
    while one draw per step keeps its overhead small.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.rng = random.Random(0)

    def pct(self) -> int:
        return self.rng.randrange(100)

    def index(self) -> int:
        return self.rng.randrange(MAX_PER_KIND)

    def choice(self, items: Sequence[Any]) -> Any:
        return items[self.rng.randrange(len(items))]

    def literal(self) -> Any:
        rng = self.rng
        r = rng.randrange(3)
        if r == 0:
            if rng.randrange(2):
                return rng.randrange(-4, 300)
            bits = rng.choice([8, 16, 31, 32, 63, 64, 65, 128])
            return rng.choice([1, -1]) * rng.getrandbits(bits)
        if r == 1:
            return bytes(rng.getrandbits(8) for _ in range(rng.randrange(41)))
        return "".join(rng.choice(_TEXT_ALPHABET) for _ in range(rng.randrange(13)))

    def arg(self, hint: str) -> Any:
        r = self.pct()
        preferred = hint_values(hint) if hint else []
        if r < 70 and preferred:
            pick = self.choice(preferred)
            if pick.startswith("@"):
                return ("o", pick[1:], self.index())
            return ("v", pick)
        if r < 78:
            return ("o", self.choice(KINDS), self.index())
        if r < 90:
            return ("lit", self.literal())
        if r < 93:
            return ("v", self.choice(CALLABLE_NAMES))
        return ("v", self.choice(POOL_NAMES))

    def arguments(self, function: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        params = params_of(function)
        r = self.pct()
        if r < 75:
            count = required_count(function)
        elif r < 90:
            count = min(len(params), 4)
        else:
            count = self.rng.randrange(5)
        args = []
        for i in range(count):
            hint = params[i][1] if i < len(params) else ""
            args.append(self.arg(hint))
        kwargs: list[tuple[str, Any]] = []
        if self.pct() < 10:
            names = [p[0] for p in params] + ["as_cryptography", "bogus"]
            key = self.choice(names)
            kwargs.append((key, self.arg(dict(params).get(key, ""))))
        return tuple(args), tuple(kwargs)

    def step(self, seed: int) -> Step:
        self.rng.seed(seed)
        world = self.world
        r = self.pct()
        if r < 18:
            return self.transition_step()
        if r < 24:
            kind = self.choice(CONSTRUCTORS)
            args, kwargs = self.arguments(_CLASS_OF[kind].__init__)
            return ("new", kind, 0, "__init__", args, kwargs)
        if r < 32:
            module = self.choice(sorted(FUNCTIONS))
            name = self.choice(FUNCTIONS[module])
            args, kwargs = self.arguments(getattr(MODULES[module], name))
            return ("func", module, 0, name, args, kwargs)
        if r < 52:
            kind = "Connection"
        elif r < 64:
            kind = "Context"
        else:
            kind = self.choice(KINDS)
        index = self.index()
        if kind == "Context" and self.pct() < 60:
            # Configure a Context that has made no Connection yet more often
            # than not: a used one refuses every setter.
            contexts = world.objects["Context"]
            fresh = [i for i, ctx in enumerate(contexts) if not ctx._used]
            if fresh:
                index = self.choice(fresh)
        obj = world.get(kind, index)
        if obj is None:
            return ("t", "gc")
        if kind == "X509Name" and self.pct() < 40:
            attr = ("lit", self.choice(_ATTRS))
            if self.pct() < 50:
                return ("call", kind, index, "getattr", (attr,), ())
            return ("call", kind, index, "setattr", (attr, self.arg("str")), ())
        names = methods_of(type(obj))
        if kind == "Connection":
            # A memory-BIO Connection has no socket-mode methods (reading one
            # raises AttributeError, as in pyOpenSSL): draw from what it has.
            names = [name for name in names if hasattr(obj, name)]
        name = self.choice(names)
        args, kwargs = self.arguments(getattr(obj, name))
        return ("call", kind, index, name, args, kwargs)

    def transition_step(self) -> Step:
        name = self.choice(TRANSITIONS)
        side = self.rng.randrange(2)
        if name == "gc":
            return ("t", name)
        # Half the time the newest pair (index -1), the one made last.
        pair = -1 if self.pct() < 50 else self.index()
        if name == "pump":
            return ("t", name, pair)
        if name == "handshake":
            return ("t", name, pair, self.choice([1, 2, 3, 20, 20]))
        if name in ("data", "shutdown", "drop", "close_sock", "eof"):
            return ("t", name, pair, side)
        if name == "set_context":
            return ("t", name, self.index(), self.index())
        if name == "callback_pair":
            mode = self.choice(["memory", "tls12", "socket", "dtls"])
            chosen = tuple(
                (self.choice(CALLBACK_KINDS), self.choice(CALLABLE_NAMES))
                for _ in range(1 + self.rng.randrange(3))
            )
            return ("t", name, mode, chosen)
        mode = self.choice(["memory", "socket"])
        contexts = self.world.objects["Context"]
        fresh = [i for i, ctx in enumerate(contexts) if not ctx._used]
        ends = [self.index(), self.index()]
        for end in (0, 1):
            if fresh and self.pct() < 60:
                ends[end] = self.choice(fresh)
        return ("t", name, mode, ends[0], ends[1])


# -- the driver ----------------------------------------------------------------


class Driver:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sequences = 0
        self.calls = 0
        self.transition_calls = 0
        self.skipped = 0
        self.handshakes = 0
        self.last_steps: list[Step] = []
        self.findings: dict[str, tuple[str, list[Step], str]] = {}

    def sequence(self, data: Any) -> None:
        world = World()
        runner = Runner(world, self.args.verbose)
        drawer = Drawer(world)
        steps: list[Step] = []
        self.last_steps = steps
        self.sequences += 1
        if self.args.verbose:
            print(f"SEQUENCE {self.sequences}", flush=True)
        try:
            count = data.draw(STRATEGIES_STEPS)
            for _ in range(count):
                step = drawer.step(data.draw(STEP_SEEDS))
                steps.append(step)
                try:
                    runner.run(step)
                except Finding as finding:
                    if not self.args.keep_going:
                        raise
                    self.note(finding, steps)
                    lib.ERR_clear_error()
        finally:
            self.calls += runner.calls
            self.transition_calls += runner.transition_calls
            self.skipped += runner.skipped
            self.handshakes += runner.handshakes
            world.close()

    def note(self, finding: Finding, steps: list[Step]) -> None:
        if finding.signature in self.findings:
            return
        text = "".join(
            traceback.format_exception(type(finding), finding, finding.__traceback__)
        )
        self.findings[finding.signature] = (str(finding), list(steps), text)
        print(f"FINDING [{finding.signature}] {finding}", flush=True)

    def run(self) -> int:
        global STRATEGIES_STEPS, STEP_SEEDS
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as hypothesis_seed
        from hypothesis import strategies as st

        STEP_SEEDS = st.integers(0, 2**32 - 1)
        STRATEGIES_STEPS = st.integers(1, self.args.steps)
        phases = [Phase.generate]
        if not self.args.keep_going:
            phases.append(Phase.shrink)
        test = settings(
            max_examples=self.args.examples,
            database=None,
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            phases=phases,
            report_multiple_bugs=False,
            print_blob=False,
        )(given(st.data())(self.sequence))
        test = hypothesis_seed(self.args.seed)(test)
        try:
            test()
        except Finding as finding:
            report(self.args, str(finding), self.last_steps, finding)
            return 1
        except Exception as exc:
            # hypothesis reports a failure it could not reproduce as Flaky;
            # the steps of the last sequence run are still the best lead.
            message = f"{type(exc).__name__} (last sequence shown): {exc}"
            report(self.args, message, self.last_steps, exc)
            return 1
        if self.findings:
            for signature, (message, steps, text) in self.findings.items():
                report(self.args, f"[{signature}] {message}", steps, None, text)
            return 1
        return 0


STRATEGIES_STEPS: Any = None
STEP_SEEDS: Any = None


def report(
    args: argparse.Namespace,
    message: str,
    steps: Sequence[Step],
    exc: Optional[BaseException],
    text: Optional[str] = None,
) -> None:
    print("=" * 72)
    print(f"FINDING: {message}")
    print(f"seed: {args.seed}  examples: {args.examples}  steps: {args.steps}")
    print(
        "reproduce: python -m tests.reliability.fuzz_api_ssl "
        f"--seed {args.seed} --examples {args.examples} --steps {args.steps}"
    )
    print("steps (save to a file, one per line, and run with --replay FILE):")
    for step in steps:
        print(repr(step))
    print("readable:")
    for i, step in enumerate(steps):
        print(f"  {i:3d}. {describe(step)}")
    print("traceback:")
    if text is None and exc is not None:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    print(text, flush=True)


def _install_hooks() -> None:
    def unraisable(event: Any) -> None:
        TRACE.unraisable.append(
            f"{event.exc_type.__name__}: {event.exc_value} in {event.object!r}"
        )

    def excepthook(exc_type: Any, exc: BaseException, tb: Any) -> None:
        # The servername callback reports its exceptions here.
        TRACE.excepthook.append(exc)
        if TRACE.outside:
            sys.__excepthook__(exc_type, exc, tb)

    def showwarning(message: Any, category: Any, *rest: Any, **kw: Any) -> None:
        TRACE.warnings.append(f"{category.__name__}: {message}")

    sys.unraisablehook = unraisable
    sys.excepthook = excepthook
    warnings.showwarning = showwarning
    warnings.resetwarnings()
    warnings.simplefilter("always")
    for category in (DeprecationWarning, PendingDeprecationWarning, ResourceWarning):
        warnings.simplefilter("ignore", category)


def _detach_terminal() -> None:
    # OpenSSL's default passphrase prompt reads /dev/tty (as with pyOpenSSL,
    # Context.use_privatekey_file on an encrypted key without set_passwd_cb
    # asks there). Without a controlling terminal it fails instead of waiting.
    try:
        os.setsid()
    except OSError:
        pass


def _read_steps(path: str) -> Iterator[Step]:
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if line.startswith("("):
                yield ast.literal_eval(line)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--examples", type=int, default=100, help="sequences to run")
    parser.add_argument("--steps", type=int, default=40, help="max steps a sequence")
    parser.add_argument("--verbose", action="store_true", help="print each step")
    parser.add_argument("--keep-going", action="store_true")
    parser.add_argument("--stats", action="store_true", help="print outcomes")
    parser.add_argument("--replay", help="run the steps in this file instead")
    args = parser.parse_args(argv)
    _detach_terminal()
    _install_hooks()
    fixtures()
    if args.replay:
        steps = list(_read_steps(args.replay))
        try:
            runner = run_steps(steps, verbose=args.verbose)
        except Finding as finding:
            report(args, str(finding), steps, finding)
            return 1
        print(f"replayed {len(steps)} steps: no finding ({runner.calls} calls)")
        return 0
    driver = Driver(args)
    status = driver.run()
    if args.stats:
        for (label, outcome), count in sorted(OUTCOMES.items()):
            print(f"{count:7d}  {label:45s} {outcome}")
    emit_figures(
        {
            "calls": driver.calls,
            "sequences": driver.sequences,
            "transition calls": driver.transition_calls,
            "handshakes": driver.handshakes,
            "skipped": driver.skipped,
        }
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
