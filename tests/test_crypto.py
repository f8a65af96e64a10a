"""OpenSSL.crypto: X509, load_certificate and dump_certificate."""

from __future__ import annotations

import datetime
import gc
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from OpenSSL import crypto
from tests.support import PKI

pytestmark = pytest.mark.usefixtures("clean_error_queue")

PEM = crypto.FILETYPE_PEM
ASN1 = crypto.FILETYPE_ASN1
TEXT = crypto.FILETYPE_TEXT


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _quiet(func, *args):  # type: ignore[no-untyped-def]
    """Call a deprecated API without letting its warning fail the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return func(*args)


@pytest.fixture
def server(pki: PKI) -> crypto.X509:
    return crypto.X509.from_cryptography(pki.server.cert)


class TestConstants:
    def test_filetypes(self) -> None:
        from OpenSSL._util import lib

        assert crypto.FILETYPE_PEM == lib.SSL_FILETYPE_PEM == 1
        assert crypto.FILETYPE_ASN1 == lib.SSL_FILETYPE_ASN1 == 2
        assert crypto.FILETYPE_TEXT == 65535

    def test_key_types(self) -> None:
        from OpenSSL._util import lib

        assert crypto.TYPE_RSA == lib.EVP_PKEY_RSA
        assert crypto.TYPE_DSA == lib.EVP_PKEY_DSA

    def test_error_is_exception_named_in_crypto(self) -> None:
        assert issubclass(crypto.Error, Exception)
        assert crypto.Error.__module__ == "OpenSSL.crypto"


class TestLoadCertificate:
    def test_pem(self, pki: PKI) -> None:
        cert = crypto.load_certificate(PEM, pki.server.cert_pem())
        assert cert.to_cryptography() == pki.server.cert

    def test_pem_as_str(self, pki: PKI) -> None:
        cert = crypto.load_certificate(PEM, pki.server.cert_pem().decode("ascii"))
        assert cert.to_cryptography() == pki.server.cert

    def test_pem_first_of_several(self, pki: PKI) -> None:
        cert = crypto.load_certificate(PEM, pki.server.chain_pem())
        assert cert.to_cryptography() == pki.server.cert

    def test_der(self, pki: PKI) -> None:
        cert = crypto.load_certificate(ASN1, _der(pki.root.cert))
        assert cert.to_cryptography() == pki.root.cert

    def test_bytearray_and_memoryview(self, pki: PKI) -> None:
        der = _der(pki.root.cert)
        for buffer in (bytearray(der), memoryview(der)):
            cert = crypto.load_certificate(ASN1, buffer)  # type: ignore[arg-type]
            assert cert.to_cryptography() == pki.root.cert

    @pytest.mark.parametrize("filetype", [PEM, ASN1])
    @pytest.mark.parametrize(
        "data", [b"", b"garbage", b"\0" * 100, b"-----BEGIN CERTIFICATE-----\n"]
    )
    def test_garbage_is_error(self, filetype: int, data: bytes) -> None:
        with pytest.raises(crypto.Error) as info:
            crypto.load_certificate(filetype, data)
        assert info.value.args[0], "the error must say what OpenSSL reported"
        assert all(len(entry) == 3 for entry in info.value.args[0])

    def test_truncated_der(self, pki: PKI) -> None:
        der = _der(pki.server.cert)
        for cut in (1, 10, len(der) // 2, len(der) - 1):
            with pytest.raises(crypto.Error):
                crypto.load_certificate(ASN1, der[:cut])

    def test_truncated_pem(self, pki: PKI) -> None:
        pem = pki.server.cert_pem()
        with pytest.raises(crypto.Error):
            crypto.load_certificate(PEM, pem[: len(pem) // 2])

    def test_pem_given_as_der_is_error(self, pki: PKI) -> None:
        with pytest.raises(crypto.Error):
            crypto.load_certificate(ASN1, pki.server.cert_pem())

    @pytest.mark.parametrize("filetype", [TEXT, 0, 3, -1, 100, "PEM", None])
    def test_wrong_filetype(self, pki: PKI, filetype: object) -> None:
        with pytest.raises(ValueError, match="FILETYPE_PEM or FILETYPE_ASN1"):
            crypto.load_certificate(filetype, pki.server.cert_pem())  # type: ignore[arg-type]

    @pytest.mark.parametrize("buffer", [None, 42, object(), ["x"]])
    def test_wrong_buffer_type(self, buffer: object) -> None:
        with pytest.raises(TypeError, match="buffer"):
            crypto.load_certificate(PEM, buffer)  # type: ignore[arg-type]

    def test_non_ascii_str_is_value_error(self) -> None:
        with pytest.raises(ValueError):
            crypto.load_certificate(PEM, "-----BEGIN CERTIFICATE-----\nä")


class TestDumpCertificate:
    def test_pem(self, pki: PKI, server: crypto.X509) -> None:
        assert crypto.dump_certificate(PEM, server) == pki.server.cert_pem()

    def test_der(self, pki: PKI, server: crypto.X509) -> None:
        assert crypto.dump_certificate(ASN1, server) == _der(pki.server.cert)

    def test_text(self, pki: PKI, server: crypto.X509) -> None:
        text = crypto.dump_certificate(TEXT, server)
        assert text.startswith(b"Certificate:")
        assert b"CN=localhost" in text
        assert b"ecdsa-with-SHA256" in text
        assert b"DNS:localhost" in text
        assert b"%x" % pki.server.cert.serial_number in text.replace(b":", b"")

    def test_round_trips(self, server: crypto.X509) -> None:
        for filetype in (PEM, ASN1):
            dumped = crypto.dump_certificate(filetype, server)
            again = crypto.load_certificate(filetype, dumped)
            assert crypto.dump_certificate(filetype, again) == dumped

    @pytest.mark.parametrize("filetype", [0, 3, 100, None, "PEM"])
    def test_wrong_filetype(self, server: crypto.X509, filetype: object) -> None:
        with pytest.raises(ValueError, match="FILETYPE_TEXT"):
            crypto.dump_certificate(filetype, server)  # type: ignore[arg-type]

    def test_wrong_certificate_type(self, pki: PKI) -> None:
        with pytest.raises(TypeError):
            crypto.dump_certificate(PEM, pki.server.cert)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            crypto.dump_certificate(PEM, None)  # type: ignore[arg-type]

    def test_empty_certificate_cannot_be_encoded(self) -> None:
        with pytest.raises(crypto.Error):
            crypto.dump_certificate(PEM, crypto.X509())


class TestCryptographyConversion:
    def test_from_and_to(self, pki: PKI) -> None:
        cert = crypto.X509.from_cryptography(pki.client.cert)
        assert isinstance(cert, crypto.X509)
        assert cert.to_cryptography() == pki.client.cert

    @pytest.mark.parametrize("bad", [None, b"cert", object()])
    def test_from_wrong_type(self, bad: object) -> None:
        with pytest.raises(TypeError, match="certificate"):
            crypto.X509.from_cryptography(bad)  # type: ignore[arg-type]

    def test_subclass_preserved(self, pki: PKI) -> None:
        class MyX509(crypto.X509):
            pass

        assert type(MyX509.from_cryptography(pki.root.cert)) is crypto.X509


class TestGetters:
    def test_version(self, server: crypto.X509) -> None:
        assert server.get_version() == 2

    def test_serial_number(self, pki: PKI, server: crypto.X509) -> None:
        assert server.get_serial_number() == pki.server.cert.serial_number

    def test_validity(self, pki: PKI, server: crypto.X509) -> None:
        fmt = "%Y%m%d%H%M%SZ"
        cert = pki.server.cert
        assert server.get_notBefore() == cert.not_valid_before_utc.strftime(fmt).encode(
            "ascii"
        )
        assert server.get_notAfter() == cert.not_valid_after_utc.strftime(fmt).encode(
            "ascii"
        )

    def test_validity_beyond_2049_is_generalized_time(self, pki: PKI) -> None:
        # UTCTime cannot express 2050; such certificates use GeneralizedTime,
        # and both come back in the same 15-character form.
        key = pki.root.key
        cert = (
            x509.CertificateBuilder()
            .subject_name(pki.root.cert.subject)
            .issuer_name(pki.root.cert.subject)
            .public_key(key.public_key())
            .serial_number(7)
            .not_valid_before(datetime.datetime(1999, 12, 31, 23, 59, 59))
            .not_valid_after(datetime.datetime(2051, 1, 2, 3, 4, 5))
            .sign(key, hashes.SHA256())
        )
        wrapped = crypto.X509.from_cryptography(cert)
        assert wrapped.get_notBefore() == b"19991231235959Z"
        assert wrapped.get_notAfter() == b"20510102030405Z"
        assert wrapped.has_expired() is False

    def test_has_expired(self, pki: PKI, server: crypto.X509) -> None:
        assert server.has_expired() is False
        expired = crypto.X509.from_cryptography(pki.expired_server.cert)
        assert expired.has_expired() is True

    def test_has_expired_without_not_after(self) -> None:
        with pytest.raises(ValueError, match="notAfter"):
            crypto.X509().has_expired()

    def test_new_certificate_has_no_validity(self) -> None:
        cert = crypto.X509()
        assert cert.get_notBefore() is None
        assert cert.get_notAfter() is None

    def test_signature_algorithm(self, pki: PKI, server: crypto.X509) -> None:
        assert server.get_signature_algorithm() == b"ecdsa-with-SHA256"
        rsa_key = pki.rsa_server.key
        builder = (
            x509.CertificateBuilder()
            .subject_name(pki.rsa_server.cert.subject)
            .issuer_name(pki.rsa_server.cert.subject)
            .public_key(rsa_key.public_key())
            .serial_number(1)
            .not_valid_before(datetime.datetime(2020, 1, 1))
            .not_valid_after(datetime.datetime(2040, 1, 1))
        )
        cert = crypto.X509.from_cryptography(builder.sign(rsa_key, hashes.SHA384()))
        assert cert.get_signature_algorithm() == b"sha384WithRSAEncryption"

    def test_signature_algorithm_undefined(self) -> None:
        with pytest.raises(ValueError, match="Undefined signature algorithm"):
            crypto.X509().get_signature_algorithm()

    @pytest.mark.parametrize(
        ("name", "algorithm"),
        [
            ("sha256", hashes.SHA256()),
            ("SHA256", hashes.SHA256()),
            ("sha1", hashes.SHA1()),
            ("sha512", hashes.SHA512()),
            ("md5", hashes.MD5()),
        ],
    )
    def test_digest(
        self,
        pki: PKI,
        server: crypto.X509,
        name: str,
        algorithm: hashes.HashAlgorithm,
    ) -> None:
        fingerprint = pki.server.cert.fingerprint(algorithm)
        expected = b":".join(b"%02X" % b for b in fingerprint)
        assert server.digest(name) == expected

    @pytest.mark.parametrize("name", ["no-such-digest", "", "sha256\0", "ä"])
    def test_digest_unknown(self, server: crypto.X509, name: str) -> None:
        with pytest.raises(ValueError, match="No such digest method"):
            server.digest(name)

    @pytest.mark.parametrize("name", [None, 256, hashes.SHA256()])
    def test_digest_wrong_type(self, server: crypto.X509, name: object) -> None:
        with pytest.raises(TypeError):
            server.digest(name)  # type: ignore[arg-type]

    def test_extension_count(self, pki: PKI, server: crypto.X509) -> None:
        assert server.get_extension_count() == len(pki.server.cert.extensions) == 6
        assert crypto.X509().get_extension_count() == 0

    def test_subject_name_hash(self, server: crypto.X509) -> None:
        subject = _quiet(server.get_subject)
        assert server.subject_name_hash() == subject.hash()
        assert isinstance(server.subject_name_hash(), int)

    def test_get_pubkey(self, pki: PKI, server: crypto.X509) -> None:
        pkey = server.get_pubkey()
        assert pkey._only_public is True
        assert pkey.type() == crypto.TYPE_EC
        assert pkey.bits() == 256
        assert pkey.to_cryptography_key() == pki.server.key.public_key()

    def test_get_pubkey_of_empty_certificate(self) -> None:
        with pytest.raises(crypto.Error):
            crypto.X509().get_pubkey()

    def test_get_subject_and_issuer(self, server: crypto.X509) -> None:
        with pytest.warns(DeprecationWarning, match="get_subject"):
            subject = server.get_subject()
        with pytest.warns(DeprecationWarning, match="get_issuer"):
            issuer = server.get_issuer()
        assert isinstance(subject, crypto.X509Name)
        assert subject.CN == "localhost"
        assert issuer.CN == "pyopenssl-ng test intermediate CA"
        assert issuer.O == "pyopenssl-ng tests"

    def test_reading_does_not_warn(self, server: crypto.X509) -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            read = [
                server.get_version(),
                server.get_serial_number(),
                server.get_notAfter(),
                server.digest("sha256"),
                server.get_pubkey(),
                server.to_cryptography(),
                crypto.dump_certificate(PEM, server),
            ]
        assert caught == []
        assert all(value is not None for value in read)


def _self_signed(key: crypto.PKey, common_name: str = "made here") -> crypto.X509:
    """A certificate built entirely with the deprecated X509 setters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cert = crypto.X509()
        name = cert.get_subject()
        name.CN = common_name
        name.O = "pyopenssl-ng"
        cert.set_version(2)
        cert.set_serial_number(0x1234)
        cert.set_issuer(name)
        cert.set_pubkey(key)
        cert.gmtime_adj_notBefore(-60)
        cert.gmtime_adj_notAfter(3600)
        cert.sign(key, "sha256")
    return cert


