"""Callback abuse: every callback raises, returns garbage or oversized values,
re-enters its Connection, or loses its Context/Connection mid-call.

The scenarios (one per callback slot) live in
:mod:`tests.reliability.callback_abuse_driver`. Raising, wrong types and
oversized values run here, in process: the triggering call must raise the
documented exception (the callback's own exception unchanged, a
``TypeError``/``ValueError`` for a bad return value, or ``SSL.Error``), the
handshake must be aborted for both peers, the OpenSSL error queue left
empty, and repeating the case must not grow Python memory or the number of
objects. Re-entering the Connection and dropping references can crash an
interpreter, so they run in child interpreters (a crash fails one test and
names the case).

Return values that OpenSSL reads as a verdict (verify, OCSP client, cookie
verify) are truth-tested, as pyOpenSSL 26.4 does: a truthy ``"str"`` accepts,
``None`` rejects. Info, keylog and servername callbacks return nothing that
is used, so any value goes. ``ssl_compat``'s ``sni_callback`` takes ``None``
or an alert number, as CPython does.
"""

from __future__ import annotations

import gc
import ssl
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any, Optional, Union

import pytest

from OpenSSL import SSL, ssl_compat
from OpenSSL._util import lib
from OpenSSL.ssl_compat import _ocsp as ssl_compat_ocsp
from tests.reliability import callback_abuse_driver as abuse
from tests.reliability.callback_abuse_driver import (
    NORMAL,
    SLOTS,
    Boom,
    Slot,
    after_failure,
    assert_flat,
    build,
    drive,
    error_queue_empty,
    hooks,
    raised_as_documented,
)
from tests.reliability.profile import LONG, record, scale
from tests.reliability.subproc import run_driver
from tests.support import (
    ca_file,
    client_context,
    handshake,
    make_pki,
    memory_pair,
    pump,
    server_context,
)

#: How often each case repeats after its warm-up (the leak check's N).
ROUNDS = scale(20, 500)

SLOT_PARAMS = [pytest.param(slot, id=name) for name, slot in SLOTS.items()]


def _count(cases: int, handshakes: int) -> None:
    record("callback abuse: cases", cases)
    record("callback abuse: handshakes", handshakes)


# --- (a) the callback raises -------------------------------------------------


def _raising_case(slot: Slot) -> None:
    exc = Boom(f"from the {slot.name} callback")

    def failing_callback(target: Any) -> Any:
        raise exc

    with hooks() as seen:
        built = build(slot, failing_callback)
        outcome = drive(built)
    assert not seen["unraisable"], seen["unraisable"]
    problem = raised_as_documented(slot, [exc], outcome, seen)
    assert problem is None, problem
    assert outcome is not None
    if slot.kind == "same":
        frames = [frame.name for frame in traceback.extract_tb(outcome.__traceback__)]
        assert "failing_callback" in frames, frames
    elif slot.kind == "excepthook":
        assert seen["excepthook"] == [exc]
        assert exc.__traceback__ is not None
    else:
        assert not seen["excepthook"]
    after_failure(slot, built, f"{slot.name} raising")


@pytest.mark.parametrize("slot", SLOT_PARAMS)
def test_raising_callback(slot: Slot) -> None:
    """The exception comes out of the triggering call unchanged; both peers fail.

    Both peers fail where OpenSSL can be told to abort: not for the info
    and keylog callbacks, which return nothing it could act on (the
    exception still comes out of the call). The servername callback is
    pyOpenSSL's documented exception: the exception goes to
    ``sys.excepthook`` and the handshake fails with
    ``SSL.Error``; ``ssl_compat``'s ``sni_callback`` chains it as the
    ``__cause__`` of the server's ``SSLError`` (doc/ssl_compat.rst).
    """
    assert_flat(lambda: _raising_case(slot), ROUNDS, f"{slot.name} raising")
    _count(1, ROUNDS + abuse.WARMUP)


# --- (b) wrong return types --------------------------------------------------


class BadBool:
    """A return value whose truth test raises."""

    def __init__(self) -> None:
        self.exc = Boom("from __bool__")

    def __bool__(self) -> bool:
        raise self.exc

    def __repr__(self) -> str:
        return "BadBool()"


