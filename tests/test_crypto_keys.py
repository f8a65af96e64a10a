"""OpenSSL.crypto: PKey and the private/public key loaders and dumpers."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import (
    dsa,
    ed448,
    ed25519,
    rsa,
    x25519,
)

from OpenSSL import crypto
from OpenSSL._util import lib
from tests.support import PKI

pytestmark = pytest.mark.usefixtures("clean_error_queue")

PEM = crypto.FILETYPE_PEM
ASN1 = crypto.FILETYPE_ASN1
TEXT = crypto.FILETYPE_TEXT
PASSWORD = b"correct horse battery staple"


def _quiet(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return func(*args, **kwargs)


def dump_privatekey(*args: Any, **kwargs: Any) -> bytes:
    """``crypto.dump_privatekey`` without its deprecation warning."""
    return _quiet(crypto.dump_privatekey, *args, **kwargs)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def keys(pki: PKI) -> dict[str, Any]:
    """One private key of every supported kind (built once per module)."""
    return {
        "rsa": pki.rsa_server.key,
        "dsa": dsa.generate_private_key(key_size=1024),
        "ec": pki.server.key,
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "ed448": ed448.Ed448PrivateKey.generate(),
    }


KINDS = ["rsa", "dsa", "ec", "ed25519", "ed448"]


def _pkcs8_pem(key: Any, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _same_private_key(a: Any, b: Any) -> bool:
    raw = (
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return a.private_bytes(*raw) == b.private_bytes(*raw)  # type: ignore[no-any-return]


class TestPKeyConversion:
    @pytest.mark.parametrize("kind", KINDS)
    def test_private_round_trip(self, keys: dict[str, Any], kind: str) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys[kind])
        assert pkey._only_public is False
        assert pkey._initialized is True
        back = pkey.to_cryptography_key()
        assert type(back) is type(keys[kind]) or isinstance(back, type(keys[kind]))
        assert _same_private_key(back, keys[kind])

    @pytest.mark.parametrize("kind", KINDS)
    def test_public_round_trip(self, keys: dict[str, Any], kind: str) -> None:
        public = keys[kind].public_key()
        pkey = crypto.PKey.from_cryptography_key(public)
        assert pkey._only_public is True
        assert pkey.to_cryptography_key() == public

    @pytest.mark.parametrize(
        "bad",
        [
            None,
            b"key",
            object(),
            "rsa",
        ],
    )
    def test_unsupported_objects(self, bad: object) -> None:
        with pytest.raises(TypeError, match="Unsupported key type"):
            crypto.PKey.from_cryptography_key(bad)  # type: ignore[arg-type]

    def test_unsupported_key_algorithms(self) -> None:
        x_key = x25519.X25519PrivateKey.generate()
        for key in (x_key, x_key.public_key()):
            with pytest.raises(TypeError, match="Unsupported key type"):
                crypto.PKey.from_cryptography_key(key)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("kind", "pkey_type"),
        [
            ("rsa", lib.EVP_PKEY_RSA),
            ("dsa", lib.EVP_PKEY_DSA),
            ("ec", lib.EVP_PKEY_EC),
        ],
    )
    def test_type(self, keys: dict[str, Any], kind: str, pkey_type: int) -> None:
        assert crypto.PKey.from_cryptography_key(keys[kind]).type() == pkey_type

    def test_type_constants(self, keys: dict[str, Any]) -> None:
        assert crypto.PKey.from_cryptography_key(keys["rsa"]).type() == crypto.TYPE_RSA
        assert crypto.PKey.from_cryptography_key(keys["dsa"]).type() == crypto.TYPE_DSA

    @pytest.mark.parametrize("kind", ["rsa", "dsa", "ec"])
    def test_bits(self, keys: dict[str, Any], kind: str) -> None:
        key = keys[kind]
        assert crypto.PKey.from_cryptography_key(key).bits() == key.key_size
        public = crypto.PKey.from_cryptography_key(key.public_key())
        assert public.bits() == key.key_size

    def test_bits_edwards(self, keys: dict[str, Any]) -> None:
        # OpenSSL versions disagree on the exact figure (key length or group
        # order); it is a positive size of the right magnitude.
        assert crypto.PKey.from_cryptography_key(keys["ed25519"]).bits() in (253, 256)
        assert crypto.PKey.from_cryptography_key(keys["ed448"]).bits() in (448, 456)

    def test_empty_pkey(self) -> None:
        pkey = crypto.PKey()
        assert pkey._initialized is False
        assert pkey._only_public is False
        assert pkey.bits() == 0
        with pytest.raises(crypto.Error):
            pkey.to_cryptography_key()
        with pytest.raises(crypto.Error):
            crypto.dump_publickey(PEM, pkey)


class TestGenerateKey:
    def test_warns(self) -> None:
        with pytest.warns(DeprecationWarning, match="generate_key") as record:
            crypto.PKey().generate_key(crypto.TYPE_RSA, 512)
        assert record[0].filename == __file__

    def test_rsa(self) -> None:
        pkey = crypto.PKey()
        _quiet(pkey.generate_key, crypto.TYPE_RSA, 1024)
        assert pkey._initialized is True
        assert pkey.type() == crypto.TYPE_RSA
        assert pkey.bits() == 1024
        key = pkey.to_cryptography_key()
        assert isinstance(key, rsa.RSAPrivateKey)
        assert key.public_key().public_numbers().e == 65537
        assert _quiet(pkey.check) is True

    def test_dsa(self) -> None:
        pkey = crypto.PKey()
        _quiet(pkey.generate_key, crypto.TYPE_DSA, 1024)
        assert pkey.type() == crypto.TYPE_DSA
        assert pkey.bits() == 1024
        assert isinstance(pkey.to_cryptography_key(), dsa.DSAPrivateKey)

    def test_replaces_public_key(self, keys: dict[str, Any]) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"].public_key())
        _quiet(pkey.generate_key, crypto.TYPE_RSA, 512)
        assert pkey._only_public is False
        assert isinstance(pkey.to_cryptography_key(), rsa.RSAPrivateKey)

    @pytest.mark.parametrize("key_type", ["RSA", None, 6.0])
    def test_type_not_int(self, key_type: object) -> None:
        with pytest.raises(TypeError, match="type must be an integer"):
            _quiet(crypto.PKey().generate_key, key_type, 512)

    @pytest.mark.parametrize("bits", ["512", None, 512.0])
    def test_bits_not_int(self, bits: object) -> None:
        with pytest.raises(TypeError, match="bits must be an integer"):
            _quiet(crypto.PKey().generate_key, crypto.TYPE_RSA, bits)

    @pytest.mark.parametrize("key_type", [crypto.TYPE_RSA, crypto.TYPE_DSA])
    @pytest.mark.parametrize("bits", [0, -1])
    def test_bits_not_positive(self, key_type: int, bits: int) -> None:
        with pytest.raises(ValueError, match="Invalid number of bits"):
            _quiet(crypto.PKey().generate_key, key_type, bits)

    def test_rsa_too_small_is_error(self) -> None:
        pkey = crypto.PKey()
        with pytest.raises(crypto.Error):
            _quiet(pkey.generate_key, crypto.TYPE_RSA, 8)
        assert pkey._initialized is False

    @pytest.mark.parametrize("key_type", [lib.EVP_PKEY_EC, lib.EVP_PKEY_DH, 0, 99999])
    def test_unknown_type(self, key_type: int) -> None:
        with pytest.raises(crypto.Error, match="No such key type"):
            _quiet(crypto.PKey().generate_key, key_type, 256)


def _der_integer(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return b"\x02" + _der_length(len(body)) + body


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _inconsistent_rsa_der(key: rsa.RSAPrivateKey) -> bytes:
    """A PKCS#1 RSAPrivateKey whose private exponent does not match."""
    numbers = key.private_numbers()
    fields = [
        0,
        numbers.public_numbers.n,
        numbers.public_numbers.e,
        numbers.d + 2,
        numbers.p,
        numbers.q,
        numbers.dmp1,
        numbers.dmq1,
        numbers.iqmp,
    ]
    body = b"".join(_der_integer(f) for f in fields)
    return b"\x30" + _der_length(len(body)) + body


