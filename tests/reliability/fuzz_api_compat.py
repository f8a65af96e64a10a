"""API fuzzer for ``OpenSSL.ssl_compat`` (run in a child interpreter).

.. list-table:: What each test checks, and where its verdict is computed
   :header-rows: 1

   * - test (``test_fuzz_api_compat.py``)
     - checks
     - verdict computed in
   * - ``test_fuzz_fixed_seed``, ``test_fuzz_fresh_seed`` (long profile)
     - random call sequences on ssl_compat objects: documented exceptions
       only (or what the stdlib raises too), clean error queue, nothing
       unraisable, no hang
     - :meth:`World.invoke` and :func:`_twin_raises` (each call),
       :meth:`World.check_clean` (each step), :class:`Watchdog` (hangs)
       here; :func:`main` exits 1 (finding) or 3 (hang) and
       ``subproc.run_driver`` fails the test; the test checks calls ran
   * - ``test_the_fuzzer_reports_a_planted_defect``
     - ``--plant``: each planted defect ends the driver with a finding
     - the test (exit status and output)
   * - the other tests
     - one defect the fuzzer found each
     - the tests

``python -m tests.reliability.fuzz_api_compat --seed N --examples M``

Each hypothesis example is one *sequence*: a fresh world of ssl_compat
objects (client and server ``SSLContext``s, an ``SSLObject`` pair over
``MemoryBIO``s, an ``SSLSocket`` over a socket pair whose far end is driven
by a stdlib ``SSLObject``, ...) on which random steps run. Hypothesis draws
the length and the seed of the ``random.Random`` that makes the choices
(drawing every choice through hypothesis cost five times the calls). Steps:

* **calls**: a method or property of a live object, found by introspection
  (``SSLContext``, ``SSLSocket``, ``SSLObject``, ``MemoryBIO``,
  ``SSLSession``, the module's functions), with arguments drawn from a pool
  of good values for the parameter's name and of plain garbage (``None``,
  huge ints, NUL bytes, read-only buffers, closed sockets, callables that
  raise :class:`Marker` or return the wrong type, ...);
* **transitions** (:data:`TRANSITIONS`): pump bytes between the ends, take a
  handshake part-way or to the end, unwrap, close the TLS socket or the raw
  one, make the peer vanish, ``write_eof`` a ``MemoryBIO``, drop objects.

Every call must return or raise one of ``outcomes.COMPAT_DOCUMENTED``, with
``OverflowError`` only when the call was given a number that can overflow
(negative, or past 2**16); the :class:`Marker` of a callback only where the
stdlib lets it through (the ``load_cert_chain`` password callable; any TLS
call once a context has a ``_msg_callback``, whose exceptions CPython raises
from the call that drove OpenSSL, or a ``set_verify_callback``, whose
exceptions come out of the handshake unchanged as ``doc/ssl_compat_beyond.rst``
documents) or as the ``__cause__`` of an ``SSLError``
(``sni_callback``, as ``doc/ssl_compat.rst`` documents); other exceptions
(``AttributeError``, ``BufferError``, ...) only where the stdlib raises them
for the same call (:data:`STDLIB_RAISES_TOO`, checked by hand; the pure
module functions are compared with ``ssl``'s own at run time, which must
also agree when it refuses a type with TypeError).
After every step OpenSSL's error queue must be empty and no exception may
have gone to ``sys.unraisablehook``. Anything else is a *finding*: the seed,
the step list and the traceback are printed and the driver exits with status
1. A blocked step is unblocked by a watchdog thread that makes the peers
vanish (the outcome is then an EOF, which is documented); a step still
running after ``--hang-after`` seconds is reported as a hang (status 3).
``--plant`` puts a known defect in, for the suite's self-test.
"""

from __future__ import annotations

import argparse
import copy
import faulthandler
import gc
import inspect
import os
import random
import socket
import ssl
import sys
import tempfile
import threading
import time
import traceback
import warnings
from pathlib import Path
from typing import Any, Callable, Optional

from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from OpenSSL import ssl_compat
from OpenSSL._util import ffi, lib
from tests.reliability.fuzz_api_compat_values import (
    BOOL_PARAMETERS,
    Hostile,
    Marker,
    has_big_number,
    has_hostile,
    labelled,
    smart_table,
    static_values,
)
from tests.reliability.outcomes import COMPAT_DOCUMENTED
from tests.reliability.subproc import emit_figures
from tests.support import files

KILL_AFTER = 0.05  # seconds a step may block before the peers vanish


class Finding(Exception):
    """A defect: an undocumented outcome, a leftover error, a hang."""


#: Exceptions outside the documented list that the stdlib ``ssl`` raises
#: itself for the same call (each checked by hand against CPython 3.11):
#: ``(type or function name, member)`` -> exception types.
STDLIB_RAISES_TOO: dict[tuple[str, str], tuple[type[BaseException], ...]] = {
    # sock.getsockopt(...) on a non-socket, in SSLSocket._create.
    ("SSLContext", "wrap_socket"): (AttributeError,),
    ("wrap_socket", "__call__"): (AttributeError,),
    # server_hostname.decode(...) on a non-str, in SSLContext._encode_hostname.
    ("SSLContext", "wrap_bio"): (AttributeError,),
    # cert.get(...) on a non-dict certificate (stdlib: the same for a str
    # hostname; for a non-str one it fails on the hostname first).
    ("match_hostname", "__call__"): (AttributeError,),
    # A non-contiguous buffer to write/send (unwrapped: the socket's own).
    ("SSLObject", "write"): (BufferError,),
    ("SSLSocket", "write"): (BufferError,),
    ("SSLSocket", "send"): (BufferError,),
    ("SSLSocket", "sendall"): (BufferError,),
    ("SSLSocket", "sendto"): (BufferError,),
    ("MemoryBIO", "write"): (BufferError,),
    # socket.makefile/sendfile themselves (inherited by both): an unknown
    # encoding; file.seek on a non-file in socket._sendfile_use_send.
    ("SSLSocket", "makefile"): (LookupError,),
    ("SSLSocket", "sendfile"): (AttributeError,),
}