#: The brief's wrong types: bytes where an int is expected, an int where
#: bytes are, and a value whose truth test raises.
WRONG_VALUES: list[Callable[[], Any]] = [
    lambda: None,
    lambda: "str",
    lambda: 1.5,
    lambda: object(),
    lambda: [b"h2"],
    lambda: b"\x00\x01",
    lambda: 7,
    BadBool,
]
WRONG_IDS = ["None", "str", "float", "object", "list", "bytes", "int", "BadBool"]

OK = "ok"
#: The triggering call fails with SSL.Error and the peer is told nothing.
QUIET = "quiet"
#: The exception of BadBool.__bool__, unchanged.
OWN = "own"

#: OK, OWN, an exception class, or for ssl_compat ("cause", type of the
#: ``__cause__`` or None), "cause-quiet" when the client is told nothing.
_Expected = Union[str, type, tuple[str, Optional[type]]]


def _truth(fail: type[BaseException]) -> Callable[[Any], _Expected]:
    def expect(value: Any) -> _Expected:
        if isinstance(value, BadBool):
            return OWN
        return OK if value else fail

    return expect


def _needs_bytes(
    error: type[BaseException], otherwise: _Expected
) -> Callable[[Any], _Expected]:
    def expect(value: Any) -> _Expected:
        return otherwise if isinstance(value, bytes) else error

    return expect


_ALERTS = {int(alert) for alert in ssl.AlertDescription}


def _compat_alert(value: Any) -> _Expected:
    if value is None:
        return OK
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 255:
            return ("cause", ValueError)
        # A number that is no alert: OpenSSL sends nothing (CPython's
        # server fails the same way), so the client learns nothing.
        return ("cause", None) if value in _ALERTS else ("cause-quiet", None)
    return ("cause", TypeError)


def _servername_alert(value: Any) -> _Expected:
    if value is None:
        return OK
    if isinstance(value, int) and not isinstance(value, bool):
        # A TLS alert is sent and the handshake fails; for a number that is
        # no alert OpenSSL sends nothing: the server fails, the client waits.
        return SSL.Error if value in _ALERTS else QUIET
    return TypeError


def _compat_psk_key(value: Any) -> _Expected:
    if isinstance(value, (bytes, bytearray)):
        return ("cause", None)
    return ("cause", TypeError)


def _compat_staple(value: Any) -> _Expected:
    if value is None:
        return ssl.SSLCertVerificationError  # nothing stapled, one is required
    return ValueError if isinstance(value, bytes) else TypeError


#: What each slot's triggering call does with a returned value.
EXPECT: dict[str, Callable[[Any], _Expected]] = {
    "Context.set_verify": _truth(SSL.Error),
    "Connection.set_verify": _truth(SSL.Error),
    "Context.set_info_callback": lambda value: OK,
    "Connection.set_info_callback": lambda value: OK,
    "Context.set_keylog_callback": lambda value: OK,
    "Context.set_msg_callback": lambda value: OK,
    "Context.set_new_session_callback": lambda value: OK,
    "Context.set_tlsext_servername_callback": lambda value: OK,
    # Bytes not offered by the client: the client refuses the answer.
    "Context.set_alpn_select_callback": _needs_bytes(TypeError, SSL.Error),
    # Bytes that are no OCSP response: OpenSSL 4 drops them, nothing stapled.
    "Context.set_ocsp_server_callback": _needs_bytes(TypeError, OK),
    "Context.set_ocsp_client_callback": _truth(SSL.Error),
    "Context.set_cookie_generate_callback": _needs_bytes(TypeError, OK),
    # A rejected cookie: DTLSv1_listen keeps answering, WantReadError.
    "Context.set_cookie_verify_callback": _truth(SSL.WantReadError),
    # pyOpenSSL: "Bytes expected" (ValueError); wrong bytes: a bad decrypt.
    "Context.set_passwd_cb": _needs_bytes(ValueError, SSL.Error),
    "ssl_compat SSLContext.sni_callback": _compat_alert,
    # Anything but an (identity, key) tuple of bytes.
    "Context.set_psk_client_callback": lambda value: TypeError,
    # Bytes: a key the client does not have, the binder check fails.
    "Context.set_psk_server_callback": _needs_bytes(TypeError, SSL.Error),
    "Context.set_cert_callback": lambda value: TypeError,
    "Context.set_tlsext_servername_alert_callback": _servername_alert,
    "ssl_compat SSLContext.set_psk_client_callback": lambda value: (
        "cause",
        TypeError,
    ),
    # Bytes: the wrong key; the handshake fails on its own (no cause).
    "ssl_compat SSLContext.set_psk_server_callback": _compat_psk_key,
    # A verdict, truth-tested; a rejection is a verification failure.
    "ssl_compat SSLContext.set_verify_callback": _truth(ssl.SSLCertVerificationError),
    # None staples nothing (the client requires one); bytes must be a DER
    # OCSPResponse (ValueError), anything else is a TypeError.
    "ssl_compat SSLContext.set_ocsp_response_callback": _compat_staple,
}


