"""Regression tests for the three classes of pyOpenSSL's 2026 wrapper CVEs.

* CVE-2026-27459, a buffer overflow: a DTLS cookie generate callback could
  return more than the 255 bytes of OpenSSL's cookie buffer.
* CVE-2026-27448, a swallowed exception: an exception raised by the
  servername (SNI) callback was lost and the handshake went on.
* CVE-2026-40475, a truncation: ``X509Name`` values were cut at the first
  NUL byte.

Each test names its CVE and bug class. The overflow attempts also run in a
child interpreter, where a write past the buffer would be a crash of that
child, not of the test run.
"""

from __future__ import annotations

import datetime
import functools
import os
import ssl
import subprocess
import sys
import traceback
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Optional

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from OpenSSL import SSL, crypto, ssl_compat
from OpenSSL._util import lib
from tests.reliability.callback_abuse_driver import (
    compat_handshake,
    dtls_handshake,
    dtls_pair,
    error_queue_empty,
)
from tests.reliability.profile import record
from tests.reliability.subproc import REPO_ROOT
from tests.support import (
    client_context,
    handshake,
    make_pki,
    memory_pair,
    scratch_dir,
    server_context,
    socket_connection_pair,
)

COOKIE_BUFFER = 255


def _count(cases: int = 1) -> None:
    record("CVE regressions: cases", cases)


class Boom(Exception):
    """What the misbehaving callbacks raise."""


def _cookie_exchange_until_listen(holder: list[Any]) -> None:
    """The client's first ClientHello, handed to the listening server."""
    client, server = holder
    with pytest.raises(SSL.WantReadError):
        client.do_handshake()
    server.bio_write(client.bio_read(65536))


# --- CVE-2026-27459: DTLS cookie buffer overflow -----------------------------------


@pytest.mark.parametrize("size", [256, 4096, 10**6])
def test_cve_2026_27459_oversized_cookie_is_refused(size: int) -> None:
    """CVE-2026-27459 (buffer overflow): a cookie longer than 255 bytes.

    ``DTLSv1_listen``, the call that asked for the cookie, raises
    ``ValueError``; nothing is copied into OpenSSL's 255-byte buffer, no
    HelloVerifyRequest goes out, the error queue is empty, and a fresh
    exchange in the same process still works.
    """
    assert lib.DTLS1_COOKIE_LENGTH == COOKIE_BUFFER
    cookie = b"\xa5" * size
    holder = dtls_pair(lambda conn: cookie, lambda conn, got: True)
    _cookie_exchange_until_listen(holder)
    with pytest.raises(ValueError, match="255"):
        holder[1].DTLSv1_listen()
    error_queue_empty("after the refused cookie")
    with pytest.raises(SSL.WantReadError):
        holder[1].bio_read(65536)
    dtls_handshake(dtls_pair(lambda conn: b"ok", lambda conn, got: got == b"ok"))
    _count()


def test_cve_2026_27459_longest_cookie_works_end_to_end() -> None:
    """CVE-2026-27459 (buffer overflow): exactly 255 bytes is the limit, and fits.

    A real DTLS handshake over memory BIOs with the cookie exchange: the
    HelloVerifyRequest carries the 255-byte cookie, the client echoes it,
    the verify callback sees it whole, and data flows afterwards.
    """
    cookie = bytes(range(255))
    seen: list[bytes] = []

    def verify(conn: SSL.Connection, got: bytes) -> bool:
        seen.append(got)
        return got == cookie

    holder = dtls_pair(lambda conn: cookie, verify)
    dtls_handshake(holder)
    assert seen and all(got == cookie for got in seen)
    client, server = holder
    client.send(b"through DTLS")
    server.bio_write(client.bio_read(65536))
    assert server.recv(100) == b"through DTLS"
    error_queue_empty("after the handshake")
    _count()


def test_cve_2026_27459_empty_cookie_is_never_accepted() -> None:
    """CVE-2026-27459 (buffer overflow), the other edge: a 0-byte cookie.

    An empty cookie means "no cookie" in DTLS, so the server keeps asking:
    ``DTLSv1_listen`` keeps raising ``WantReadError`` and the verify callback
    is never asked (pyOpenSSL 26.4 behaves the same). Nothing crashes, the
    error queue stays empty.
    """
    verified: list[bytes] = []
    holder = dtls_pair(lambda conn: b"", lambda conn, got: verified.append(got))
    with pytest.raises(SSL.WantReadError):
        dtls_handshake(holder)
    assert verified == []
    error_queue_empty("after the empty cookie")
    _count()


