"""Certificates in the stdlib's shapes: the ``getpeercert()`` dict and friends.

:func:`decode_certificate` builds, from a :class:`cryptography.x509.Certificate`,
the dictionary CPython's ``SSLSocket.getpeercert()`` returns for the same
certificate -- same keys, same tuple nesting, same string formats:

* ``subject`` / ``issuer``: a tuple of RDNs, each a tuple of
  ``(long_name, value)`` pairs (``"commonName"``, ``"organizationName"``;
  the dotted OID for names OpenSSL does not know);
* ``version`` (1-based), ``serialNumber`` (upper-case hex, whole bytes);
* ``notBefore`` / ``notAfter`` in OpenSSL's ``ASN1_TIME_print`` format
  (``"Jan  5 09:34:43 2018 GMT"``);
* ``subjectAltName`` with CPython's type labels (``"DNS"``, ``"IP Address"``
  with IPv6 written as eight upper-case groups, ``"email"``, ``"URI"``,
  ``"DirName"``, ``"Registered ID"``); ``OCSP``, ``caIssuers`` and
  ``crlDistributionPoints`` as tuples of URIs, each key only when present.

Also here: PEM/DER conversion, :func:`cert_time_to_seconds`,
:func:`match_hostname` (the early stdlib API, implemented from its documented
rules) and :func:`get_default_verify_paths`. (``get_server_certificate``, a
network call, is in the package's ``__init__`` with the other functions that
make a context.)
"""

from __future__ import annotations

import base64
import calendar
import ipaddress
import os
import ssl as _stdlib_ssl
import textwrap
import time
from collections import namedtuple
from typing import Any, Optional, Union

from cryptography import x509
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtensionOID,
    ObjectIdentifier,
)

from OpenSSL import SSL
from OpenSSL._der import read_tlv
from OpenSSL.ssl_compat._salvage import usable_extensions_view

__all__ = [
    "PEM_FOOTER",
    "PEM_HEADER",
    "DER_cert_to_PEM_cert",
    "DefaultVerifyPaths",
    "PEM_cert_to_DER_cert",
    "cert_time_to_seconds",
    "decode_certificate",
    "get_default_verify_paths",
    "match_hostname",
]

PEM_HEADER = "-----BEGIN CERTIFICATE-----"
PEM_FOOTER = "-----END CERTIFICATE-----"

_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)

_CertDict = dict[str, Any]


def _oid_name(oid: ObjectIdentifier) -> str:
    """OpenSSL's long name for *oid*, or its dotted form when unknown."""
    return SSL.oid_long_name(oid.dotted_string) or oid.dotted_string


def _attribute_value(value: Union[str, bytes]) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _name_tuple(name: x509.Name) -> tuple[tuple[tuple[str, str], ...], ...]:
    return tuple(
        tuple(
            (_oid_name(attribute.oid), _attribute_value(attribute.value))
            for attribute in rdn
        )
        for rdn in name.rdns
    )


def _asn1_time(when: Any) -> str:
    return (
        f"{_MONTHS[when.month - 1]} {when.day:2d} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} {when.year} GMT"
    )


