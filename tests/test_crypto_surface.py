"""OpenSSL.crypto: the public surface of pyOpenSSL 26.4, and the internal
contract that OpenSSL.SSL relies on."""

from __future__ import annotations

import inspect
import subprocess
import sys
import warnings
from typing import Any

import pytest

from OpenSSL import crypto
from OpenSSL._util import ffi, lib
from tests.support import PKI

pytestmark = pytest.mark.usefixtures("clean_error_queue")

# Every name under "## OpenSSL.crypto" in pyOpenSSL 26.4's surface, with its
# parameter names (None: a class, or a classmethod checked separately).
SURFACE: dict[str, list[str] | None] = {
    "Error": None,
    "PKey": None,
    "PKey.__init__": ["self"],
    "PKey.bits": ["self"],
    "PKey.check": ["self"],
    "PKey.generate_key": ["self", "type", "bits"],
    "PKey.to_cryptography_key": ["self"],
    "PKey.type": ["self"],
    "PKey.from_cryptography_key": ["crypto_key"],
    "X509": None,
    "X509.__init__": ["self"],
    "X509.digest": ["self", "digest_name"],
    "X509.from_cryptography": ["crypto_cert"],
    "X509.get_extension_count": ["self"],
    "X509.get_issuer": ["self"],
    "X509.get_notAfter": ["self"],
    "X509.get_notBefore": ["self"],
    "X509.get_pubkey": ["self"],
    "X509.get_serial_number": ["self"],
    "X509.get_signature_algorithm": ["self"],
    "X509.get_subject": ["self"],
    "X509.get_version": ["self"],
    "X509.gmtime_adj_notAfter": ["self", "amount"],
    "X509.gmtime_adj_notBefore": ["self", "amount"],
    "X509.has_expired": ["self"],
    "X509.set_issuer": ["self", "issuer"],
    "X509.set_notAfter": ["self", "when"],
    "X509.set_notBefore": ["self", "when"],
    "X509.set_pubkey": ["self", "pkey"],
    "X509.set_serial_number": ["self", "serial"],
    "X509.set_subject": ["self", "subject"],
    "X509.set_version": ["self", "version"],
    "X509.sign": ["self", "pkey", "digest"],
    "X509.subject_name_hash": ["self"],
    "X509.to_cryptography": ["self"],
    "X509Name": None,
    "X509Name.__init__": ["self", "name"],
    "X509Name.der": ["self"],
    "X509Name.get_components": ["self"],
    "X509Name.hash": ["self"],
    "X509Store": None,
    "X509Store.__init__": ["self"],
    "X509Store.add_cert": ["self", "cert"],
    "X509Store.add_crl": ["self", "crl"],
    "X509Store.load_locations": ["self", "cafile", "capath"],
    "X509Store.set_flags": ["self", "flags"],
    "X509Store.set_time": ["self", "vfy_time"],
    "X509StoreContext": None,
    "X509StoreContext.__init__": ["self", "store", "certificate", "chain"],
    "X509StoreContext.get_verified_chain": ["self"],
    "X509StoreContext.set_store": ["self", "store"],
    "X509StoreContext.verify_certificate": ["self"],
    "X509StoreContextError": None,
    "X509StoreContextError.__init__": ["self", "message", "errors", "certificate"],
    "X509StoreFlags": None,
    "dump_certificate": ["type", "cert"],
    "dump_privatekey": ["type", "pkey", "cipher", "passphrase"],
    "dump_publickey": ["type", "pkey"],
    "get_elliptic_curve": ["name"],
    "get_elliptic_curves": [],
    "load_certificate": ["type", "buffer"],
    "load_privatekey": ["type", "buffer", "passphrase"],
    "load_publickey": ["type", "buffer"],
}

DEFAULTS = {
    "X509Store.load_locations": {"capath": None},
    "X509StoreContext.__init__": {"chain": None},
    "dump_privatekey": {"cipher": None, "passphrase": None},
    "load_privatekey": {"passphrase": None},
}


def _resolve(dotted: str) -> Any:
    obj: Any = crypto
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("dotted", sorted(SURFACE))
def test_name_and_parameters(dotted: str) -> None:
    obj = _resolve(dotted)
    expected = SURFACE[dotted]
    if expected is None:
        assert inspect.isclass(obj)
        return
    params = inspect.signature(obj).parameters
    assert list(params) == expected
    for name, default in DEFAULTS.get(dotted, {}).items():
        assert params[name].default is default


@pytest.mark.parametrize(
    "dotted", ["X509.from_cryptography", "PKey.from_cryptography_key"]
)
def test_classmethods(dotted: str) -> None:
    owner, name = dotted.split(".")
    assert isinstance(inspect.getattr_static(getattr(crypto, owner), name), classmethod)