@pytest.mark.parametrize(
    "value",
    [None, "a cookie", bytearray(b"cookie"), memoryview(b"cookie"), 255, [b"c"]],
    ids=["None", "str", "bytearray", "memoryview", "int", "list"],
)
def test_cve_2026_27459_non_bytes_cookie_is_type_error(value: Any) -> None:
    """CVE-2026-27459 (buffer overflow), wrong type: only bytes are copied.

    A length taken from a non-bytes object (an int has none, a str's is in
    characters) must not size the copy: ``TypeError`` from ``DTLSv1_listen``.
    """
    holder = dtls_pair(lambda conn: value, lambda conn, got: True)
    _cookie_exchange_until_listen(holder)
    with pytest.raises(TypeError, match="bytes"):
        holder[1].DTLSv1_listen()
    error_queue_empty("after the refused cookie")
    _count()


def overflow_attempts() -> None:
    """Run the oversized cookies (for the child interpreter)."""
    for size in (256, 4096, 65536, 10**6):
        holder = dtls_pair(lambda conn, size=size: b"\xa5" * size, lambda c, g: True)
        client, server = holder
        try:
            client.do_handshake()
        except SSL.WantReadError:
            pass
        server.bio_write(client.bio_read(65536))
        try:
            server.DTLSv1_listen()
        except ValueError:
            continue
        raise AssertionError(f"a {size}-byte cookie was accepted")


def test_cve_2026_27459_overflow_attempts_in_a_child() -> None:
    """CVE-2026-27459 (buffer overflow): the attempts, where a crash is contained.

    A write past the buffer would smash OpenSSL's stack or heap: in a child
    interpreter (glibc's heap checks on, Python's development mode) it kills
    the child, not the run.
    """
    code = (
        "from tests.reliability.test_cve_regressions import overflow_attempts; "
        "overflow_attempts(); print('survived')"
    )
    env = dict(os.environ, MALLOC_CHECK_="3")
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-X", "faulthandler", "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"status {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    )
    assert result.stdout.strip().endswith("survived")
    _count(4)


# --- CVE-2026-27448: servername callback exceptions swallowed ---------------------


class _Hook:
    """A stand-in ``sys.excepthook`` that remembers what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, BaseException, Optional[TracebackType]]] = []

    def __call__(
        self,
        kind: type[BaseException],
        value: BaseException,
        tb: Optional[TracebackType],
    ) -> None:
        self.calls.append((kind, value, tb))


def _failing_sni(
    exc: BaseException, before: Callable[[Any], Any] = lambda c: None
) -> Callable[[SSL.Connection], None]:
    def failing_callback(conn: SSL.Connection) -> None:
        before(conn)
        raise exc

    return failing_callback


def _assert_both_fail(client: SSL.Connection, server: SSL.Connection) -> SSL.Error:
    """Drive the handshake; return the server's error after the client's too."""
    with pytest.raises(SSL.Error) as server_info:
        handshake(client, server)
    assert not isinstance(server_info.value, (SSL.WantReadError, Boom))
    # The fatal alert reaches the client, which fails as well ...
    try:
        handshake(client, server)
    except SSL.Error:
        pass
    else:
        raise AssertionError("the client completed the handshake")
    with pytest.raises(SSL.Error):
        client.do_handshake()
    # ... and the server stays failed.
    with pytest.raises(SSL.Error):
        server.do_handshake()
    return server_info.value


def test_cve_2026_27448_servername_exception_fails_the_handshake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CVE-2026-27448 (swallowed exception): the SNI callback raises.

    pyOpenSSL 26.4's documented behaviour: ``sys.excepthook`` receives the
    exception (type, the very object, its traceback) and the handshake fails
    with ``SSL.Error`` on the server, then on the client (fatal alert). It
    never goes on as if nothing happened.
    """
    hook = _Hook()
    monkeypatch.setattr(sys, "excepthook", hook)
    exc = Boom("from the servername callback")
    server_ctx = server_context()
    server_ctx.set_tlsext_servername_callback(_failing_sni(exc))
    client, server = memory_pair(None, server_ctx, server_name=b"localhost")
    _assert_both_fail(client, server)
    assert len(hook.calls) == 1
    kind, value, tb = hook.calls[0]
    assert kind is Boom and value is exc
    assert tb is not None and tb.tb_frame is not None
    assert "failing_callback" in {frame.name for frame in traceback.extract_tb(tb)}
    error_queue_empty("after the failed handshake")
    _count()