def _serial_hex(serial: int) -> str:
    """The serial as OpenSSL's ``i2a_ASN1_INTEGER`` writes it (CPython's choice).

    Upper-case hex of the magnitude, whole bytes, ``"00"`` for zero and a
    leading ``-`` for negative numbers. OpenSSL continues serials longer
    than 35 bytes on a new line after a backslash, and CPython keeps only
    the first line (backslash and newline included); so does this.
    """
    magnitude = abs(serial)
    data = magnitude.to_bytes(max(1, (magnitude.bit_length() + 7) // 8), "big")
    text = data[:35].hex().upper()
    if len(data) > 35:
        text += "\\\n"
    return ("-" if serial < 0 else "") + text


def _ip_text(address: Any) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        packed = address.packed
        return ":".join(
            f"{(packed[i] << 8) | packed[i + 1]:X}" for i in range(0, 16, 2)
        )
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    return "<invalid>"


def _general_name(name: x509.GeneralName) -> tuple[str, Any]:
    if isinstance(name, x509.DNSName):
        return ("DNS", name.value)
    if isinstance(name, x509.IPAddress):
        return ("IP Address", _ip_text(name.value))
    if isinstance(name, x509.RFC822Name):
        return ("email", name.value)
    if isinstance(name, x509.UniformResourceIdentifier):
        return ("URI", name.value)
    if isinstance(name, x509.DirectoryName):
        return ("DirName", _name_tuple(name.value))
    if isinstance(name, x509.RegisteredID):
        return ("Registered ID", _oid_name(name.value))
    if isinstance(name, x509.OtherName):
        # CPython shows what OpenSSL's GENERAL_NAME_print writes: a label and
        # the string for the few string-typed otherName forms it knows.
        label = _OTHER_NAME_LABELS.get(name.type_id.dotted_string)
        value = _der_string(name.value)
        if label is not None and value is not None:
            return ("othername", f"{label}:{value}")
    return ("othername", "<unsupported>")


# otherName type OIDs that OpenSSL prints, with its labels.
_OTHER_NAME_LABELS = {
    "1.3.6.1.4.1.311.20.2.3": "UPN",
    "1.3.6.1.5.5.7.8.5": "XmppAddr",
    "1.3.6.1.5.5.7.8.7": "SRVName",
    "1.3.6.1.5.5.7.8.8": "NAIRealm",
    "1.3.6.1.5.5.7.8.9": "SmtpUTF8Mailbox",
}
# UTF8String and IA5String, the string types those forms use.
_DER_STRING_TAGS = (0x0C, 0x16)


def _der_string(der: bytes) -> Optional[str]:
    """The text of a DER UTF8String/IA5String, else ``None``."""
    try:
        tag, contents, end = read_tlv(der)
    except ValueError:
        return None
    if tag not in _DER_STRING_TAGS or end != len(der):
        return None
    return contents.decode("utf-8", "replace")


def _extension(cert: x509.Certificate, oid: ObjectIdentifier) -> Any:
    try:
        return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def _access_uris(aia: Any, method: ObjectIdentifier) -> tuple[str, ...]:
    return tuple(
        description.access_location.value
        for description in aia
        if description.access_method == method
        and isinstance(description.access_location, x509.UniformResourceIdentifier)
    )


def decode_certificate(cert: x509.Certificate) -> _CertDict:
    """The ``getpeercert()`` dictionary CPython builds for *cert*.

    An extension cryptography cannot parse is left out, as OpenSSL leaves
    it out of CPython's dictionary (see ``_salvage``).
    """
    cert = usable_extensions_view(cert)
    result: _CertDict = {
        "subject": _name_tuple(cert.subject),
        "issuer": _name_tuple(cert.issuer),
        "version": cert.version.value + 1,
        "serialNumber": _serial_hex(cert.serial_number),
        "notBefore": _asn1_time(cert.not_valid_before_utc),
        "notAfter": _asn1_time(cert.not_valid_after_utc),
    }
    try:
        san = _extension(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except (ValueError, x509.DuplicateExtension):
        san = None
    if san is not None:
        result["subjectAltName"] = tuple(_general_name(n) for n in san)
    aia = _extension(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    if aia is not None:
        ocsp = _access_uris(aia, AuthorityInformationAccessOID.OCSP)
        if ocsp:
            result["OCSP"] = ocsp
        issuers = _access_uris(aia, AuthorityInformationAccessOID.CA_ISSUERS)
        if issuers:
            result["caIssuers"] = issuers
    cdp = _extension(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    if cdp is not None:
        uris = tuple(
            name.value
            for point in cdp
            for name in (point.full_name or ())
            if isinstance(name, x509.UniformResourceIdentifier)
        )
        if uris:
            result["crlDistributionPoints"] = uris
    return result


def DER_cert_to_PEM_cert(der_cert_bytes: bytes) -> str:
    """Encode a DER certificate as a PEM string (64-column base64 lines)."""
    # Not bytes(...): that turns an int into that many zero bytes (gigabytes
    # for a large one); the stdlib raises TypeError for non-buffers.
    body = base64.standard_b64encode(der_cert_bytes).decode("ascii")
    return PEM_HEADER + "\n" + textwrap.fill(body, 64) + "\n" + PEM_FOOTER + "\n"


def PEM_cert_to_DER_cert(pem_cert_string: str) -> bytes:
    """Decode a PEM certificate string to DER bytes."""
    if not pem_cert_string.startswith(PEM_HEADER):
        raise ValueError(f"Invalid PEM encoding; must start with {PEM_HEADER}")
    if not pem_cert_string.strip().endswith(PEM_FOOTER):
        raise ValueError(f"Invalid PEM encoding; must end with {PEM_FOOTER}")
    body = pem_cert_string.strip()[len(PEM_HEADER) : -len(PEM_FOOTER)]
    return base64.decodebytes(body.encode("ascii", "strict"))


def cert_time_to_seconds(cert_time: str) -> int:
    """Seconds since the epoch for a ``"Jan  5 09:34:43 2018 GMT"`` time.

    Month names are always English (the format OpenSSL prints), whatever the
    locale.
    """
    month_name = cert_time[:3]
    try:
        month = _MONTHS.index(month_name.title()) + 1
    except ValueError:
        raise ValueError(
            f"time data {cert_time!r} does not match format '%b{cert_time[3:]}'"
        ) from None
    parsed = time.strptime(cert_time[3:], " %d %H:%M:%S %Y GMT")
    return calendar.timegm((parsed.tm_year, month, parsed.tm_mday, *parsed[3:6]))


class CertificateMismatch(Exception):
    """Internal: raised by the wildcard matcher; turned into CertificateError."""


def _dns_match(pattern: str, hostname: str) -> bool:
    """RFC 6125 matching: a wildcard may only be the whole leftmost label."""
    if not pattern:
        return False
    if pattern.count("*") > 1:
        raise CertificateMismatch(
            f"too many wildcards in certificate DNS name: {pattern!r}."
        )
    if "*" not in pattern:
        return pattern.lower() == hostname.lower()
    leftmost, sep, rest = pattern.partition(".")
    if leftmost != "*":
        if "*" in rest:
            raise CertificateMismatch(
                f"wildcard can only be present in the leftmost label: {pattern!r}."
            )
        raise CertificateMismatch(
            f"partial wildcards in leftmost label are not supported: {pattern!r}."
        )
    if not sep or not rest:
        raise CertificateMismatch(
            f"sole wildcard without additional labels are not support: {pattern!r}."
        )
    host_leftmost, host_sep, host_rest = hostname.partition(".")
    if not host_leftmost or not host_sep:
        return False
    return host_rest.lower() == rest.lower()


def _ip_match(cert_value: str, host_ip: Any) -> bool:
    try:
        return bool(ipaddress.ip_address(cert_value.rstrip()) == host_ip)
    except ValueError:
        return False


def match_hostname(cert: _CertDict, hostname: str) -> None:
    """Check a ``getpeercert()`` dict against *hostname* (early stdlib API).

    Wildcards follow RFC 6125 (only a whole leftmost label); IP addresses are
    compared as addresses against ``IP Address`` entries. ``commonName`` is
    consulted only when the certificate has no ``DNS`` entries. Raises
    :class:`ssl.CertificateError` on mismatch, ``ValueError`` for an empty
    certificate. Modern code should rely on ``check_hostname`` instead, which
    checks inside the handshake.
    """
    if not cert:
        raise ValueError(
            "empty or no certificate, match_hostname needs a SSL socket or "
            "SSL context with either CERT_OPTIONAL or CERT_REQUIRED"
        )
    try:
        host_ip: Any = ipaddress.ip_address(hostname)
    except ValueError:
        host_ip = None
    dnsnames: list[str] = []
    try:
        for kind, value in cert.get("subjectAltName", ()):
            if kind == "DNS":
                if host_ip is None and _dns_match(value, hostname):
                    return
                dnsnames.append(value)
            elif kind == "IP Address":
                if host_ip is not None and _ip_match(value, host_ip):
                    return
                dnsnames.append(value)
        if not dnsnames:
            for rdn in cert.get("subject", ()):
                for key, value in rdn:
                    if key == "commonName":
                        if _dns_match(value, hostname):
                            return
                        dnsnames.append(value)
    except CertificateMismatch as exc:
        raise _stdlib_ssl.CertificateError(str(exc)) from None
    if len(dnsnames) > 1:
        raise _stdlib_ssl.CertificateError(
            f"hostname {hostname!r} doesn't match either of "
            + ", ".join(map(repr, dnsnames))
        )
    if len(dnsnames) == 1:
        raise _stdlib_ssl.CertificateError(
            f"hostname {hostname!r} doesn't match {dnsnames[0]!r}"
        )
    raise _stdlib_ssl.CertificateError(
        "no appropriate commonName or subjectAltName fields were found"
    )


DefaultVerifyPaths = namedtuple(
    "DefaultVerifyPaths",
    "cafile capath openssl_cafile_env openssl_cafile openssl_capath_env openssl_capath",
)


def get_default_verify_paths() -> Any:
    """Where the OpenSSL we run on looks for trusted CAs by default.

    The ``openssl_*`` fields describe cryptography's bundled OpenSSL (its
    compiled-in paths often do not exist on the machine; ``cafile`` and
    ``capath`` are then ``None``, as in CPython).
    """
    cafile_env = "SSL_CERT_FILE"
    capath_env = "SSL_CERT_DIR"
    openssl_cafile, openssl_capath = SSL.default_verify_paths()
    cafile = os.environ.get(cafile_env, openssl_cafile)
    capath = os.environ.get(capath_env, openssl_capath)
    return DefaultVerifyPaths(
        cafile if os.path.isfile(cafile) else None,
        capath if os.path.isdir(capath) else None,
        cafile_env,
        openssl_cafile,
        capath_env,
        openssl_capath,
    )


def load_der_certificate(der: bytes) -> Optional[x509.Certificate]:
    """Parse DER bytes, ``None`` when they are not a certificate."""
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None
