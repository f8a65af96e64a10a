"""``PKey`` and the private-key/public-key loaders behind ``OpenSSL.crypto``.

Encrypted PEM gets its passphrase through the one PEM passphrase callback of
:mod:`OpenSSL._callbacks`, which finds the per-call
:class:`~OpenSSL._callbacks.Passphrase` through OpenSSL's ``void *u`` argument.
"""

from __future__ import annotations

import functools
from typing import Any

from cryptography.hazmat.primitives import serialization

from OpenSSL import _callbacks
from OpenSSL._crypto_base import (
    _PRIVATE_KEY_TYPES,
    _PUBLIC_KEY_TYPES,
    FILETYPE_ASN1,
    FILETYPE_PEM,
    FILETYPE_TEXT,
    TYPE_DSA,
    TYPE_RSA,
    Error,
    _check_filetype,
    _input_bytes,
    _Key,
)
from OpenSSL._util import (
    bio_to_bytes,
    checked,
    deprecated,
    ffi,
    lib,
    new_mem_bio,
    not_null,
)
from OpenSSL._util import clear_errors as _clear_errors

_PEM_OR_ASN1 = (FILETYPE_PEM, FILETYPE_ASN1)
_PEM_OR_ASN1_NAMES = "FILETYPE_PEM or FILETYPE_ASN1"
_ANY_TYPE = (FILETYPE_PEM, FILETYPE_ASN1, FILETYPE_TEXT)
_ANY_TYPE_NAMES = "FILETYPE_PEM, FILETYPE_ASN1, or FILETYPE_TEXT"


# -- passphrases -------------------------------------------------------------


def _passphrase(type: int, passphrase: Any) -> _callbacks.Passphrase:
    """Check *passphrase* (bytes, a callable or None) and wrap it for a load.

    The wrapper reaches the one PEM passphrase callback through OpenSSL's
    ``void *u`` argument; see :mod:`OpenSSL._callbacks`. When no passphrase
    is given the callback still runs and supplies none, so an encrypted key
    fails with :class:`Error` instead of OpenSSL prompting on the terminal.
    """
    if passphrase is not None and type != FILETYPE_PEM:
        raise ValueError("only FILETYPE_PEM key format supports encryption")
    if not (passphrase is None or isinstance(passphrase, bytes)) and not (
        callable(passphrase)
    ):
        raise TypeError("Last argument must be a byte string or a callable.")
    return _callbacks.Passphrase(passphrase)


# -- keys --------------------------------------------------------------------