def _returning_case(slot: Slot, value: Any, expected: _Expected) -> None:
    with hooks() as seen:
        built = build(slot, lambda target: value)
        outcome = drive(built)
    what = f"{slot.name} returning {value!r:.40}"
    assert not seen["unraisable"], seen["unraisable"]
    if expected == OK:
        assert outcome is None, f"{what}: {outcome!r}"
        error_queue_empty(what)
        return
    assert outcome is not None, f"{what}: the handshake went on"
    if expected == QUIET:
        assert isinstance(outcome, SSL.Error), f"{what}: {outcome!r}"
        error_queue_empty(what)
        return
    if expected == OWN:
        assert outcome is value.exc, f"{what}: {outcome!r}"
    elif isinstance(expected, tuple):
        assert isinstance(outcome, ssl.SSLError), f"{what}: {outcome!r}"
        cause = expected[1]
        if cause is None:
            assert outcome.__cause__ is None, f"{what}: {outcome.__cause__!r}"
        else:
            assert type(outcome.__cause__) is cause, f"{what}: {outcome.__cause__!r}"
        if expected[0] == "cause-quiet":
            error_queue_empty(what)
            return
    else:
        assert isinstance(expected, type)
        assert isinstance(outcome, expected), f"{what}: {outcome!r}"
        assert not isinstance(outcome, Boom)
    after_failure(slot, built, what)


@pytest.mark.parametrize("slot", SLOT_PARAMS)
def test_wrong_return_types(slot: Slot) -> None:
    """Each wrong type: the documented outcome, every time, without leaks."""
    makers = WRONG_VALUES
    if not LONG and all(EXPECT[slot.name](make()) == OK for make in makers):
        # The value is not used at all: three kinds say as much as eight.
        makers = [WRONG_VALUES[0], WRONG_VALUES[5], WRONG_VALUES[-1]]

    def one_round() -> None:
        # Fresh values: re-raising one exception object grows its traceback.
        for make in makers:
            value = make()
            _returning_case(slot, value, EXPECT[slot.name](value))

    assert_flat(one_round, ROUNDS, f"{slot.name} wrong types")
    _count(len(makers), len(makers) * (ROUNDS + abuse.WARMUP))


def test_wrong_type_expectations_are_not_all_ok() -> None:
    """The table above is not vacuous: most slots refuse some wrong type."""
    refusing = [
        name
        for name, expect in EXPECT.items()
        if any(expect(make()) != OK for make in WRONG_VALUES)
    ]
    assert len(refusing) == len(EXPECT) - 6


# --- (c) oversized values ----------------------------------------------------


def _big_ocsp_response(size: int) -> bytes:
    """A well-formed, signed OCSP response of at least *size* bytes."""
    return make_pki().ocsp_response(size=size)


MB = 1 << 20

