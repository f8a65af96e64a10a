"""Where errors are translated: ``OpenSSL.SSL`` exceptions to the stdlib's.

``OpenSSL.SSL`` raises ``Error`` (carrying the drained OpenSSL error queue as
``(library, function, reason)`` strings), ``WantReadError``,
``WantWriteError``, ``WantX509LookupError``, ``ZeroReturnError`` and
``SysCallError``. Code written for the standard library catches
``ssl.SSLError`` and its subclasses instead, and reads ``library``,
``reason``, ``verify_code`` and ``verify_message`` from them. This module
builds exactly those exceptions -- the stdlib's own classes, never look-alike
subclasses -- so ``except ssl.SSLError`` keeps working in code that never
heard of this project.

How CPython fills them, and what we do:

* ``args == (ssl_error_number, message)``; the number is an
  :class:`ssl.SSLErrorNumber` (``SSL_ERROR_SSL`` for protocol failures).
* ``library`` / ``reason`` are OpenSSL's mnemonics (``"SSL"``,
  ``"CERTIFICATE_VERIFY_FAILED"``). OpenSSL only hands us the human strings
  (``"SSL routines"``, ``"certificate verify failed"``); the mnemonic is found
  through the code tables the stdlib's ``_ssl`` ships, and otherwise derived
  from the string (upper case, spaces to underscores), which is how OpenSSL
  names its reasons in the first place.
* the message is ``"[LIBRARY: REASON] reason string"``. CPython appends the
  C source location ``(_ssl.c:NNNN)``; there is no such location here, so it
  is left out.
* certificate verification failures become ``SSLCertVerificationError`` with
  ``verify_code`` from ``SSL_get_verify_result`` and CPython's wording of
  ``verify_message`` (including its hostname/IP mismatch sentences).
"""

from __future__ import annotations

import os
import ssl as _stdlib_ssl
import sys
from typing import Any, Optional

from OpenSSL import SSL

__all__ = [
    "bad_decrypt_error",
    "eof_error",
    "hostname_mismatch_error",
    "pem_lib_error",
    "translate_error",
    "unexpected_eof_error",
    "want_read_error",
    "want_write_error",
]

_SSLErrorNumber = _stdlib_ssl.SSLErrorNumber

_lib_names: Optional[dict[str, str]] = None
_reason_names: Optional[dict[tuple[str, str], str]] = None


def _load_name_tables() -> None:
    """Map OpenSSL's human strings back to the mnemonics CPython reports."""
    global _lib_names, _reason_names
    lib_names: dict[str, str] = {}
    reason_names: dict[tuple[str, str], str] = {}
    native: Any = getattr(_stdlib_ssl, "_ssl", None)
    lib_codes: dict[int, str] = dict(getattr(native, "lib_codes_to_names", {}))
    err_codes: dict[tuple[int, int], str] = dict(
        getattr(native, "err_codes_to_names", {})
    )
    for code, name in lib_codes.items():
        string = SSL.error_strings(code)[0]
        if string:
            lib_names.setdefault(string, name)
    for (lib_code, reason_code), name in err_codes.items():
        lib_name = lib_codes.get(lib_code)
        if lib_name is None:
            continue
        string = SSL.error_strings(lib_code, reason_code)[1]
        if string:
            reason_names.setdefault((lib_name, string), name)
    _lib_names, _reason_names = lib_names, reason_names


# OpenSSL's library descriptions whose mnemonic is not simply their first
# word; used when the interpreter's ``_ssl`` has no code tables (3.13+).
_LIBRARY_EXCEPTIONS = {
    "system library": "SYS",
    "digital envelope routines": "EVP",
    "elliptic curve routines": "EC",
    "X509 V3 routines": "X509V3",
    "bignum routines": "BN",
    "random number generator": "RAND",
    "common libcrypto routines": "CRYPTO",
    "DECODER routines": "OSSL_DECODER",
    "ENCODER routines": "OSSL_ENCODER",
    "STORE routines": "OSSL_STORE",
    "Provider routines": "PROV",
    "PKCS7 routines": "PKCS7",
    "object identifier routines": "OBJ",
    "memory buffer routines": "BUF",
}


def _library_mnemonic(library: str) -> str:
    known = _LIBRARY_EXCEPTIONS.get(library)
    if known is not None:
        return known
    # "SSL routines" -> SSL, "x509 certificate routines" -> X509, ...
    first = library.split(" ", 1)[0]
    return first.upper() if first else "UNKNOWN"


# Reason strings OpenSSL 3+ reworded while keeping the old mnemonics.
_REASON_PREFIXES = (
    ("tls alert ", "SSLV3_ALERT_"),
    ("ssl/tls alert ", "SSLV3_ALERT_"),
    ("tls ext ", "SSL3_EXT_"),
    ("tls session ", "SSL3_SESSION_"),
)


def _reason_mnemonic(reason: str) -> str:
    for prefix, mnemonic in _REASON_PREFIXES:
        if reason.startswith(prefix):
            return mnemonic + reason[len(prefix) :].upper().replace(" ", "_")
    return reason.upper().replace(" ", "_")