def test_cve_2026_27448_after_switching_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CVE-2026-27448 (swallowed exception): raise after ``set_context``.

    Switching the certificate first must not make the failure any softer.
    """
    hook = _Hook()
    monkeypatch.setattr(sys, "excepthook", hook)
    exc = Boom("after set_context")
    other = server_context(make_pki().rsa_server)
    server_ctx = server_context()
    server_ctx.set_tlsext_servername_callback(
        _failing_sni(exc, lambda conn: conn.set_context(other))
    )
    client, server = memory_pair(None, server_ctx, server_name=b"localhost")
    _assert_both_fail(client, server)
    assert [value for _, value, _ in hook.calls] == [exc]
    _count()


def test_cve_2026_27448_over_real_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """CVE-2026-27448 (swallowed exception): the same over a socket pair."""
    hook = _Hook()
    monkeypatch.setattr(sys, "excepthook", hook)
    exc = Boom("over sockets")
    server_ctx = server_context()
    server_ctx.set_tlsext_servername_callback(_failing_sni(exc))
    client, server = socket_connection_pair(None, server_ctx, server_name=b"localhost")
    try:
        with pytest.raises(SSL.Error) as info:
            handshake(client, server)
        assert not isinstance(info.value, Boom)
        with pytest.raises(SSL.Error):
            for _ in range(50):
                try:
                    client.do_handshake()
                except SSL.WantReadError:
                    continue
                break
    finally:
        for conn in (client, server):
            conn.close()
    assert [value for _, value, _ in hook.calls] == [exc]
    _count()


def test_cve_2026_27448_base_exceptions_are_not_swallowed_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CVE-2026-27448 (swallowed exception): a ``KeyboardInterrupt`` too."""
    hook = _Hook()
    monkeypatch.setattr(sys, "excepthook", hook)
    exc = KeyboardInterrupt()
    server_ctx = server_context()
    server_ctx.set_tlsext_servername_callback(_failing_sni(exc))
    client, server = memory_pair(None, server_ctx, server_name=b"localhost")
    _assert_both_fail(client, server)
    assert [value for _, value, _ in hook.calls] == [exc]
    _count()


def _broken_hook(*args: Any) -> None:
    raise RuntimeError("the excepthook itself fails")


@pytest.mark.parametrize(
    "hook", [_broken_hook, None, "deleted"], ids=["raises", "None", "deleted"]
)
def test_cve_2026_27448_broken_excepthook_still_fails_the_handshake(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], hook: Any
) -> None:
    """CVE-2026-27448 (swallowed exception) through a broken ``sys.excepthook``.

    Defect found and fixed: a hook that raised (or was ``None``, or deleted)
    made the trampoline itself raise; cffi printed that and returned 0,
    ``SSL_TLSEXT_ERR_OK``, and the handshake completed. Now the handshake
    fails, and both exceptions are printed as Python prints a failing hook.
    """
    if hook == "deleted":
        monkeypatch.delattr(sys, "excepthook")
    else:
        monkeypatch.setattr(sys, "excepthook", hook)
    exc = Boom("reported past a broken hook")
    server_ctx = server_context()
    server_ctx.set_tlsext_servername_callback(_failing_sni(exc))
    client, server = memory_pair(None, server_ctx, server_name=b"localhost")
    _assert_both_fail(client, server)
    err = capsys.readouterr().err
    assert "Error in sys.excepthook" in err
    assert "reported past a broken hook" in err
    assert "Exception ignored" not in err
    error_queue_empty("after the failed handshake")
    _count()


def _bio_pair(
    module: Any, client_ctx: Any, server_ctx: Any, server_hostname: str = "localhost"
) -> list[Any]:
    c_in, c_out, s_in, s_out = (module.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=server_hostname)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    return [client, server, c_in, c_out, s_in, s_out]


