"""Callback abuse: every callback ``OpenSSL.SSL`` (and ``ssl_compat``) exposes.

.. list-table:: What each test checks, and where its verdict is computed
   :header-rows: 1

   * - test
     - checks
     - verdict computed in
   * - ``test_callback_abuse.py::test_raising_callback``
     - the callback's exception comes out of the triggering call unchanged
       (or reaches ``sys.excepthook`` / becomes the ``__cause__``, where
       documented); both peers fail; nothing unraisable; memory stays flat
     - :func:`raised_as_documented`, :func:`after_failure`, :func:`assert_flat`
       here; the test asserts their answers
   * - ``test_callback_abuse.py::test_wrong_return_types``
     - each wrong return type gives the outcome the test's ``EXPECT`` table
       names, every round, without growth
     - ``_returning_case`` in the test; :func:`after_failure` and
       :func:`assert_flat` here
   * - ``test_callback_abuse.py::test_wrong_type_expectations_are_not_all_ok``
     - the ``EXPECT`` table is not vacuous
     - the test
   * - ``test_callback_abuse.py::test_oversized_return_values``
     - too-long cookies, ALPN protocols, OCSP responses, passphrases and
       alerts: the documented exception, no growth (RSS included)
     - ``_returning_case`` in the test; :func:`assert_flat` here
   * - ``test_callback_abuse.py::test_reentering_the_connection_from_its_callbacks``
     - child ``reenter``: every slot calls back into its Connection,
       SSLObject or Context; results or documented exceptions, no crash
     - :func:`reenter_case` here, in the child; :func:`main` exits non-zero
       on the first wrong outcome and ``subproc.run_driver`` fails the test,
       which also checks that cases ran
   * - ``test_callback_abuse.py::test_dropping_references_around_callbacks``
     - child ``drop``: Contexts and Connections collected around and inside
       callbacks
     - :func:`drop_case`, :func:`openssl_context_outlives_case` here, in the
       child (as above)
   * - ``test_callback_abuse.py::test_normal_sentinel_is_the_slot_default``
     - well-behaved callbacks complete every slot's handshake
     - :func:`build` and :func:`drive` here; asserted in the test
   * - ``test_callback_abuse.py::test_the_leak_check_can_fail``
     - :func:`assert_flat` catches one container or kilobyte kept per round
     - the test
   * - the other tests of ``test_callback_abuse.py``
     - one pinned defect each (see their docstrings)
     - the tests; :func:`hooks` and :func:`error_queue_empty` collect
   * - ``test_cve_regressions.py`` (cookies, servername, ``sni_callback``)
     - the CVE regressions
     - the tests; :func:`dtls_pair`, :func:`dtls_handshake` and
       :func:`compat_handshake` here only drive

This module holds the scenarios, one per callback *slot* (where a callback
can be installed), and is also the child-process driver for the abuse that
could crash the interpreter (``python -m tests.reliability.callback_abuse_driver``):

* ``reenter``: the callback calls back into the object that invoked it
  (``do_handshake``, ``recv``, ``send``, ``shutdown``, ``set_context``,
  ``get_peer_certificate``, ...), once letting the resulting exception
  propagate and once swallowing it;
* ``drop``: the callback drops the last outside reference to its Context
  and Connections and runs the garbage collector before returning, and the
  reverse, Contexts and Connections collected while OpenSSL still holds
  their callbacks (the callbacks are referenced only through the Context).

A scenario is built from an *action*: the function each callback runs,
given the object the callback is about (the ``Connection``, the
``SSLObject``, or ``None`` for the passphrase callback). What the action
returns is what the callback returns; :data:`NORMAL` stands for the value a
well-behaved callback of that slot returns.

The driver prints ``CASE <slot> <kind> <variant>`` before each case, so the
output of a crashed child names the case; ``--slot``/``--variant`` rerun one.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import ssl
import sys
import tracemalloc
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Optional

from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from OpenSSL import SSL, ssl_compat
from OpenSSL._util import lib
from tests import support
from tests.reliability.memory import heap_in_use
from tests.reliability.outcomes import COMPAT_DOCUMENTED, SSL_DOCUMENTED
from tests.support import (
    MAX_ROUNDS,
    client_context,
    dtls_client_context,
    dtls_finish_handshake,
    dtls_server_context,
    dtls_step,
    make_pki,
    move_datagram,
    pump,
    server_context,
)
from tests.support import dtls_pair as support_dtls_pair
from tests.support import encrypted_key_file as support_encrypted_key_file

__all__ = [
    "NORMAL",
    "SLOTS",
    "Boom",
    "Built",
    "Slot",
    "assert_flat",
    "build",
]

#: What an action returns to let the callback return its slot's usual value.
NORMAL: Any = object()

COOKIE = b"a cookie for the abuse suite"
PASSPHRASE = b"correct horse battery staple"
#: A well-formed (unsuccessful) OCSP response: small, parses, says nothing.
OCSP_SMALL = ocsp.OCSPResponseBuilder.build_unsuccessful(
    ocsp.OCSPResponseStatus.UNAUTHORIZED
).public_bytes(serialization.Encoding.DER)


class Boom(Exception):
    """What the misbehaving callbacks raise."""


class Stalled(Exception):
    """A handshake loop made no progress within its bound (no hang)."""


def _value(result: Any, normal: Any) -> Any:
    return normal if result is NORMAL else result


def encrypted_key_file() -> Path:
    """The test server's key, PEM, encrypted with :data:`PASSPHRASE`."""
    return support_encrypted_key_file(PASSPHRASE)