def _mnemonics(library: str, reason: str) -> tuple[str, str]:
    if _lib_names is None or _reason_names is None:
        _load_name_tables()
    assert _lib_names is not None and _reason_names is not None
    lib_name = _lib_names.get(library) or _library_mnemonic(library)
    # OpenSSL's reason strings are mostly its mnemonics in lower case.
    reason_name = _reason_names.get((lib_name, reason)) or _reason_mnemonic(reason)
    return lib_name, reason_name


def _make(
    cls: type[_stdlib_ssl.SSLError],
    number: int,
    message: str,
    library: Optional[str] = None,
    reason: Optional[str] = None,
) -> _stdlib_ssl.SSLError:
    exc = cls(int(number), message)
    # CPython always sets both attributes (None when unknown).
    exc.library = library  # type: ignore[assignment]
    exc.reason = reason  # type: ignore[assignment]
    return exc


def pem_lib_error(exc: Any) -> BaseException:
    """What ``load_cert_chain`` raises for a file without the expected PEM item.

    OpenSSL's ``SSL_CTX_use_*_file`` (which CPython calls) report every such
    failure as ``[SSL] PEM lib``; the binding's loaders report the decoder's
    reason instead. A wrong password keeps its own reason (bad decrypt).
    """
    if exc is not None:
        translated = translate_error(exc)
        if "decrypt" in str(translated).lower():
            return translated
    return _make(
        _stdlib_ssl.SSLError, _SSLErrorNumber.SSL_ERROR_SSL, "[SSL] PEM lib", "SSL"
    )


def bad_decrypt_error() -> BaseException:
    """What CPython raises for a private key and a wrong password."""
    return _make(
        _stdlib_ssl.SSLError,
        _SSLErrorNumber.SSL_ERROR_SSL,
        "[EVP: BAD_DECRYPT] bad decrypt",
        "EVP",
        "BAD_DECRYPT",
    )


def hostname_mismatch_error(hostname: str) -> BaseException:
    """The ``SSLCertVerificationError`` of a certificate not valid for *hostname*."""
    code = int(SSL.X509_V_ERR_HOSTNAME_MISMATCH)
    verify_message = _verify_message(code, hostname)
    error = _make(
        _stdlib_ssl.SSLCertVerificationError,
        _SSLErrorNumber.SSL_ERROR_SSL,
        f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {verify_message}",
        "SSL",
        "CERTIFICATE_VERIFY_FAILED",
    )
    error.verify_code = code  # type: ignore[attr-defined]
    error.verify_message = verify_message  # type: ignore[attr-defined]
    return error


_WANT_READ = int(_SSLErrorNumber.SSL_ERROR_WANT_READ)
_SSLWantReadError = _stdlib_ssl.SSLWantReadError


def want_read_error() -> _stdlib_ssl.SSLError:
    """The exception a non-blocking read that must wait raises.

    The most frequent exception of all (every event-loop read ends with
    one): built without the enum lookup and the generic helper.
    """
    exc = _SSLWantReadError(_WANT_READ, "The operation did not complete (read)")
    exc.library = exc.reason = None  # type: ignore[assignment]
    return exc


def want_write_error() -> _stdlib_ssl.SSLError:
    """The exception a non-blocking write that must wait raises."""
    return _make(
        _stdlib_ssl.SSLWantWriteError,
        _SSLErrorNumber.SSL_ERROR_WANT_WRITE,
        "The operation did not complete (write)",
    )


def eof_error() -> _stdlib_ssl.SSLError:
    """The exception for a peer that vanished without close_notify."""
    return _make(
        _stdlib_ssl.SSLEOFError,
        _SSLErrorNumber.SSL_ERROR_EOF,
        "EOF occurred in violation of protocol",
    )


def unexpected_eof_error() -> _stdlib_ssl.SSLError:
    """The exception for a transport that ended mid-record, as OpenSSL 3+ says.

    OpenSSL 3 and later report the peer's transport ending without
    close_notify as the SSL library's ``UNEXPECTED_EOF_WHILE_READING``
    reason; CPython 3.10+ turns that into an ``SSLEOFError`` carrying the
    reason and its usual ``[SSL: REASON]`` prefix (``OpenSSL.SSL`` hands us
    the same event as ``SysCallError(-1, 'Unexpected EOF')``). CPython 3.9
    raised a plain ``SSLError`` there; ssl_compat gives the newest form.
    """
    return _make(
        _stdlib_ssl.SSLEOFError,
        _SSLErrorNumber.SSL_ERROR_EOF,
        "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol",
        "SSL",
        "UNEXPECTED_EOF_WHILE_READING",
    )


def _verify_message(code: int, hostname: Optional[str]) -> str:
    if code == SSL.X509_V_ERR_HOSTNAME_MISMATCH and hostname is not None:
        return f"Hostname mismatch, certificate is not valid for '{hostname}'."
    if code == SSL.X509_V_ERR_IP_ADDRESS_MISMATCH and hostname is not None:
        return f"IP address mismatch, certificate is not valid for '{hostname}'."
    return SSL.verify_error_string(code)