#: (slot, what the callback returns, expected outcome, id)
OVERSIZED: list[Any] = [
    (
        "Context.set_cookie_generate_callback",
        lambda: b"c" * 256,
        ValueError,
        "cookie-256",
    ),
    (
        "Context.set_cookie_generate_callback",
        lambda: b"c" * 4096,
        ValueError,
        "cookie-4096",
    ),
    (
        "Context.set_cookie_generate_callback",
        lambda: b"c" * 10**6,
        ValueError,
        "cookie-1e6",
    ),
    ("Context.set_alpn_select_callback", lambda: b"p" * 256, ValueError, "alpn-256"),
    ("Context.set_alpn_select_callback", lambda: b"p" * 65536, ValueError, "alpn-64k"),
    # 255 bytes fit the protocol, but the client never offered them.
    (
        "Context.set_alpn_select_callback",
        lambda: b"p" * 255,
        SSL.Error,
        "alpn-255-not-offered",
    ),
    (
        "Context.set_alpn_select_callback",
        lambda: b"spdy/3",
        SSL.Error,
        "alpn-not-offered",
    ),
    (
        "Context.set_ocsp_server_callback",
        lambda: _big_ocsp_response(MB),
        SSL.Error,
        "ocsp-1MB",
    ),
    # Not an OCSP response: OpenSSL 4 drops it, the handshake goes on.
    (
        "Context.set_ocsp_server_callback",
        lambda: b"\x30" * (16 * MB),
        OK,
        "ocsp-16MB-junk",
    ),
    # The buffer holds PEM_BUFSIZE bytes: the rest is cut (pyOpenSSL does
    # the same), so the passphrase is wrong, and nothing overflows.
    (
        "Context.set_passwd_cb",
        lambda: abuse.PASSPHRASE + b"x" * 1024,
        SSL.Error,
        "passwd-1k",
    ),
    (
        "Context.set_passwd_cb",
        lambda: abuse.PASSPHRASE + b"x" * 10**6,
        SSL.Error,
        "passwd-1e6",
    ),
    (
        "ssl_compat SSLContext.sni_callback",
        lambda: 256,
        ("cause", ValueError),
        "alert-256",
    ),
    (
        "ssl_compat SSLContext.sni_callback",
        lambda: 2**40,
        ("cause", ValueError),
        "alert-2**40",
    ),
    (
        "ssl_compat SSLContext.sni_callback",
        lambda: -1,
        ("cause", ValueError),
        "alert--1",
    ),
    # TLS-PSK: OpenSSL takes keys of at most 512 bytes, TLS 1.3 identities
    # of at most 65535 (a 10 KiB one works), TLS 1.2 identities of 256.
    (
        "Context.set_psk_client_callback",
        lambda: (b"abuse", b"k" * 513),
        ValueError,
        "psk-key-513",
    ),
    (
        "Context.set_psk_client_callback",
        lambda: (b"abuse", b"k" * MB),
        ValueError,
        "psk-key-1MB",
    ),
    (
        "Context.set_psk_client_callback",
        lambda: (b"i" * 10240, abuse.PSK_KEY),
        OK,
        "psk-identity-10KiB",
    ),
    (
        "Context.set_psk_client_callback",
        lambda: (b"i" * 70000, abuse.PSK_KEY),
        ValueError,
        "psk-identity-70000",
    ),
    (
        "Context.set_psk_server_callback",
        lambda: b"k" * 513,
        ValueError,
        "psk-server-key-513",
    ),
    (
        "Context.set_psk_server_callback",
        lambda: b"k" * MB,
        ValueError,
        "psk-server-key-1MB",
    ),
    (
        "Context.set_tlsext_servername_alert_callback",
        lambda: 256,
        ValueError,
        "sni-alert-256",
    ),
    (
        "ssl_compat SSLContext.set_psk_client_callback",
        lambda: ("i" * 10240, abuse.PSK_KEY),
        ("cause", ValueError),  # CPython's limit: 256 bytes
        "compat-psk-identity-10KiB",
    ),
    (
        "ssl_compat SSLContext.set_psk_client_callback",
        lambda: ("abuse", b"k" * 513),
        ("cause", ValueError),
        "compat-psk-key-513",
    ),
    ("Context.set_verify", lambda: 10**100, OK, "verify-huge-int"),
    # ssl_compat checks a staple's size before OpenSSL sees it: at most
    # what TLS 1.3 carries (65,531 bytes), and a valid one that big passes.
    (
        "ssl_compat SSLContext.set_ocsp_response_callback",
        lambda: _big_ocsp_response(ssl_compat_ocsp.MAX_STAPLE_SIZE - 2048),
        OK,
        "compat-ocsp-63k",
    ),
    (
        "ssl_compat SSLContext.set_ocsp_response_callback",
        lambda: _big_ocsp_response(MB),
        ValueError,
        "compat-ocsp-1MB",
    ),
    (
        "ssl_compat SSLContext.set_ocsp_response_callback",
        lambda: b"\x30" * (16 * MB),
        ValueError,
        "compat-ocsp-16MB-junk",
    ),
    (
        "Context.set_ocsp_client_callback",
        lambda: b"x" * MB,
        OK,
        "ocsp-client-1MB-truthy",
    ),
]
if LONG:
    OVERSIZED.append(
        (
            "Context.set_ocsp_server_callback",
            lambda: _big_ocsp_response(16 * MB),
            SSL.Error,
            "ocsp-16MB",
        )
    )


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [pytest.param(*case[:3], id=case[3]) for case in OVERSIZED],
)
def test_oversized_return_values(
    name: str, make: Callable[[], Any], expected: Any
) -> None:
    """Too-long cookies, ALPN protocols, OCSP responses, passphrases, alerts.

    The documented exception at the triggering call, nothing written past a
    buffer, and no growth of Python memory or of the resident size (the
    large buffers go to OpenSSL, which tracemalloc cannot see).
    """
    slot = SLOTS[name]
    value = make()

    def one_round() -> None:
        _returning_case(slot, value, expected)

    big = isinstance(value, bytes) and len(value) >= MB
    rounds = min(ROUNDS, scale(5, 50)) if big else ROUNDS
    assert_flat(
        one_round,
        rounds,
        f"{name} returning {len(value) if big else value!r:.20}",
        heap_slack=3 * MB if big else None,
    )
    _count(1, rounds + abuse.WARMUP)