#: Module functions whose exceptions are compared with the stdlib's twin.
STDLIB_TWINS: dict[str, Callable[..., Any]] = {
    name: getattr(ssl, name)
    for name in (
        *("cert_time_to_seconds", "DER_cert_to_PEM_cert", "PEM_cert_to_DER_cert"),
        *("RAND_add", "RAND_status", "get_protocol_name", "match_hostname"),
    )
    if hasattr(ssl, name)
}

# Twins whose TypeError ours must share: taking a wrong type there means
# building bytes from it (bytes(2**40) is a terabyte). get_protocol_name and
# match_hostname are only more lenient than the stdlib's, which is harmless.
_STRICT_TWINS = {"DER_cert_to_PEM_cert", "PEM_cert_to_DER_cert", "RAND_add"}
_STRICT_TWINS |= {"cert_time_to_seconds", "RAND_status"}

# Members never called: they act on the process or the network, not on TLS;
# or they are slow and add no state (the system bundle, the cipher table).
SKIP_MEMBERS = {
    *("bind", "listen", "setsockopt", "ioctl", "share", "sendmsg_afalg"),
    *("set_inheritable", "enum_certificates", "enum_crls", "load_default_certs"),
    *("set_default_verify_paths", "get_ciphers"),
}


def _members(cls: type) -> list[tuple[str, str]]:
    """``(kind, name)`` for the public API of *cls*: call/get/set."""
    out = []
    for name in sorted(dir(cls)):
        if name.startswith("__") or name in SKIP_MEMBERS:
            continue
        if name.startswith("_") and name != "_msg_callback":
            continue
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, property):
            out.append(("get", name))
            if attr.fset is not None:
                out.append(("set", name))
        elif callable(attr) or isinstance(attr, (classmethod, staticmethod)):
            if isinstance(attr, (classmethod, type)):
                continue
            out.append(("call", name))
        elif type(attr).__name__ in ("getset_descriptor", "member_descriptor"):
            out.append(("get", name))
    return out


MODULE_FUNCTIONS = sorted(
    name
    for name in ssl_compat.__all__
    if inspect.isfunction(getattr(ssl_compat, name))
    and name not in SKIP_MEMBERS
    and not name.startswith("_")
)
CONSTRUCTORS = ["SSLContext", "MemoryBIO", "SSLSession", "SSLSocket", "SSLObject"]

_MEMBER_CACHE: dict[type, list[tuple[str, str]]] = {}


def members_of(obj: Any) -> list[tuple[str, str]]:
    cls = type(obj)
    known = _MEMBER_CACHE.get(cls)
    if known is None:
        known = _MEMBER_CACHE[cls] = _members(cls)
    return known


def _signature(func: Any) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return []


# -- the world of one sequence --------------------------------------------------


class SocketEnd:
    """A raw socket end or an SSLSocket, and the far end the fuzzer drives."""

    def __init__(self, sock: Any, peer: Optional[socket.socket]) -> None:
        self.sock = sock
        self.peer = peer
        self.peer_tls: Any = None  # stdlib SSLObject on the far end
        self.peer_in = ssl.MemoryBIO()
        self.peer_out = ssl.MemoryBIO()
        self.backlog = b""  # TLS bytes the far end still has to send


class Pair:
    """Two ssl_compat SSLObjects wired through four memory BIOs."""

    def __init__(self, client: Any, server: Any, bios: list[Any]) -> None:
        self.client = client
        self.server = server
        self.c_in, self.c_out, self.s_in, self.s_out = bios