class PKey:
    """A public or private key (RSA, DSA, EC, Ed25519, Ed448)."""

    _only_public: bool = False
    _initialized: bool = True
    _pkey: Any

    def __init__(self) -> None:
        pkey = checked(Error, lib.EVP_PKEY_new, ok=not_null)
        self._pkey = ffi.gc(pkey, lib.EVP_PKEY_free)
        self._initialized = False

    @classmethod
    def _from_raw_pkey(cls, pkey_ptr: Any, only_public: bool) -> PKey:
        """Wrap ``EVP_PKEY *`` *pkey_ptr*, taking over one reference to it."""
        if pkey_ptr == ffi.NULL:
            raise ValueError("cannot wrap a NULL EVP_PKEY pointer")
        pkey = cls.__new__(cls)
        pkey._pkey = ffi.gc(pkey_ptr, lib.EVP_PKEY_free)
        pkey._only_public = only_public
        pkey._initialized = True
        return pkey

    def to_cryptography_key(self) -> _Key:
        """The key as a ``cryptography`` key object (public or private)."""
        if self._only_public:
            der = _dump_publickey(FILETYPE_ASN1, self)
            return serialization.load_der_public_key(der)  # type: ignore[return-value]
        der = _dump_privatekey(FILETYPE_ASN1, self, None, None)
        return serialization.load_der_private_key(der, password=None)  # type: ignore[return-value]

    @classmethod
    def from_cryptography_key(cls, crypto_key: _Key) -> PKey:
        """Make a :class:`PKey` from a ``cryptography`` RSA, DSA, EC, Ed25519
        or Ed448 key, private or public."""
        if isinstance(crypto_key, _PUBLIC_KEY_TYPES):
            der = crypto_key.public_bytes(
                serialization.Encoding.DER,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
            return _load_publickey(FILETYPE_ASN1, der)
        if isinstance(crypto_key, _PRIVATE_KEY_TYPES):
            der = crypto_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return _load_privatekey(FILETYPE_ASN1, der, None)
        raise TypeError(f"Unsupported key type: {type(crypto_key).__name__}")

    def generate_key(self, type: int, bits: int) -> None:
        """Deprecated: replace the key with a new RSA or DSA key of *bits*.

        Generate keys with ``cryptography`` and use
        :meth:`from_cryptography_key` instead.
        """
        deprecated(
            "PKey.generate_key is deprecated; generate keys with cryptography "
            "and use PKey.from_cryptography_key"
        )
        if not isinstance(type, int) or isinstance(type, bool):
            raise TypeError("type must be an integer")
        if not isinstance(bits, int) or isinstance(bits, bool):
            raise TypeError("bits must be an integer")
        if type == TYPE_RSA:
            if bits <= 0:
                raise ValueError("Invalid number of bits")
            exponent = ffi.gc(lib.BN_new(), lib.BN_free)
            checked(Error, lib.BN_set_word, exponent, lib.RSA_F4)
            rsa_key = checked(Error, lib.RSA_new, ok=not_null)
            free_rsa_key = functools.partial(lib.RSA_free, rsa_key)
            checked(
                Error,
                lib.RSA_generate_key_ex,
                rsa_key,
                bits,
                exponent,
                ffi.NULL,
                on_failure=free_rsa_key,
            )
            checked(
                Error,
                lib.EVP_PKEY_assign_RSA,
                self._pkey,
                rsa_key,
                on_failure=free_rsa_key,
            )
        elif type == TYPE_DSA:
            if bits <= 0:
                raise ValueError("Invalid number of bits")
            dsa_key = checked(Error, lib.DSA_new, ok=not_null)
            dsa_key = ffi.gc(dsa_key, lib.DSA_free)
            checked(
                Error,
                lib.DSA_generate_parameters_ex,
                dsa_key,
                bits,
                ffi.NULL,
                0,
                ffi.NULL,
                ffi.NULL,
                ffi.NULL,
            )
            checked(Error, lib.DSA_generate_key, dsa_key)
            checked(Error, lib.EVP_PKEY_set1_DSA, self._pkey, dsa_key)
        else:
            raise Error("No such key type")
        self._only_public = False
        self._initialized = True

    def check(self) -> bool:
        """Deprecated: check an RSA private key's consistency.

        Returns ``True`` or raises :class:`Error`; ``TypeError`` for public
        keys and for keys other than RSA.
        """
        deprecated(
            "PKey.check is deprecated; cryptography checks keys when it loads them"
        )
        if self._only_public:
            raise TypeError("public key only")
        if lib.EVP_PKEY_id(self._pkey) != lib.EVP_PKEY_RSA:
            raise TypeError("Only RSA keys can currently be checked.")
        rsa_key = checked(Error, lib.EVP_PKEY_get1_RSA, self._pkey, ok=not_null)
        rsa_key = ffi.gc(rsa_key, lib.RSA_free)
        checked(Error, lib.RSA_check_key, rsa_key)
        return True

    def type(self) -> int:
        """The key type (``TYPE_RSA``, ``TYPE_DSA``, ``EVP_PKEY_EC``, ...)."""
        return int(lib.EVP_PKEY_id(self._pkey))

    def bits(self) -> int:
        """The key size in bits."""
        bits = int(lib.EVP_PKEY_bits(self._pkey))
        if bits <= 0:
            # An empty PKey() has no size; OpenSSL records that as an error.
            _clear_errors()
        return bits


def _require_pkey(pkey: Any) -> PKey:
    if not isinstance(pkey, PKey):
        raise TypeError(f"pkey must be a PKey, not {pkey.__class__.__name__}")
    return pkey


def _load_publickey(type: int, buffer: Any) -> PKey:
    _check_filetype(type, _PEM_OR_ASN1, _PEM_OR_ASN1_NAMES)
    bio = new_mem_bio(_input_bytes(buffer))
    if type == FILETYPE_PEM:
        pkey = checked(
            Error,
            lib.PEM_read_bio_PUBKEY,
            bio,
            ffi.NULL,
            ffi.NULL,
            ffi.NULL,
            ok=not_null,
        )
    else:
        pkey = checked(Error, lib.d2i_PUBKEY_bio, bio, ffi.NULL, ok=not_null)
    return PKey._from_raw_pkey(pkey, only_public=True)


def _dump_publickey(type: int, pkey: PKey) -> bytes:
    _check_filetype(type, _PEM_OR_ASN1, _PEM_OR_ASN1_NAMES)
    _require_pkey(pkey)
    bio = new_mem_bio()
    if type == FILETYPE_PEM:
        checked(Error, lib.PEM_write_bio_PUBKEY, bio, pkey._pkey)
    else:
        checked(Error, lib.i2d_PUBKEY_bio, bio, pkey._pkey)
    return bio_to_bytes(bio)


def _load_privatekey(type: int, buffer: Any, passphrase: Any) -> PKey:
    _check_filetype(type, _PEM_OR_ASN1, _PEM_OR_ASN1_NAMES)
    data = _input_bytes(buffer)
    request = _passphrase(type, passphrase)
    bio = new_mem_bio(data)
    if type == FILETYPE_PEM:
        pkey = checked(
            Error,
            lib.PEM_read_bio_PrivateKey,
            bio,
            ffi.NULL,
            _callbacks.pem_passphrase(),
            request.handle(),
            ok=not_null,
            # The callback's own exception comes first.
            on_failure=request.raise_if_failed,
        )
        request.raise_if_failed()
    else:
        pkey = checked(Error, lib.d2i_PrivateKey_bio, bio, ffi.NULL, ok=not_null)
    return PKey._from_raw_pkey(pkey, only_public=False)


def _dump_privatekey(
    type: int, pkey: PKey, cipher: str | None, passphrase: Any
) -> bytes:
    _check_filetype(type, _ANY_TYPE, _ANY_TYPE_NAMES)
    _require_pkey(pkey)
    if cipher is not None:
        if passphrase is None:
            raise TypeError(
                "if a value is given for cipher one must also be given for passphrase"
            )
        if not isinstance(cipher, str):
            raise TypeError("cipher must be a str")
        cipher_obj = lib.EVP_get_cipherbyname(cipher.encode("ascii", "replace"))
        if cipher_obj == ffi.NULL:
            _clear_errors()
            raise ValueError("Invalid cipher name")
    else:
        cipher_obj = ffi.NULL
    request = _passphrase(type, passphrase)
    bio = new_mem_bio()
    if type == FILETYPE_PEM:
        checked(
            Error,
            lib.PEM_write_bio_PrivateKey,
            bio,
            pkey._pkey,
            cipher_obj,
            ffi.NULL,
            0,
            _callbacks.pem_passphrase(),
            request.handle(),
            # The callback's own exception comes first.
            on_failure=request.raise_if_failed,
        )
        request.raise_if_failed()
    elif type == FILETYPE_ASN1:
        checked(Error, lib.i2d_PrivateKey_bio, bio, pkey._pkey)
    else:
        if lib.EVP_PKEY_id(pkey._pkey) != lib.EVP_PKEY_RSA:
            raise TypeError("Only RSA keys are supported for FILETYPE_TEXT")
        rsa_key = checked(Error, lib.EVP_PKEY_get1_RSA, pkey._pkey, ok=not_null)
        rsa_key = ffi.gc(rsa_key, lib.RSA_free)
        checked(Error, lib.RSA_print, bio, rsa_key, 0)
    return bio_to_bytes(bio)


PKey.__module__ = "OpenSSL.crypto"