# --- (d) re-entering the Connection, (e) dropping references: child processes


def _child(kind: str, rounds: int = ROUNDS) -> None:
    args = [kind, "--rounds", str(rounds)]
    if LONG:
        args.append("--long")
    figures = run_driver("callback_abuse_driver", args, timeout=scale(300, 3000))
    # The child decides the verdict (it exits non-zero on the first wrong
    # outcome); here: that it exercised something at all.
    assert figures["cases"] > 0 and figures["handshakes"] > 0, figures
    _count(int(figures["cases"]), int(figures["handshakes"]))


def test_reentering_the_connection_from_its_callbacks() -> None:
    """Every callback calls back into its Connection (or SSLObject, Context).

    ``do_handshake`` and the DTLS calls are refused with ``ValueError``
    (OpenSSL is not re-entrant: ``do_handshake`` crashed the interpreter);
    other calls succeed or raise documented exceptions (``recv`` from the
    info callback recursed until ``RecursionError``: now nesting stops with
    ``ValueError``); an exception the callback lets escape comes out of the
    triggering call.
    Replacing a Connection's verify or info callback from inside a callback
    no longer frees the C callback OpenSSL still uses. A passphrase callback
    loading a key again is refused too (it recursed without end).
    """
    # The long profile tries ~40 calls from every slot, both ways: 100
    # rounds each keep it within minutes.
    _child("reenter", scale(20, 100))


def test_dropping_references_around_callbacks() -> None:
    """Contexts and Connections collected around and during callbacks.

    Inside the callback: the only outside references go, ``gc.collect()``
    runs, then the callback returns (or raises: still the same exception
    out). Outside: callbacks referenced only through their Context work
    after a collection; Connections collected mid-handshake; an
    ``ssl_compat`` SSLContext collected while its ``openssl_context``
    still serves handshakes (a use-after-free before).
    """
    _child("drop")


# --- pinned defects and details that need no child ---------------------------


