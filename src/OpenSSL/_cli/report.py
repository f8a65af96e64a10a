"""Turning a finished handshake into readable lines.

Everything the command line prints about a connection goes through here, so
``demo``, ``client`` and ``server`` describe sessions and certificates the
same way. The functions return lines (or label/value pairs) instead of
printing, which keeps them easy to test and to reuse.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import TextIO

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from OpenSSL import SSL

__all__ = [
    "certificate_lines",
    "chain_lines",
    "connection_fields",
    "format_fields",
    "ocsp_summary",
    "verify_message",
    "write_lines",
]

Field = tuple[str, str]


def verify_message(code: int) -> str:
    """OpenSSL's description of an ``X509_V_*`` verification result code."""
    return SSL.verify_error_string(code)


def _alpn(conn: SSL.Connection) -> str:
    proto = conn.get_alpn_proto_negotiated()
    return proto.decode("ascii", "replace") if proto else "(none negotiated)"


def connection_fields(conn: SSL.Connection) -> list[Field]:
    """Protocol, cipher, key-exchange group and ALPN of an established session."""
    bits = conn.get_cipher_bits()
    cipher = conn.get_cipher_name() or "(none)"
    if bits:
        cipher = f"{cipher} ({bits} bits)"
    servername = conn.get_servername()
    return [
        ("protocol", conn.get_protocol_version_name()),
        ("cipher", cipher),
        ("group", conn.get_group_name() or "(none)"),
        ("ALPN", _alpn(conn)),
        ("server name", servername.decode("ascii", "replace") if servername else "-"),
    ]


def format_fields(fields: Iterable[Field], indent: str = "   ") -> list[str]:
    """Align ``label  value`` pairs in two columns."""
    pairs = list(fields)
    width = max((len(label) for label, _ in pairs), default=0)
    return [f"{indent}{label.ljust(width)}  {value}" for label, value in pairs]


def _when(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _names(cert: x509.Certificate) -> str | None:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    names: list[str] = []
    for name in san.value:
        if isinstance(name, x509.DNSName):
            names.append(f"DNS:{name.value}")
        elif isinstance(name, x509.IPAddress):
            names.append(f"IP:{name.value}")
        else:
            names.append(str(name.value))
    return ", ".join(names)


def certificate_lines(
    cert: x509.Certificate, index: int, *, show_pem: bool = False
) -> list[str]:
    """Subject, issuer, validity and names of one certificate, numbered."""
    fields: list[Field] = [
        ("subject", cert.subject.rfc4514_string() or "(empty)"),
        ("issuer", cert.issuer.rfc4514_string() or "(empty)"),
        (
            "valid",
            f"{_when(cert.not_valid_before_utc)} to {_when(cert.not_valid_after_utc)}",
        ),
    ]
    names = _names(cert)
    if names is not None:
        fields.append(("names", names))
    lines = format_fields(fields, indent="     ")
    lines[0] = f"  {index:>2}" + lines[0][4:]
    if show_pem:
        pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        lines.extend(pem.rstrip("\n").splitlines())
    return lines


def chain_lines(
    certs: Sequence[x509.Certificate] | None, *, show_pem: bool = False
) -> list[str]:
    """Every certificate of a chain, leaf first; a note when there is none."""
    if not certs:
        return ["   (none)"]
    lines: list[str] = []
    for index, cert in enumerate(certs):
        lines.extend(certificate_lines(cert, index, show_pem=show_pem))
    return lines


def ocsp_summary(der: bytes | None, peer: x509.Certificate | None) -> str:
    """One line about a stapled OCSP response (``None``: the server sent none)."""
    if not der:
        return "no response stapled"
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError:
        return f"unreadable response ({len(der)} bytes)"
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return f"responder said {response.response_status.name}"
    status = response.certificate_status.name
    if peer is not None and response.serial_number != peer.serial_number:
        status += ", but about another certificate"
    until = response.next_update_utc
    valid = f", next update {_when(until)}" if until is not None else ""
    return f"{status} (this update {_when(response.this_update_utc)}{valid})"


def write_lines(lines: Iterable[str], out: TextIO) -> None:
    """Print *lines* to *out* and flush, so pipes see them at once."""
    for line in lines:
        out.write(line + "\n")
    out.flush()
