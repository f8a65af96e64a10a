"""Which signature scheme each side signed its handshake with.

cryptography's binding has no ``SSL_get_peer_signature_type_nid`` /
``SSL_get_signature_type_nid`` (nor OpenSSL 3.5's ``SSL_get0_signature_name``),
so the schemes are read from the handshake messages the message callback
(``_ssl_messages``) sees; each carries the 2-byte TLS ``SignatureScheme``:

* TLS 1.3: the ``CertificateVerify`` of the server, and of the client when it
  authenticates (during the handshake or after it, post-handshake auth);
* TLS 1.2: the server's ``ServerKeyExchange`` (ECDHE and DHE key exchange;
  with RSA key exchange or PSK the server signs nothing) and the client's
  ``CertificateVerify``.

A resumed session signs nothing, so both getters give ``None`` then, as
OpenSSL's own getters do.

Cost: the message callback runs a Python call per TLS record, also for
application data. A Context asks for it only through
:meth:`SignatureContext.set_signature_scheme_tracking` (or when it watches
messages for another reason); when only the handshake matters, the callback
installed is ``_callbacks.handshake_message``, which drops every other record
at its first line. Contexts that do not track pay nothing.

:data:`SIGNATURE_SCHEMES` -- IANA's TLS SignatureScheme registry, with the
TLS 1.2 (hash, signature) pairs OpenSSL still negotiates -- is the one table
of scheme names; ``ssl_compat.get_sigalgs()`` probes its names.
"""

from __future__ import annotations

from typing import Any, Optional

from OpenSSL._ssl_controls import _configures as configures
from OpenSSL._ssl_messages import MessageConnection, MessageContext

__all__ = [
    "SIGNATURE_SCHEMES",
    "SignatureConnection",
    "SignatureContext",
    "scheme_name",
]

#: SignatureScheme code -> name (IANA's TLS SignatureScheme registry; the
#: names are also the ones OpenSSL's ``-sigalgs`` lists accept).
SIGNATURE_SCHEMES: dict[int, str] = {
    0x0403: "ecdsa_secp256r1_sha256",
    0x0503: "ecdsa_secp384r1_sha384",
    0x0603: "ecdsa_secp521r1_sha512",
    0x0807: "ed25519",
    0x0808: "ed448",
    0x0804: "rsa_pss_rsae_sha256",
    0x0805: "rsa_pss_rsae_sha384",
    0x0806: "rsa_pss_rsae_sha512",
    0x0809: "rsa_pss_pss_sha256",
    0x080A: "rsa_pss_pss_sha384",
    0x080B: "rsa_pss_pss_sha512",
    0x0401: "rsa_pkcs1_sha256",
    0x0501: "rsa_pkcs1_sha384",
    0x0601: "rsa_pkcs1_sha512",
    0x081A: "ecdsa_brainpoolP256r1tls13_sha256",
    0x081B: "ecdsa_brainpoolP384r1tls13_sha384",
    0x081C: "ecdsa_brainpoolP512r1tls13_sha512",
    0x0904: "mldsa44",
    0x0905: "mldsa65",
    0x0906: "mldsa87",
    0x0201: "rsa_pkcs1_sha1",
    0x0203: "ecdsa_sha1",
    # TLS 1.2 (hash, signature) pairs without a TLS 1.3 scheme, by the
    # names OpenSSL gives them.
    0x0301: "rsa_pkcs1_sha224",
    0x0303: "ecdsa_sha224",
    0x0402: "dsa_sha256",
    0x0502: "dsa_sha384",
    0x0602: "dsa_sha512",
    0x0302: "dsa_sha224",
    0x0202: "dsa_sha1",
}

_SERVER_KEY_EXCHANGE = 12
_CERTIFICATE_VERIFY = 15
_TLS1_2 = 0x0303
_DTLS = 0xFE00  # DTLS versions count down from 0xFEFF
_DTLS1_2 = 0xFEFD
_NAMED_CURVE = 3


def scheme_name(code: int) -> str:
    """The registry name of SignatureScheme *code* (``"0x%04x"`` if unknown)."""
    return SIGNATURE_SCHEMES.get(code, f"0x{code:04x}")


def _signed_tail(message: bytes, offset: int) -> Optional[int]:
    """The scheme of ``scheme(2) signature<2>`` filling *message* from *offset*."""
    if offset + 4 > len(message):
        return None
    length = int.from_bytes(message[offset + 2 : offset + 4], "big")
    if offset + 4 + length != len(message):
        return None
    return int.from_bytes(message[offset : offset + 2], "big")


def _vector(message: bytes, offset: int, size: int) -> int:
    """The offset after a vector with a *size*-byte length at *offset* (or -1)."""
    if offset + size > len(message):
        return -1
    end = offset + size + int.from_bytes(message[offset : offset + size], "big")
    return end if end <= len(message) else -1


