"""Error translation: ``OpenSSL.SSL`` exceptions become the stdlib's own."""

from __future__ import annotations

import errno
import re
import socket
import ssl
import sys
from typing import Any

import pytest

from OpenSSL import SSL, ssl_compat
from OpenSSL.ssl_compat._errors import translate_error
from tests.support import (
    IO_TIMEOUT,
    EchoServer,
    connect,
    handshaken_objects,
    ssl_client_context,
    ssl_server_context,
)


@pytest.mark.parametrize(
    ("error", "expected_type", "number"),
    [
        (SSL.WantReadError(), ssl.SSLWantReadError, ssl.SSL_ERROR_WANT_READ),
        (SSL.WantWriteError(), ssl.SSLWantWriteError, ssl.SSL_ERROR_WANT_WRITE),
        (SSL.ZeroReturnError(), ssl.SSLZeroReturnError, ssl.SSL_ERROR_ZERO_RETURN),
        (SSL.WantX509LookupError(), ssl.SSLError, ssl.SSL_ERROR_WANT_X509_LOOKUP),
    ],
)
def test_state_errors(error: SSL.Error, expected_type: Any, number: int) -> None:
    translated = translate_error(error)
    assert type(translated) is expected_type
    assert type(translated.args[0]) is int and translated.args[0] == number
    assert translated.library is None and translated.reason is None  # type: ignore[attr-defined]


def test_socket_errors_become_oserror_subclasses() -> None:
    translated = translate_error(SSL.SysCallError(errno.ECONNRESET, "ECONNRESET"))
    assert type(translated) is ConnectionResetError
    assert translated.errno == errno.ECONNRESET
    translated = translate_error(SSL.SysCallError(errno.EPIPE, "EPIPE"))
    assert type(translated) is BrokenPipeError


@pytest.mark.parametrize(
    ("entries", "library", "reason"),
    [
        ([("SSL routines", "", "wrong version number")], "SSL", "WRONG_VERSION_NUMBER"),
        (
            [("x509 certificate routines", "", "key values mismatch")],
            "X509",
            "KEY_VALUES_MISMATCH",
        ),
        (
            [("PEM routines", "", "no start line"), ("SSL routines", "", "PEM lib")],
            "SSL",
            "PEM_LIB",
        ),
    ],
)
def test_error_queue_entries_become_mnemonics(
    entries: list[tuple[str, str, str]], library: str, reason: str
) -> None:
    translated = translate_error(SSL.Error(entries))
    assert type(translated) is ssl.SSLError
    assert translated.library == library  # type: ignore[attr-defined]
    assert translated.reason == reason  # type: ignore[attr-defined]
    assert translated.args == (1, f"[{library}: {reason}] {entries[-1][2]}")
    assert str(translated) == translated.args[1]


@pytest.mark.parametrize(
    "error",
    [
        SSL.Error([("SSL routines", "", "unexpected eof while reading")]),
        # OpenSSL.SSL's name for the same OpenSSL 3+ reason.
        SSL.SysCallError(-1, "Unexpected EOF"),
    ],
)
def test_unexpected_eof_reason_is_eof_error(error: SSL.Error) -> None:
    translated = translate_error(error)
    assert type(translated) is ssl.SSLEOFError
    assert translated.args == (
        ssl.SSL_ERROR_EOF,
        "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol",
    )
    assert translated.library == "SSL"  # type: ignore[attr-defined]
    assert translated.reason == "UNEXPECTED_EOF_WHILE_READING"  # type: ignore[attr-defined]


def test_error_without_queue_is_still_an_ssl_error() -> None:
    translated = translate_error(SSL.Error("odd"))
    assert type(translated) is ssl.SSLError
    assert str(translated) == "odd"


def _plain_tcp_garbage_server() -> tuple[socket.socket, Any]:
    """A TCP server that answers anything with an HTTP response."""
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def run() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=run)
    thread.start()
    return listener, thread


def _strip_location(text: str) -> str:
    return re.sub(r" \(_ssl\.c:\d+\)$", "", text)


