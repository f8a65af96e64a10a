"""OpenSSL.crypto.X509Name: attribute access, NUL safety, ordering, encodings."""

from __future__ import annotations

import datetime
import warnings
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from OpenSSL import crypto
from tests.support import PKI

pytestmark = pytest.mark.usefixtures("clean_error_queue")


def _new_name(**attributes: Any) -> crypto.X509Name:
    """A fresh X509Name (copied from an empty certificate's subject)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        name = crypto.X509Name(crypto.X509().get_subject())
    for key, value in attributes.items():
        setattr(name, key, value)
    return name


def _subject(cert: x509.Certificate) -> crypto.X509Name:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return crypto.X509.from_cryptography(cert).get_subject()


class TestConstruction:
    def test_copy_warns(self) -> None:
        original = _new_name(CN="original")
        with pytest.warns(DeprecationWarning, match="X509Name") as record:
            copy = crypto.X509Name(original)
        assert record[0].filename == __file__
        assert copy.CN == "original"
        assert copy == original

    def test_copy_is_independent(self) -> None:
        original = _new_name(CN="original")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            copy = crypto.X509Name(original)
        copy.CN = "copy"
        assert original.CN == "original"

    @pytest.mark.parametrize("bad", [None, "CN=x", object()])
    def test_wrong_type(self, pki: PKI, bad: object) -> None:
        with pytest.raises(TypeError, match="X509Name"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                crypto.X509Name(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                crypto.X509Name(pki.server.cert.subject)  # type: ignore[arg-type]

    def test_attribute_use_does_not_warn(self) -> None:
        name = _new_name()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            name.CN = "x"
            assert name.CN == "x"
            name.der()
            name.hash()
            name.get_components()
            repr(name)


class TestAttributes:
    def test_read_from_certificate(self, pki: PKI) -> None:
        subject = _subject(pki.server.cert)
        assert subject.CN == "localhost"
        assert subject.commonName == "localhost"
        assert subject.O == "pyopenssl-ng tests"
        assert subject.organizationName == "pyopenssl-ng tests"

    def test_absent_is_none(self, pki: PKI) -> None:
        subject = _subject(pki.server.cert)
        assert subject.C is None
        assert subject.emailAddress is None
        assert subject.OU is None

    @pytest.mark.parametrize(
        ("short", "long"),
        [
            ("CN", "commonName"),
            ("C", "countryName"),
            ("ST", "stateOrProvinceName"),
            ("L", "localityName"),
            ("O", "organizationName"),
            ("OU", "organizationalUnitName"),
        ],
    )
    def test_short_and_long_names_alias(self, short: str, long: str) -> None:
        name = _new_name()
        value = "NL" if short == "C" else f"value of {long}"
        setattr(name, short, value)
        assert getattr(name, long) == value
        setattr(name, long, "GB" if short == "C" else "changed")
        assert getattr(name, short) == ("GB" if short == "C" else "changed")
        assert len(name.get_components()) == 1

    def test_email_address(self) -> None:
        name = _new_name(emailAddress="someone@example.org")
        assert name.emailAddress == "someone@example.org"
        assert name.get_components() == [(b"emailAddress", b"someone@example.org")]

    def test_oid_name(self) -> None:
        name = _new_name()
        setattr(name, "2.5.4.3", "by oid")
        assert name.CN == "by oid"

    def test_bytes_value_is_utf8(self) -> None:
        name = _new_name(CN="caf\u00e9".encode())
        assert name.CN == "caf\u00e9"

    def test_non_ascii_text(self) -> None:
        name = _new_name(CN="\u00fcber \u2603 \U0001f600")
        assert name.CN == "\u00fcber \u2603 \U0001f600"
        decoded = _decode(name)
        assert decoded.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
            "\u00fcber \u2603 \U0001f600"
        )

    def test_set_replaces_every_entry_of_that_type(self, pki: PKI) -> None:
        original = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "first"),
                x509.NameAttribute(NameOID.COMMON_NAME, "cn"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "second"),
            ]
        )
        name = _name_from(original, pki)
        assert name.OU == "first"
        name.OU = "only"
        assert name.OU == "only"
        assert name.get_components() == [(b"CN", b"cn"), (b"OU", b"only")]

    def test_empty_value_is_error(self) -> None:
        # OpenSSL's string table gives commonName a minimum length of 1.
        with pytest.raises(crypto.Error):
            _new_name(CN="")

    def test_too_long_value_is_error(self) -> None:
        name = _new_name(CN="kept")
        with pytest.raises(crypto.Error):
            name.CN = "x" * 65
        name.C = "NL"
        with pytest.raises(crypto.Error):
            name.C = "NLD"
        # A rejected value leaves the name as it was.
        assert name.CN == "kept"
        assert name.C == "NL"
        assert name.get_components() == [(b"CN", b"kept"), (b"C", b"NL")]

    def test_set_moves_entry_to_the_end(self) -> None:
        name = _new_name(CN="first", O="org")
        name.CN = "second"
        assert name.get_components() == [(b"O", b"org"), (b"CN", b"second")]

    def test_invalid_utf8_bytes_is_error(self) -> None:
        with pytest.raises(crypto.Error):
            _new_name(CN=b"\xff\xfe")

    def test_non_ascii_email_is_error(self) -> None:
        with pytest.raises(crypto.Error):
            _new_name(emailAddress="\u00e4@example.org")

    @pytest.mark.parametrize("attribute", ["foo", "CNN", "", "\u00e4", "C\0N"])
    def test_unknown_attribute_get(self, attribute: str) -> None:
        with pytest.raises(AttributeError, match="No such attribute"):
            getattr(_new_name(), attribute)

    @pytest.mark.parametrize("attribute", ["foo", "CNN", "\u00e4", "C\0N"])
    def test_unknown_attribute_set(self, attribute: str) -> None:
        name = _new_name()
        with pytest.raises(AttributeError, match="No such attribute"):
            setattr(name, attribute, "x")
        assert name.get_components() == []

    def test_hasattr(self) -> None:
        name = _new_name(CN="x")
        assert hasattr(name, "CN")
        assert not hasattr(name, "bogus")

    @pytest.mark.parametrize("value", [None, 42, ["x"], object()])
    def test_wrong_value_type(self, value: object) -> None:
        name = _new_name(CN="kept")
        with pytest.raises(TypeError, match="str or bytes"):
            name.CN = value  # type: ignore[assignment]
        assert name.CN == "kept"

    def test_non_str_attribute_name(self) -> None:
        name = _new_name()
        with pytest.raises(TypeError, match="attribute name must be string"):
            setattr(name, b"CN", "x")  # type: ignore[arg-type]

    def test_private_attributes_unaffected(self) -> None:
        name = _new_name()
        name._scratch = 1  # type: ignore[attr-defined]
        assert name._scratch == 1  # type: ignore[attr-defined]
        with pytest.raises(AttributeError):
            name._missing  # type: ignore[attr-defined]  # noqa: B018


def _decode(name: crypto.X509Name) -> x509.Name:
    """Parse *name* with cryptography: sign a throwaway certificate with it."""
    key = crypto.PKey.from_cryptography_key(ec.generate_private_key(ec.SECP256R1()))
    cert = crypto.X509()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cert.set_subject(name)
        cert.set_issuer(name)
        cert.set_pubkey(key)
        cert.set_serial_number(1)
        cert.gmtime_adj_notBefore(0)
        cert.gmtime_adj_notAfter(60)
        cert.sign(key, "sha256")
    return cert.to_cryptography().subject


def _name_from(name: x509.Name, pki: PKI) -> crypto.X509Name:
    """An X509Name holding *name*, as encoded by cryptography."""
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(pki.root.key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2020, 1, 1))
        .not_valid_after(datetime.datetime(2040, 1, 1))
        .sign(pki.root.key, hashes.SHA256())
    )
    return _subject(cert)


class TestNulBytes:
    """Values with NUL bytes are kept whole (the CVE-2026-40475 class)."""

    @pytest.mark.parametrize(
        "value",
        [
            "evil.example\0.good.example",
            "\0",
            "\0leading",
            "trailing\0",
            "a\0b\0c",
            b"bytes\0value",
        ],
    )
    def test_set_and_get(self, value: str | bytes) -> None:
        name = _new_name(CN=value)
        text = value.decode() if isinstance(value, bytes) else value
        assert name.CN == text
        assert name.get_components() == [(b"CN", text.encode())]

    def test_encoded_whole(self) -> None:
        name = _new_name(CN="evil.example\0.good.example")
        decoded = _decode(name)
        value = decoded.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert value == "evil.example\0.good.example"

    def test_read_from_certificate(self, pki: PKI) -> None:
        value = "host.example\0.attacker.example"
        name = _name_from(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value)]), pki
        )
        assert name.CN == value
        assert name.get_components() == [(b"CN", value.encode())]

    def test_differs_from_truncated(self) -> None:
        assert _new_name(CN="a\0b") != _new_name(CN="a")

    def test_repr_does_not_truncate_silently(self) -> None:
        text = repr(_new_name(CN="a\0b"))
        assert text.startswith("<X509Name object '/CN=a")
        assert text != "<X509Name object '/CN=a'>"


class TestComparison:
    def test_equal(self) -> None:
        assert _new_name(CN="x", O="y") == _new_name(CN="x", O="y")
        assert not (_new_name(CN="x") != _new_name(CN="x"))

    def test_not_equal(self) -> None:
        assert _new_name(CN="x") != _new_name(CN="y")
        assert _new_name(CN="x", O="y") != _new_name(O="y", CN="x")

    def test_case_insensitive_like_openssl(self) -> None:
        # X509_NAME_cmp compares canonical encodings, which fold case.
        assert _new_name(CN="Host") == _new_name(CN="host")

    def test_ordering(self) -> None:
        a, b = _new_name(CN="a"), _new_name(CN="b")
        assert a < b
        assert a <= b
        assert b > a
        assert b >= a
        assert a <= _new_name(CN="a")
        assert a >= _new_name(CN="a")
        assert sorted([b, a]) == [a, b]

    @pytest.mark.parametrize("other", [None, "CN=a", 1, object()])
    def test_other_types(self, other: object) -> None:
        name = _new_name(CN="a")
        assert (name == other) is False
        assert (name != other) is True
        with pytest.raises(TypeError):
            name < other  # type: ignore[operator]  # noqa: B015
        with pytest.raises(TypeError):
            name >= other  # type: ignore[operator]  # noqa: B015

    def test_hash_consistent_with_equality(self) -> None:
        a, b = _new_name(CN="Same"), _new_name(CN="same")
        assert a == b
        assert hash(a) == hash(b)
        assert len({a, b, _new_name(CN="other")}) == 2


class TestEncodings:
    def test_der_matches_certificate(self, pki: PKI) -> None:
        subject = _subject(pki.server.cert)
        assert subject.der() == pki.server.cert.subject.public_bytes()

    def test_der_of_empty_name(self) -> None:
        assert _new_name().der() == b"\x30\x00"

    def test_hash(self, pki: PKI) -> None:
        subject = _subject(pki.server.cert)
        cert = crypto.X509.from_cryptography(pki.server.cert)
        assert subject.hash() == cert.subject_name_hash()
        assert 0 <= subject.hash() < 2**32
        assert _new_name(CN="a").hash() != _new_name(CN="b").hash()

    def test_get_components_order_and_raw_values(self, pki: PKI) -> None:
        subject = _subject(pki.server.cert)
        assert subject.get_components() == [
            (b"O", b"pyopenssl-ng tests"),
            (b"CN", b"localhost"),
        ]

    def test_get_components_non_ascii_is_utf8(self) -> None:
        name = _new_name(CN="\u00e9")
        assert name.get_components() == [(b"CN", "\u00e9".encode())]

    def test_repr(self, pki: PKI) -> None:
        assert repr(_subject(pki.server.cert)) == (
            "<X509Name object '/O=pyopenssl-ng tests/CN=localhost'>"
        )
        assert repr(_new_name()) == "<X509Name object ''>"


class TestInternalFactories:
    """The factory OpenSSL.SSL uses to wrap names it gets from OpenSSL."""

    def test_from_raw_name_copy(self, pki: PKI) -> None:
        from OpenSSL._util import lib

        cert = crypto.X509.from_cryptography(pki.client.cert)
        borrowed = lib.X509_get_subject_name(cert._x509)
        name = crypto.X509Name._from_raw_name_copy(borrowed)
        assert name._name != borrowed
        del cert, borrowed
        assert name.CN == "client"
        name.CN = "changed"
        assert name.CN == "changed"

    def test_from_null(self) -> None:
        from OpenSSL._util import ffi

        with pytest.raises(ValueError):
            crypto.X509Name._from_raw_name_copy(ffi.NULL)
