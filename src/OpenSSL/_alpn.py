"""ALPN's wire format: the one encoder and the one parser.

ALPN (RFC 7301) carries a protocol list as length-prefixed names (one byte
of length, 1 to 255 bytes of name, repeated). Where ALPN lives:

* this module -- encoding a list for ``SSL_CTX_set_alpn_protos`` /
  ``SSL_set_alpn_protos``, and parsing what a client offered;
* ``Context.set_alpn_protos`` / ``Connection.set_alpn_protos`` (offer),
  ``Context.set_alpn_select_callback`` (choose, servers; the trampoline is
  ``_callbacks.alpn_select``), ``Connection.get_alpn_proto_negotiated``;
* ``ssl_compat.SSLContext.set_alpn_protocols`` on top of those.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["parse_wire", "wire_format"]


def wire_format(protos: Any) -> bytes:
    """Encode a list of ALPN protocol names as length-prefixed bytes.

    ``TypeError`` unless *protos* is a sequence of bytes; ``ValueError`` for
    an empty list or a name that is empty or longer than 255 bytes.
    """
    if isinstance(protos, (bytes, str)) or not isinstance(protos, Sequence):
        raise TypeError("protos must be a list of bytes")
    if not protos:
        raise ValueError("at least one protocol must be given")
    parts = []
    for proto in protos:
        if not isinstance(proto, bytes):
            raise TypeError("each protocol must be bytes")
        if not 0 < len(proto) < 256:
            raise ValueError("each protocol must be 1 to 255 bytes long")
        parts.append(bytes((len(proto),)) + proto)
    return b"".join(parts)


def parse_wire(data: bytes) -> list[bytes]:
    """The protocol names in length-prefixed *data*, in order.

    A last entry that claims more bytes than remain is cut short, as the
    list OpenSSL hands the select callback is already validated.
    """
    protos = []
    i = 0
    while i < len(data):
        length = data[i]
        protos.append(data[i + 1 : i + 1 + length])
        i += 1 + length
    return protos