def test_freeing_a_connection_leaves_no_errors_queued() -> None:
    """Defect pinned: SSL_free queued record-layer errors into the thread.

    A keylog callback reading from its connection mid-handshake leaves
    input half-processed; freeing that Connection made OpenSSL 4 queue
    "invalid record" errors, which came out of the next unrelated call
    (``set_tlsext_host_name`` on a new Connection raised them).
    """

    def keylog(conn: SSL.Connection, line: bytes) -> None:
        try:
            conn.recv(1024)
        except SSL.Error:
            pass

    for _ in range(3):
        client_ctx = client_context()
        client_ctx.set_keylog_callback(keylog)
        client, server = memory_pair(client_ctx)
        with pytest.raises(SSL.Error):
            handshake(client, server)
        error_queue_empty("after the failed handshake")
        del client, server
        gc.collect()
        error_queue_empty("after freeing the connections")
        fresh = SSL.Connection(client_context(), None)
        fresh.set_tlsext_host_name(b"localhost")


@pytest.mark.parametrize("version", [SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION])
@pytest.mark.parametrize("side", ["client", "server"])
def test_shutdown_from_the_info_callback_still_works(side: str, version: int) -> None:
    """Giving up from inside a callback, as Twisted does, is not refused.

    ``shutdown()`` at ``SSL_CB_HANDSHAKE_DONE`` writes a close_notify, which
    runs the info callback again, nested: that must work (one nesting level
    is not the runaway recursion the nesting limit is for), and the peer
    reads the close_notify.
    """
    results: list[Any] = []

    def info(conn: SSL.Connection, where: int, ret: int) -> None:
        if where & SSL.SSL_CB_HANDSHAKE_DONE and not results:
            results.append(conn.shutdown())

    client_ctx = client_context(max_version=version)
    server_ctx = server_context()
    (client_ctx if side == "client" else server_ctx).set_info_callback(info)
    client, server = memory_pair(client_ctx, server_ctx)
    handshake(client, server)
    assert results == [False]
    me, peer = (client, server) if side == "client" else (server, client)
    assert me.get_shutdown() & SSL.SENT_SHUTDOWN
    pump(client, server)
    with pytest.raises(SSL.ZeroReturnError):
        for _ in range(3):
            try:
                peer.recv(100)
            except SSL.WantReadError:
                pump(client, server)
    error_queue_empty("after the shutdown")
    _count(1, 1)


def test_passphrase_callback_replacing_itself_then_raising() -> None:
    """Defect pinned: the exception was lost with the replaced slot.

    ``set_passwd_cb`` from inside the passphrase callback, then ``raise``:
    ``use_privatekey_file`` raised OpenSSL's "bad decrypt" instead of the
    callback's exception.
    """
    ctx = SSL.Context(SSL.TLS_METHOD)
    exc = Boom("after replacing myself")

    def failing_callback(size: int, twice: bool, data: Any) -> bytes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.set_passwd_cb(lambda *args: abuse.PASSPHRASE)
        raise exc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.set_passwd_cb(failing_callback)
    with pytest.raises(Boom) as info:
        ctx.use_privatekey_file(str(abuse.encrypted_key_file()))
    assert info.value is exc
    error_queue_empty("after the failed key load")
    # The replacement works for the next load.
    ctx.use_privatekey_file(str(abuse.encrypted_key_file()))


def test_compat_sni_callback_huge_alert_fails_the_handshake() -> None:
    """Defect pinned: an alert that does not fit a C int let the handshake go on.

    The OverflowError was raised in the C trampoline, where cffi printed it
    and returned 0 (``SSL_TLSEXT_ERR_OK``). CPython fails the handshake.
    """
    slot = SLOTS["ssl_compat SSLContext.sni_callback"]
    with hooks() as seen:
        built = build(slot, lambda obj: 2**40)
        outcome = drive(built)
    assert not seen["unraisable"]
    assert isinstance(outcome, ssl_compat.SSLError)
    assert isinstance(outcome.__cause__, ValueError)
    after_failure(slot, built, "sni_callback returning 2**40")


@pytest.mark.parametrize("value", ["40", b"40", 1.5])
def test_compat_sni_callback_alert_must_be_an_integer(value: Any) -> None:
    """Defect pinned: ``int()`` took "40" and b"40" as an alert, 1.5 as 1.

    CPython converts with ``PyLong_AsLong`` (an integer or ``__index__``)
    and fails the handshake with an internal error otherwise.
    """
    slot = SLOTS["ssl_compat SSLContext.sni_callback"]
    built = build(slot, lambda obj: value)
    outcome = drive(built)
    assert isinstance(outcome, ssl_compat.SSLError)
    assert isinstance(outcome.__cause__, TypeError)
    after_failure(slot, built, f"sni_callback returning {value!r}")