@pytest.fixture(scope="module")
def ec_key() -> crypto.PKey:
    return crypto.PKey.from_cryptography_key(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="module")
def rsa_key(pki: PKI) -> crypto.PKey:
    return crypto.PKey.from_cryptography_key(pki.rsa_server.key)


class TestDeprecatedSetters:
    @pytest.mark.parametrize("key_name", ["ec_key", "rsa_key"])
    def test_build_and_sign(
        self, request: pytest.FixtureRequest, key_name: str
    ) -> None:
        key: crypto.PKey = request.getfixturevalue(key_name)
        cert = _self_signed(key).to_cryptography()
        assert cert.version == x509.Version.v3
        assert cert.serial_number == 0x1234
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
            "made here"
        )
        assert cert.issuer == cert.subject
        assert cert.public_key() == key.to_cryptography_key().public_key()  # type: ignore[union-attr]
        lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
        assert lifetime == datetime.timedelta(seconds=3660)
        cert.verify_directly_issued_by(cert)

    @pytest.mark.parametrize(
        ("method", "args"),
        [
            ("set_version", (2,)),
            ("set_serial_number", (5,)),
            ("gmtime_adj_notBefore", (0,)),
            ("gmtime_adj_notAfter", (0,)),
            ("set_notBefore", (b"20200101000000Z",)),
            ("set_notAfter", (b"20200101000000Z",)),
        ],
    )
    def test_each_setter_warns(self, method: str, args: tuple[object, ...]) -> None:
        cert = crypto.X509()
        with pytest.warns(DeprecationWarning, match=method) as record:
            getattr(cert, method)(*args)
        assert record[0].filename == __file__

    def test_name_and_key_setters_warn(self, ec_key: crypto.PKey) -> None:
        cert = crypto.X509()
        name = _quiet(cert.get_subject)
        with pytest.warns(DeprecationWarning, match="set_subject"):
            cert.set_subject(name)
        with pytest.warns(DeprecationWarning, match="set_issuer"):
            cert.set_issuer(name)
        with pytest.warns(DeprecationWarning, match="set_pubkey"):
            cert.set_pubkey(ec_key)
        with pytest.warns(DeprecationWarning, match="sign"):
            cert.sign(ec_key, "sha256")

    @pytest.mark.parametrize("version", [0, 1, 2])
    def test_set_version(self, version: int) -> None:
        cert = crypto.X509()
        _quiet(cert.set_version, version)
        assert cert.get_version() == version

    @pytest.mark.parametrize("version", [3, -1, 2**40])
    def test_set_version_out_of_range(self, version: int) -> None:
        with pytest.raises(ValueError, match="version"):
            _quiet(crypto.X509().set_version, version)

    @pytest.mark.parametrize("version", ["2", 2.0, None])
    def test_set_version_wrong_type(self, version: object) -> None:
        with pytest.raises(TypeError, match="version must be an integer"):
            _quiet(crypto.X509().set_version, version)

    @pytest.mark.parametrize("serial", [0, 1, 0xFF, 2**64 + 1, 2**159 - 1, 2**200])
    def test_serial_number_round_trip(self, serial: int) -> None:
        cert = crypto.X509()
        _quiet(cert.set_serial_number, serial)
        assert cert.get_serial_number() == serial

    @pytest.mark.parametrize("serial", ["1", 1.0, None, b"\x01"])
    def test_serial_number_wrong_type(self, serial: object) -> None:
        with pytest.raises(TypeError, match="serial must be an integer"):
            _quiet(crypto.X509().set_serial_number, serial)

    def test_set_not_before_and_after(self) -> None:
        cert = crypto.X509()
        _quiet(cert.set_notBefore, b"20200102030405Z")
        _quiet(cert.set_notAfter, b"20300102030405Z")
        assert cert.get_notBefore() == b"20200102030405Z"
        assert cert.get_notAfter() == b"20300102030405Z"
        assert cert.has_expired() is False
        _quiet(cert.set_notAfter, b"200102030405Z")  # UTCTime form
        assert cert.get_notAfter() == b"20200102030405Z"
        assert cert.has_expired() is True

    @pytest.mark.parametrize(
        "when", [b"", b"2020", b"garbage", b"20201340000000Z", b"2020\x000102030405Z"]
    )
    def test_set_time_invalid(self, when: bytes) -> None:
        cert = crypto.X509()
        with pytest.raises(ValueError, match="Invalid string"):
            _quiet(cert.set_notBefore, when)
        assert cert.get_notBefore() is None

    @pytest.mark.parametrize("when", ["20200102030405Z", None, 20200102030405])
    def test_set_time_wrong_type(self, when: object) -> None:
        with pytest.raises(TypeError, match="when must be a byte string"):
            _quiet(crypto.X509().set_notAfter, when)

    def test_gmtime_adj(self) -> None:
        cert = crypto.X509()
        before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        _quiet(cert.gmtime_adj_notAfter, 86400)
        after = datetime.datetime.now(datetime.timezone.utc)
        not_after = datetime.datetime.strptime(
            cert.get_notAfter().decode(),  # type: ignore[union-attr]
            "%Y%m%d%H%M%SZ",
        ).replace(tzinfo=datetime.timezone.utc)
        day = datetime.timedelta(days=1)
        assert before + day <= not_after <= after + day

    @pytest.mark.parametrize("amount", ["1", 1.5, None])
    def test_gmtime_adj_wrong_type(self, amount: object) -> None:
        with pytest.raises(TypeError, match="amount must be an integer"):
            _quiet(crypto.X509().gmtime_adj_notBefore, amount)

    def test_gmtime_adj_overflow(self) -> None:
        with pytest.raises(OverflowError):
            _quiet(crypto.X509().gmtime_adj_notBefore, 2**64)

    @pytest.mark.parametrize("bad", [None, object(), "key"])
    def test_set_pubkey_wrong_type(self, bad: object) -> None:
        with pytest.raises(TypeError, match="PKey"):
            _quiet(crypto.X509().set_pubkey, bad)

    def test_set_pubkey_cryptography_key_is_type_error(self, pki: PKI) -> None:
        with pytest.raises(TypeError):
            _quiet(crypto.X509().set_pubkey, pki.server.key)

    @pytest.mark.parametrize("bad", [None, object(), "CN=x"])
    def test_set_subject_wrong_type(self, pki: PKI, bad: object) -> None:
        with pytest.raises(TypeError, match="X509Name"):
            _quiet(crypto.X509().set_subject, bad)
        with pytest.raises(TypeError, match="X509Name"):
            _quiet(crypto.X509().set_issuer, pki.server.cert.subject)

    def test_sign_wrong_key_type(self, pki: PKI) -> None:
        with pytest.raises(TypeError, match="PKey"):
            _quiet(crypto.X509().sign, pki.server.key, "sha256")

    def test_sign_with_public_key(self, server: crypto.X509) -> None:
        with pytest.raises(ValueError, match="Key only has public part"):
            _quiet(crypto.X509().sign, server.get_pubkey(), "sha256")

    def test_sign_with_uninitialized_key(self) -> None:
        with pytest.raises(ValueError, match="Key is uninitialized"):
            _quiet(crypto.X509().sign, crypto.PKey(), "sha256")

    def test_sign_with_unknown_digest(self, ec_key: crypto.PKey) -> None:
        with pytest.raises(ValueError, match="No such digest method"):
            _quiet(crypto.X509().sign, ec_key, "sha257")

    def test_sign_ed25519_with_digest_is_error(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ed25519

        key = crypto.PKey.from_cryptography_key(ed25519.Ed25519PrivateKey.generate())
        cert = crypto.X509()
        _quiet(cert.set_pubkey, key)
        with pytest.raises(crypto.Error):
            _quiet(cert.sign, key, "sha256")


class TestSubjectViews:
    """``get_subject``/``get_issuer`` return live views into the certificate."""

    def test_view_writes_through(self) -> None:
        cert = crypto.X509()
        _quiet(cert.get_subject).CN = "first"
        assert _quiet(cert.get_subject).CN == "first"

    def test_view_keeps_certificate_alive(self, pki: PKI) -> None:
        subject = _quiet(crypto.X509.from_cryptography(pki.server.cert).get_subject)
        gc.collect()
        assert subject.CN == "localhost"
        subject.CN = "changed"
        assert subject.CN == "changed"

    def test_view_invalidated_when_name_replaced(self) -> None:
        cert = crypto.X509()
        view = _quiet(cert.get_subject)
        view.CN = "old"
        replacement = _quiet(crypto.X509Name, view)
        replacement.CN = "new"
        _quiet(cert.set_subject, replacement)
        with pytest.raises(AttributeError, match="no longer valid"):
            view.CN  # noqa: B018
        with pytest.raises(AttributeError, match="no longer valid"):
            view.CN = "after"
        with pytest.raises(AttributeError):
            view.der()
        assert _quiet(cert.get_subject).CN == "new"
        # The copy handed to set_subject is independent of the certificate.
        replacement.CN = "later"
        assert _quiet(cert.get_subject).CN == "new"

    def test_issuer_view_not_invalidated_by_subject(self) -> None:
        cert = crypto.X509()
        issuer = _quiet(cert.get_issuer)
        issuer.CN = "issuer"
        _quiet(cert.set_subject, _quiet(cert.get_subject))
        assert issuer.CN == "issuer"

    def test_set_subject_from_own_view(self) -> None:
        cert = crypto.X509()
        view = _quiet(cert.get_subject)
        view.CN = "self"
        _quiet(cert.set_subject, view)
        assert _quiet(cert.get_subject).CN == "self"
        # OpenSSL kept the very same name object, so the view stays usable.
        view.CN = "still"
        assert _quiet(cert.get_subject).CN == "still"

    def test_set_issuer_from_subject_view(self) -> None:
        cert = crypto.X509()
        subject = _quiet(cert.get_subject)
        subject.CN = "both"
        _quiet(cert.set_issuer, subject)
        assert _quiet(cert.get_issuer).CN == "both"
        subject.CN = "subject only"
        assert _quiet(cert.get_issuer).CN == "both"

    def test_resigned_certificate_carries_new_subject(self) -> None:
        key = crypto.PKey.from_cryptography_key(ec.generate_private_key(ec.SECP256R1()))
        cert = _self_signed(key, "before")
        _quiet(cert.get_subject).CN = "after"
        _quiet(cert.sign, key, "sha256")
        parsed = cert.to_cryptography()
        common_name = parsed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        assert common_name[0].value == "after"
