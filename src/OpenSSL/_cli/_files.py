"""Certificates, keys, passphrases and OCSP responses read from files.

Everything the command line reads from disk comes through here, so every
kind of bad file gets one clear line instead of OpenSSL's error chain or a
prompt: a missing file, a directory or a device (``/dev/null``), an empty
file, a file holding something else than asked for (a key where a
certificate was expected, a PEM certificate where a DER OCSP response was),
an encrypted key without a passphrase, or a wrong passphrase.

Files are read into memory and parsed with ``cryptography``; the results go
to :class:`OpenSSL.SSL.Context` through its public methods
(``use_certificate``, ``add_extra_chain_cert``, ``use_privatekey``,
``get_cert_store``, ``add_client_ca``).

Passphrases are named as ``openssl`` names them (``-pass``):
``pass:TEXT``, ``env:VARIABLE`` or ``file:PATH`` (its first line). Without
one, an encrypted key is refused with a hint, unless standard input is a
terminal, where the user is asked once.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import stat
import sys
from typing import Union

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509 import ocsp

from OpenSSL import SSL, crypto

from ._common import CommandError

__all__ = [
    "PrivateKey",
    "add_input_file",
    "add_passphrase",
    "holds",
    "input_file",
    "load_certificates",
    "load_ocsp_response",
    "load_private_key",
    "passphrase",
    "read_file",
    "trust_certificates",
    "use_identity",
]

PrivateKey = Union[
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    dsa.DSAPrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
]

# Certificates, keys and OCSP responses are small; a bigger "file" is a
# mistake (/dev/zero, a disk image) that must not fill the memory.
_MAX_SIZE = 16 * 1024 * 1024

_PEM_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")


def input_file(value: str) -> str:
    """``argparse`` type: a path that exists, is readable and is no directory."""
    try:
        mode = os.stat(value).st_mode
    except FileNotFoundError:
        raise argparse.ArgumentTypeError(f"no such file: {value!r}") from None
    except OSError as exc:
        raise argparse.ArgumentTypeError(
            f"cannot use {value!r}: {exc.strerror or exc}"
        ) from None
    if stat.S_ISDIR(mode):
        raise argparse.ArgumentTypeError(f"{value!r} is a directory, not a file")
    if not os.access(value, os.R_OK):
        raise argparse.ArgumentTypeError(f"cannot read file: {value!r}")
    return value


def read_file(path: str, what: str) -> bytes:
    """The contents of *path*, refusing empty, unreadable and huge files."""
    try:
        with open(path, "rb") as file:
            data = file.read(_MAX_SIZE + 1)
    except IsADirectoryError:
        raise CommandError(f"{what} {path} is a directory, not a file") from None
    except OSError as exc:
        raise CommandError(
            f"cannot read {what} {path}: {exc.strerror or exc}"
        ) from None
    if not data:
        kind = "" if stat.S_ISREG(os.stat(path).st_mode) else " (not a regular file)"
        raise CommandError(f"{what} {path} is empty{kind}")
    if len(data) > _MAX_SIZE:
        raise CommandError(f"{what} {path} is larger than {_MAX_SIZE >> 20} MiB")
    return data


def _pem_labels(data: bytes) -> list[str]:
    return [label.decode("ascii") for label in _PEM_LABEL.findall(data)]


def holds(data: bytes) -> str:
    """What a file that is not what was asked for seems to hold."""
    labels = _pem_labels(data)
    if labels:
        return "PEM " + ", ".join(dict.fromkeys(labels))
    return "no PEM data and no DER structure that fits"


# -- passphrases ----------------------------------------------------------------


def passphrase(value: str) -> bytes:
    """``argparse`` type for ``--pass``: ``pass:TEXT``, ``env:VAR`` or ``file:PATH``."""
    kind, colon, rest = value.partition(":")
    if not colon or kind not in ("pass", "env", "file"):
        raise argparse.ArgumentTypeError(
            "expected pass:TEXT, env:VARIABLE or file:PATH"
        )
    if kind == "pass":
        return rest.encode("utf-8")
    if kind == "env":
        found = os.environ.get(rest) if rest else None
        if found is None:
            raise argparse.ArgumentTypeError(
                f"environment variable {rest!r} is not set"
            )
        return os.fsencode(found)
    try:
        with open(input_file(rest), "rb") as file:
            first = file.readline(64 * 1024)
    except OSError as exc:
        raise argparse.ArgumentTypeError(
            f"cannot read {rest!r}: {exc.strerror or exc}"
        ) from None
    return first.rstrip(b"\r\n")


def add_input_file(
    parser: argparse._ActionsContainer,
    flag: str,
    help: str,
    *,
    required: bool = False,
) -> None:
    """Declare option *flag*: a file to read, checked by :func:`input_file`."""
    parser.add_argument(
        flag, metavar="FILE", type=input_file, required=required, help=help
    )


def add_passphrase(parser: argparse._ActionsContainer, key: str) -> None:
    """Declare ``--pass``: where the passphrase of the encrypted *key* comes from."""
    parser.add_argument(
        "--pass",
        dest="passphrase",
        metavar="SOURCE",
        type=passphrase,
        help=f"passphrase of an encrypted {key}: pass:TEXT, env:VARIABLE or "
        "file:PATH (its first line)",
    )


def _parse_key(data: bytes, password: bytes | None) -> PrivateKey:
    key = (
        serialization.load_pem_private_key(data, password)
        if b"-----BEGIN" in data
        else serialization.load_der_private_key(data, password)
    )
    if not isinstance(
        key,
        (
            rsa.RSAPrivateKey,
            ec.EllipticCurvePrivateKey,
            dsa.DSAPrivateKey,
            ed25519.Ed25519PrivateKey,
            ed448.Ed448PrivateKey,
        ),
    ):
        raise UnsupportedAlgorithm(f"{type(key).__name__} keys cannot sign for TLS")
    return key


def load_private_key(path: str, password: bytes | None) -> PrivateKey:
    """The private key in *path* (PEM or DER), decrypted with *password*.

    A key that needs no passphrase is loaded even if one was given, as
    ``openssl`` does.
    """
    data = read_file(path, "private key file")
    try:
        try:
            return _parse_key(data, None)
        except TypeError:  # encrypted, and no password was tried
            pass
        if password is None:
            if not sys.stdin.isatty():
                raise CommandError(
                    f"the private key in {path} is encrypted: give its "
                    "passphrase with --pass (pass:TEXT, env:VARIABLE or file:PATH)"
                )
            password = getpass.getpass(f"passphrase for {path}: ").encode("utf-8")
        try:
            return _parse_key(data, password)
        except (ValueError, TypeError):  # TypeError: an empty passphrase
            raise CommandError(
                f"wrong passphrase for the private key in {path}"
            ) from None
    except UnsupportedAlgorithm as exc:
        raise CommandError(f"unsupported private key in {path}: {exc}") from None
    except ValueError:
        raise CommandError(
            f"no private key found in {path} (it holds {holds(data)})"
        ) from None


# -- certificates ---------------------------------------------------------------


def load_certificates(
    path: str, what: str = "certificate file"
) -> list[x509.Certificate]:
    """Every certificate in *path*: PEM (any number) or one DER certificate."""
    data = read_file(path, what)
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise CommandError(
            f"no certificate found in {what} {path} (it holds {holds(data)})"
        ) from None


def use_identity(
    ctx: SSL.Context, certfile: str, keyfile: str, password: bytes | None
) -> None:
    """Present the certificate chain in *certfile* with the key in *keyfile*."""
    chain = load_certificates(certfile)
    key = load_private_key(keyfile, password)
    try:
        ctx.use_certificate(chain[0])
        for cert in chain[1:]:
            ctx.add_extra_chain_cert(cert)
        ctx.use_privatekey(key)
        ctx.check_privatekey()
    except SSL.Error:
        raise CommandError(
            f"the private key in {keyfile} does not match the certificate in {certfile}"
        ) from None


def trust_certificates(ctx: SSL.Context, cafile: str) -> list[x509.Certificate]:
    """Trust the CA certificates in *cafile* for verifying the peer."""
    certs = load_certificates(cafile, "CA file")
    store = ctx.get_cert_store()
    if store is None:  # pragma: no cover - a new Context always has one
        raise CommandError("this context has no certificate store")
    for cert in certs:
        store.add_cert(crypto.X509.from_cryptography(cert))
    return certs


# -- OCSP -----------------------------------------------------------------------


def load_ocsp_response(path: str) -> bytes:
    """The DER OCSP response in *path*, checked to be one."""
    data = read_file(path, "OCSP response file")
    try:
        ocsp.load_der_ocsp_response(data)
    except ValueError:
        raise CommandError(
            f"{path} is not a DER-encoded OCSP response (it holds {holds(data)})"
        ) from None
    return data