def test_compat_msg_callback_raising_comes_out_of_the_handshake() -> None:
    """The stdlib's private ``_msg_callback`` hook: its exception comes out.

    As in CPython, from the call that drove OpenSSL, unchanged; nothing goes
    to ``sys.unraisablehook``. (``keylog_filename`` is a file name, not a
    callback: covered elsewhere.)
    """
    exc = Boom("from _msg_callback")

    def failing_callback(*args: Any) -> None:
        raise exc

    ctx = ssl_compat.create_default_context(cafile=str(ca_file()))
    assert ctx._msg_callback is None
    ctx._msg_callback = failing_callback
    assert ctx._msg_callback is failing_callback
    obj = ctx.wrap_bio(
        ssl_compat.MemoryBIO(), ssl_compat.MemoryBIO(), server_hostname="localhost"
    )
    with hooks() as seen:
        with pytest.raises(Boom) as info:
            obj.do_handshake()
    assert info.value is exc
    assert not seen["unraisable"]
    error_queue_empty("after _msg_callback raised")
    ctx._msg_callback = None
    assert ctx._msg_callback is None


def test_servername_callback_exception_reaches_the_real_excepthook(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the default ``sys.excepthook``, the traceback is printed, once."""
    exc = Boom("printed by the default excepthook")
    server_ctx = server_context()

    def failing_callback(conn: SSL.Connection) -> None:
        raise exc

    server_ctx.set_tlsext_servername_callback(failing_callback)
    # Before 3.11 the exceptiongroup backport (trio, pytest) installs its own
    # hook at import; this test is about the interpreter's own one.
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    client, server = memory_pair(None, server_ctx, server_name=b"localhost")
    with pytest.raises(SSL.Error):
        handshake(client, server)
    assert capsys.readouterr().err.count("printed by the default excepthook") == 1
    assert lib.ERR_peek_error() == 0
    _count(1, 1)


def test_normal_sentinel_is_the_slot_default() -> None:
    """Sanity of the scenarios: well-behaved callbacks complete every handshake."""
    for slot in SLOTS.values():
        calls: list[Any] = []

        def action(target: Any, calls: list[Any] = calls) -> Any:
            calls.append(target)
            return NORMAL

        built = build(slot, action)
        assert drive(built) is None, slot.name
        assert calls, f"{slot.name}: the callback never ran"
        error_queue_empty(slot.name)
    _count(len(SLOTS), len(SLOTS))


def test_the_leak_check_can_fail() -> None:
    """``assert_flat`` catches one container or one kilobyte kept per round.

    And it lets a one-off step pass (a cache filled once, a dict resized).
    """
    kept: list[Any] = []
    with pytest.raises(AssertionError, match="both halves"):
        assert_flat(lambda: kept.append([]), 20, "one object a round")
    with pytest.raises(AssertionError, match="both halves"):
        assert_flat(lambda: kept.append(bytes(1024)), 20, "a kilobyte a round")
    calls = [0]
    step: list[Any] = []

    def one_off() -> None:
        calls[0] += 1
        if calls[0] == 5:
            step.extend([] for _ in range(5000))

    assert_flat(one_off, 20, "a single step")


def test_compat_sni_callback_set_last_wins_the_shared_slot() -> None:
    """Defect pinned: setting ``sni_callback`` again did not take the slot back.

    ``sni_callback`` and ``openssl_context.set_tlsext_servername_callback``
    share one OpenSSL slot and the last one set wins (doc/ssl_compat.rst);
    an ``sni_callback`` set after the other one was never called.
    """
    from tests import support

    calls: list[str] = []
    server_ctx = support.ssl_server_context()
    server_ctx.sni_callback = lambda obj, name, ctx: calls.append("first")
    server_ctx.openssl_context.set_tlsext_servername_callback(
        lambda conn: calls.append("openssl")
    )
    server_ctx.sni_callback = lambda obj, name, ctx: calls.append("last")
    support.handshake(*support.object_pair(support.ssl_client_context(), server_ctx))
    assert calls == ["last"]
    _count(1, 1)
