"""The TLS connection behind both ``SSLSocket`` and ``SSLObject``.

:class:`TLSCore` owns one ``OpenSSL.SSL.Connection`` (socket mode for
``SSLSocket``, memory-BIO mode for ``SSLObject``) and everything the two
stdlib classes report about it in the same way: ``cipher()``, ``version()``,
``getpeercert()``, ``session``, channel binding, ALPN. It also sets up the
per-connection knobs a stdlib context implies -- SNI, hostname checking
inside the handshake (``Connection.set_verify_hostname``), verify flags,
post-handshake auth, the offered session -- and turns ``OpenSSL.SSL``
exceptions into the stdlib's through ``_errors``.

How I/O waits is not decided here: ``SSLSocket`` waits on its socket,
``SSLObject`` lets its caller move bytes between the memory BIOs.
"""

from __future__ import annotations

import ipaddress
import re
import ssl as _stdlib_ssl
import weakref
from typing import Any, Callable, NoReturn, Optional, TypeVar

from OpenSSL import SSL
from OpenSSL.crypto import FILETYPE_ASN1, X509, dump_certificate
from OpenSSL.ssl_compat._certificate_object import Certificate
from OpenSSL.ssl_compat._certs import decode_certificate, match_hostname
from OpenSSL.ssl_compat._ciphers import shared_cipher_tuple
from OpenSSL.ssl_compat._constants import CHANNEL_BINDING_TYPES
from OpenSSL.ssl_compat._errors import hostname_mismatch_error, translate_error
from OpenSSL.ssl_compat._session import SSLSession

__all__ = ["TLSCore", "byte_buffer", "check_wrap_arguments", "owner_of"]

# Connection -> the TLSCore that drives it, for the callbacks OpenSSL calls
# with the Connection (sni_callback, PSK, verify and OCSP callbacks) to find
# the stdlib object. Weak both ways: the core holds its Connection, and a
# strong value would keep the key alive for ever.
_owners: weakref.WeakKeyDictionary[SSL.Connection, weakref.ref[TLSCore]] = (
    weakref.WeakKeyDictionary()
)


def owner_of(connection: SSL.Connection) -> Optional[TLSCore]:
    """The :class:`TLSCore` driving *connection* (``None`` once it is gone)."""
    ref = _owners.get(connection)
    return None if ref is None else ref()


_T = TypeVar("_T")
_FINISHED_STATE = b"SSL negotiation finished successfully"
_ERROR_STATE = b"error"


def byte_buffer(buffer: Any) -> tuple[Any, int]:
    """*buffer* as something ``Connection.recv_into`` sizes in bytes, and its size.

    The stdlib sizes receive buffers in bytes (``array('I', [0, 0])`` takes
    8); ``Connection.recv_into`` follows pyOpenSSL and uses ``len()``, the
    item count. Multi-byte or multi-dimensional buffers are therefore handed
    over as a flat byte view (``TypeError`` when not contiguous, as the
    stdlib).
    """
    if type(buffer) is bytearray:
        return buffer, len(buffer)
    # A view even for byte buffers: the object's own __len__ is not asked.
    view = memoryview(buffer)
    if view.itemsize == 1 and view.ndim == 1:
        return view, view.nbytes
    return view.cast("B"), view.nbytes


def check_wrap_arguments(
    context: Any,
    server_side: bool,
    server_hostname: Any,
    session: Any,
) -> Optional[str]:
    """Validate ``wrap_socket``/``wrap_bio`` arguments as CPython does.

    Returns the server hostname as text (IDNA A-label), or ``None``.
    """
    check_wrap_roles(context, server_side, server_hostname, session)
    if server_hostname is None:
        return None
    return encode_server_hostname(context, server_hostname)