# --- what a built scenario is -------------------------------


@dataclass
class Built:
    """One scenario, built and not yet run.

    ``drive()`` runs the triggering call(s) to completion: it returns when
    the handshake (or key load) succeeded and raises what the triggering
    call raised otherwise; ``step()`` runs one partial step (``None``: no
    such thing, as for a key load). ``peer_fails()``, after a failed ``drive``, checks
    that the other endpoint saw the failure too (``None``: no peer, or the
    slot has no way to abort the handshake). ``holder`` holds the only
    outside references to the Contexts and Connections.
    """

    drive: Callable[[], None]
    peer_fails: Optional[Callable[[], None]] = None
    holder: list[Any] = field(default_factory=list)
    #: One partial step of the handshake (for dropping objects mid-way).
    step: Optional[Callable[[], None]] = None


@dataclass(frozen=True)
class Slot:
    """Where a callback can be installed, and what its return value means.

    ``kind`` says how an exception raised by the callback surfaces:
    ``"same"`` (the very object out of the triggering call), ``"excepthook"``
    (``sys.excepthook`` gets it, the handshake fails with ``SSL.Error``) or
    ``"cause"`` (``ssl_compat``: an ``SSLError`` whose ``__cause__`` is it).
    ``aborts``: a failure makes OpenSSL abort the handshake with an alert
    (void callbacks cannot). ``compat``: the ssl_compat layer.
    """

    name: str
    make: Callable[[Callable[[Any], Any]], Built]
    kind: str = "same"
    aborts: bool = True
    compat: bool = False
    dtls: bool = False
    passwd: bool = False

    @property
    def documented(self) -> tuple[type[BaseException], ...]:
        return COMPAT_DOCUMENTED if self.compat else SSL_DOCUMENTED


# --- TLS over memory BIOs -------------------------------------


def _tls_handshake(holder: list[Any]) -> None:
    """Drive ``holder[0]`` (client) and ``holder[1]`` (server) to completion.

    The connections are looked up in *holder* at every step, so a callback
    that empties it leaves only the call in progress holding its connection.
    """
    done = [False, False]
    for _ in range(MAX_ROUNDS):
        if len(holder) < 2:
            return
        progressed = False
        for index in (0, 1):
            if done[index] or len(holder) < 2:
                continue
            try:
                holder[index].do_handshake()
            except (SSL.WantReadError, SSL.WantWriteError):
                pass
            else:
                done[index] = True
                progressed = True
        if len(holder) < 2:
            return
        progressed = pump(holder[0], holder[1]) or progressed
        if all(done) and not progressed:
            return
    raise Stalled(f"handshake did not complete (done={done})")


def _tls_step(holder: list[Any]) -> None:
    """The first flights: ClientHello in, the server's answer out."""
    client, server = holder[0], holder[1]
    for conn in (client, server):
        try:
            conn.do_handshake()
        except SSL.WantReadError:
            pass
        pump(client, server)


def _peer_fails(holder: list[Any], peer_index: int) -> Callable[[], None]:
    def check() -> None:
        if len(holder) < 2:
            return
        client, server = holder[0], holder[1]
        peer = holder[peer_index]
        for _ in range(MAX_ROUNDS):
            try:
                pump(client, server)
            except SSL.Error:
                pass
            try:
                peer.do_handshake()
            except (SSL.WantReadError, SSL.WantWriteError):
                continue
            except SSL.Error:
                return
            raise AssertionError("the peer completed a handshake that had failed")
        raise AssertionError("the peer never saw the failure")

    return check


def _tls(
    configure: Callable[[SSL.Context, SSL.Context, list[Any]], None],
    *,
    failing_side: int,
    per_connection: Optional[Callable[[SSL.Connection, SSL.Connection], None]] = None,
) -> Built:
    client_ctx = client_context()
    server_ctx = server_context()
    holder: list[Any] = []
    configure(client_ctx, server_ctx, holder)
    client = SSL.Connection(client_ctx, None)
    server = SSL.Connection(server_ctx, None)
    client.set_connect_state()
    server.set_accept_state()
    client.set_tlsext_host_name(b"localhost")
    if per_connection is not None:
        per_connection(client, server)
    holder[:0] = [client, server]
    return Built(
        drive=lambda: _tls_handshake(holder),
        peer_fails=_peer_fails(holder, 1 - failing_side),
        holder=holder,
        step=lambda: _tls_step(holder),
    )