def server_key_exchange_scheme(message: bytes, header: int = 4) -> Optional[int]:
    """The scheme signing a TLS 1.2 ServerKeyExchange (with its *header*).

    ECDHE params (``curve_type(1) named_curve(2) point<1>``) or DHE params
    (``p<2> g<2> Ys<2>``) come first; the signature must fill the rest
    exactly. Anonymous and PSK key exchanges sign nothing: ``None``.
    """
    if len(message) > header and message[header] == _NAMED_CURVE:
        end = _vector(message, header + 3, 1)
        scheme = _signed_tail(message, end) if end > 0 else None
        if scheme is not None:
            return scheme
    end = header
    for _ in range(3):
        end = _vector(message, end, 2)
        if end < 0:
            return None
    return _signed_tail(message, end)


def watch_signature(conn: Any, sent: bool, version: int, message: bytes) -> None:
    """Note the scheme of a CertificateVerify or ServerKeyExchange *message*."""
    if version >= _DTLS:
        # DTLS handshake headers are 12 bytes; DTLS 1.0 is TLS 1.1's kin.
        if version != _DTLS1_2:
            return
        header = 12
    elif version >= _TLS1_2:
        header = 4
    else:
        return  # TLS 1.0/1.1 signatures name no scheme
    kind = message[0]
    if kind == _CERTIFICATE_VERIFY:
        scheme = _signed_tail(message, header)
        # Sent by the client when this side is the client and sent it, or
        # the server and received it.
        by_client = sent == bool(conn._is_client)
    else:
        scheme = server_key_exchange_scheme(message, header)
        by_client = False
    if scheme is None:
        return
    if by_client:
        conn._client_scheme = scheme
    else:
        conn._server_scheme = scheme


class SignatureContext(MessageContext):
    """Signature-scheme tracking of ``Context`` (a base class of it)."""

    @configures
    def set_signature_scheme_tracking(self, enabled: bool) -> None:
        """Record which signature schemes the handshakes of this Context use.

        With *enabled* true, :meth:`Connection.get_signature_scheme` and
        :meth:`Connection.get_peer_signature_scheme` can tell, on every
        connection made from this Context afterwards, the scheme each side
        signed the handshake with. It costs a short Python call per TLS
        record (the message callback, see :meth:`set_msg_callback`), so it
        is off by default.
        """
        if not isinstance(enabled, bool):
            raise TypeError("enabled must be a bool")
        self._track_signatures = enabled
        self._watch_messages()

    def get_signature_scheme_tracking(self) -> bool:
        """Whether handshakes are watched, so signature schemes are known.

        True after :meth:`set_signature_scheme_tracking`, and also when the
        Context watches handshake messages for another reason
        (:meth:`set_msg_callback`, :meth:`set_new_session_callback`,
        :meth:`set_max_early_data`).
        """
        return bool(self._watches_handshake())

    def _watches_handshake(self) -> bool:
        return self._msg_cb is not None


class SignatureConnection(MessageConnection):
    """Signature-scheme getters of ``Connection`` (a base class of it)."""

    # SignatureScheme codes seen in this connection's handshake messages.
    _client_scheme: Optional[int] = None
    _server_scheme: Optional[int] = None

    def _own_scheme(self, mine: bool) -> Optional[str]:
        if not self._context.get_signature_scheme_tracking():
            raise ValueError(
                "signature schemes are not recorded on this connection: call "
                "Context.set_signature_scheme_tracking(True) on its Context "
                "before making it"
            )
        if self._is_client is None:
            return None
        client_side = self._is_client == mine
        code = self._client_scheme if client_side else self._server_scheme
        return None if code is None else scheme_name(code)

    def get_signature_scheme(self) -> Optional[str]:
        """The scheme this side signed the handshake with, or ``None``.

        The IANA name (``"rsa_pss_rsae_sha256"``, ``"ecdsa_secp256r1_sha256"``,
        ``"ed25519"``...) of the latest signature this side sent: a server's
        ``CertificateVerify`` (TLS 1.3) or ``ServerKeyExchange`` (TLS 1.2),
        a client's ``CertificateVerify`` when it authenticated with a
        certificate. ``None`` before that, and when this side signed
        nothing: a client without a certificate, a resumed session, PSK or
        TLS 1.2 RSA key exchange.

        :raises ValueError: the Context did not
            :meth:`~Context.set_signature_scheme_tracking` (see
            :meth:`Context.get_signature_scheme_tracking`).
        """
        return self._own_scheme(True)

    def get_peer_signature_scheme(self) -> Optional[str]:
        """The scheme the peer signed the handshake with, or ``None``.

        As :meth:`get_signature_scheme`, for the signature this side
        received. Names the peer's algorithm; whether it was acceptable is
        OpenSSL's check (:meth:`Context.set_sigalgs`), made before the
        handshake completes.

        :raises ValueError: the Context did not
            :meth:`~Context.set_signature_scheme_tracking`.
        """
        return self._own_scheme(False)