def check_wrap_roles(
    context: Any,
    server_side: bool,
    server_hostname: Any,
    session: Any,
) -> None:
    """The checks CPython makes before it takes the socket over."""
    if server_side:
        if server_hostname:
            raise ValueError("server_hostname can only be specified in client mode")
        if session is not None:
            raise ValueError("session can only be specified in client mode")
    if context.check_hostname and not server_hostname and not server_side:
        raise ValueError("check_hostname requires server_hostname")


def encode_server_hostname(context: Any, server_hostname: Any) -> str:
    """*server_hostname* as text (IDNA A-label), refused as CPython does."""
    # Encoded first, as CPython: a text name with an empty label (".x.net")
    # fails in the IDNA codec (UnicodeError); the dot check then catches
    # what the codec lets through (bytes).
    hostname: str = context._encode_hostname(server_hostname)
    if not hostname:
        raise ValueError("server_hostname cannot be an empty string")
    if hostname.startswith("."):
        raise ValueError(
            "server_hostname cannot be an empty string or start with a leading dot."
        )
    if "\0" in hostname:
        # TypeError, as CPython's argument parser raises for embedded NULs.
        raise TypeError("server_hostname cannot contain NUL characters")
    return hostname


_DOTTED_QUAD = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")


def _ip_literal(hostname: str) -> Optional[str]:
    """*hostname* as a canonical IP address, or ``None`` for a DNS name.

    OpenSSL's parser (which CPython uses) also takes IPv4 octets with
    leading zeros (``127.000.000.001``); Python's ``ipaddress`` does not.
    """
    match = _DOTTED_QUAD.match(hostname)
    if match is not None:
        octets = [int(part) for part in match.groups()]
        if all(octet <= 255 for octet in octets):
            return ".".join(map(str, octets))
        return None
    try:
        return str(ipaddress.ip_address(hostname.strip("[]")))
    except ValueError:
        return None


def refine_error(error: BaseException, failure: Any) -> BaseException:
    """``_verification.refine_error`` (imported late: it imports this module)."""
    if failure is None:
        return error
    from OpenSSL.ssl_compat._verification import refine_error as refine

    return refine(error, failure)


def _der(cert: X509) -> bytes:
    """The DER encoding of *cert* as OpenSSL holds it (no re-parsing)."""
    return dump_certificate(FILETYPE_ASN1, cert)


