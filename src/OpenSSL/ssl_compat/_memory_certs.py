"""Certificates and keys from memory for ``SSLContext.load_cert_chain``.

The standard library reads the certificate chain and the key only from
files. ``ssl_compat`` also takes them from memory, in the same call:

* *certfile*: a path (as the stdlib), PEM text (``str``) or PEM bytes
  (``bytes``/``bytearray``/``memoryview``; leaf first, then its chain,
  optionally followed by the key), a ``cryptography.x509.Certificate``, an
  ``OpenSSL.crypto.X509``, or a list/tuple of those (leaf first);
* *keyfile*: a path, PEM text or bytes (encrypted keys honour *password*
  exactly as key files do), or a private key object (``cryptography``'s
  private key classes or ``OpenSSL.crypto.PKey``; *password* is then unused).

Ambiguity rules, in order: an ``os.PathLike`` is a path; a ``str`` or
``bytes`` that names an existing file is a path (what the stdlib would do
with it); a ``str``/``bytes`` that contains ``-----BEGIN`` is PEM data;
anything else ``str``/``bytes`` is a path, so a missing file still raises
``FileNotFoundError`` as in the stdlib. ``bytearray`` and ``memoryview``
are always data.

Nothing is written to disk: the certificates go to the ``OpenSSL.SSL``
context with ``use_certificate`` and ``add_extra_chain_cert``, the key with
``use_privatekey``. Limit of the binding: it has neither
``SSL_CTX_clear_extra_chain_certs`` nor ``SSL_CTX_add0_chain_cert``, so a
chain loaded from memory is the context's *extra chain*: loading another
chain from memory adds its certificates after the earlier ones (the same
certificate is never added twice) instead of replacing them, and a chain
loaded from a file takes precedence over it for that file's certificate.
"""

from __future__ import annotations

import errno
import os
import ssl as _stdlib_ssl
from typing import Any, Callable, Optional, Union

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from OpenSSL import SSL, crypto
from OpenSSL.ssl_compat._errors import bad_decrypt_error, pem_lib_error, translate_error

__all__ = [
    "Password",
    "is_memory_input",
    "key_passphrase",
    "load_chain_from_memory",
    "load_private_key",
]

Password = Union[str, bytes, bytearray, Callable[[], Union[str, bytes, bytearray]]]

_PASSWORD_LIMIT = 1024  # OpenSSL's PEM_BUFSIZE, CPython's limit too
_PEM_MARK = "-----BEGIN"
_KEY_TYPES = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    dsa.DSAPrivateKey,
    crypto.PKey,
)
_CERT_TYPES = (x509.Certificate, crypto.X509)


def _names_a_file(value: Union[str, bytes]) -> bool:
    try:
        return os.path.isfile(value)
    except (ValueError, OSError):  # NUL bytes, names too long
        return False


def _existing_file(path: Any) -> Union[str, bytes]:
    """*path* as ``str``/``bytes``; ``FileNotFoundError`` as the stdlib if absent."""
    name: Union[str, bytes] = os.fspath(path)
    if not _names_a_file(name):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
    return name


def _is_pem(value: Union[str, bytes]) -> bool:
    if isinstance(value, str):
        return _PEM_MARK in value
    return _PEM_MARK.encode("ascii") in value


def is_memory_input(value: Any) -> bool:
    """Whether *value* (a certfile or keyfile argument) is data, not a path."""
    if value is None or isinstance(value, os.PathLike):
        return False
    if isinstance(value, (str, bytes)):
        return not _names_a_file(value) and _is_pem(value)
    return True


def key_passphrase(password: Optional[Password]) -> Callable[[int], bytes]:
    """The passphrase callback for *password*, with CPython's checks.

    A callable *password* is called only when the key is encrypted; its
    result must be ``str``/``bytes``/``bytearray`` of at most 1024 bytes
    (``TypeError``/``ValueError`` otherwise, raised from the load).
    """

    def passphrase(_writing: int) -> bytes:
        value: Any = password() if callable(password) else password
        if value is None:
            return b""
        if isinstance(value, str):
            value = value.encode("utf-8")
        if not isinstance(value, (bytes, bytearray)):
            raise TypeError(
                "password callback must return a string"
                if callable(password)
                else "password should be a string or callable"
            )
        if len(value) > _PASSWORD_LIMIT:
            raise ValueError(f"password cannot be longer than {_PASSWORD_LIMIT} bytes")
        return bytes(value)

    return passphrase


def _pem_bytes(value: Any, what: str) -> bytes:
    if isinstance(value, str):
        try:
            return value.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError(f"{what} PEM text must be ASCII") from None
    return bytes(memoryview(value))


