"""The package's one DER reader, and what is decoded with it.

Where neither the binding nor ``cryptography`` can parse something, it is
read here, with :func:`read_tlv` (one tag-length-value element) and
:func:`elements` (the elements one after another):

* :func:`name_from_der` -- client-CA names
  (``Connection.get_client_ca_list(as_cryptography=True)``): ``cryptography``
  parses names only inside certificates and requests, and the binding has no
  function that prints an OID as dotted text. Name = SEQUENCE OF SET OF
  SEQUENCE {OID, value}.
* ``ssl_compat`` splits concatenated DER certificates (``cadata``), and
  ``_ssl_session`` reads the facts of a ``Session`` from its DER encoding,
  with :func:`elements`.

Only definite lengths of up to four bytes are accepted; anything truncated or
malformed raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cryptography import x509
from cryptography.x509.name import _ASN1Type

__all__ = ["elements", "name_from_der", "read_tlv"]

_SEQUENCE = 0x30
_SET = 0x31
_OID = 0x06

_DECODERS = {
    _ASN1Type.UTF8String.value: "utf-8",
    _ASN1Type.PrintableString.value: "latin-1",
    _ASN1Type.IA5String.value: "latin-1",
    _ASN1Type.T61String.value: "latin-1",
    _ASN1Type.NumericString.value: "latin-1",
    _ASN1Type.VisibleString.value: "latin-1",
    _ASN1Type.BMPString.value: "utf-16-be",
    _ASN1Type.UniversalString.value: "utf-32-be",
}


def read_tlv(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """Read one element at *pos*: return (tag, contents, position after it)."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, data[pos:end], end


def elements(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """Yield ``(tag, contents, whole element)`` for each element in *data*."""
    pos = 0
    while pos < len(data):
        tag, contents, end = read_tlv(data, pos)
        yield tag, contents, data[pos:end]
        pos = end


def _items(data: bytes, expected_tag: int) -> list[bytes]:
    items = []
    for tag, contents, _ in elements(data):
        if tag != expected_tag:
            raise ValueError(f"unexpected DER tag {tag:#x}")
        items.append(contents)
    return items


def _oid_text(contents: bytes) -> str:
    arcs = []
    value = 0
    for byte in contents:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        raise ValueError("empty OID")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


def name_from_der(der: bytes) -> x509.Name:
    """Decode a DER X.509 Name into a ``cryptography.x509.Name``."""
    tag, body, end = read_tlv(der)
    if tag != _SEQUENCE or end != len(der):
        raise ValueError("not a DER X.509 Name")
    rdns = []
    for rdn in _items(body, _SET):
        attributes = []
        for atv in _items(rdn, _SEQUENCE):
            oid_tag, oid, pos = read_tlv(atv)
            if oid_tag != _OID:
                raise ValueError("attribute type is not an OID")
            value_tag, value, _ = read_tlv(atv, pos)
            encoding = _DECODERS.get(value_tag)
            oid_object = x509.ObjectIdentifier(_oid_text(oid))
            if encoding is None:
                # Non-string values (a BIT STRING x500UniqueIdentifier) stay bytes.
                attribute: x509.NameAttribute[Any] = x509.NameAttribute(
                    oid_object, value, _ASN1Type(value_tag)
                )
            else:
                attribute = x509.NameAttribute(
                    oid_object, value.decode(encoding), _ASN1Type(value_tag)
                )
            attributes.append(attribute)
        rdns.append(x509.RelativeDistinguishedName(attributes))
    return x509.Name(rdns)