def _compat_failure(module: Any) -> tuple[ssl.SSLError, ssl.SSLError, Boom, list[Any]]:
    from tests import support

    exc = Boom(f"sni_callback of {module.__name__}")

    def failing_callback(obj: Any, name: Optional[str], ctx: Any) -> None:
        raise exc

    server_ctx = support.ssl_server_context(module)
    server_ctx.sni_callback = failing_callback
    client_ctx = support.ssl_client_context(module)
    # The NUL-laden test certificate is not RFC 5280-strict; ssl_compat's
    # default context is (CPython 3.13's flags, on every Python).
    client_ctx.verify_flags &= ~module.VERIFY_X509_STRICT
    holder = _bio_pair(module, client_ctx, server_ctx)
    unraisable: list[Any] = []
    saved = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        with pytest.raises(ssl.SSLError) as server_info:
            compat_handshake(holder)
    finally:
        sys.unraisablehook = saved
    client, _, c_in, _, _, s_out = holder
    c_in.write(s_out.read())
    with pytest.raises(ssl.SSLError) as client_info:
        client.do_handshake()
    return server_info.value, client_info.value, exc, unraisable


def test_cve_2026_27448_ssl_compat_sni_callback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CVE-2026-27448 (swallowed exception), ``ssl_compat``'s ``sni_callback``.

    As in CPython, the handshake fails with ``HANDSHAKE_FAILURE`` on both
    sides (the same alert the client of CPython's server gets); the
    exception is the ``__cause__`` of the server's ``SSLError`` instead of
    going to ``sys.unraisablehook`` (doc/ssl_compat.rst).
    """
    hook = _Hook()
    monkeypatch.setattr(sys, "excepthook", hook)
    server_error, client_error, exc, unraisable = _compat_failure(ssl_compat)
    assert server_error.__cause__ is exc
    assert exc.__traceback__ is not None
    assert not unraisable and not hook.calls
    assert client_error.reason == "SSLV3_ALERT_HANDSHAKE_FAILURE"
    # CPython, the reference: the handshake fails, its client gets the same.
    std_server, std_client, std_exc, std_unraisable = _compat_failure(ssl)
    assert [info.exc_value for info in std_unraisable] == [std_exc]
    assert std_client.reason == client_error.reason
    assert type(std_server) is type(server_error)
    error_queue_empty("after the failed ssl_compat handshake")
    _count(2)


# --- CVE-2026-40475: X509Name values truncated at NUL ------------------------------

CN_WITH_NUL = "evil.example\x00.localhost"
O_WITH_NUL = "Org\x00 Inc"
SAN_WITH_NUL = "www.evil.example\x00.localhost"


@functools.cache
def _nul_identity() -> tuple[x509.Certificate, Path, Path]:
    """A leaf under the test intermediate whose CN and O contain NUL bytes."""

    pki = make_pki()
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, CN_WITH_NUL),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, O_WITH_NUL),
                ]
            )
        )
        .issuer_name(pki.intermediate.cert.subject)
        .public_key(pki.server.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.DNSName(SAN_WITH_NUL),
                    x509.RFC822Name("root@evil.example\x00.localhost"),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .sign(pki.intermediate.key, hashes.SHA256())
    )
    directory = scratch_dir()
    certfile = directory / "nul.pem"
    certfile.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + pki.intermediate.cert.public_bytes(serialization.Encoding.PEM)
    )
    keyfile = directory / "nul.key"
    keyfile.write_bytes(make_pki().server.key_pem())
    return cert, certfile, keyfile


def _assert_whole(name: crypto.X509Name) -> None:
    assert name.CN == CN_WITH_NUL
    assert name.O == O_WITH_NUL
    components = dict(name.get_components())
    assert components[b"CN"] == CN_WITH_NUL.encode()
    assert components[b"O"] == O_WITH_NUL.encode()


def _subject(cert: crypto.X509) -> crypto.X509Name:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return cert.get_subject()


def test_cve_2026_40475_set_and_read_back_through_every_view() -> None:
    """CVE-2026-40475 (truncation): NUL bytes in values set on an X509Name.

    Set by attribute (text and bytes), read back by attribute, by
    ``get_components``, in ``der()`` (what cryptography encodes for the same
    name), in ``hash()`` (differs from the truncated name's), and through
    ``X509.to_cryptography()`` of a certificate carrying the name.
    """
    cert = crypto.X509()
    name = _subject(cert)
    name.CN = CN_WITH_NUL
    name.O = O_WITH_NUL.encode()
    _assert_whole(name)
    expected = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, CN_WITH_NUL),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, O_WITH_NUL),
        ]
    )
    assert name.der() == expected.public_bytes()
    truncated = _subject(crypto.X509())
    truncated.CN = CN_WITH_NUL.split("\x00")[0]
    truncated.O = O_WITH_NUL.split("\x00")[0]
    assert name.hash() != truncated.hash()
    assert name != truncated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cert.set_subject(name)
        cert.set_issuer(name)
        key = crypto.PKey.from_cryptography_key(make_pki().server.key)
        cert.set_pubkey(key)
        cert.set_serial_number(1)
        cert.gmtime_adj_notBefore(0)
        cert.gmtime_adj_notAfter(3600)
        cert.sign(key, "sha256")
    subject = cert.to_cryptography().subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CN_WITH_NUL
    assert subject == expected
    _count()


def test_cve_2026_40475_certificate_built_with_cryptography() -> None:
    """CVE-2026-40475 (truncation): a certificate whose subject has NULs.

    ``X509.from_cryptography`` and ``load_certificate`` (PEM and DER) show
    the values whole.
    """
    cert, _, _ = _nul_identity()
    for loaded in (
        crypto.X509.from_cryptography(cert),
        crypto.load_certificate(
            crypto.FILETYPE_PEM, cert.public_bytes(serialization.Encoding.PEM)
        ),
        crypto.load_certificate(
            crypto.FILETYPE_ASN1, cert.public_bytes(serialization.Encoding.DER)
        ),
    ):
        _assert_whole(_subject(loaded))
        assert _subject(loaded).der() == cert.subject.public_bytes()
        assert loaded.to_cryptography().subject == cert.subject
    _count()


def _nul_server_context() -> SSL.Context:
    _, certfile, keyfile = _nul_identity()
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.use_certificate_chain_file(str(certfile))
    ctx.use_privatekey_file(str(keyfile))
    return ctx


def test_cve_2026_40475_peer_certificate_over_a_handshake() -> None:
    """CVE-2026-40475 (truncation): what the peer sent, over a real handshake.

    ``get_peer_certificate()`` (both kinds) and ``get_peer_cert_chain()``
    give the NUL-bearing names whole.
    """
    cert, _, _ = _nul_identity()
    client, server = memory_pair(client_context(), _nul_server_context())
    handshake(client, server)
    peer = client.get_peer_certificate()
    assert peer is not None
    _assert_whole(_subject(peer))
    assert client.get_peer_certificate(as_cryptography=True) == cert
    chain = client.get_peer_cert_chain()
    assert chain is not None
    _assert_whole(_subject(chain[0]))
    crypto_chain = client.get_peer_cert_chain(as_cryptography=True)
    assert crypto_chain is not None and crypto_chain[0].subject == cert.subject
    _count()


def _getpeercert(module: Any) -> dict[str, Any]:
    from tests import support

    _, certfile, keyfile = _nul_identity()
    server_ctx = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(certfile, keyfile)
    client_ctx = support.ssl_client_context(module)
    # The NUL-laden test certificate is not RFC 5280-strict; ssl_compat's
    # default context is (CPython 3.13's flags, on every Python).
    client_ctx.verify_flags &= ~module.VERIFY_X509_STRICT
    holder = _bio_pair(module, client_ctx, server_ctx)
    compat_handshake(holder)
    peer = holder[0].getpeercert()
    assert isinstance(peer, dict)
    return peer


def test_cve_2026_40475_ssl_compat_getpeercert_matches_cpython() -> None:
    """CVE-2026-40475 (truncation): ``ssl_compat``'s ``getpeercert()``.

    CPython's ``getpeercert()`` leaves the NULs in place; so does ours, and
    the whole dictionary is the one CPython builds for the same certificate.
    """
    ours = _getpeercert(ssl_compat)
    theirs = _getpeercert(ssl)
    assert (("commonName", CN_WITH_NUL),) in ours["subject"]
    assert (("organizationName", O_WITH_NUL),) in ours["subject"]
    assert ours["subject"] == theirs["subject"]
    assert ("DNS", SAN_WITH_NUL) in ours["subjectAltName"]
    assert ours["subjectAltName"] == theirs["subjectAltName"]
    assert ours == theirs
    _count(2)
