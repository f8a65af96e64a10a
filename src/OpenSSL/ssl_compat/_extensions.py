"""What ``ssl_compat`` offers beyond the standard library, in the stdlib's shape.

Mixins for the public classes, so each concern lives in its own module and
the stdlib surface files stay as they are:

* :class:`ContextExtensions` (``SSLContext``): ``set_verify_callback``
  (``_verification``), ``set_ocsp_response_callback`` and ``ocsp_mode``
  (``_ocsp``); certificates and keys from memory are handled by
  ``load_cert_chain`` itself (``_memory_certs``).
* :class:`ConnectionExtensions` (``SSLSocket`` and ``SSLObject``):
  ``get_ocsp_response()`` and ``export_keying_material()``;
  ``get_channel_binding("tls-exporter")`` lives with ``tls-unique`` in
  ``_core``.

All of it works the same through ``wrap_socket``, ``wrap_bio`` and
everything built on them (asyncio, trio, ``http.client``, urllib3, httpx).
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Optional, Union

from OpenSSL import SSL
from OpenSSL.ssl_compat._ocsp import OCSPMode, client_dispatcher, server_dispatcher
from OpenSSL.ssl_compat._verification import make_verify_dispatcher

__all__ = ["EXPORTER_LIMIT", "ConnectionExtensions", "ContextExtensions"]

#: The most keying material one export may ask for: TLS 1.3's HkdfLabel
#: carries the length in 16 bits.
EXPORTER_LIMIT = 65535


class ContextExtensions:
    """``SSLContext`` methods beyond the stdlib: verify callback, OCSP stapling."""

    _ctx: SSL.Context
    _verify_callback: Optional[Callable[..., Any]] = None
    _ocsp_mode: OCSPMode = OCSPMode.OFF
    _ocsp_response_callback: Optional[Callable[[Any], Any]] = None

    def _role_check(self, attribute: str, server: bool) -> None:
        from OpenSSL.ssl_compat._constants import _SSLMethod

        protocol = getattr(self, "_protocol", None)
        refused = (
            _SSLMethod.PROTOCOL_TLS_CLIENT if server else _SSLMethod.PROTOCOL_TLS_SERVER
        )
        if protocol == refused:
            side = "TLS_CLIENT" if server else "TLS_SERVER"
            raise ValueError(f"{attribute} cannot be set on a {side} context")

    # -- the verify callback ----------------------------------------------------

    def set_verify_callback(self, callback: Optional[Callable[..., Any]]) -> None:
        """Run ``callback(ssl_object_or_socket, cert, depth, error_code, ok)``.

        It is called inside the handshake for every certificate of the
        peer's chain, from the trust anchor (highest *depth*) to the peer's
        own (depth 0): *cert* is a ``cryptography.x509.Certificate`` (or
        ``None`` for a failure about no single certificate), *ok* is
        OpenSSL's verdict and *error_code* an ``X509_V_ERR_*`` code saying
        why not (``X509_V_ERR_HOSTNAME_MISMATCH`` at depth 0 when
        ``check_hostname`` found the wrong name: that call comes first, before
        the chain is walked; a depth can be reported once per problem). Its
        result is the new
        verdict: return *ok* to keep OpenSSL's, ``False`` to reject
        (``SSLCertVerificationError``, ``verify_message`` naming the callback),
        ``True`` to accept what OpenSSL refused -- with care. An exception in
        it fails the handshake and comes out of ``do_handshake()`` unchanged.
        With ``verify_mode`` ``CERT_NONE`` its verdict is ignored, as
        OpenSSL's own is (a client still runs it; a server asks for no
        client certificate). ``None`` removes it.
        """
        ctx = self._ctx
        mode = ctx.get_verify_mode()
        if callback is None:
            self._verify_callback = None
            ctx.set_verify(mode)
            return
        if not callable(callback):
            raise TypeError("not a callable object")
        self._verify_callback = callback
        ctx.set_verify(mode, make_verify_dispatcher(callback))

    # -- OCSP stapling ----------------------------------------------------------

    def set_ocsp_response_callback(
        self, callback: Optional[Callable[[Any], Optional[bytes]]]
    ) -> None:
        """Staple ``callback(ssl_object_or_socket) -> bytes | None`` (servers).

        Called in each handshake whose client asked for a certificate status;
        it returns the DER ``OCSPResponse`` to staple, or ``None`` for none.
        What it returns is checked (bytes-like, at most
        ``_ocsp.MAX_STAPLE_SIZE`` bytes, a DER ``OCSPResponse``:
        ``TypeError``/``ValueError`` otherwise); an exception in it fails the
        handshake and comes out of the server's ``do_handshake()`` unchanged.
        ``None`` stops stapling. Not with ``ocsp_mode`` on one context (the
        two share one OpenSSL slot).
        """
        self._role_check("set_ocsp_response_callback", server=True)
        if callback is None:
            self._ocsp_response_callback = None
            if self._ocsp_mode is OCSPMode.OFF:
                self._ctx.set_ocsp_server_callback(lambda connection, data: b"")
            return
        if not callable(callback):
            raise TypeError("not a callable object")
        if self._ocsp_mode is not OCSPMode.OFF:
            raise ValueError(
                "ocsp_mode and set_ocsp_response_callback share one OpenSSL "
                "slot: use separate client and server contexts"
            )
        self._ocsp_response_callback = callback
        self._ctx.set_ocsp_server_callback(server_dispatcher(callback))

    @property
    def ocsp_mode(self) -> OCSPMode:
        """``OCSPMode.OFF``, ``REQUEST`` or ``REQUIRE_GOOD`` (clients; see ``_ocsp``).

        Also set from the strings ``"off"``, ``"request"``,
        ``"require_good"``. Applies to connections made afterwards.
        """
        return self._ocsp_mode

    @ocsp_mode.setter
    def ocsp_mode(self, value: Union[OCSPMode, str]) -> None:
        try:
            mode = OCSPMode(value)
        except ValueError:
            raise ValueError(
                f"ocsp_mode must be one of {[m.value for m in OCSPMode]}, not {value!r}"
            ) from None
        if mode is not OCSPMode.OFF:
            self._role_check("ocsp_mode", server=False)
            if self._ocsp_response_callback is not None:
                raise ValueError(
                    "ocsp_mode and set_ocsp_response_callback share one OpenSSL "
                    "slot: use separate client and server contexts"
                )
            if self._ocsp_mode is OCSPMode.OFF:
                self._ctx.set_ocsp_client_callback(client_dispatcher)
        self._ocsp_mode = mode

    # -- per connection -----------------------------------------------------------

    def _prepare_connection(self, core: Any) -> None:
        """Set up one new connection (called by ``TLSCore``)."""
        mode = self._ocsp_mode
        core.ocsp_mode = mode
        if mode is not OCSPMode.OFF and not core.server_side:
            core.connection.request_ocsp()


class ConnectionExtensions:
    """``SSLSocket``/``SSLObject`` methods beyond the stdlib."""

    def _extension_core(self, what: str) -> Any:
        core = getattr(self, "_sslobj", None)
        if core is None:
            raise ValueError(f"{what}: no TLS connection (not connected or unwrapped)")
        return core

    def get_ocsp_response(self) -> Optional[bytes]:
        """The DER OCSP response stapled in this handshake, or ``None``.

        On a client: what the server stapled (asked for when the context's
        ``ocsp_mode`` is not ``OFF``). On a server: what its
        ``set_ocsp_response_callback`` stapled.
        """
        core = getattr(self, "_sslobj", None)
        if core is None:
            return None
        response: Optional[bytes] = core.ocsp_response
        return response

    def export_keying_material(
        self,
        label: Union[str, bytes],
        length: int,
        context: Optional[bytes] = None,
    ) -> bytes:
        """*length* bytes of keying material (RFC 5705, RFC 8446 section 7.5).

        *label* is ASCII text or bytes; *context* ``None`` (no context) or
        bytes (``b""`` is an empty context, which differs from none before
        TLS 1.3). Both ends of one connection get the same bytes for the
        same arguments. ``ValueError`` before the handshake completed.
        """
        core = self._extension_core("export_keying_material")
        if isinstance(label, str):
            try:
                label_bytes = label.encode("ascii")
            except UnicodeEncodeError:
                raise ValueError("label must be ASCII") from None
        elif isinstance(label, (bytes, bytearray, memoryview)):
            label_bytes = bytes(label)
        else:
            raise TypeError(f"label must be str or bytes, not {type(label).__name__}")
        size = operator.index(length)
        if not 0 < size <= EXPORTER_LIMIT:
            raise ValueError(f"length must be 1 to {EXPORTER_LIMIT}, not {size}")
        context_bytes: Optional[bytes] = None
        if context is not None:
            try:
                context_bytes = bytes(memoryview(context))
            except TypeError:
                raise TypeError(
                    f"context must be bytes or None, not {type(context).__name__}"
                ) from None
        if not core.handshake_finished():
            raise ValueError("handshake not done yet")
        material: bytes = core.call(
            core.connection.export_keying_material, label_bytes, size, context_bytes
        )
        return material