#: The start of the entry ``OpenSSL.SSL`` raises when OpenSSL recorded no reason.
_NO_REASON_PREFIX = "unexpected eof, or use after a fatal error"


def _from_error_queue(
    exc: SSL.Error, connection: Optional[SSL.Connection], hostname: Optional[str]
) -> BaseException:
    entries = exc.args[0] if exc.args else None
    if not isinstance(entries, list) or not entries:
        message = str(exc.args[0]) if exc.args else "unknown error"
        return _make(_stdlib_ssl.SSLError, _SSLErrorNumber.SSL_ERROR_SSL, message)
    # CPython reports the most recent entry of OpenSSL's error queue.
    library, _function, reason_string = entries[-1]
    if str(reason_string).startswith(_NO_REASON_PREFIX):
        # OpenSSL 4 fails a call on a connection that already hit EOF or a
        # fatal error without saying why; OpenSSL.SSL reports that as this
        # entry. CPython reports such a call as SSLEOFError (so a read with
        # suppress_ragged_eofs returns b"" again), not as a bare SSLError.
        return eof_error()
    lib_name, reason_name = _mnemonics(str(library), str(reason_string))
    if reason_name == "UNEXPECTED_EOF_WHILE_READING":
        return unexpected_eof_error()
    message = f"[{lib_name}: {reason_name}] {reason_string}"
    if reason_name == "CERTIFICATE_VERIFY_FAILED" and connection is not None:
        code = connection.get_verify_result()
        verify_message = _verify_message(code, hostname)
        error = _make(
            _stdlib_ssl.SSLCertVerificationError,
            _SSLErrorNumber.SSL_ERROR_SSL,
            f"{message}: {verify_message}",
            lib_name,
            reason_name,
        )
        error.verify_code = code  # type: ignore[attr-defined]
        error.verify_message = verify_message  # type: ignore[attr-defined]
        return error
    return _make(
        _stdlib_ssl.SSLError,
        _SSLErrorNumber.SSL_ERROR_SSL,
        message,
        lib_name,
        reason_name,
    )


_DATA_ERRORS_ARE_EOF = (3, 10) <= sys.version_info[:2] < (3, 13)


def _from_syscall(exc: SSL.SysCallError, data_transfer: bool) -> BaseException:
    code = exc.args[0] if exc.args else -1
    if code == -1:
        # OpenSSL.SSL's "Unexpected EOF": with OpenSSL 3+ that is always the
        # UNEXPECTED_EOF_WHILE_READING reason (OpenSSL 4's reasonless
        # failures reach _from_error_queue instead).
        return unexpected_eof_error()
    if data_transfer and _DATA_ERRORS_ARE_EOF:
        # CPython 3.10-3.12 read and write with SSL_read_ex/SSL_write_ex,
        # whose 0 return makes them report *any* transport failure there (a
        # reset included) as SSLEOFError -- which suppress_ragged_eofs then
        # turns into b"" on reads. 3.9 and 3.13+ report the errno, as the
        # handshake and shutdown always do. Follow the running Python.
        return eof_error()
    if isinstance(code, int) and code > 0:
        # A real socket error: CPython raises the plain OSError subclass
        # (ConnectionResetError, BrokenPipeError, ...).
        return OSError(code, os.strerror(code))
    if code == 0:
        # OpenSSL saw EOF where the protocol wanted more data.
        return eof_error()
    return _make(
        _stdlib_ssl.SSLSyscallError,
        _SSLErrorNumber.SSL_ERROR_SYSCALL,
        "Some I/O error occurred",
    )


def translate_error(
    exc: SSL.Error,
    connection: Optional[SSL.Connection] = None,
    hostname: Optional[str] = None,
    *,
    data_transfer: bool = False,
) -> BaseException:
    """Return the stdlib exception that stands for *exc*.

    *connection* lets a certificate verification failure report its
    ``verify_code``; *hostname* (the ``server_hostname``) completes CPython's
    mismatch message. *data_transfer* says *exc* came from a read or write
    (transport failures are then ``SSLEOFError`` where the running CPython
    reports them so: 3.10 to 3.12).
    """
    if isinstance(exc, SSL.WantReadError):
        return want_read_error()
    if isinstance(exc, SSL.WantWriteError):
        return want_write_error()
    if isinstance(exc, SSL.ZeroReturnError):
        return _make(
            _stdlib_ssl.SSLZeroReturnError,
            _SSLErrorNumber.SSL_ERROR_ZERO_RETURN,
            "TLS/SSL connection has been closed (EOF)",
        )
    if isinstance(exc, SSL.WantX509LookupError):
        return _make(
            _stdlib_ssl.SSLError,
            _SSLErrorNumber.SSL_ERROR_WANT_X509_LOOKUP,
            "The operation did not complete (X509 lookup)",
        )
    if isinstance(exc, SSL.SysCallError):
        return _from_syscall(exc, data_transfer)
    return _from_error_queue(exc, connection, hostname)