def test_protocol_error_equals_cpython() -> None:
    def failure(module: Any) -> Any:
        listener, thread = _plain_tcp_garbage_server()
        raw = socket.create_connection(listener.getsockname(), timeout=IO_TIMEOUT)
        with pytest.raises(ssl.SSLError) as info:
            ssl_client_context(module).wrap_socket(raw, server_hostname="localhost")
        thread.join(IO_TIMEOUT)
        listener.close()
        exc = info.value
        return (
            type(exc),
            exc.args[0],
            _strip_location(str(exc)),
            exc.library,
            exc.reason,
        )

    assert failure(ssl_compat) == failure(ssl)
    assert failure(ssl_compat)[4] == "WRONG_VERSION_NUMBER"


def test_alert_from_peer_equals_cpython() -> None:
    def failure(module: Any) -> Any:
        server = EchoServer(
            ssl_server_context(ssl, maximum_version=ssl.TLSVersion.TLSv1_2)
        )
        client = ssl_client_context(module, minimum_version=ssl.TLSVersion.TLSv1_3)
        with server, pytest.raises(ssl.SSLError) as info:
            raw = socket.create_connection(server.address, timeout=IO_TIMEOUT)
            with client.wrap_socket(raw, server_hostname="localhost"):
                pass
        exc = info.value
        return type(exc), exc.library, exc.reason

    assert failure(ssl_compat) == failure(ssl)


def test_except_clauses_of_unrelated_code_still_work() -> None:
    # Code that never heard of ssl_compat catches the stdlib's classes.
    server = EchoServer(ssl_server_context())
    with server:
        raw = socket.create_connection(server.address, timeout=IO_TIMEOUT)
        try:
            ssl_compat.create_default_context().wrap_socket(
                raw, server_hostname="localhost"
            )
        except ssl.CertificateError as exc:
            caught: Any = exc
        else:  # pragma: no cover - the handshake must fail
            pytest.fail("no error")
    assert isinstance(caught, ssl.SSLError) and isinstance(caught, OSError)
    assert caught.verify_code == 20