def _ctx_verify(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        c.set_verify(SSL.VERIFY_PEER, lambda conn, *args: _value(action(conn), True))

    return _tls(configure, failing_side=0)


def _conn_verify(action: Callable[[Any], Any]) -> Built:
    def per_connection(client: SSL.Connection, server: SSL.Connection) -> None:
        client.set_verify(
            SSL.VERIFY_PEER, lambda conn, *args: _value(action(conn), True)
        )

    return _tls(lambda c, s, h: None, failing_side=0, per_connection=per_connection)


def _ctx_info(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        s.set_info_callback(lambda conn, where, ret: _value(action(conn), None))

    return _tls(configure, failing_side=1)


def _conn_info(action: Callable[[Any], Any]) -> Built:
    def per_connection(client: SSL.Connection, server: SSL.Connection) -> None:
        client.set_info_callback(lambda conn, where, ret: _value(action(conn), None))

    return _tls(lambda c, s, h: None, failing_side=0, per_connection=per_connection)


def _keylog(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        c.set_keylog_callback(lambda conn, line: _value(action(conn), None))

    return _tls(configure, failing_side=0)


def _servername(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        s.set_tlsext_servername_callback(lambda conn: _value(action(conn), None))

    return _tls(configure, failing_side=1)


def _alpn(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        c.set_alpn_protos([b"h2", b"http/1.1"])
        s.set_alpn_select_callback(
            lambda conn, offered: _value(action(conn), offered[0])
        )

    return _tls(configure, failing_side=1)


def _ocsp_server(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        c.set_ocsp_client_callback(lambda conn, response, data: True)
        s.set_ocsp_server_callback(lambda conn, data: _value(action(conn), OCSP_SMALL))

    return _tls(configure, failing_side=1, per_connection=lambda c, s: c.request_ocsp())


def _ocsp_client(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        c.set_ocsp_client_callback(
            lambda conn, response, data: _value(action(conn), True)
        )
        s.set_ocsp_server_callback(lambda conn, data: OCSP_SMALL)

    return _tls(configure, failing_side=0, per_connection=lambda c, s: c.request_ocsp())


def _msg(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        c.set_msg_callback(lambda conn, *message: _value(action(conn), None))

    return _tls(configure, failing_side=0)


def _new_session(action: Callable[[Any], Any]) -> Built:
    """TLS 1.3 tickets arrive after the handshake: the client reads them."""

    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        c.set_new_session_callback(lambda conn, session: _value(action(conn), None))

    built = _tls(configure, failing_side=0)
    holder = built.holder

    def drive() -> None:
        _tls_handshake(holder)
        if len(holder) < 2:
            return
        try:
            holder[0].recv(1)  # processes the tickets, then wants more
        except SSL.WantReadError:
            pass

    built.drive = drive
    return built


# --- DTLS cookies over memory BIOs ---------------------------


def dtls_handshake(holder: list[Any]) -> None:
    """The cookie exchange, then the handshake; ``WantReadError`` if refused.

    ``holder`` is ``[client, server]``; the server answers ClientHellos in
    ``DTLSv1_listen`` until one carries a cookie its verify callback accepts
    (at most a few rounds: a server that never accepts raises
    ``WantReadError``, what ``DTLSv1_listen`` itself raises meanwhile).
    """
    client, server = holder[0], holder[1]
    dtls_step(client.do_handshake)
    move_datagram(client, server)
    for _ in range(4):
        if dtls_step(server.DTLSv1_listen):
            break
        move_datagram(server, client)
        dtls_step(client.do_handshake)
        move_datagram(client, server)
    else:
        raise SSL.WantReadError()
    dtls_finish_handshake(client, server, stalled=Stalled)


def _dtls_first_step(holder: list[Any]) -> None:
    client, server = holder[0], holder[1]
    dtls_step(client.do_handshake)
    move_datagram(client, server)
    dtls_step(server.DTLSv1_listen)
    move_datagram(server, client)


def dtls_pair(
    generate: Callable[[SSL.Connection], Any],
    verify: Callable[[SSL.Connection, bytes], Any],
) -> list[Any]:
    """``[client, server]`` DTLS memory-BIO connections with cookie callbacks."""
    return list(
        support_dtls_pair(dtls_client_context(), dtls_server_context(generate, verify))
    )


def _cookie_generate(action: Callable[[Any], Any]) -> Built:
    made: list[Any] = []

    def generate(conn: SSL.Connection) -> Any:
        cookie = _value(action(conn), COOKIE)
        made.append(cookie)
        return cookie

    holder = dtls_pair(generate, lambda conn, cookie: cookie == made[-1])
    return Built(
        drive=lambda: dtls_handshake(holder),
        holder=holder,
        step=lambda: _dtls_first_step(holder),
    )


def _cookie_verify(action: Callable[[Any], Any]) -> Built:
    def verify(conn: SSL.Connection, cookie: bytes) -> Any:
        return _value(action(conn), cookie == COOKIE)

    holder = dtls_pair(lambda conn: COOKIE, verify)
    return Built(
        drive=lambda: dtls_handshake(holder),
        holder=holder,
        step=lambda: _dtls_first_step(holder),
    )


# --- the passphrase callback -------------------------------------


def _passwd(action: Callable[[Any], Any]) -> Built:
    ctx = SSL.Context(SSL.TLS_METHOD)
    holder: list[Any] = [ctx]
    path = str(encrypted_key_file())

    def callback(size: int, twice: bool, data: Any) -> Any:
        return _value(action(holder[0] if holder else None), PASSPHRASE)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.set_passwd_cb(callback)

    def drive() -> None:
        target = holder[0]
        target.use_privatekey_file(path)
        target.use_certificate(make_pki().server.cert)
        target.check_privatekey()

    return Built(drive=drive, holder=holder)


# --- ssl_compat's sni_callback ------------------------------------


def compat_handshake(holder: list[Any]) -> None:
    """Drive ``[client, server, c_in, c_out, s_in, s_out]`` (SSLObjects, BIOs)."""
    done = [False, False]
    for _ in range(MAX_ROUNDS):
        if len(holder) < 6:
            return
        client, server, c_in, c_out, s_in, s_out = holder[:6]
        for index, obj in enumerate((client, server)):
            if done[index]:
                continue
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
            else:
                done[index] = True
        moved = False
        for source, sink in ((c_out, s_in), (s_out, c_in)):
            data = source.read()
            if data:
                sink.write(data)
                moved = True
        if all(done) and not moved:
            return
    raise Stalled(f"ssl_compat handshake did not complete (done={done})")


def _compat_step(holder: list[Any]) -> None:
    client, server, c_in, c_out, s_in, s_out = holder[:6]
    for obj in (client, server):
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())


def _compat_peer_fails(holder: list[Any]) -> Callable[[], None]:
    def check() -> None:
        if len(holder) < 6:
            return
        client, _, c_in, _, _, s_out = holder[:6]
        for _ in range(MAX_ROUNDS):
            data = s_out.read()
            if data:
                c_in.write(data)
            try:
                client.do_handshake()
            except ssl.SSLWantReadError:
                continue
            except ssl.SSLError:
                return
            raise AssertionError("the client completed a handshake that had failed")
        raise AssertionError("the client never saw the failure")

    return check


def _compat_sni(action: Callable[[Any], Any]) -> Built:
    server_ctx = support.ssl_server_context()
    client_ctx = support.ssl_client_context()
    server_ctx.sni_callback = lambda obj, name, ctx: _value(action(obj), None)
    c_in, c_out, s_in, s_out = (ssl_compat.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    holder = [client, server, c_in, c_out, s_in, s_out]
    return Built(
        drive=lambda: compat_handshake(holder),
        peer_fails=_compat_peer_fails(holder),
        holder=holder,
        step=lambda: _compat_step(holder),
    )


# --- pyopenssl-ng's own callbacks: PSK, certificate, SNI alert --------

#: The pre-shared key both ends of the PSK scenarios know.
PSK_KEY = bytes(range(32))


def _psk_suite(c: SSL.Context, s: SSL.Context) -> None:
    # The suite the key is bound to: with the certificate path open, a
    # server preferring a SHA-384 suite would otherwise skip the PSK.
    for ctx in (c, s):
        ctx.set_tls13_ciphersuites(b"TLS_AES_128_GCM_SHA256")


def _psk_client(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        _psk_suite(c, s)
        c.set_psk_client_callback(
            lambda conn, hint: _value(action(conn), (b"abuse", PSK_KEY))
        )
        s.set_psk_server_callback(lambda conn, identity: PSK_KEY)

    return _tls(configure, failing_side=0)


def _psk_server(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        _psk_suite(c, s)
        c.set_psk_client_callback(lambda conn, hint: (b"abuse", PSK_KEY))
        s.set_psk_server_callback(lambda conn, identity: _value(action(conn), PSK_KEY))

    return _tls(configure, failing_side=1)


def _cert_callback(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        s.set_cert_callback(lambda conn: _value(action(conn), True))

    return _tls(configure, failing_side=1)


def _servername_alert(action: Callable[[Any], Any]) -> Built:
    def configure(c: SSL.Context, s: SSL.Context, holder: list[Any]) -> None:
        s.set_tlsext_servername_alert_callback(lambda conn: _value(action(conn), None))

    return _tls(configure, failing_side=1)


def _compat_side_fails(holder: list[Any], peer_index: int) -> Callable[[], None]:
    """After a failed handshake, the SSLObject at *peer_index* fails too."""

    def check() -> None:
        if len(holder) < 6:
            return
        client, server, c_in, c_out, s_in, s_out = holder[:6]
        peer = (client, server)[peer_index]
        for _ in range(MAX_ROUNDS):
            for source, sink in ((c_out, s_in), (s_out, c_in)):
                data = source.read()
                if data:
                    sink.write(data)
            try:
                peer.do_handshake()
            except ssl.SSLWantReadError:
                continue
            except ssl.SSLError:
                return
            raise AssertionError("the peer completed a handshake that had failed")
        raise AssertionError("the peer never saw the failure")

    return check


def _compat_pair(server_ctx: Any, client_ctx: Any, failing_side: int) -> Built:
    c_in, c_out, s_in, s_out = (ssl_compat.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    holder = [client, server, c_in, c_out, s_in, s_out]
    return Built(
        drive=lambda: compat_handshake(holder),
        peer_fails=_compat_side_fails(holder, 1 - failing_side),
        holder=holder,
        step=lambda: _compat_step(holder),
    )


def _compat_psk(action: Callable[[Any], Any], failing_side: int) -> Built:
    server_ctx = support.ssl_server_context()
    client_ctx = support.ssl_client_context()
    for ctx in (server_ctx, client_ctx):
        ctx.set_ciphersuites("TLS_AES_128_GCM_SHA256")
    holder: list[Any] = []

    def target(index: int) -> Any:
        return holder[index] if len(holder) > index else None

    if failing_side == 0:
        client_ctx.set_psk_client_callback(
            lambda hint: _value(action(target(0)), ("abuse", PSK_KEY))
        )
        server_ctx.set_psk_server_callback(lambda identity: PSK_KEY)
    else:
        client_ctx.set_psk_client_callback(lambda hint: ("abuse", PSK_KEY))
        server_ctx.set_psk_server_callback(
            lambda identity: _value(action(target(1)), PSK_KEY)
        )
    c_in, c_out, s_in, s_out = (ssl_compat.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    holder[:] = [client, server, c_in, c_out, s_in, s_out]
    return Built(
        drive=lambda: compat_handshake(holder),
        peer_fails=_compat_side_fails(holder, 1 - failing_side),
        holder=holder,
        step=lambda: _compat_step(holder),
    )


def _compat_verify(action: Callable[[Any], Any]) -> Built:
    client_ctx = support.ssl_client_context()
    client_ctx.set_verify_callback(
        lambda obj, cert, depth, error, ok: _value(action(obj), ok)
    )
    return _compat_pair(support.ssl_server_context(), client_ctx, failing_side=0)


def _compat_ocsp_response(action: Callable[[Any], Any]) -> Built:
    staple = make_pki().ocsp_response()
    server_ctx = support.ssl_server_context()
    server_ctx.set_ocsp_response_callback(lambda obj: _value(action(obj), staple))
    client_ctx = support.ssl_client_context(ocsp_mode="require_good")
    return _compat_pair(server_ctx, client_ctx, failing_side=1)


SLOTS: dict[str, Slot] = {
    slot.name: slot
    for slot in (
        Slot("Context.set_verify", _ctx_verify),
        Slot("Connection.set_verify", _conn_verify),
        Slot("Context.set_info_callback", _ctx_info, aborts=False),
        Slot("Connection.set_info_callback", _conn_info, aborts=False),
        Slot("Context.set_keylog_callback", _keylog, aborts=False),
        Slot("Context.set_msg_callback", _msg, aborts=False),
        Slot("Context.set_new_session_callback", _new_session, aborts=False),
        Slot("Context.set_tlsext_servername_callback", _servername, kind="excepthook"),
        Slot("Context.set_alpn_select_callback", _alpn),
        Slot("Context.set_ocsp_server_callback", _ocsp_server),
        Slot("Context.set_ocsp_client_callback", _ocsp_client),
        Slot("Context.set_cookie_generate_callback", _cookie_generate, dtls=True),
        Slot("Context.set_cookie_verify_callback", _cookie_verify, dtls=True),
        Slot("Context.set_passwd_cb", _passwd, passwd=True),
        Slot(
            "ssl_compat SSLContext.sni_callback", _compat_sni, kind="cause", compat=True
        ),
        Slot("Context.set_psk_client_callback", _psk_client),
        Slot("Context.set_psk_server_callback", _psk_server),
        Slot("Context.set_cert_callback", _cert_callback),
        Slot("Context.set_tlsext_servername_alert_callback", _servername_alert),
        Slot(
            "ssl_compat SSLContext.set_psk_client_callback",
            functools.partial(_compat_psk, failing_side=0),
            kind="cause",
            compat=True,
        ),
        Slot(
            "ssl_compat SSLContext.set_psk_server_callback",
            functools.partial(_compat_psk, failing_side=1),
            kind="cause",
            compat=True,
        ),
        Slot("ssl_compat SSLContext.set_verify_callback", _compat_verify, compat=True),
        Slot(
            "ssl_compat SSLContext.set_ocsp_response_callback",
            _compat_ocsp_response,
            compat=True,
        ),
    )
}


def build(slot: Slot, action: Callable[[Any], Any]) -> Built:
    """Build *slot*'s scenario around *action*."""
    return slot.make(action)


# --- hooks and leak checks -------------------------------------------


@contextlib.contextmanager
def hooks() -> Iterator[dict[str, list[Any]]]:
    """Capture ``sys.excepthook`` and ``sys.unraisablehook`` calls."""
    seen: dict[str, list[Any]] = {"excepthook": [], "unraisable": []}

    def excepthook(
        kind: type[BaseException], value: BaseException, tb: Optional[TracebackType]
    ) -> None:
        seen["excepthook"].append(value)

    def unraisablehook(info: Any) -> None:
        seen["unraisable"].append(info.exc_value)

    saved = sys.excepthook, sys.unraisablehook
    sys.excepthook, sys.unraisablehook = excepthook, unraisablehook
    try:
        yield seen
    finally:
        sys.excepthook, sys.unraisablehook = saved


#: Rounds run before the leak checks start measuring.
WARMUP = 1


def assert_flat(
    run_round: Callable[[], None],
    rounds: int,
    what: str,
    warmup: int = WARMUP,
    heap_slack: Optional[int] = None,
) -> None:
    """Run *run_round* *warmup* times, then *rounds* times in two traced halves.

    A leak grows with every round, so it shows in both halves; the noise of
    caches, free lists and dict resizes comes in one-off steps and shows in
    one at most. A half may grow Python memory (tracemalloc) by 8 KiB plus
    64 bytes a round and gc-tracked objects by a quarter of its rounds:
    with 20 rounds, a leak of one gc-tracked object or of a kilobyte per
    round fails.
    With *heap_slack*, the C heap in use may not grow by more than that in
    all (for rounds that hand OpenSSL megabytes, which tracemalloc cannot
    see).
    """
    for _ in range(warmup):
        run_round()
    half = max(1, rounds // 2)
    gc.collect()
    objects = [len(gc.get_objects())]
    heap_before = heap_in_use()
    memory: list[int] = []
    tracemalloc.start()
    try:
        memory.append(tracemalloc.get_traced_memory()[0])
        for done in range(1, rounds + 1):
            run_round()
            if done in (half, rounds):
                gc.collect()
                memory.append(tracemalloc.get_traced_memory()[0])
                objects.append(len(gc.get_objects()))
    finally:
        tracemalloc.stop()
    heap_grown = heap_in_use() - heap_before
    if heap_slack is not None and heap_grown > heap_slack:
        raise AssertionError(
            f"{what}: {rounds} rounds after a warm-up of {warmup} grew the "
            f"C heap in use by {heap_grown} bytes (slack {heap_slack})"
        )
    object_steps = [b - a for a, b in zip(objects, objects[1:])]
    memory_steps = [b - a for a, b in zip(memory, memory[1:])]
    object_slack = max(8, half // 4)
    memory_slack = 8192 + 64 * half
    if len(object_steps) < 2:
        return  # one round (a quick reproduction): nothing to compare
    if min(object_steps) > object_slack or min(memory_steps) > memory_slack:
        raise AssertionError(
            f"{what}: both halves of {rounds} rounds (after a warm-up of "
            f"{warmup}) left objects {object_steps} (slack {object_slack}) "
            f"and bytes of Python memory {memory_steps} (slack {memory_slack}) "
            "behind"
        )


def error_queue_empty(what: str) -> None:
    """The OpenSSL error queue holds nothing (and is cleared for the next case)."""
    code = lib.ERR_peek_error()
    if code:
        lib.ERR_clear_error()
        raise AssertionError(f"{what}: OpenSSL error queue left non-empty ({code:#x})")


# --- judging the outcome of a triggering call --------------------


def drive(built: Built) -> Optional[BaseException]:
    """Run *built*; return what the triggering call raised (``None``: success).

    ``AssertionError`` (a stalled handshake loop) is not an outcome but a
    test failure, and propagates.
    """
    try:
        built.drive()
    except AssertionError:
        raise
    except BaseException as exc:
        return exc
    return None


def raised_as_documented(
    slot: Slot,
    candidates: list[BaseException],
    outcome: Optional[BaseException],
    seen: dict[str, list[Any]],
) -> Optional[str]:
    """Why *outcome* is not how *slot* reports one of *candidates* (or ``None``).

    *candidates* are the exceptions the callback let escape, in order.
    """
    if slot.kind == "same":
        if any(outcome is exc for exc in candidates):
            assert outcome is not None
            if outcome.__traceback__ is None:
                return "the exception came out without its traceback"
            return None
        return f"expected one of {candidates!r} unchanged, got {outcome!r}"
    if slot.kind == "excepthook":
        if not isinstance(outcome, SSL.Error) or any(
            outcome is exc for exc in candidates
        ):
            return f"expected SSL.Error from the handshake, got {outcome!r}"
        if not any(
            hooked is exc for hooked in seen["excepthook"] for exc in candidates
        ):
            return f"sys.excepthook did not get {candidates!r}: {seen['excepthook']!r}"
        return None
    if not isinstance(outcome, ssl.SSLError):
        return f"expected ssl.SSLError, got {outcome!r}"
    if not any(outcome.__cause__ is exc for exc in candidates):
        return f"expected __cause__ in {candidates!r}, got {outcome.__cause__!r}"
    return None


def after_failure(slot: Slot, built: Built, what: str) -> None:
    """A failed handshake: the peer fails too and no error is left queued."""
    error_queue_empty(what)
    if slot.aborts and built.peer_fails is not None:
        built.peer_fails()
        error_queue_empty(what + " (peer)")


# --- re-entering the object whose callback runs ------------------


@functools.cache
def _spare_server_context() -> SSL.Context:
    return server_context(make_pki().rsa_server)


@functools.cache
def _spare_compat_context() -> Any:
    return support.ssl_server_context(identity="rsa_server")


_Op = Callable[[Any], Any]

#: Calls that would re-enter OpenSSL's handshake: refused with ValueError.
REFUSED = {"do_handshake", "DTLSv1_listen", "DTLSv1_handle_timeout"}

CONNECTION_OPS: dict[str, _Op] = {
    "do_handshake": lambda c: c.do_handshake(),
    "recv": lambda c: c.recv(1024),
    "send": lambda c: c.send(b"re-entrant data"),
    "shutdown": lambda c: c.shutdown(),
    "set_context": lambda c: c.set_context(_spare_server_context()),
    "get_peer_certificate": lambda c: c.get_peer_certificate(),
    "set_verify": lambda c: c.set_verify(
        c.get_verify_mode(), lambda conn, cert, err, depth, ok: ok
    ),
    "set_info_callback": lambda c: c.set_info_callback(lambda *args: None),
}

LONG_CONNECTION_OPS: dict[str, _Op] = {
    "renegotiate": lambda c: c.renegotiate(),
    "get_peer_cert_chain": lambda c: c.get_peer_cert_chain(as_cryptography=True),
    "bio_write": lambda c: c.bio_write(b"\x16\x03\x01\x00\x02\x01\x00"),
    "bio_read": lambda c: c.bio_read(65536),
    "recv_into": lambda c: c.recv_into(bytearray(64)),
    "recv_peek": lambda c: c.recv(64, 2),
    "sendall": lambda c: c.sendall(b"x" * 40000),
    "get_verified_chain": lambda c: c.get_verified_chain(),
    "get_session": lambda c: c.get_session(),
    "export_keying_material": lambda c: c.export_keying_material(b"label", 32),
    "master_key": lambda c: c.master_key(),
    "get_finished": lambda c: (c.get_finished(), c.get_peer_finished()),
    "cipher_and_state": lambda c: (c.get_cipher_name(), c.get_state_string()),
    "get_servername": lambda c: c.get_servername(),
    "get_alpn_proto_negotiated": lambda c: c.get_alpn_proto_negotiated(),
    "set_alpn_protos": lambda c: c.set_alpn_protos([b"late"]),
    "request_ocsp": lambda c: c.request_ocsp(),
    "use_certificate": lambda c: c.use_certificate(make_pki().rsa_server.cert),
    "use_privatekey": lambda c: c.use_privatekey(make_pki().rsa_server.key),
    "set_verify_hostname": lambda c: c.set_verify_hostname("localhost"),
    "set_tlsext_host_name": lambda c: c.set_tlsext_host_name(b"late.example"),
    "set_shutdown": lambda c: c.set_shutdown(SSL.SENT_SHUTDOWN),
    "pending_and_wants": lambda c: (c.pending(), c.want_read(), c.want_write()),
    "get_protocol_version_name": lambda c: c.get_protocol_version_name(),
    "DTLSv1_get_timeout": lambda c: c.DTLSv1_get_timeout(),
}

DTLS_OPS: dict[str, _Op] = {
    "DTLSv1_listen": lambda c: c.DTLSv1_listen(),
    "DTLSv1_handle_timeout": lambda c: c.DTLSv1_handle_timeout(),
    "get_cleartext_mtu": lambda c: c.get_cleartext_mtu(),
}

PASSWD_OPS: dict[str, _Op] = {
    "use_privatekey_file": lambda ctx: ctx.use_privatekey_file(
        str(encrypted_key_file())
    ),
    "set_passwd_cb": lambda ctx: _replace_passwd_cb(ctx),
    "check_privatekey": lambda ctx: ctx.check_privatekey(),
    "use_certificate": lambda ctx: ctx.use_certificate(make_pki().server.cert),
    "get_cert_store": lambda ctx: ctx.get_cert_store(),
}

COMPAT_OPS: dict[str, _Op] = {
    "do_handshake": lambda o: o.do_handshake(),
    "read": lambda o: o.read(1024),
    "write": lambda o: o.write(b"re-entrant data"),
    "unwrap": lambda o: o.unwrap(),
    "getpeercert": lambda o: o.getpeercert(),
    "context": lambda o: setattr(o, "context", _spare_compat_context()),
}

LONG_COMPAT_OPS: dict[str, _Op] = {
    "cipher_and_version": lambda o: (o.cipher(), o.version(), o.pending()),
    "selected_alpn_protocol": lambda o: o.selected_alpn_protocol(),
}


def _replace_passwd_cb(ctx: SSL.Context) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.set_passwd_cb(lambda size, twice, data: PASSPHRASE)


def ops_for(slot: Slot, long: bool) -> dict[str, _Op]:
    """The re-entrant calls tried from inside *slot*'s callback."""
    if slot.compat:
        ops = dict(COMPAT_OPS)
        if long:
            ops.update(LONG_COMPAT_OPS)
        return ops
    if slot.passwd:
        return dict(PASSWD_OPS)
    ops = dict(CONNECTION_OPS)
    if long:
        ops.update(LONG_CONNECTION_OPS)
    if slot.dtls:
        ops.update(DTLS_OPS)
    return ops


#: Calls that take bytes out of (or put bytes into) the stream under the
#: handshake's feet: the handshake may then stall, the loop ends (no hang).
STALLABLE = {"bio_read", "bio_write"}

_WANT = (SSL.WantReadError, SSL.WantWriteError, ssl.SSLWantReadError)


def reenter_case(slot: Slot, name: str, op: _Op, propagate: bool) -> None:
    """The callback calls *op* on its own object; check what comes out."""
    inside: list[Optional[BaseException]] = []

    def failing_callback(target: Any) -> Any:
        if target is None:
            return NORMAL
        try:
            op(target)
        except AssertionError:
            raise
        except _WANT as exc:
            # It would come out of the triggering call unchanged, where a
            # handshake loop takes it for OpenSSL's own want-read: not
            # propagated, it says nothing there.
            inside.append(exc)
        except BaseException as exc:
            inside.append(exc)
            if propagate:
                raise
        else:
            inside.append(None)
        return NORMAL

    what = f"{slot.name}: {name} from inside the callback"
    with hooks() as seen:
        built = build(slot, failing_callback)
        outcome = drive(built)
    raised = [exc for exc in inside if exc is not None]
    if not inside:
        raise AssertionError(f"{what}: the callback never ran")
    for exc in raised:
        if name in REFUSED and not isinstance(exc, ValueError):
            raise AssertionError(f"{what}: expected ValueError, got {exc!r}")
        if not isinstance(exc, slot.documented):
            raise AssertionError(f"{what}: undocumented {exc!r}") from exc
    if seen["unraisable"]:
        raise AssertionError(f"{what}: unraisable exceptions {seen['unraisable']!r}")
    propagated = [exc for exc in raised if not isinstance(exc, _WANT)]
    if propagate and propagated:
        problem = raised_as_documented(slot, propagated, outcome, seen)
        if problem is not None:
            raise AssertionError(f"{what}: {problem}") from outcome
    elif outcome is not None and not isinstance(outcome, slot.documented):
        if not (name in STALLABLE and isinstance(outcome, Stalled)):
            raise AssertionError(f"{what}: undocumented {outcome!r}") from outcome
    error_queue_empty(what)
    built.holder.clear()


# --- dropping references ---------------------------------------------


def drop_case(slot: Slot, variant: str) -> None:
    """References to the Context/Connection vanish around a running callback."""
    calls: list[int] = []
    holder_box: list[list[Any]] = []
    exc = Boom(f"{slot.name} after dropping its objects")

    def failing_callback(target: Any) -> Any:
        calls.append(1)
        if variant.startswith("drop_inside") and len(calls) == 1:
            del target
            holder_box[0].clear()
            gc.collect()
            if variant == "drop_inside_then_raise":
                raise exc
        return NORMAL

    what = f"{slot.name}: {variant}"
    with hooks() as seen:
        built = build(slot, failing_callback)
        holder_box.append(built.holder)
        if variant == "collected_before_handshake":
            gc.collect()
        if variant == "collected_mid_handshake":
            if built.step is not None:
                try:
                    built.step()
                except BaseException as step_exc:
                    raise AssertionError(f"{what}: partial step raised") from step_exc
            built.holder.clear()
            del built
            gc.collect()
            outcome = None
        else:
            outcome = drive(built)
    if seen["unraisable"]:
        raise AssertionError(f"{what}: unraisable exceptions {seen['unraisable']!r}")
    if variant == "drop_inside_then_raise":
        problem = raised_as_documented(slot, [exc], outcome, seen)
        if problem is not None:
            raise AssertionError(f"{what}: {problem}") from outcome
    elif variant == "collected_before_handshake":
        if outcome is not None:
            raise AssertionError(f"{what}: handshake failed") from outcome
        if not calls:
            raise AssertionError(f"{what}: the callback never ran")
    elif outcome is not None and not isinstance(outcome, slot.documented):
        raise AssertionError(f"{what}: undocumented outcome {outcome!r}") from outcome
    error_queue_empty(what)


def openssl_context_outlives_case() -> None:
    """An ssl_compat SSLContext collected while its ``openssl_context`` serves.

    The SNI trampoline was held only by the SSLContext: the next handshake
    on the OpenSSL Context called freed memory (fixed; this pins it).
    """
    compat_ctx = support.ssl_server_context()
    compat_ctx.sni_callback = lambda obj, name, ctx: None
    raw = compat_ctx.openssl_context
    del compat_ctx
    gc.collect()
    client = SSL.Connection(client_context(), None)
    server = SSL.Connection(raw, None)
    client.set_connect_state()
    server.set_accept_state()
    client.set_tlsext_host_name(b"localhost")
    _tls_handshake([client, server])
    error_queue_empty("openssl_context after its SSLContext was collected")


DROP_VARIANTS = (
    "drop_inside",
    "drop_inside_then_raise",
    "collected_before_handshake",
    "collected_mid_handshake",
)


# --- the child process ---------------------------------------------------


def _cases(kind: str, slot: Slot, long: bool) -> list[tuple[str, Callable[[], None]]]:
    cases: list[tuple[str, Callable[[], None]]] = []
    if kind == "reenter":
        for name, op in ops_for(slot, long).items():
            # The swallowing variant differs only when the call raises; the
            # fast profile lets every exception propagate.
            for propagate in (False, True) if long else (True,):
                label = f"{name} {'propagate' if propagate else 'swallow'}"
                cases.append(
                    (label, functools.partial(reenter_case, slot, name, op, propagate))
                )
    else:
        for variant in DROP_VARIANTS:
            cases.append((variant, functools.partial(drop_case, slot, variant)))
        if slot.compat:
            cases.append(("openssl_context_outlives", openssl_context_outlives_case))
    return cases


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("reenter", "drop"))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--long", action="store_true", help="every re-entrant call")
    parser.add_argument("--slot", help="only this slot (its name)")
    parser.add_argument("--case", help="only this case (its label)")
    args = parser.parse_args(argv)
    # What exists now (modules, the PKI) lives for the whole run: frozen, the
    # collector skips it, and the many gc.collect() calls stay cheap.
    make_pki()
    encrypted_key_file()
    gc.collect()
    gc.freeze()
    slots = [SLOTS[args.slot]] if args.slot else list(SLOTS.values())
    cases_run = 0
    handshakes = 0
    for slot in slots:
        cases = _cases(args.kind, slot, args.long)
        if args.case:
            cases = [case for case in cases if case[0] == args.case]
        if not cases:
            continue
        first = [True]

        def run_round(
            cases: list[tuple[str, Callable[[], None]]] = cases,
            first: list[bool] = first,
            slot: Slot = slot,
        ) -> None:
            # Each case is named as it starts in the first round, so the
            # output of a crashed child ends with the case that crashed it.
            for label, case in cases:
                if first[0]:
                    print(f"CASE {args.kind} {slot.name!r} {label!r}", flush=True)
                case()
            first[0] = False

        assert_flat(run_round, args.rounds, f"{slot.name} {args.kind}")
        cases_run += len(cases)
        handshakes += len(cases) * (args.rounds + WARMUP)
    from tests.reliability.subproc import emit_figures

    emit_figures({"cases": cases_run, "handshakes": handshakes})
    return 0


if __name__ == "__main__":
    sys.exit(main())