class TLSCore:
    """One TLS connection configured from an ``ssl_compat.SSLContext``."""

    def __init__(
        self,
        context: Any,
        *,
        server_side: bool,
        server_hostname: Optional[str],
        session: Any,
        public: Any,
        sock: Any = None,
    ) -> None:
        self.context = context
        # The context whose sni_callback runs: the one the handshake began with.
        self.context_at_creation = context
        self.server_side = server_side
        self.server_hostname = server_hostname
        self._public = weakref.ref(public)
        self.callback_exception: Optional[BaseException] = None
        # Filled by ssl_compat's own checks and callbacks (_extensions,
        # _ocsp, _verification): what was stapled, why verification failed.
        self.ocsp_mode: Any = None
        self.ocsp_response: Optional[bytes] = None
        self.verification_failure: Any = None
        self.handshake_done = False
        self._counted = False
        self._offered_session = False
        self._hostname_after_handshake: Optional[str] = None
        conn = SSL.Connection(context.openssl_context, sock)
        self.connection = conn
        if server_side:
            conn.set_accept_state()
        else:
            conn.set_connect_state()
            if server_hostname is not None:
                address = _ip_literal(server_hostname)
                if address is None:
                    # SNI carries DNS names only; OpenSSL refuses names past
                    # 255 bytes (the stdlib raises SSLError there too).
                    try:
                        conn.set_tlsext_host_name(server_hostname.encode("ascii"))
                    except SSL.Error as exc:
                        raise translate_error(exc) from None
                if context.check_hostname:
                    self._check_hostname_in_handshake(
                        server_hostname if address is None else address
                    )
        conn.set_options(context._connection_options())
        conn.add_verify_flags(context._verify_flags)
        if context.post_handshake_auth:
            self._enable_post_handshake_auth()
        if session is not None:
            self.set_session(session)
        context._prepare_connection(self)
        _owners[conn] = weakref.ref(self)
        # Callbacks installed later (ALPN, keylog) find the connection: its
        # Context allows changes after use, which keeps connections findable.

    def _enable_post_handshake_auth(self) -> None:
        """Arm TLS 1.3 post-handshake authentication, as CPython does.

        A client announces it will answer certificate requests after the
        handshake; a server that verifies peers adds
        ``VERIFY_POST_HANDSHAKE`` to its mode (the verify callback of the
        context stays in force).
        """
        conn = self.connection
        if not self.server_side:
            conn.set_post_handshake_auth(True)
            return
        mode = conn.get_verify_mode()
        if mode & SSL.VERIFY_PEER:
            conn.set_verify(mode | SSL.VERIFY_POST_HANDSHAKE)

    def release(self) -> None:
        """Mark the connection as shut down before it is dropped.

        OpenSSL invalidates the session of an ``SSL`` freed without
        ``SSL_shutdown``; the stdlib keeps such sessions resumable (closing a
        socket without ``unwrap()`` is the common case), so the sent-shutdown
        bit is set first, as CPython does.
        """
        connection = self.connection
        connection.set_shutdown(connection.get_shutdown() | SSL.SENT_SHUTDOWN)

    def __del__(self) -> None:
        try:
            self.release()
        except Exception:
            pass

    def _check_hostname_in_handshake(self, hostname: str) -> None:
        try:
            self.connection.set_verify_hostname(
                hostname,
                check_common_name=self.context.hostname_checks_common_name,
            )
        except ValueError:
            # OpenSSL 4 refuses names CPython's OpenSSL takes: one-character
            # names ("x") and absolute names ("example.com."). They are
            # checked here instead, the moment the handshake completes, with
            # the rules OpenSSL 3 applies to them (so "example.com." does not
            # match a certificate for "example.com", as in CPython).
            self._hostname_after_handshake = hostname

    def _check_refused_hostname(self) -> None:
        """The client's check of a name OpenSSL would not take (see above)."""
        hostname = self._hostname_after_handshake
        if hostname is None:
            return
        self._hostname_after_handshake = None
        peer = self.connection.get_peer_certificate()
        cert = decode_certificate(peer.to_cryptography()) if peer else {}
        if not self.context.hostname_checks_common_name:
            cert.pop("subject", None)
        try:
            match_hostname(cert, hostname.lower())
        except (_stdlib_ssl.CertificateError, ValueError):
            # What OpenSSL's own check would have failed the handshake with;
            # the session is marked closed so that no data moves over it.
            self.connection.set_shutdown(SSL.SENT_SHUTDOWN | SSL.RECEIVED_SHUTDOWN)
            raise hostname_mismatch_error(hostname) from None

    @property
    def public(self) -> Any:
        """The SSLSocket/SSLObject this core belongs to."""
        return self._public()

    # CPython's SSLSocket/SSLObject keep their native object in ``_sslobj``,
    # and code reaches into it (test_ssl does) for these three names.

    @property
    def owner(self) -> Any:
        """As ``_ssl._SSLSocket.owner``: the SSLSocket/SSLObject."""
        return self._public()

    def get_verified_chain(self) -> list[Certificate]:
        """As ``_ssl._SSLSocket.get_verified_chain``: certificate objects."""
        return [Certificate(der) for der in self.verified_chain()]

    def get_unverified_chain(self) -> list[Certificate]:
        """As ``_ssl._SSLSocket.get_unverified_chain``: certificate objects."""
        return [Certificate(der) for der in self.unverified_chain()]

    # -- errors ---------------------------------------------------------------

    def raise_translated(self, exc: SSL.Error, data_transfer: bool = False) -> NoReturn:
        """Raise the stdlib exception for *exc* (chaining a callback's error).

        *data_transfer*: *exc* came from a read or a write.
        """
        error: Optional[BaseException] = refine_error(
            translate_error(
                exc, self.connection, self.server_hostname, data_transfer=data_transfer
            ),
            self.verification_failure,
        )
        cause = self.callback_exception
        self.callback_exception = None
        try:
            raise error from cause  # type: ignore[misc]
        finally:
            # This frame is in the new exception's traceback: left bound, its
            # locals would make a reference cycle (exception -> traceback ->
            # frame -> exception) that keeps the connection, its socket and
            # OpenSSL's buffers alive until the cyclic collector runs --
            # thousands of them on a server meeting many failed handshakes.
            error = cause = exc = None  # type: ignore[assignment]

    def call(self, operation: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Run one Connection call, translating its ``SSL.Error``."""
        try:
            return operation(*args, **kwargs)
        except SSL.Error as exc:
            self.raise_translated(exc)

    # -- handshake ------------------------------------------------------------

    def handshake_step(self) -> None:
        """One ``SSL_do_handshake`` attempt (raises ``SSL.WantReadError`` etc.)."""
        if not self._counted:
            self._counted = True
            self.context._count("accept" if self.server_side else "connect")
        self.connection.do_handshake()
        if self._hostname_after_handshake is not None:
            self._check_refused_hostname()
        self._handshake_completed()

    def _handshake_completed(self) -> None:
        if self.handshake_done:
            return
        self.handshake_done = True
        # A verification failure noted by ssl_compat's own checks no longer
        # explains anything: the handshake went on.
        self.verification_failure = None
        context = self.context_at_creation
        trust = self.context._trust
        if trust.uses_directory:
            # OpenSSL keeps a CA it found in a capath directory; CPython's
            # get_ca_certs() lists it from then on.
            chain = self.connection.get_verified_chain()
            if chain:
                trust.note_anchor(_der(chain[-1]))
        context._count("accept_good" if self.server_side else "connect_good")
        reused = self.connection.session_reused()
        if self.server_side and reused:
            context._count("hits")
        elif not self.server_side and self._offered_session and not reused:
            context._count("misses")

    def handshake_finished(self) -> bool:
        """Whether the handshake has completed (explicitly or inside a read/write).

        A connection that failed afterwards (a fatal alert, an EOF without
        close_notify) no longer counts: OpenSSL puts it back "in init", and
        CPython then raises ``ValueError`` from ``getpeercert()`` and returns
        ``None`` from ``version()``.
        """
        if not self.handshake_done:
            if self.connection.get_state_string() == _FINISHED_STATE:
                self._handshake_completed()
            return self.handshake_done
        return self.connection.get_state_string() != _ERROR_STATE

    # -- what the stdlib classes report ---------------------------------------

    def getpeercert(self, binary_form: bool = False) -> Any:
        if not self.handshake_finished():
            raise ValueError("handshake not done yet")
        peer = self.connection.get_peer_certificate()
        if peer is None:
            return None
        if binary_form:
            # OpenSSL's DER, as CPython: an unverified peer certificate that
            # cryptography cannot parse is still returned, not a ValueError.
            return _der(peer)
        # As CPython: an unverified certificate is reported as an empty dict.
        if not self.context.openssl_context.get_verify_mode() & SSL.VERIFY_PEER:
            return {}
        return decode_certificate(peer.to_cryptography())

    def cipher(self) -> Optional[tuple[str, str, int]]:
        conn = self.connection
        name = conn.get_cipher_name()
        if name is None:
            return None
        return (name, conn.get_cipher_version() or "", conn.get_cipher_bits() or 0)

    def shared_ciphers(self) -> Optional[list[tuple[str, str, int]]]:
        """The enabled suites of this connection (see the package notes).

        The binding cannot list the suites the *peer* offered
        (``SSL_get_client_ciphers`` is missing), so this is the list both
        sides could have used from this side's view: this connection's
        enabled suites. ``None`` before the handshake and on clients, as in
        CPython.
        """
        # As CPython (SSL_get_client_ciphers): only a server that has seen a
        # ClientHello has an answer.
        if not self.server_side or not self.handshake_finished():
            return None
        conn = self.connection
        return [shared_cipher_tuple(info) for info in conn.get_cipher_details()]

    def version(self) -> Optional[str]:
        if not self.handshake_finished():
            return None
        return self.connection.get_protocol_version_name()

    def selected_alpn_protocol(self) -> Optional[str]:
        protocol = self.connection.get_alpn_proto_negotiated()
        return protocol.decode("ascii", "replace") if protocol else None

    def get_channel_binding(self, cb_type: str = "tls-unique") -> Optional[bytes]:
        if cb_type not in CHANNEL_BINDING_TYPES:
            raise ValueError(f"{cb_type!r} channel binding type not implemented")
        conn = self.connection
        if cb_type == "tls-exporter":
            # RFC 9266: the exporter with this label, 32 bytes, no context
            # (as openssl s_client -keymatexport and Go do; the same as an
            # empty context under TLS 1.3).
            if not self.handshake_finished():
                return None
            if (
                conn.get_protocol_version() < SSL.TLS1_3_VERSION
                and conn.get_extms_support() is not True
            ):
                # RFC 9266 section 4.2: not unique to this connection.
                raise ValueError(
                    "tls-exporter needs TLS 1.3 or the extended master secret "
                    "(RFC 7627), which this TLS 1.2 session did not use"
                )
            return self.call(
                conn.export_keying_material, b"EXPORTER-Channel-Binding", 32, None
            )
        # tls-unique is the first Finished message of the handshake: the
        # client's own for a full handshake, the server's for a resumption.
        if conn.session_reused() ^ (not self.server_side):
            data = conn.get_finished()
        else:
            data = conn.get_peer_finished()
        return data or None

    def verified_chain(self) -> list[bytes]:
        """The chain verification built, leaf first, DER (as CPython 3.13).

        Without one (verification off), the chain the peer sent.
        """
        chain = self.connection.get_verified_chain()
        if not chain:
            return self.unverified_chain()
        return [_der(cert) for cert in chain]

    def unverified_chain(self) -> list[bytes]:
        """The chain the peer sent, leaf first, DER (empty when none)."""
        conn = self.connection
        chain = list(conn.get_peer_cert_chain() or ())
        if self.server_side:
            # OpenSSL leaves the client's own certificate out on servers.
            peer = conn.get_peer_certificate()
            if peer is not None:
                chain.insert(0, peer)
        return [_der(cert) for cert in chain]

    def verify_client_post_handshake(self) -> None:
        self.call(self.connection.verify_client_post_handshake)

    # -- session and context --------------------------------------------------

    @property
    def session(self) -> Optional[SSLSession]:
        session = self.connection.get_session()
        if session is None:
            return None
        return SSLSession._create(session, self.context)

    def set_session(self, session: Any) -> None:
        if not isinstance(session, SSLSession):
            raise TypeError("Value is not a SSLSession.")
        if self.server_side:
            raise ValueError("Cannot set session for server-side SSLSocket.")
        if self.handshake_done:
            raise ValueError("Cannot set session after handshake.")
        # An imported session (SSLSession.from_bytes) belongs to no context.
        if (
            session._context is not None
            and session._context.openssl_context is not self.context.openssl_context
        ):
            raise ValueError("Session refers to a different SSLContext.")
        self.call(self.connection.set_session, session._session)
        self._offered_session = True

    @property
    def session_reused(self) -> bool:
        return self.connection.session_reused()

    def set_context(self, context: Any) -> None:
        from OpenSSL.ssl_compat._context import SSLContext

        if not isinstance(context, SSLContext):
            raise TypeError(
                "The value must be a SSLContext of OpenSSL.ssl_compat, "
                f"not {type(context).__name__}"
            )
        self.call(self.connection.set_context, context.openssl_context)
        self.context = context
