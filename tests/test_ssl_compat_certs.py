"""``getpeercert()`` dictionaries, ``match_hostname``: equal to CPython's."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    NameOID,
    ObjectIdentifier,
)

from OpenSSL import ssl_compat
from OpenSSL.ssl_compat._certs import decode_certificate
from tests.support import (
    EchoServer,
    connect,
    files,
    ssl_client_context,
    ssl_server_context,
)

_decode_with_cpython = ssl._ssl._test_decode_cert


def _cpython_view(cert: x509.Certificate, tmp_path: Path) -> Any:
    path = tmp_path / "cert.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return _decode_with_cpython(str(path))


@pytest.mark.parametrize(
    "name",
    [
        "root",
        "intermediate",
        "server",
        "rsa_server",
        "client",
        "expired_server",
        "wrong_host_server",
    ],
)
def test_test_pki_certificates_decode_like_cpython(name: str, tmp_path: Path) -> None:
    cert = getattr(files().pki, name).cert
    assert decode_certificate(cert) == _cpython_view(cert, tmp_path)


def _rich_certificate(serial: int = 0xABCDEF) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    rdn = x509.RelativeDistinguishedName
    attribute = x509.NameAttribute
    name = x509.Name(
        [
            rdn([attribute(NameOID.COUNTRY_NAME, "DE")]),
            rdn(
                [
                    attribute(NameOID.COMMON_NAME, "multi"),
                    attribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "unit"),
                ]
            ),
            rdn([attribute(NameOID.EMAIL_ADDRESS, "someone@example.org")]),
            rdn([attribute(ObjectIdentifier("1.2.3.4.5"), "private oid")]),
            rdn([attribute(NameOID.DOMAIN_COMPONENT, "example")]),
            rdn([attribute(NameOID.COMMON_NAME, "ünïcödé")]),
        ]
    )
    when = datetime.datetime(2024, 3, 7, 1, 2, 3)
    alt_names = [
        x509.DNSName("a.example"),
        x509.DNSName("*.wild.example"),
        x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
        x509.IPAddress(ipaddress.ip_address("::1")),
        x509.IPAddress(ipaddress.ip_address("2001:db8::ab")),
        x509.RFC822Name("mail@example.org"),
        x509.UniformResourceIdentifier("https://example.org/"),
        x509.DirectoryName(x509.Name([attribute(NameOID.COMMON_NAME, "dir")])),
        x509.RegisteredID(ObjectIdentifier("1.2.3.4")),
        x509.OtherName(ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x03upn"),
        x509.OtherName(ObjectIdentifier("1.2.3.99"), b"\x04\x01x"),
    ]
    access = [
        x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP,
            x509.UniformResourceIdentifier("http://ocsp.example/"),
        ),
        x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier("http://ca.example/ca.der"),
        ),
    ]
    crl_points = [
        x509.DistributionPoint(
            [
                x509.UniformResourceIdentifier("http://crl.example/1.crl"),
                x509.UniformResourceIdentifier("http://crl.example/2.crl"),
            ],
            None,
            None,
            None,
        )
    ]
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(when)
        .not_valid_after(when + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.AuthorityInformationAccess(access), critical=False)
        .add_extension(x509.CRLDistributionPoints(crl_points), critical=False)
        .sign(key, hashes.SHA256())
    )


@pytest.mark.parametrize("serial", [1, 0x0F, 0xABCDEF, 2**159 - 1])
def test_rich_certificate_decodes_like_cpython(serial: int, tmp_path: Path) -> None:
    cert = _rich_certificate(serial)
    mine = decode_certificate(cert)
    assert mine == _cpython_view(cert, tmp_path)
    # The interesting parts really are there (the comparison is not vacuous).
    assert ("othername", "UPN:upn") in mine["subjectAltName"]
    assert ("IP Address", "2001:DB8:0:0:0:0:0:AB") in mine["subjectAltName"]
    assert mine["OCSP"] == ("http://ocsp.example/",)
    assert len(mine["crlDistributionPoints"]) == 2


def test_minimal_certificate_has_no_optional_keys(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bare")])
    when = datetime.datetime(2030, 12, 25, 23, 59, 59)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(77)
        .not_valid_before(when)
        .not_valid_after(when + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    mine = decode_certificate(cert)
    assert mine == _cpython_view(cert, tmp_path)
    assert set(mine) == {
        "subject",
        "issuer",
        "version",
        "serialNumber",
        "notBefore",
        "notAfter",
    }
    assert mine["notBefore"] == "Dec 25 23:59:59 2030 GMT"


@pytest.mark.parametrize("server_module", [ssl, ssl_compat])
def test_getpeercert_equals_cpython_for_the_same_server(server_module: Any) -> None:
    views = {}
    for client_module in (ssl, ssl_compat):
        server = EchoServer(ssl_server_context(server_module))
        with server, connect(ssl_client_context(client_module), server.address) as tls:
            views[client_module] = (
                tls.getpeercert(),
                tls.getpeercert(binary_form=True),
                tls.cipher(),
                tls.version(),
            )
    assert views[ssl] == views[ssl_compat]
    assert views[ssl][0]["subjectAltName"] == (
        ("DNS", "localhost"),
        ("IP Address", "127.0.0.1"),
        ("IP Address", "0:0:0:0:0:0:0:1"),
    )


def test_getpeercert_of_unverified_peer_is_empty_dict() -> None:
    # CPython reports {} (not the parsed certificate) when it did not verify.
    for module in (ssl, ssl_compat):
        ctx = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        server = EchoServer(ssl_server_context())
        with server, connect(ctx, server.address) as tls:
            assert tls.getpeercert() == {}
            assert tls.getpeercert(True) == files().pki.server.cert.public_bytes(
                serialization.Encoding.DER
            )


def test_getpeercert_without_client_certificate_is_none() -> None:
    def handler(tls: Any) -> Any:
        return tls.getpeercert(), tls.getpeercert(True)

    server = EchoServer(ssl_server_context(), handler=handler)
    with server, connect(ssl_client_context(), server.address):
        pass
    assert server.errors == []
    assert server.results == [(None, None)]


# -- match_hostname (early stdlib API) ---------------------------------------


def _cert(*sans: tuple[str, str], cn: str = "") -> dict[str, Any]:
    cert: dict[str, Any] = {"subject": ((("commonName", cn),),)} if cn else {}
    if sans:
        cert["subjectAltName"] = sans
    return cert


@pytest.mark.parametrize(
    ("cert", "hostname"),
    [
        (_cert(("DNS", "example.com")), "example.com"),
        (_cert(("DNS", "example.com")), "EXAMPLE.com"),
        (_cert(("DNS", "*.example.com")), "www.example.com"),
        (_cert(("IP Address", "127.0.0.1")), "127.0.0.1"),
        (_cert(("IP Address", "0:0:0:0:0:0:0:1")), "::1"),
        (_cert(cn="legacy.example"), "legacy.example"),
    ],
)
def test_match_hostname_accepts(cert: dict[str, Any], hostname: str) -> None:
    assert ssl_compat.match_hostname(cert, hostname) is None


@pytest.mark.parametrize(
    ("cert", "hostname", "message"),
    [
        (_cert(("DNS", "example.com")), "other.com", "doesn't match 'example.com'"),
        (
            _cert(("DNS", "a.com"), ("DNS", "b.com")),
            "c.com",
            "doesn't match either of 'a.com', 'b.com'",
        ),
        (_cert(("DNS", "*.example.com")), "a.b.example.com", "doesn't match"),
        (_cert(("DNS", "*.example.com")), "example.com", "doesn't match"),
        (_cert(("DNS", "w*.example.com")), "www.example.com", "partial wildcards"),
        (_cert(("DNS", "*.*.example.com")), "a.b.example.com", "too many wildcards"),
        (_cert(("DNS", "*")), "example", "sole wildcard"),
        (_cert(("IP Address", "127.0.0.1")), "127.0.0.2", "doesn't match"),
        (_cert(("DNS", "127.0.0.1")), "127.0.0.1", "doesn't match"),
        (
            _cert(("DNS", "san.example"), cn="cn.example"),
            "cn.example",
            "doesn't match 'san.example'",
        ),
        ({"subject": ((("organizationName", "x"),),)}, "x", "no appropriate"),
    ],
)
def test_match_hostname_rejects(
    cert: dict[str, Any], hostname: str, message: str
) -> None:
    with pytest.raises(ssl.CertificateError, match=message):
        ssl_compat.match_hostname(cert, hostname)


def test_match_hostname_needs_a_certificate() -> None:
    with pytest.raises(ValueError, match="empty or no certificate"):
        ssl_compat.match_hostname({}, "example.com")


def test_match_hostname_on_real_peer_certificate() -> None:
    server = EchoServer(ssl_server_context())
    with server, connect(ssl_client_context(), server.address) as tls:
        cert = tls.getpeercert()
    ssl_compat.match_hostname(cert, "localhost")
    ssl_compat.match_hostname(cert, "127.0.0.1")
    with pytest.raises(ssl.CertificateError):
        ssl_compat.match_hostname(cert, "example.com")


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der_elements(data: bytes) -> list[bytes]:
    """Split concatenated DER elements (whole TLVs)."""
    elements = []
    offset = 0
    while offset < len(data):
        length = data[offset + 1]
        header = 2
        if length & 0x80:
            size = length & 0x7F
            length = int.from_bytes(data[offset + 2 : offset + 2 + size], "big")
            header += size
        elements.append(data[offset : offset + header + length])
        offset += header + length
    return elements


def _body_len(element: bytes) -> int:
    length = element[1]
    if length & 0x80:
        return int.from_bytes(element[2 : 2 + (length & 0x7F)], "big")
    return length


def _sequence(elements: list[bytes]) -> bytes:
    body = b"".join(elements)
    return b"\x30" + _der_length(len(body)) + body


def _with_serial_content(cert: x509.Certificate, content: bytes) -> x509.Certificate:
    """*cert* with its serial INTEGER's content bytes replaced (signature stale)."""
    der = cert.public_bytes(serialization.Encoding.DER)
    (outer,) = _der_elements(der)
    tbs, algorithm, signature = _der_elements(outer[-_body_len(outer) :])
    fields = _der_elements(tbs[-_body_len(tbs) :])
    fields[1] = b"\x02" + _der_length(len(content)) + content
    return x509.load_der_x509_certificate(
        _sequence([_sequence(fields), algorithm, signature])
    )


@pytest.mark.parametrize(
    "content",
    [b"\x00", b"\xff\x01", b"\x01" * 40, b"\x00\x80" + b"\x12" * 70],
    ids=["zero", "negative", "40-bytes", "72-bytes"],
)
def test_unusual_serial_numbers_decode_like_cpython(
    content: bytes, tmp_path: Path
) -> None:
    import warnings

    from cryptography.utils import CryptographyDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        cert = _with_serial_content(files().pki.server.cert, content)
        mine = decode_certificate(cert)
    assert mine["serialNumber"] == _cpython_view(cert, tmp_path)["serialNumber"]
