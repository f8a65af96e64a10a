"""``client --msg``: one line per protocol message, as ``openssl s_client -msg``.

Each message the connection writes (``>>>``) or reads (``<<<``) is shown
with its protocol version, content type, length and, for handshake messages
and alerts, what it is:

    >>> TLS 1.3 Handshake [length 512] ClientHello
    <<< TLS 1.3 Alert [length 2] fatal unrecognized_name

Record headers and TLS 1.3's inner content types (pseudo messages the
callback also reports) are left out.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["message_printer"]

_VERSIONS = {0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}

_CONTENT = {20: "ChangeCipherSpec", 21: "Alert", 22: "Handshake", 23: "ApplicationData"}

_HANDSHAKE = {
    0: "HelloRequest",
    1: "ClientHello",
    2: "ServerHello",
    4: "NewSessionTicket",
    5: "EndOfEarlyData",
    8: "EncryptedExtensions",
    11: "Certificate",
    12: "ServerKeyExchange",
    13: "CertificateRequest",
    14: "ServerHelloDone",
    15: "CertificateVerify",
    16: "ClientKeyExchange",
    20: "Finished",
    22: "CertificateStatus",
    24: "KeyUpdate",
    254: "MessageHash",
}

_ALERTS = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    22: "record_overflow",
    40: "handshake_failure",
    42: "bad_certificate",
    43: "unsupported_certificate",
    44: "certificate_revoked",
    45: "certificate_expired",
    46: "certificate_unknown",
    47: "illegal_parameter",
    48: "unknown_ca",
    49: "access_denied",
    50: "decode_error",
    51: "decrypt_error",
    70: "protocol_version",
    71: "insufficient_security",
    80: "internal_error",
    86: "inappropriate_fallback",
    90: "user_canceled",
    109: "missing_extension",
    110: "unsupported_extension",
    112: "unrecognized_name",
    113: "bad_certificate_status_response",
    115: "unknown_psk_identity",
    116: "certificate_required",
    120: "no_application_protocol",
}


def describe(sent: bool, version: int, content_type: int, data: bytes) -> str | None:
    """The line for one message, or ``None`` for pseudo messages."""
    kind = _CONTENT.get(content_type)
    if kind is None:
        return None  # a record header or an inner content type
    name = _VERSIONS.get(version, f"version 0x{version:04x}")
    line = f"{'>>>' if sent else '<<<'} {name} {kind} [length {len(data)}]"
    if content_type == 22 and data:
        line += " " + _HANDSHAKE.get(data[0], f"type {data[0]}")
    elif content_type == 21 and len(data) >= 2:
        level = {1: "warning", 2: "fatal"}.get(data[0], f"level {data[0]}")
        line += f" {level} " + _ALERTS.get(data[1], f"alert {data[1]}")
    return line


def message_printer(write: Callable[[str], None]) -> Callable[..., None]:
    """A ``set_msg_callback`` callback that hands each line to *write*."""

    def callback(
        conn: Any, sent: bool, version: int, content_type: int, data: bytes
    ) -> None:
        line = describe(sent, version, content_type, data)
        if line is not None:
            write(line)

    return callback