@pytest.mark.parametrize(
    ("library", "reason", "expected"),
    [
        (
            "SSL routines",
            "tls alert handshake failure",
            ("SSL", "SSLV3_ALERT_HANDSHAKE_FAILURE"),
        ),
        ("SSL routines", "tlsv1 alert unknown ca", ("SSL", "TLSV1_ALERT_UNKNOWN_CA")),
        (
            "SSL routines",
            "tls ext invalid servername",
            ("SSL", "SSL3_EXT_INVALID_SERVERNAME"),
        ),
        (
            "x509 certificate routines",
            "key values mismatch",
            ("X509", "KEY_VALUES_MISMATCH"),
        ),
        (
            "system library",
            "No such file or directory",
            ("SYS", "NO_SUCH_FILE_OR_DIRECTORY"),
        ),
        ("digital envelope routines", "bad decrypt", ("EVP", "BAD_DECRYPT")),
        ("PEM routines", "bad decrypt", ("PEM", "BAD_DECRYPT")),
    ],
)
def test_mnemonics_without_the_interpreters_code_tables(
    library: str,
    reason: str,
    expected: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Python 3.13 dropped _ssl's code tables; the rules alone must suffice.
    from OpenSSL.ssl_compat import _errors

    monkeypatch.setattr(_errors, "_lib_names", {})
    monkeypatch.setattr(_errors, "_reason_names", {})
    translated = translate_error(SSL.Error([(library, "", reason)]))
    assert (translated.library, translated.reason) == expected  # type: ignore[attr-defined]


def test_transport_errors_while_reading_are_eof_errors() -> None:
    # CPython's SSL_read_ex/SSL_write_ex path reports any transport failure
    # as SSLEOFError; the handshake and shutdown keep the errno.
    reset = SSL.SysCallError(errno.ECONNRESET, "ECONNRESET")
    expected = (
        ssl.SSLEOFError
        if (3, 10) <= sys.version_info[:2] < (3, 13)
        else ConnectionResetError
    )
    assert type(translate_error(reset, data_transfer=True)) is expected
    assert type(translate_error(reset)) is ConnectionResetError


@pytest.mark.parametrize("suppress", [True, False])
def test_reset_after_handshake_equals_cpython(suppress: bool) -> None:
    import struct

    def reset(tls: Any) -> None:
        tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        tls.recv(1)

    def outcome(module: Any) -> Any:
        client = ssl_client_context(module)
        with EchoServer(ssl_server_context(ssl), handler=reset) as server:
            with connect(client, server.address, suppress_ragged_eofs=suppress) as tls:
                tls.sendall(b"x")
                try:
                    return tls.recv(1)
                except OSError as exc:
                    return type(exc), exc.args[0]

    ours = outcome(ssl_compat)
    assert ours == outcome(ssl)
    if (3, 10) <= sys.version_info[:2] < (3, 13):
        assert ours == (b"" if suppress else (ssl.SSLEOFError, ssl.SSL_ERROR_EOF))
    else:
        assert ours == (ConnectionResetError, errno.ECONNRESET)


def _ssl_fields(exc: BaseException) -> Any:
    return (
        type(exc),
        exc.args[0],
        _strip_location(str(exc)),
        getattr(exc, "library", "unset"),
        getattr(exc, "reason", "unset"),
    )


def _assert_eof_equals_cpython(ours: Any, theirs: Any) -> None:
    assert ours[0] is ssl.SSLEOFError
    assert ours[3:] == theirs[3:] == ("SSL", "UNEXPECTED_EOF_WHILE_READING")
    if sys.version_info >= (3, 10):
        assert ours == theirs
    # else: 3.9 raises a plain SSLError (SSL_ERROR_SSL) for this reason;
    # ssl_compat gives the newest CPython's SSLEOFError on every Python.


def _strict_eof_context(module: Any) -> Any:
    # CPython 3.9 sets OP_IGNORE_UNEXPECTED_EOF by default (reads then end
    # with b""); clear it so both sides report the EOF.
    ctx = ssl_client_context(module)
    ctx.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
    return ctx


def _memory_client_and_server(module: Any) -> Any:
    """A *module* client SSLObject and a stdlib server, handshaken in memory."""
    client, server = handshaken_objects(
        _strict_eof_context(module),
        ssl_server_context(ssl),
        client_bio=module.MemoryBIO,
        server_bio=ssl.MemoryBIO,
    )
    assert client.obj.version() is not None
    return client.obj, client.in_bio, server.obj, server.out_bio


def test_memory_bio_eof_mid_record_equals_cpython() -> None:
    def failure(module: Any) -> Any:
        client, c_in, server, s_out = _memory_client_and_server(module)
        server.write(b"hello world")
        c_in.write(s_out.read()[:10])  # the transport ends mid-record
        c_in.write_eof()
        with pytest.raises(ssl.SSLError) as info:
            client.read(100)
        return _ssl_fields(info.value)

    ours, theirs = failure(ssl_compat), failure(ssl)
    _assert_eof_equals_cpython(ours, theirs)


def test_socket_eof_without_close_notify_equals_cpython() -> None:
    def vanish(tls: Any) -> None:
        tls.sendall(b"x")
        tls.shutdown(socket.SHUT_RDWR)  # TCP FIN, no close_notify

    def failure(module: Any) -> Any:
        client = _strict_eof_context(module)
        with EchoServer(ssl_server_context(ssl), handler=vanish) as server:
            with connect(client, server.address, suppress_ragged_eofs=False) as tls:
                assert tls.recv(1) == b"x"
                with pytest.raises(ssl.SSLError) as info:
                    tls.recv(1)
        return _ssl_fields(info.value)

    _assert_eof_equals_cpython(failure(ssl_compat), failure(ssl))


def test_corrupted_record_is_the_same_exception_type_as_cpython() -> None:
    # The reason differs with the OpenSSL version, not our translation:
    # OpenSSL 3.2+ pushes RECORD_LAYER_FAILURE on top of the MAC failure, and
    # CPython (like us) reports the most recent queue entry.
    def failure(module: Any) -> Any:
        client, c_in, server, s_out = _memory_client_and_server(module)
        server.write(b"hello world")
        record = bytearray(s_out.read())
        record[-3] ^= 1
        c_in.write(bytes(record))
        with pytest.raises(ssl.SSLError) as info:
            client.read(100)
        return info.value

    ours, theirs = failure(ssl_compat), failure(ssl)
    assert type(ours) is type(theirs) is ssl.SSLError
    assert ours.library == theirs.library == "SSL"
    assert ours.reason in (
        "DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
        "RECORD_LAYER_FAILURE",
    )