class TestCheck:
    def test_warns(self, keys: dict[str, Any]) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["rsa"])
        with pytest.warns(DeprecationWarning, match="check"):
            assert pkey.check() is True

    def test_inconsistent_rsa_key(self, keys: dict[str, Any]) -> None:
        pkey = crypto.load_privatekey(ASN1, _inconsistent_rsa_der(keys["rsa"]))
        with pytest.raises(crypto.Error):
            _quiet(pkey.check)

    def test_public_key(self, keys: dict[str, Any]) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["rsa"].public_key())
        with pytest.raises(TypeError, match="public key only"):
            _quiet(pkey.check)

    @pytest.mark.parametrize("kind", ["dsa", "ec", "ed25519"])
    def test_not_rsa(self, keys: dict[str, Any], kind: str) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys[kind])
        with pytest.raises(TypeError, match="Only RSA keys"):
            _quiet(pkey.check)


class TestLoadPrivateKey:
    @pytest.mark.parametrize("kind", KINDS)
    def test_pem_pkcs8(self, keys: dict[str, Any], kind: str) -> None:
        pkey = crypto.load_privatekey(PEM, _pkcs8_pem(keys[kind]))
        assert _same_private_key(pkey.to_cryptography_key(), keys[kind])

    @pytest.mark.parametrize("kind", ["rsa", "dsa", "ec"])
    def test_pem_traditional(self, keys: dict[str, Any], kind: str) -> None:
        pem = keys[kind].private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        pkey = crypto.load_privatekey(PEM, pem.decode("ascii"))
        assert _same_private_key(pkey.to_cryptography_key(), keys[kind])

    @pytest.mark.parametrize(
        ("kind", "fmt"),
        [(kind, serialization.PrivateFormat.PKCS8) for kind in KINDS]
        + [
            (kind, serialization.PrivateFormat.TraditionalOpenSSL)
            for kind in ("rsa", "dsa", "ec")
        ],
    )
    def test_der(
        self, keys: dict[str, Any], kind: str, fmt: serialization.PrivateFormat
    ) -> None:
        der = keys[kind].private_bytes(
            serialization.Encoding.DER, fmt, serialization.NoEncryption()
        )
        pkey = crypto.load_privatekey(ASN1, der)
        assert _same_private_key(pkey.to_cryptography_key(), keys[kind])

    @pytest.mark.parametrize("filetype", [PEM, ASN1])
    @pytest.mark.parametrize(
        "data",
        [b"", b"garbage", b"\x30\x03\x02\x01", b"-----BEGIN PRIVATE KEY-----\n"],
    )
    def test_garbage(self, filetype: int, data: bytes) -> None:
        with pytest.raises(crypto.Error):
            crypto.load_privatekey(filetype, data)

    def test_truncated(self, keys: dict[str, Any]) -> None:
        pem = _pkcs8_pem(keys["rsa"])
        with pytest.raises(crypto.Error):
            crypto.load_privatekey(PEM, pem[: len(pem) // 2])
        der = keys["rsa"].private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with pytest.raises(crypto.Error):
            crypto.load_privatekey(ASN1, der[:-1])

    def test_public_key_is_not_a_private_key(self, keys: dict[str, Any]) -> None:
        pem = (
            keys["ec"]
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        )
        with pytest.raises(crypto.Error):
            crypto.load_privatekey(PEM, pem)

    @pytest.mark.parametrize("filetype", [TEXT, 0, 3, None, "PEM"])
    def test_wrong_filetype(self, keys: dict[str, Any], filetype: object) -> None:
        with pytest.raises(ValueError, match="FILETYPE_PEM or FILETYPE_ASN1"):
            crypto.load_privatekey(filetype, _pkcs8_pem(keys["ec"]))  # type: ignore[arg-type]

    @pytest.mark.parametrize("buffer", [None, 1, object()])
    def test_wrong_buffer_type(self, buffer: object) -> None:
        with pytest.raises(TypeError, match="buffer"):
            crypto.load_privatekey(PEM, buffer)  # type: ignore[arg-type]


class TestPassphrases:
    @pytest.fixture
    def encrypted(self, keys: dict[str, Any]) -> bytes:
        return _pkcs8_pem(keys["ec"], PASSWORD)

    @pytest.fixture
    def traditional_encrypted(self, keys: dict[str, Any]) -> bytes:
        return keys["rsa"].private_bytes(  # type: ignore[no-any-return]
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(PASSWORD),
        )

    def test_bytes(self, keys: dict[str, Any], encrypted: bytes) -> None:
        pkey = crypto.load_privatekey(PEM, encrypted, PASSWORD)
        assert _same_private_key(pkey.to_cryptography_key(), keys["ec"])

    def test_traditional(
        self, keys: dict[str, Any], traditional_encrypted: bytes
    ) -> None:
        assert b"Proc-Type: 4,ENCRYPTED" in traditional_encrypted
        pkey = crypto.load_privatekey(PEM, traditional_encrypted, PASSWORD)
        assert _same_private_key(pkey.to_cryptography_key(), keys["rsa"])

    def test_callable(self, keys: dict[str, Any], encrypted: bytes) -> None:
        calls = []

        def passphrase(*args: Any) -> bytes:
            calls.append(args)
            return PASSWORD

        pkey = crypto.load_privatekey(PEM, encrypted, passphrase)
        assert _same_private_key(pkey.to_cryptography_key(), keys["ec"])
        assert calls == [(0,)], "called once, with rwflag 0 for reading"

    def test_wrong_passphrase(
        self, encrypted: bytes, traditional_encrypted: bytes
    ) -> None:
        with pytest.raises(crypto.Error):
            crypto.load_privatekey(PEM, encrypted, b"wrong")
        with pytest.raises(crypto.Error):
            crypto.load_privatekey(PEM, traditional_encrypted, lambda rwflag: b"wrong")

    def test_missing_passphrase_does_not_prompt(self, encrypted: bytes) -> None:
        # With no passphrase OpenSSL would prompt on the terminal; we never let
        # it, the load fails instead.
        with pytest.raises(crypto.Error):
            crypto.load_privatekey(PEM, encrypted)

    def test_empty_passphrase(self, encrypted: bytes) -> None:
        with pytest.raises(crypto.Error):
            crypto.load_privatekey(PEM, encrypted, b"")

    @pytest.mark.parametrize("result", ["text", None, 42, bytearray(PASSWORD)])
    def test_callable_returns_non_bytes(self, encrypted: bytes, result: object) -> None:
        with pytest.raises(ValueError, match="Bytes expected"):
            crypto.load_privatekey(PEM, encrypted, lambda rwflag: result)  # type: ignore[arg-type,return-value]

    def test_callable_returns_too_much(self, encrypted: bytes) -> None:
        with pytest.raises(ValueError, match="too long"):
            crypto.load_privatekey(PEM, encrypted, lambda rwflag: b"x" * 5000)

    def test_callable_raises(self, encrypted: bytes) -> None:
        class Boom(Exception):
            pass

        boom = Boom("from the callback")

        def passphrase(rwflag: int) -> bytes:
            raise boom

        with pytest.raises(Boom) as info:
            crypto.load_privatekey(PEM, encrypted, passphrase)
        assert info.value is boom
        # The traceback reaches into the callback.
        assert info.traceback[-1].name == "passphrase"

    @pytest.mark.parametrize("fmt", ["pkcs8", "traditional"])
    def test_failing_callable_is_not_asked_again(
        self, encrypted: bytes, traditional_encrypted: bytes, fmt: str
    ) -> None:
        calls = []

        def passphrase(rwflag: int) -> bytes:
            calls.append(rwflag)
            raise RuntimeError(f"failure {len(calls)}")

        data = encrypted if fmt == "pkcs8" else traditional_encrypted
        with pytest.raises(RuntimeError, match="failure 1"):
            crypto.load_privatekey(PEM, data, passphrase)
        assert calls == [0]

    def test_callable_raises_base_exception(self, encrypted: bytes) -> None:
        def passphrase(rwflag: int) -> bytes:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            crypto.load_privatekey(PEM, encrypted, passphrase)

    def test_callable_with_wrong_signature(self, encrypted: bytes) -> None:
        with pytest.raises(TypeError):
            crypto.load_privatekey(PEM, encrypted, lambda: PASSWORD)  # type: ignore[arg-type,misc]

    def test_unencrypted_key_ignores_passphrase(self, keys: dict[str, Any]) -> None:
        def passphrase(rwflag: int) -> bytes:
            raise AssertionError("not needed for an unencrypted key")

        pkey = crypto.load_privatekey(PEM, _pkcs8_pem(keys["ec"]), passphrase)
        assert _same_private_key(pkey.to_cryptography_key(), keys["ec"])

    @pytest.mark.parametrize("passphrase", ["text", 42, object()])
    def test_wrong_passphrase_type(self, encrypted: bytes, passphrase: object) -> None:
        with pytest.raises(TypeError, match="byte string or a callable"):
            crypto.load_privatekey(PEM, encrypted, passphrase)  # type: ignore[arg-type]

    def test_passphrase_with_der(self, keys: dict[str, Any]) -> None:
        der = keys["ec"].private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with pytest.raises(ValueError, match="only FILETYPE_PEM"):
            crypto.load_privatekey(ASN1, der, PASSWORD)

    def test_later_calls_unaffected_by_failed_callback(self, encrypted: bytes) -> None:
        with pytest.raises(ZeroDivisionError):
            crypto.load_privatekey(PEM, encrypted, lambda rwflag: 1 // 0)  # type: ignore[arg-type,return-value]
        assert crypto.load_privatekey(PEM, encrypted, PASSWORD).bits() == 256


class TestDumpPrivateKey:
    def test_warns(self, keys: dict[str, Any]) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"])
        with pytest.warns(DeprecationWarning, match="dump_privatekey") as record:
            crypto.dump_privatekey(PEM, pkey)
        assert record[0].filename == __file__

    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("filetype", [PEM, ASN1])
    def test_round_trip(self, keys: dict[str, Any], kind: str, filetype: int) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys[kind])
        dumped = dump_privatekey(filetype, pkey)
        load = (
            serialization.load_pem_private_key
            if filetype == PEM
            else serialization.load_der_private_key
        )
        assert _same_private_key(load(dumped, password=None), keys[kind])
        again = crypto.load_privatekey(filetype, dumped)
        assert dump_privatekey(filetype, again) == dumped

    def test_text_rsa(self, keys: dict[str, Any]) -> None:
        text = dump_privatekey(TEXT, crypto.PKey.from_cryptography_key(keys["rsa"]))
        assert b"Private-Key: (2048 bit" in text.splitlines()[0]
        assert b"modulus:" in text
        assert b"publicExponent: 65537" in text

    @pytest.mark.parametrize("kind", ["dsa", "ec", "ed25519"])
    def test_text_other_keys(self, keys: dict[str, Any], kind: str) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys[kind])
        with pytest.raises(TypeError, match="Only RSA keys"):
            dump_privatekey(TEXT, pkey)

    @pytest.mark.parametrize("cipher", ["aes-256-cbc", "AES-128-CBC", "des-ede3-cbc"])
    def test_encrypted_with_bytes(self, keys: dict[str, Any], cipher: str) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["rsa"])
        pem = dump_privatekey(PEM, pkey, cipher, PASSWORD)
        loaded = serialization.load_pem_private_key(pem, password=PASSWORD)
        assert _same_private_key(loaded, keys["rsa"])
        with pytest.raises(crypto.Error):
            crypto.load_privatekey(PEM, pem, b"not it")

    def test_encrypted_with_callable(self, keys: dict[str, Any]) -> None:
        calls = []

        def passphrase(rwflag: int) -> bytes:
            calls.append(rwflag)
            return PASSWORD

        pkey = crypto.PKey.from_cryptography_key(keys["ec"])
        pem = dump_privatekey(PEM, pkey, "aes-256-cbc", passphrase)
        assert calls == [1], "called once, with rwflag 1 for writing"
        assert crypto.load_privatekey(PEM, pem, PASSWORD).bits() == 256

    def test_cipher_without_passphrase(self, keys: dict[str, Any]) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"])
        with pytest.raises(TypeError, match="passphrase"):
            dump_privatekey(PEM, pkey, "aes-256-cbc")

    @pytest.mark.parametrize("cipher", ["no-such-cipher", "", "aes\0"])
    def test_unknown_cipher(self, keys: dict[str, Any], cipher: str) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"])
        with pytest.raises(ValueError, match="Invalid cipher name"):
            dump_privatekey(PEM, pkey, cipher, PASSWORD)

    def test_cipher_wrong_type(self, keys: dict[str, Any]) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"])
        with pytest.raises(TypeError, match="cipher"):
            dump_privatekey(PEM, pkey, b"aes-256-cbc", PASSWORD)

    def test_passphrase_callable_raises(self, keys: dict[str, Any]) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"])

        def passphrase(rwflag: int) -> bytes:
            raise LookupError("no password today")

        with pytest.raises(LookupError, match="no password today"):
            dump_privatekey(PEM, pkey, "aes-256-cbc", passphrase)

    def test_passphrase_callable_returns_text(self, keys: dict[str, Any]) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"])
        with pytest.raises(ValueError, match="Bytes expected"):
            dump_privatekey(PEM, pkey, "aes-256-cbc", lambda rwflag: "text")

    def test_passphrase_wrong_type(self, keys: dict[str, Any]) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"])
        with pytest.raises(TypeError, match="byte string or a callable"):
            dump_privatekey(PEM, pkey, "aes-256-cbc", "text")

    @pytest.mark.parametrize("filetype", [ASN1, TEXT])
    def test_passphrase_needs_pem(self, keys: dict[str, Any], filetype: int) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["rsa"])
        with pytest.raises(ValueError, match="only FILETYPE_PEM"):
            dump_privatekey(filetype, pkey, "aes-256-cbc", PASSWORD)

    @pytest.mark.parametrize("filetype", [0, 3, None])
    def test_wrong_filetype(self, keys: dict[str, Any], filetype: object) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"])
        with pytest.raises(ValueError, match="FILETYPE_TEXT"):
            dump_privatekey(filetype, pkey)

    @pytest.mark.parametrize("filetype", [PEM, ASN1])
    def test_wrong_key_type(self, keys: dict[str, Any], filetype: int) -> None:
        with pytest.raises(TypeError, match="PKey"):
            dump_privatekey(filetype, keys["ec"])

    @pytest.mark.parametrize("filetype", [PEM, ASN1])
    def test_public_only_key(self, keys: dict[str, Any], filetype: int) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"].public_key())
        with pytest.raises(crypto.Error):
            dump_privatekey(filetype, pkey)

    def test_to_cryptography_key_does_not_warn(self, keys: dict[str, Any]) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            key = pkey.to_cryptography_key()
        assert caught == []
        assert key.private_numbers() == keys["ec"].private_numbers()