def _pem_error(what: str) -> _stdlib_ssl.SSLError:
    error = _stdlib_ssl.SSLError(
        _stdlib_ssl.SSLErrorNumber.SSL_ERROR_SSL,
        f"[PEM: NO_START_LINE] no certificate found in the {what} data",
    )
    error.library = "PEM"
    error.reason = "NO_START_LINE"
    return error


def _certificates(certfile: Any) -> list[x509.Certificate]:
    """The certificates in *certfile* (memory forms only), leaf first."""
    return [
        cert.to_cryptography() if isinstance(cert, crypto.X509) else cert
        for cert in _certificate_objects(certfile)
    ]


def _certificate_objects(certfile: Any) -> list[Any]:
    if isinstance(certfile, _CERT_TYPES):
        return [certfile]
    if isinstance(certfile, (list, tuple)):
        if not certfile:
            raise ValueError("certfile is an empty list of certificates")
        for cert in certfile:
            if not isinstance(cert, _CERT_TYPES):
                raise TypeError(
                    "certfile list items must be cryptography.x509.Certificate "
                    f"or OpenSSL.crypto.X509, not {type(cert).__name__}"
                )
        return list(certfile)
    if isinstance(certfile, (str, bytes, bytearray, memoryview)):
        data = _pem_bytes(certfile, "certfile")
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError:
            raise _pem_error("certfile") from None
        return list(certs)
    raise TypeError(
        "certfile should be a path, PEM data, a certificate or a list of "
        f"certificates, not {type(certfile).__name__}"
    )


def load_private_key(key_data: bytes, password: Optional[Password]) -> Any:
    """Parse the first PEM private key in *key_data*, decrypted if need be.

    *password* is asked only for an encrypted key (as CPython asks its
    password callback). RSA keys are not re-validated on load (a slow prime
    check, 0.15 s for a 3072-bit key): OpenSSL does not do it either, and
    ``check_privatekey`` then proves the key matches the certificate. As
    CPython: no key at all is ``[SSL] PEM lib``, a wrong password ``bad
    decrypt``.
    """
    load = serialization.load_pem_private_key
    try:
        return load(key_data, None, unsafe_skip_rsa_key_validation=True)
    except TypeError:
        pass  # encrypted: now the password is needed
    except (ValueError, UnsupportedAlgorithm):
        raise pem_lib_error(None) from None
    secret = key_passphrase(password)(0)  # its own errors go out as they are
    try:
        return load(key_data, secret, unsafe_skip_rsa_key_validation=True)
    except (TypeError, ValueError):
        raise bad_decrypt_error() from None
    except UnsupportedAlgorithm:
        raise pem_lib_error(None) from None


def _private_key(keyfile: Any, certfile: Any, password: Optional[Password]) -> Any:
    if keyfile is None:
        if isinstance(certfile, (str, bytes, bytearray, memoryview)):
            return load_private_key(_pem_bytes(certfile, "certfile"), password)
        _certificate_objects(certfile)  # a certfile of no accepted type: say so
        raise TypeError("keyfile is required when certfile is a certificate object")
    if isinstance(keyfile, crypto.PKey):
        return keyfile.to_cryptography_key()
    if isinstance(keyfile, _KEY_TYPES):
        return keyfile
    if isinstance(keyfile, (str, bytes, os.PathLike)) and not is_memory_input(keyfile):
        with open(_existing_file(keyfile), "rb") as f:
            return load_private_key(f.read(), password)
    if isinstance(keyfile, (str, bytes, bytearray, memoryview)):
        return load_private_key(_pem_bytes(keyfile, "keyfile"), password)
    raise TypeError(
        "keyfile should be a path, PEM data or a private key, "
        f"not {type(keyfile).__name__}"
    )


def load_chain_from_memory(
    context: SSL.Context,
    certfile: Any,
    keyfile: Any,
    password: Optional[Password],
    added: set[bytes],
) -> None:
    """Install the chain and key given in memory on *context*.

    *added* holds the DER of the extra-chain certificates already added to
    *context* (kept by the caller), so none is sent twice.
    """
    if password is not None and not callable(password):
        if not isinstance(password, (str, bytes, bytearray)):
            raise TypeError("password should be a string or callable")
    key = _private_key(keyfile, certfile, password)
    try:
        if is_memory_input(certfile):
            certs = _certificates(certfile)
            context.use_certificate(certs[0])
            for cert in certs[1:]:
                der = cert.public_bytes(serialization.Encoding.DER)
                if der not in added:
                    context.add_extra_chain_cert(cert)
                    added.add(der)
        else:
            context.use_certificate_chain_file(_existing_file(certfile))
        context.use_privatekey(key)
        context.check_privatekey()
    except (SSL.Error, crypto.Error) as exc:
        raise translate_error(exc) from None  # type: ignore[arg-type]