def test_all_lists_public_names() -> None:
    expected = {name for name in SURFACE if "." not in name}
    expected |= {
        "FILETYPE_ASN1",
        "FILETYPE_PEM",
        "FILETYPE_TEXT",
        "TYPE_DSA",
        "TYPE_RSA",
    }
    assert set(crypto.__all__) == expected
    for name in crypto.__all__:
        assert hasattr(crypto, name)


def test_removed_names_are_absent() -> None:
    removed = [
        "X509Req",
        "X509Extension",
        "CRL",
        "Revoked",
        "PKCS12",
        "NetscapeSPKI",
        "load_certificate_request",
        "dump_certificate_request",
        "load_crl",
        "dump_crl",
        "sign",
        "verify",
    ]
    for name in removed:
        assert not hasattr(crypto, name), name
    for method in ("add_extensions", "get_extensions", "get_extension"):
        assert not hasattr(crypto.X509, method), method


def test_classes_present_as_living_in_crypto() -> None:
    for name in ("Error", "PKey", "X509", "X509Name", "X509Store", "X509StoreContext"):
        assert getattr(crypto, name).__module__ == "OpenSSL.crypto"


def test_import_needs_nothing_but_crypto() -> None:
    code = "import OpenSSL.crypto as c; print(c.FILETYPE_PEM)"
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


class TestEllipticCurves:
    def test_get_elliptic_curves_warns(self) -> None:
        with pytest.warns(DeprecationWarning, match="get_elliptic_curves") as record:
            curves = crypto.get_elliptic_curves()
        assert record[0].filename == __file__
        assert isinstance(curves, set)
        names = {curve.name for curve in curves}
        assert {"prime256v1", "secp384r1", "secp521r1"} <= names

    def test_returned_set_is_a_copy(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            crypto.get_elliptic_curves().clear()
            assert crypto.get_elliptic_curves()

    def test_get_elliptic_curve(self) -> None:
        with pytest.warns(DeprecationWarning, match="get_elliptic_curve"):
            curve = crypto.get_elliptic_curve("prime256v1")
        assert curve.name == "prime256v1"
        assert curve._nid == lib.OBJ_txt2nid(b"prime256v1")
        assert repr(curve) == "<Curve 'prime256v1'>"

    def test_equality_and_hash(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            a = crypto.get_elliptic_curve("secp384r1")
            b = crypto.get_elliptic_curve("secp384r1")
            c = crypto.get_elliptic_curve("prime256v1")
            curves = crypto.get_elliptic_curves()
        assert a == b
        assert hash(a) == hash(b)
        assert a != c
        assert a in curves
        assert (a == "secp384r1") is False

    @pytest.mark.parametrize("name", ["", "nope", "P-256", "prime256v1\0"])
    def test_unknown_curve(self, name: str) -> None:
        with pytest.raises(ValueError, match="unknown curve name"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                crypto.get_elliptic_curve(name)

    def test_to_ec_key(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            curve = crypto.get_elliptic_curve("prime256v1")
        assert curve._to_EC_KEY() != ffi.NULL


class TestInternalContract:
    """The private factories OpenSSL.SSL builds objects with."""

    def test_x509_from_raw_pointer_takes_ownership(self, pki: PKI) -> None:
        source = crypto.X509.from_cryptography(pki.server.cert)
        assert lib.X509_up_ref(source._x509) == 1  # the reference we hand over
        wrapped = crypto.X509._from_raw_x509_ptr(source._x509)
        del source
        assert wrapped.to_cryptography() == pki.server.cert
        assert isinstance(wrapped, crypto.X509)

    def test_x509_from_null(self) -> None:
        with pytest.raises(ValueError):
            crypto.X509._from_raw_x509_ptr(ffi.NULL)

    def test_pkey_from_raw(self, pki: PKI) -> None:
        cert = crypto.X509.from_cryptography(pki.server.cert)
        raw = lib.X509_get_pubkey(cert._x509)  # a new reference
        pkey = crypto.PKey._from_raw_pkey(raw, only_public=True)
        assert pkey._only_public is True
        assert pkey._initialized is True
        assert pkey.to_cryptography_key() == pki.server.key.public_key()

    def test_pkey_from_null(self) -> None:
        with pytest.raises(ValueError):
            crypto.PKey._from_raw_pkey(ffi.NULL, only_public=False)

    def test_key_aliases(self) -> None:
        assert crypto._PrivateKey is not None
        assert crypto._Key is not None

    def test_pointers_owned(self, pki: PKI) -> None:
        assert ffi.typeof(crypto.X509()._x509) == ffi.typeof("X509 *")
        assert ffi.typeof(crypto.PKey()._pkey) == ffi.typeof("EVP_PKEY *")
        assert ffi.typeof(crypto.X509Store()._store) == ffi.typeof("X509_STORE *")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            name = crypto.X509().get_subject()
        assert ffi.typeof(name._name) == ffi.typeof("X509_NAME *")