class TestPublicKeys:
    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("filetype", [PEM, ASN1])
    def test_round_trip(self, keys: dict[str, Any], kind: str, filetype: int) -> None:
        public = keys[kind].public_key()
        encoding = (
            serialization.Encoding.PEM
            if filetype == PEM
            else serialization.Encoding.DER
        )
        data = public.public_bytes(
            encoding, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        pkey = crypto.load_publickey(filetype, data)
        assert pkey._only_public is True
        assert pkey.to_cryptography_key() == public
        assert crypto.dump_publickey(filetype, pkey) == data

    def test_pem_as_str(self, keys: dict[str, Any]) -> None:
        pem = (
            keys["ec"]
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        )
        assert crypto.load_publickey(PEM, pem.decode()).bits() == 256

    def test_dump_public_half_of_private_key(self, keys: dict[str, Any]) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["rsa"])
        der = crypto.dump_publickey(ASN1, pkey)
        assert serialization.load_der_public_key(der) == keys["rsa"].public_key()

    @pytest.mark.parametrize("filetype", [PEM, ASN1])
    @pytest.mark.parametrize("data", [b"", b"garbage", b"\x30\x00"])
    def test_load_garbage(self, filetype: int, data: bytes) -> None:
        with pytest.raises(crypto.Error):
            crypto.load_publickey(filetype, data)

    def test_load_truncated(self, keys: dict[str, Any]) -> None:
        der = (
            keys["rsa"]
            .public_key()
            .public_bytes(
                serialization.Encoding.DER,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        )
        with pytest.raises(crypto.Error):
            crypto.load_publickey(ASN1, der[:-3])

    @pytest.mark.parametrize("filetype", [TEXT, 0, None])
    def test_load_wrong_filetype(self, filetype: object) -> None:
        with pytest.raises(ValueError, match="FILETYPE_PEM or FILETYPE_ASN1"):
            crypto.load_publickey(filetype, b"")  # type: ignore[arg-type]

    @pytest.mark.parametrize("filetype", [TEXT, 0, None])
    def test_dump_wrong_filetype(self, keys: dict[str, Any], filetype: object) -> None:
        pkey = crypto.PKey.from_cryptography_key(keys["ec"])
        with pytest.raises(ValueError, match="FILETYPE_PEM or FILETYPE_ASN1"):
            crypto.dump_publickey(filetype, pkey)  # type: ignore[arg-type]

    def test_dump_wrong_key_type(self, keys: dict[str, Any]) -> None:
        with pytest.raises(TypeError, match="PKey"):
            crypto.dump_publickey(PEM, keys["ec"].public_key())

    def test_load_wrong_buffer_type(self) -> None:
        with pytest.raises(TypeError, match="buffer"):
            crypto.load_publickey(PEM, None)  # type: ignore[arg-type]