class World:
    """Everything one sequence works on; ``log`` is its step list."""

    def __init__(self, shared: Shared, rng: random.Random) -> None:
        self.shared = shared
        self.rng = rng
        self.log: list[str] = []
        self.calls = 0
        self.contexts: list[Any] = []
        self.server_contexts: list[Any] = []
        self.sockets: list[SocketEnd] = []
        self.pairs: list[Pair] = []
        self.objects: list[Any] = []  # SSLObjects without a wired peer
        self.bios: list[Any] = []
        self.sessions: list[Any] = []
        # Set once a context got a callable ``_msg_callback``: its exception
        # then comes out of the TLS call that drove OpenSSL, as in CPython.
        self.tracing = False
        # Set once a context got a callable ``set_verify_callback``: its
        # exception fails the handshake and comes out of ``do_handshake()``
        # (or the call that drove the handshake) unchanged -- the documented
        # behaviour of issue 16 (doc/ssl_compat_beyond.rst), not an escape.
        self.verifying = False
        self.others: list[Any] = []  # sockets that are closed, listeners, UDP
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.setblocking(False)
        self.listener_address = self.listener.getsockname()
        self.others.append(self.listener)
        # new_raw's own listener: the fuzzer never sees it (wrap_socket
        # would detach it).
        self.acceptor = socket.socket()
        self.acceptor.bind(("127.0.0.1", 0))
        self.acceptor.listen(8)
        self.acceptor.setblocking(False)
        self.others_private = [self.acceptor]
        self.static = shared.static_values()
        self._callables: list[tuple[str, Any]] = []
        self.callback_runs = 0
        self.handshakes = 0

    # -- drawing ---------------------------------------------------------------

    def pick(self, items: list[Any], label: str) -> Any:
        index = self.rng.randrange(len(items))
        return items[index]

    def flip(self, probability_label: str) -> bool:
        return self.rng.random() < 0.5

    # -- making objects --------------------------------------------------------

    def new_server_context(self) -> Any:
        kind = self.pick(["server", "tls", "default-client-auth"], "server ctx")
        if kind == "server":
            ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
        elif kind == "tls":
            ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS)
        else:
            ctx = ssl_compat.create_default_context(ssl_compat.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.shared.certfile, self.shared.keyfile)
        self.contexts.append(ctx)
        self.server_contexts.append(ctx)
        return ctx

    def new_client_context(self) -> Any:
        kind = self.pick(["default", "client", "tls12"], "client ctx")
        if kind == "default":
            ctx = ssl_compat.create_default_context(cafile=self.shared.cafile)
        elif kind == "client":
            ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(self.shared.cafile)
        else:
            ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLSv1_2)
        self.contexts.append(ctx)
        return ctx

    def new_bio(self) -> Any:
        bio = ssl_compat.MemoryBIO() if self.flip("our bio") else ssl.MemoryBIO()
        self.bios.append(bio)
        return bio

    def new_pair(self) -> None:
        client_ctx = self.pick(self.contexts, "pair client ctx")
        server_ctx = self.pick(self.server_contexts, "pair server ctx")
        bios = [self.new_bio() for _ in range(4)]
        session = self.pick(self.sessions, "resume") if self.sessions else None
        client = self.invoke(
            f"wrap_bio(client, session={session!r})",
            client_ctx.wrap_bio,
            bios[0],
            bios[1],
            server_hostname="localhost",
            session=session if self.flip("resume") else None,
        )
        server = self.invoke(
            "wrap_bio(server)", server_ctx.wrap_bio, bios[2], bios[3], server_side=True
        )
        if client is not None and server is not None:
            self.pairs.append(Pair(client, server, bios))

    def new_raw(self) -> SocketEnd:
        kind = self.pick(["pair", "tcp"], "raw kind")
        if kind == "pair":
            mine, peer = socket.socketpair()
        else:
            mine = socket.create_connection(self.acceptor.getsockname())
            peer = None
            for _ in range(100):
                try:
                    peer, _addr = self.acceptor.accept()
                    break
                except BlockingIOError:
                    time.sleep(0.001)
            assert peer is not None
        peer.setblocking(False)
        mine.settimeout(self.pick([0.0, None, 0.01], "raw timeout"))
        end = SocketEnd(mine, peer)
        self.sockets.append(end)
        return end

    def new_tls_socket(self) -> None:
        end = self.new_raw()
        end.sock.setblocking(False)
        server_side = self.flip("socket server side")
        if server_side:
            ctx = self.pick(self.server_contexts, "socket ctx")
            kwargs: dict[str, Any] = {"server_side": True}
        else:
            ctx = self.pick(self.contexts, "socket ctx")
            kwargs = {"server_hostname": "localhost"}
        raw = end.sock
        tls = self.invoke(
            "wrap_socket", ctx.wrap_socket, raw, do_handshake_on_connect=False, **kwargs
        )
        if tls is not None:
            end.sock = tls
            self.others.append(raw)
            if self.flip("with timeout"):
                tls.settimeout(0.01)

    def values(self) -> list[tuple[str, Any]]:
        """The garbage pool: plain values plus the world's live objects."""
        pool = [*self.static, ("Hostile()", Hostile()), ("[Hostile()]", [Hostile()])]
        pool += [(f"ctx#{i}", c) for i, c in enumerate(self.contexts)]
        pool += [(f"sock#{i}", e.sock) for i, e in enumerate(self.sockets)]
        pool += [(f"bio#{i}", b) for i, b in enumerate(self.bios)]
        pool += [(f"session#{i}", s) for i, s in enumerate(self.sessions)]
        pool += [(f"obj#{i}", o) for i, o in enumerate(self.objects)]
        pool += [(f"other#{i}", o) for i, o in enumerate(self.others)]
        pool += self.callables()
        return pool

    def callables(self) -> list[tuple[str, Any]]:
        """Callbacks: raising, wrong types, re-entering, switching, correct."""
        if self._callables:
            return self._callables
        world = self

        def counted(func: Callable[..., Any]) -> Callable[..., Any]:
            def callback(*args: Any) -> Any:
                world.callback_runs += 1
                try:
                    return func(*args)
                except Marker:
                    raise
                except Exception as exc:
                    # What a re-entering call raised, or obj=None for a
                    # password callback: the callback's own exception.
                    raise Marker(f"callback failed: {exc!r}") from exc

            return callback

        def raiser(*args: Any) -> Any:
            raise Marker("raised by a fuzzer callback")

        def switch(obj: Any = None, *args: Any) -> Any:
            obj.context = world.server_contexts[-1]

        self._callables = [
            ("cb:raiser", counted(raiser)),
            ("cb:wrong_type", counted(lambda *a: "not what was asked for")),
            ("cb:huge", counted(lambda *a: 10**30)),
            (
                "cb:alert",
                counted(lambda *a: ssl_compat.ALERT_DESCRIPTION_ACCESS_DENIED),
            ),
            ("cb:fine", counted(lambda *a: None)),
            ("cb:password", counted(lambda *a: b"fuzz-password")),
            ("cb:switch_context", counted(switch)),
            ("cb:reenter_handshake", counted(lambda obj=None, *a: obj.do_handshake())),
            ("cb:read_inside", counted(lambda obj=None, *a: obj.read(10))),
            ("cb:unwrap_inside", counted(lambda obj=None, *a: obj.unwrap())),
            ("cb:drop_context", counted(lambda obj=None, *a: world.forget(obj))),
        ]
        return self._callables

    def forget(self, obj: Any) -> None:
        """Drop the world's references to *obj* and its contexts (in a callback)."""
        for items in (self.objects, self.contexts, self.server_contexts):
            if len(items) > 1:
                items.pop()
        self.pairs = [p for p in self.pairs if obj not in (p.client, p.server)]

    # -- calling -----------------------------------------------------------------

    def invoke(
        self,
        label: str,
        func: Callable[..., Any],
        *args: Any,
        marker_ok: bool = False,
        twin: Optional[Callable[..., Any]] = None,
        key: Optional[tuple[str, str]] = None,
        **kwargs: Any,
    ) -> Any:
        """One fuzzed call on ssl_compat; judge its outcome."""
        self.log.append(label)
        self.calls += 1
        self.shared.watchdog.begin(self)
        returned = False
        try:
            result = func(*args, **kwargs)
            returned = True
            if label.endswith("do_handshake()"):
                self.handshakes += 1
        except OverflowError:
            # Python's answer for a number too big for its C type: only
            # where the call was given one (a stored timeout or flags that
            # overflow later are a defect).
            if not has_big_number(args) and not has_big_number(kwargs.values()):
                self.finding(f"OverflowError without a big number from {label}")
            result = None
        except COMPAT_DOCUMENTED:
            result = None
        except Marker:
            hostile = has_hostile(args) or has_hostile(kwargs.values())
            documented = self.tracing or self.verifying
            if not marker_ok and not hostile and not documented:
                self.finding(f"the callback's Marker escaped from {label}")
            result = None
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            same = STDLIB_RAISES_TOO.get(key or ("", ""), ())
            if not isinstance(exc, same) and not _twin_raises(
                twin, args, kwargs, type(exc)
            ):
                self.finding(f"undocumented {type(exc).__name__} from {label}")
            result = None
        finally:
            self.shared.watchdog.end()
        strict = getattr(twin, "__name__", "") in _STRICT_TWINS
        if returned and strict and _twin_raises(twin, args, kwargs, TypeError):
            self.finding(f"{label} took what the stdlib refuses with TypeError")
        self.check_clean(label)
        self.adopt(result, args, kwargs)
        return result

    def check_clean(self, label: str) -> None:
        if lib.ERR_peek_error() != 0:
            entries = []
            while True:
                code = lib.ERR_get_error()
                if code == 0:
                    break
                entries.append(
                    (
                        _text(lib.ERR_lib_error_string(code)),
                        _text(lib.ERR_reason_error_string(code)),
                    )
                )
            self.finding(f"OpenSSL error queue not empty after {label}: {entries}")
        unraisable = self.shared.unraisable
        if unraisable:
            text = "\n".join(unraisable)
            unraisable.clear()
            self.finding(f"an exception went to sys.unraisablehook:\n{text}")

    def adopt(self, result: Any, args: Any, kwargs: Any) -> None:
        """Keep what a call made, so later steps can use it."""
        if isinstance(result, ssl_compat.SSLSession):
            if len(self.sessions) < 8:
                self.sessions.append(result)
        elif isinstance(result, ssl_compat.SSLContext):
            if len(self.contexts) < 12:
                self.contexts.append(result)
        elif isinstance(result, ssl_compat.SSLObject):
            if len(self.objects) < 8:
                self.objects.append(result)
        elif isinstance(result, ssl_compat.MemoryBIO):
            if len(self.bios) < 16:
                self.bios.append(result)
        elif isinstance(result, ssl_compat.SSLSocket):
            raw = args[0] if args else kwargs.get("sock")
            for end in self.sockets:
                if end.sock is raw:
                    if end.sock is not result:
                        self.others.append(raw)
                    end.sock = result
                    return
            self.sockets.append(SocketEnd(result, None))
        elif isinstance(result, tuple) and len(result) == 2:
            if isinstance(result[0], ssl_compat.SSLSocket):
                self.sockets.append(SocketEnd(result[0], None))

    def finding(self, what: str) -> None:
        raise Finding(what)

    # -- the arguments -------------------------------------------------------------

    def argument(self, owner: str, name: str) -> tuple[str, Any]:
        smart = self.shared.smart(self, owner, name)
        if smart and self.rng.randrange(4) != 0:
            return self.pick(smart, f"{name} (smart)")
        return self.pick(self.values(), f"{name} (any)")

    def arguments(
        self, owner: str, func: Any, fixed: int = 0
    ) -> tuple[list[Any], dict[str, Any], str]:
        params = _signature(func)[fixed:]
        if not params:
            names = _BUILTIN_PARAMETERS.get(getattr(func, "__name__", ""), ())
            params = [
                inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in names
            ]
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        shown: list[str] = []
        keyword = False
        for param in params:
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            has_default = param.default is not param.empty
            if has_default and self.flip(f"skip {param.name}"):
                keyword = True
                continue
            label, value = self.argument(owner, param.name)
            if keyword or param.kind == param.KEYWORD_ONLY:
                kwargs[param.name] = value
                shown.append(f"{param.name}={label}")
            else:
                args.append(value)
                shown.append(label)
        if self.rng.randrange(16) == 0:
            label, value = self.pick(self.values(), "extra")
            args.append(value)
            shown.append(label)
        return args, kwargs, ", ".join(shown)

    # -- steps ---------------------------------------------------------------------

    def targets(self) -> list[tuple[str, Any]]:
        """The objects of one kind (drawn first, so that kinds get even turns)."""
        kind = self.pick(_TARGET_KINDS, "target kind")
        out: list[tuple[str, Any]] = []
        if kind == "context":
            out = [(f"ctx#{i}", c) for i, c in enumerate(self.contexts)]
        elif kind == "socket":
            for i, end in enumerate(self.sockets):
                if isinstance(end.sock, ssl_compat.SSLSocket):
                    out.append((f"sock#{i}", end.sock))
        elif kind == "object":
            for i, pair in enumerate(self.pairs):
                out.append((f"pair#{i}.client", pair.client))
                out.append((f"pair#{i}.server", pair.server))
            out += [(f"obj#{i}", o) for i, o in enumerate(self.objects)]
        elif kind == "bio":
            out = [
                (f"bio#{i}", b)
                for i, b in enumerate(self.bios)
                if isinstance(b, ssl_compat.MemoryBIO)
            ]
        elif kind == "session":
            out = [(f"session#{i}", s) for i, s in enumerate(self.sessions)]
        return out or [("module", ssl_compat)]

    def step_call(self) -> None:
        name, target = self.pick(self.targets(), "target")
        if target is ssl_compat:
            self.call_module()
            return
        kind, member = self.pick(members_of(target), f"member of {name}")
        if member in _TLS_MEMBERS and self.flip("stay on TLS"):
            pass  # the TLS members come up twice as often
        elif self.rng.randrange(3) != 0:
            tls = [m for m in members_of(target) if m[1] in _TLS_MEMBERS]
            if tls:
                kind, member = self.pick(tls, f"TLS member of {name}")
        owner = type(target).__name__
        key = (owner, member)
        if kind == "get":
            self.invoke(f"{name}.{member}", getattr, target, member, key=key)
        elif kind == "set":
            label, value = self.argument(owner, member)
            if member == "_msg_callback" and callable(value):
                self.tracing = True
            self.invoke(
                f"{name}.{member} = {label}",
                setattr,
                target,
                member,
                value,
                marker_ok=False,
                key=key,
            )
        else:
            func = getattr(target, member)
            args, kwargs, shown = self.arguments(owner, func)
            if member == "set_verify_callback" and any(
                callable(value) for value in [*args, *kwargs.values()]
            ):
                self.verifying = True
            self.invoke(
                f"{name}.{member}({shown})",
                func,
                *args,
                marker_ok=member == "load_cert_chain",
                key=key,
                **kwargs,
            )

    def call_module(self) -> None:
        name = self.pick(MODULE_FUNCTIONS + CONSTRUCTORS, "module function")
        func = getattr(ssl_compat, name)
        args, kwargs, shown = self.arguments(name, func)
        if name == "get_server_certificate":
            # Never the network: only the closed port (or garbage) as address.
            if args and not _safe_address(args[0], self.shared.closed_port):
                args[0] = ("127.0.0.1", self.shared.closed_port)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.invoke(
                f"ssl_compat.{name}({shown})",
                func,
                *args,
                twin=STDLIB_TWINS.get(name),
                key=(name, "__call__"),
                **kwargs,
            )

    def run(self, steps: int) -> None:
        self.new_client_context()
        self.new_server_context()
        self.new_pair()
        self.new_tls_socket()
        for _ in range(steps):
            kind = self.pick(_STEP_KINDS, "step kind")
            if kind == "call":
                self.step_call()
            elif kind == "transition":
                name = self.pick(sorted(TRANSITIONS), "transition")
                self.log.append(f"-- {name}")
                TRANSITIONS[name](self)
                self.check_clean(name)
            else:
                self.create()

    def create(self) -> None:
        what = self.pick(["client ctx", "server ctx", "pair", "socket", "raw"], "new")
        self.log.append(f"-- new {what}")
        if what == "client ctx" and len(self.contexts) < 10:
            self.new_client_context()
        elif what == "server ctx" and len(self.contexts) < 10:
            self.new_server_context()
        elif what == "pair" and len(self.pairs) < 4:
            self.new_pair()
        elif what == "socket" and len(self.sockets) < 6:
            self.new_tls_socket()
        elif what == "raw" and len(self.sockets) < 6:
            self.new_raw()
        self.check_clean(f"new {what}")

    # -- peers ---------------------------------------------------------------------

    def kill_all(self) -> None:
        """Shut every socket down (the watchdog's second resort)."""
        for end in list(self.sockets):
            try:
                socket.socket.shutdown(end.sock, socket.SHUT_RDWR)
            except (OSError, ValueError, TypeError):
                pass

    def kill_peers(self) -> None:
        """Make every far end vanish (the watchdog calls this from its thread)."""
        for end in list(self.sockets):
            peer = end.peer
            if peer is not None:
                try:
                    peer.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for other in list(self.others) + [e.sock for e in self.sockets]:
            try:
                if other.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                    socket.socket.shutdown(other, socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass

    def close(self) -> None:
        for end in self.sockets:
            for sock in (end.sock, end.peer):
                try:
                    if sock is not None:
                        sock.close()
                except OSError:
                    pass
        for other in self.others + self.others_private:
            try:
                other.close()
            except OSError:
                pass


def _text(pointer: Any) -> str:
    return "" if pointer == ffi.NULL else ffi.string(pointer).decode("ascii", "replace")


def _safe_address(addr: Any, closed_port: int) -> bool:
    if isinstance(addr, tuple) and len(addr) >= 1 and isinstance(addr[0], str):
        return addr[0] == "127.0.0.1" and addr[1:2] in ((closed_port,), (-1,), (70000,))
    return not isinstance(addr, (tuple, list))


def _twin_raises(
    twin: Optional[Callable[..., Any]],
    args: Any,
    kwargs: Any,
    kind: type[BaseException],
) -> bool:
    """Whether the stdlib's own function raises *kind* for the same call."""
    if twin is None:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            twin(*args, **kwargs)
    except kind:
        return True
    except BaseException:
        return False
    return False


# Parameters of socket methods written in C (no signature to introspect).
_BUILTIN_PARAMETERS = {
    "settimeout": ("value",),
    "setblocking": ("flag",),
    "getsockopt": ("level", "optname", "buflen"),
}
_TARGET_KINDS = ["module"] * 2 + ["context"] * 3 + ["socket"] * 4 + ["object"] * 4
_TARGET_KINDS += ["bio", "session"]
# SSLSocket has the whole socket API too; these are where TLS happens.
_TLS_MEMBERS = {
    *("read", "write", "recv", "recv_into", "send", "sendall", "do_handshake"),
    *("unwrap", "getpeercert", "pending", "version", "cipher", "session"),
    *("context", "settimeout", "setblocking"),
    *("get_channel_binding", "verify_client_post_handshake", "shared_ciphers"),
    *("get_verified_chain", "get_unverified_chain", "selected_alpn_protocol"),
    *("connect", "connect_ex", "accept", "session_reused", "makefile"),
}
_STEP_KINDS = ["call"] * 7 + ["transition"] * 3 + ["create"]


# -- transitions ---------------------------------------------------------------


def _pump_pair(world: World, pair: Pair) -> None:
    for source, sink in ((pair.c_out, pair.s_in), (pair.s_out, pair.c_in)):
        try:
            data = source.read()
            if data:
                sink.write(data)
        except ssl.SSLError:
            pass  # written after write_eof: the bytes are lost, as on a wire


def _pump_socket(world: World, end: SocketEnd) -> None:
    """Run the stdlib far end of one socket for a moment."""
    peer = end.peer
    if peer is None or peer.fileno() < 0:
        return
    sock = end.sock
    if end.peer_tls is None and isinstance(sock, ssl_compat.SSLSocket):
        server_side = not sock.server_side
        ctx = world.shared.peer_server if server_side else world.shared.peer_client
        end.peer_tls = ctx.wrap_bio(end.peer_in, end.peer_out, server_side=server_side)
    try:
        while True:
            chunk = peer.recv(65536)
            if not chunk:
                end.peer_in.write_eof()
                break
            end.peer_in.write(chunk)
    except (BlockingIOError, InterruptedError):
        pass
    except (OSError, ssl.SSLError):
        end.peer_in.write_eof() if not end.peer_in.eof else None
    tls = end.peer_tls
    if tls is not None:
        try:
            tls.do_handshake()
            data = tls.read(65536)
            if data:
                tls.write(data)  # echo
        except (ssl.SSLError, OSError, ValueError):
            pass
    end.backlog += end.peer_out.read()
    if end.backlog:
        try:
            sent = peer.send(end.backlog)
            end.backlog = end.backlog[sent:]
        except OSError:
            pass


def t_pump(world: World) -> None:
    for pair in world.pairs:
        _pump_pair(world, pair)
    for end in world.sockets:
        _pump_socket(world, end)


def t_handshake_part(world: World) -> None:
    """One handshake step on each end: the world is then mid-handshake."""
    if world.pairs:
        pair = world.pick(world.pairs, "pair")
        i = world.pairs.index(pair)
        world.invoke(f"pair#{i}.client.do_handshake()", pair.client.do_handshake)
        _pump_pair(world, pair)
        world.invoke(f"pair#{i}.server.do_handshake()", pair.server.do_handshake)
        _pump_pair(world, pair)


def t_handshake_full(world: World) -> None:
    for i, pair in enumerate(world.pairs):
        for _ in range(6):
            for name, obj in (("client", pair.client), ("server", pair.server)):
                world.invoke(f"pair#{i}.{name}.do_handshake()", obj.do_handshake)
                _pump_pair(world, pair)
    for i, end in enumerate(world.sockets):
        sock = end.sock
        if not isinstance(sock, ssl_compat.SSLSocket) or end.peer is None:
            continue
        for _ in range(6):
            _pump_socket(world, end)
            timeout = _timeout(sock)
            if timeout is None or timeout > 0.05:
                break  # a blocking handshake waits for a peer we drive: skip
            world.invoke(f"sock#{i}.do_handshake()", sock.do_handshake)
        _pump_socket(world, end)


def _timeout(sock: Any) -> Optional[float]:
    try:
        return sock.gettimeout()  # type: ignore[no-any-return]
    except OSError:
        return 0.0


def t_exchange(world: World) -> None:
    """Application data both ways (after a handshake it really flows)."""
    for i, pair in enumerate(world.pairs):
        world.invoke(f"pair#{i}.client.write(b'ping')", pair.client.write, b"ping")
        _pump_pair(world, pair)
        world.invoke(f"pair#{i}.server.read()", pair.server.read, 100)
        world.invoke(f"pair#{i}.server.write(b'pong')", pair.server.write, b"pong")
        _pump_pair(world, pair)
        world.invoke(f"pair#{i}.client.read()", pair.client.read, 100)
    for i, end in enumerate(world.sockets):
        sock = end.sock
        if not isinstance(sock, ssl_compat.SSLSocket) or _timeout(sock) != 0.0:
            continue  # blocking reads would wait for the watchdog
        how = world.pick(["send", "sendall", "write"], "how to send")
        world.invoke(f"sock#{i}.{how}(b'ping')", getattr(sock, how), b"ping")
        _pump_socket(world, end)
        how = world.pick(["recv", "read", "recv_into"], "how to receive")
        if how == "recv_into":
            world.invoke(
                f"sock#{i}.recv_into(bytearray(100))", sock.recv_into, bytearray(100)
            )
        else:
            world.invoke(f"sock#{i}.{how}(100)", getattr(sock, how), 100)


def t_unwrap(world: World) -> None:
    if world.pairs:
        pair = world.pick(world.pairs, "pair")
        i = world.pairs.index(pair)
        world.invoke(f"pair#{i}.client.unwrap()", pair.client.unwrap)
        _pump_pair(world, pair)
        world.invoke(f"pair#{i}.server.unwrap()", pair.server.unwrap)
        _pump_pair(world, pair)
    tls = [e for e in world.sockets if isinstance(e.sock, ssl_compat.SSLSocket)]
    if tls:
        end = world.pick(tls, "socket")
        _pump_socket(world, end)
        if _timeout(end.sock) == 0.0:
            world.invoke("sock.unwrap()", end.sock.unwrap)
            _pump_socket(world, end)


def t_close_tls(world: World) -> None:
    if world.sockets:
        end = world.pick(world.sockets, "socket")
        world.invoke(f"sock#{world.sockets.index(end)}.close()", end.sock.close)


def t_close_raw(world: World) -> None:
    """Close the descriptor under an SSLSocket (behind its back)."""
    tls = [e for e in world.sockets if isinstance(e.sock, ssl_compat.SSLSocket)]
    if tls:
        end = world.pick(tls, "socket")
        fd = end.sock.fileno()
        if fd >= 0:
            if world.flip("shutdown first"):
                try:
                    socket.socket.shutdown(end.sock, socket.SHUT_RDWR)
                except OSError:
                    pass
            # Keep the descriptor number taken (no reuse by a later socket):
            # dup2 over it a socket whose own peer is gone (EOF, EPIPE).
            stand_in, gone = socket.socketpair()
            gone.close()
            os.dup2(stand_in.fileno(), fd)
            stand_in.close()


def t_peer_vanish(world: World) -> None:
    if world.sockets:
        end = world.pick(world.sockets, "socket")
        if end.peer is not None:
            end.peer.close()
            end.peer_tls = None
    if world.pairs:
        pair = world.pick(world.pairs, "pair")
        world.pairs.remove(pair)
        side = world.pick(["client", "server"], "side that stays")
        kept = pair.client if side == "client" else pair.server
        incoming = pair.c_in if side == "client" else pair.s_in
        try:
            incoming.write_eof()
        except ssl.SSLError:
            pass
        world.objects.append(kept)
        del pair
        gc.collect(0)


def t_write_eof(world: World) -> None:
    if world.bios:
        bio = world.pick(world.bios, "bio")
        world.invoke(f"bio#{world.bios.index(bio)}.write_eof()", bio.write_eof)


def t_drop(world: World) -> None:
    """Drop the last reference to some object (finalizers run now)."""
    for items in (world.objects, world.sessions, world.bios):
        if items and world.flip("drop one"):
            items.pop(0)
    if len(world.contexts) > 2 and world.flip("drop a context"):
        dropped = world.contexts.pop()
        if dropped in world.server_contexts and len(world.server_contexts) > 1:
            world.server_contexts.remove(dropped)
    gc.collect(0)


def t_garbage_in(world: World) -> None:
    """Bytes that are not TLS into an incoming BIO or a socket's far end."""
    junk = world.pick([b"\x16\x03\x01\x00\x05hello", b"\x00" * 40, b"GET /"], "junk")
    if world.pairs and world.flip("into a pair"):
        pair = world.pick(world.pairs, "pair")
        side = world.pick(["client", "server"], "side")
        world.log.append(f"   {junk!r} into pair#{world.pairs.index(pair)}.{side}")
        try:
            (pair.c_in if side == "client" else pair.s_in).write(junk)
        except ssl.SSLError:
            pass
    elif world.sockets:
        end = world.pick(world.sockets, "socket")
        if end.peer is not None and end.peer.fileno() >= 0:
            world.log.append(f"   {junk!r} to sock#{world.sockets.index(end)}")
            try:
                end.peer.send(junk)
            except OSError:
                pass


def t_arm_callbacks(world: World) -> None:
    """A random sni_callback on a server context; a password callback too."""
    ctx = world.pick(world.server_contexts, "server ctx")
    label, callback = world.pick(world.callables(), "sni callback")
    i = world.contexts.index(ctx) if ctx in world.contexts else -1
    world.invoke(
        f"ctx#{i}.sni_callback = {label}", setattr, ctx, "sni_callback", callback
    )
    if world.flip("password too"):
        label, password = world.pick(world.callables(), "password callback")
        world.invoke(
            f"ctx#{i}.load_cert_chain(certfile, encrypted key, {label})",
            ctx.load_cert_chain,
            world.shared.certfile,
            world.shared.encrypted,
            password,
            marker_ok=True,
        )


def t_copy(world: World) -> None:
    """``copy.copy`` of some object; the copy joins the world."""
    name, target = world.pick(world.targets(), "target")
    world.invoke(f"copy.copy({name})", copy.copy, target)


TRANSITIONS: dict[str, Callable[[World], None]] = {
    "copy an object": t_copy,
    "arm callbacks": t_arm_callbacks,
    "pump": t_pump,
    "handshake part-way": t_handshake_part,
    "handshake to the end": t_handshake_full,
    "exchange data": t_exchange,
    "unwrap": t_unwrap,
    "close the SSLSocket": t_close_tls,
    "close the raw socket": t_close_raw,
    "peer vanishes": t_peer_vanish,
    "write_eof": t_write_eof,
    "drop objects": t_drop,
    "garbage in": t_garbage_in,
}


# -- what is shared by all sequences ---------------------------------------------


class Watchdog:
    """Unblocks a stuck step (the peers vanish); reports a real hang."""

    def __init__(self, hang_after: float) -> None:
        self.hang_after = hang_after
        self.world: Optional[World] = None
        self.started = 0.0
        self.killed: Any = False  # False, True (peers), 2 (every socket)
        self.context = ""
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()

    def begin(self, world: World) -> None:
        self.killed = False
        self.started = time.monotonic()
        self.world = world

    def end(self) -> None:
        self.world = None

    def _run(self) -> None:
        while True:
            time.sleep(0.02)
            world = self.world
            if world is None:
                continue
            elapsed = time.monotonic() - self.started
            if elapsed > KILL_AFTER and not self.killed:
                self.killed = True
                world.kill_peers()
            if elapsed > 10 * KILL_AFTER and self.killed is True:
                self.killed = 2
                world.kill_all()
            if elapsed > self.hang_after:
                sys.stderr.write(
                    f"FINDING: a step hung for {elapsed:.0f} s\n"
                    f"{self.context}\nsteps:\n  " + "\n  ".join(world.log) + "\n"
                )
                faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
                sys.stderr.flush()
                os._exit(3)


class Shared:
    """Files, contexts for the far ends, the static value pool."""

    def __init__(self, directory: Path, hang_after: float) -> None:
        pki = files()
        self.certfile = str(pki.identities["server"][0])
        self.keyfile = str(pki.identities["server"][1])
        self.cafile = str(pki.ca)
        server = pki.pki.server
        self.der = server.cert.public_bytes(serialization.Encoding.DER)
        self.pem = ssl.DER_cert_to_PEM_cert(self.der)
        encrypted = directory / "encrypted.key"
        encrypted.write_bytes(
            server.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"fuzz-password"),
            )
        )
        self.encrypted = str(encrypted)
        garbage = directory / "garbage.pem"
        garbage.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64\n")
        (directory / "empty.pem").write_bytes(b"")
        self.garbage = str(garbage)
        self.empty = str(directory / "empty.pem")
        self.directory = str(directory)
        self.missing = str(directory / "missing.pem")
        self.keylog = str(directory / "keylog.txt")
        self.peer_server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.peer_server.load_cert_chain(self.certfile, self.keyfile)
        self.peer_client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.peer_client.check_hostname = False
        self.peer_client.verify_mode = ssl.CERT_NONE
        self.placeholder = socket.socket()
        self.placeholder.bind(("127.0.0.1", 0))  # bound, never listening
        self.closed_port = self.placeholder.getsockname()[1]
        self.unraisable: list[str] = []
        self._smart = smart_table(self)
        self.watchdog = Watchdog(hang_after)
        sys.unraisablehook = self._unraisable

    def _unraisable(self, info: Any) -> None:
        if info.exc_type is ResourceWarning:
            return
        self.unraisable.append(
            f"{info.err_msg or 'unraisable'} {info.object!r}:\n"
            + "".join(
                traceback.format_exception(
                    info.exc_type, info.exc_value, info.exc_traceback
                )
            )
        )

    def static_values(self) -> list[tuple[str, Any]]:
        return static_values(self)

    def smart(self, world: World, owner: str, name: str) -> list[tuple[str, Any]]:
        """Good (and nearly good) values for a parameter called *name*."""
        found = self._smart.get(name)
        if found is not None:
            return found
        bools = labelled(True, False)
        if name in BOOL_PARAMETERS:
            return bools
        bios = [(f"bio#{i}", b) for i, b in enumerate(world.bios)]
        sockets = [(f"sock#{i}", e.sock) for i, e in enumerate(world.sockets)]
        dynamic: dict[str, list[tuple[str, Any]]] = {
            "session": [(f"session#{i}", s) for i, s in enumerate(world.sessions)]
            + labelled(None),
            "sock": sockets + [(f"other#{i}", o) for i, o in enumerate(world.others)],
            "incoming": bios,
            "outgoing": bios,
            "context": [(f"ctx#{i}", c) for i, c in enumerate(world.contexts)],
            "password": self._smart["password"] + world.callables(),
            "callback": world.callables(),
            "server_name_callback": world.callables(),
            "sni_callback": world.callables() + labelled(None),
            "_msg_callback": world.callables() + labelled(None),
            "addr": [
                ("listener", world.listener_address),
                *labelled(("127.0.0.1", self.closed_port), ("127.0.0.1", -1)),
            ],
        }
        return dynamic.get(name, [])


# -- the driver -------------------------------------------------------------------


def _plant(behaviour: Callable[[], Any]) -> Callable[[], None]:
    def install() -> None:
        ssl_compat.SSLObject.cipher = lambda self: behaviour()  # type: ignore[method-assign]

    return install


def _leave_an_error() -> None:
    lib.ERR_put_error(lib.ERR_LIB_EVP, 0, 1, b"planted", 1)


#: Defects the self-test plants, to show that each kind of finding is caught.
_PLANTS: dict[str, Callable[[], None]] = {
    "exception": _plant(lambda: {}["planted"]),
    "error-queue": _plant(_leave_an_error),
    "hang": _plant(lambda: time.sleep(3600)),
}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--max-steps", type=int, default=40)
    parser.add_argument("--hang-after", type=float, default=20.0)
    parser.add_argument(
        "--shrink", action="store_true", help="let hypothesis shrink a finding"
    )
    parser.add_argument(
        "--plant",
        choices=sorted(_PLANTS),
        help="plant a defect in SSLObject.cipher (the suite's self-test)",
    )
    options = parser.parse_args(argv)
    if options.plant:
        _PLANTS[options.plant]()
    seed = options.seed
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "big")
    command = (
        f"python -m tests.reliability.fuzz_api_compat --seed {seed} "
        f"--examples {options.examples} --max-steps {options.max_steps}"
    )
    if options.plant:
        command += f" --plant {options.plant}"
    print(f"fuzz_api_compat: seed {seed} ({command})", flush=True)
    warnings.simplefilter("ignore")
    directory = Path(tempfile.mkdtemp(prefix="fuzz-api-compat-"))
    os.chdir(directory)  # whatever a call creates lands here
    shared = Shared(directory, options.hang_after)
    shared.watchdog.context = f"reproduce with: {command}"
    totals = {"calls": 0, "sequences": 0, "handshakes": 0, "callback runs": 0}
    phases = [Phase.generate] + ([Phase.shrink] if options.shrink else [])

    @hypothesis_seed(seed)
    @settings(
        max_examples=options.examples,
        database=None,
        deadline=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(
        st.randoms(use_true_random=True),
        st.integers(1, options.max_steps),
    )
    def sequence(rng: random.Random, steps: int) -> None:
        world = World(shared, rng)
        try:
            world.run(steps)
        except Finding as finding:
            report = (
                f"FINDING: {finding}\nreproduce with: {command}\n"
                f"sequence {totals['sequences'] + 1}, steps:\n  "
                + "\n  ".join(world.log)
                + "\n"
                + "".join(traceback.format_exception(*sys.exc_info()))
            )
            sys.stderr.write(report)
            sys.stderr.flush()
            if not options.shrink:
                os._exit(1)
            raise
        finally:
            totals["calls"] += world.calls
            totals["handshakes"] += world.handshakes
            totals["callback runs"] += world.callback_runs
            totals["sequences"] += 1
            world.close()

    sequence()
    emit_figures(totals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
