"""ssl_compat behaves as the stdlib where they used to differ.

Each case runs the same code on ``ssl`` and on ``ssl_compat`` and compares
what comes out: the stdlib is the reference.
"""

from __future__ import annotations

import array
import datetime
import gc
import os
import socket
import ssl
import sys
import sysconfig
import warnings
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from OpenSSL import ssl_compat
from tests.support import (
    ObjectEnd,
    handshake,
    handshaken_objects,
    make_pki,
    ssl_client_context,
    ssl_server_context,
)
from tests.support.pki import _leaf

MODULES = [pytest.param(ssl, id="stdlib"), pytest.param(ssl_compat, id="compat")]


def _pair(client_ctx: Any, server_ctx: Any, hostname: str) -> tuple[Any, Any]:
    """A handshaken SSLObject pair (client of *client_ctx*'s module)."""
    client, server = _ends(client_ctx, server_ctx, hostname)
    return client.obj, server.obj


def _ends(
    client_ctx: Any, server_ctx: Any, hostname: str = "localhost"
) -> tuple[ObjectEnd, ObjectEnd]:
    """A handshaken SSLObject pair on the stdlib's ``MemoryBIO``s, as ends."""
    return handshaken_objects(
        client_ctx,
        server_ctx,
        server_hostname=hostname,
        client_bio=ssl.MemoryBIO,
        server_bio=ssl.MemoryBIO,
    )


def _outcome(module: Any, hostname: str, server_ctx: Any) -> str:
    try:
        client, _server = _pair(ssl_client_context(module), server_ctx, hostname)
    except ssl.SSLCertVerificationError as exc:
        return f"verify failed: {exc.verify_code} {exc.verify_message}"
    return f"ok {client.server_hostname}"


@pytest.fixture(scope="module")
def single_label_server(tmp_path_factory: Any) -> Any:
    """A stdlib server context presenting a certificate for the name "x"."""
    pki = make_pki()
    now = datetime.datetime.now(datetime.timezone.utc)
    identity = _leaf(
        "x",
        "x",
        pki.intermediate,
        [x509.DNSName("x")],
        ExtendedKeyUsageOID.SERVER_AUTH,
        now,
    )
    certfile, keyfile = identity.write(tmp_path_factory.mktemp("x"))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    return ctx


@pytest.mark.parametrize("hostname", ["x", "X", "x.", "example.com.", "localhost."])
def test_names_openssl_4_refuses_are_checked_as_cpython(
    hostname: str, single_label_server: Any
) -> None:
    """One-character and absolute names: accepted, same match results."""
    for server_ctx in (single_label_server, ssl_server_context(ssl)):
        expected = _outcome(ssl, hostname, server_ctx)
        assert _outcome(ssl_compat, hostname, server_ctx) == expected


def test_single_label_name_matches_its_certificate(single_label_server: Any) -> None:
    assert _outcome(ssl_compat, "x", single_label_server) == "ok x"


def test_a_refused_name_that_does_not_match_moves_no_data() -> None:
    c_in, c_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = ssl_client_context().wrap_bio(c_in, c_out, server_hostname="x")
    server = ssl_server_context(ssl).wrap_bio(s_in, s_out, server_side=True)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(
            ObjectEnd.around(client, c_in, c_out), ObjectEnd.around(server, s_in, s_out)
        )
    with pytest.raises(ssl.SSLError):
        client.write(b"must not be sent")
    s_in.write(c_out.read())  # the client's Finished at most
    try:
        received = server.read(100)
    except ssl.SSLError:
        received = b""
    assert received == b""


@pytest.mark.parametrize("module", MODULES)
def test_recv_into_an_array_takes_its_byte_size(module: Any) -> None:
    client_end, server_end = _ends(ssl_client_context(module), ssl_server_context(ssl))
    client, server = client_end.obj, server_end.obj
    c_in, s_out = client_end.in_bio, server_end.out_bio
    server.write(b"12345678")
    c_in.write(s_out.read())
    buf = array.array("I", [0, 0])
    assert client.read(8, buf) == 8
    assert buf.tobytes() == b"12345678"


@pytest.mark.parametrize("module", MODULES)
def test_version_bounds_at_the_far_end(module: Any) -> None:
    ctx = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    ctx.maximum_version = module.TLSVersion.MINIMUM_SUPPORTED
    assert ctx.maximum_version in (module.TLSVersion.TLSv1, module.TLSVersion.SSLv3)
    ctx.minimum_version = module.TLSVersion.MAXIMUM_SUPPORTED
    assert ctx.minimum_version == module.TLSVersion.TLSv1_3
    ctx.minimum_version = module.TLSVersion.MINIMUM_SUPPORTED
    assert ctx.minimum_version == module.TLSVersion.MINIMUM_SUPPORTED


@pytest.mark.parametrize("module", MODULES)
def test_nul_in_server_hostname_is_a_type_error(module: Any) -> None:
    with pytest.raises(TypeError):
        module.create_default_context().wrap_bio(
            module.MemoryBIO(), module.MemoryBIO(), server_hostname="a.example\0b.com"
        )


@pytest.mark.parametrize("module", MODULES)
def test_leading_dot_in_server_hostname(module: Any) -> None:
    """Text fails in the IDNA codec (UnicodeError), bytes at the dot check."""
    ctx = module.create_default_context()
    with pytest.raises(UnicodeError):
        ctx.wrap_bio(module.MemoryBIO(), module.MemoryBIO(), server_hostname=".x.org")
    with socket.socket() as raw, pytest.raises(UnicodeError):
        ctx.wrap_socket(raw, server_hostname=".x.org")
    with pytest.raises(ValueError) as info:
        ctx.wrap_bio(module.MemoryBIO(), module.MemoryBIO(), server_hostname=b".x.org")
    assert type(info.value) is ValueError
    assert "leading dot" in str(info.value)


def test_refused_server_hostname_closes_the_wrapped_socket() -> None:
    """As CPython 3.13 (test_check_hostname_idn): no descriptor left behind."""
    ctx = ssl_compat.create_default_context()
    raw = socket.socket()
    fd = raw.fileno()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(UnicodeError):
            ctx.wrap_socket(raw, server_hostname=".x.org")
        gc.collect()
    assert raw.fileno() == -1  # taken over (detached) ...
    with pytest.raises(OSError):
        os.fstat(fd)  # ... and closed
    assert not [w for w in seen if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize("module", MODULES)
def test_non_contiguous_memorybio_write_is_a_buffer_error(module: Any) -> None:
    bio = module.MemoryBIO()
    with pytest.raises(BufferError):
        bio.write(memoryview(bytearray(b"noncontig"))[::-2])
    assert bio.pending == 0


_TALOS = (
    Path(sysconfig.get_path("stdlib")) / "test" / "certdata" / "talos-2019-0758.pem"
)
if not _TALOS.exists():  # before 3.12 the files sit in Lib/test itself
    _TALOS = _TALOS.parent.parent / _TALOS.name


@pytest.mark.skipif(not _TALOS.exists(), reason="the interpreter ships no test data")
def test_crl_distribution_point_without_names_is_listed_as_cpython() -> None:
    """CPython's talos-2019-0758.pem: one extension cryptography rejects."""
    results = []
    for module in (ssl, ssl_compat):
        ctx = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(str(_TALOS))
        results.append((ctx.cert_store_stats(), ctx.get_ca_certs()))
    assert results[0] == results[1]
    from OpenSSL.ssl_compat._certs import decode_certificate

    cert = x509.load_pem_x509_certificate(_TALOS.read_bytes())
    decoded = decode_certificate(cert)
    assert decoded == ssl._ssl._test_decode_cert(str(_TALOS))  # type: ignore[attr-defined]
    assert decoded["subjectAltName"] == (
        ("DNS", "codenomicon-vm-2.test.lal.cisco.com"),
    )


def old_stdlib(module: Any) -> bool:
    """The real ssl module of a Python older than 3.10."""
    return module is ssl and sys.version_info < (3, 10)


@pytest.mark.parametrize("module", MODULES)
def test_reads_after_a_bad_record_keep_failing(module: Any) -> None:
    """No "want read" shortcut once the connection failed (as the stdlib)."""
    client_end, _ = _ends(ssl_client_context(module), ssl_server_context(ssl))
    client, c_in = client_end.obj, client_end.in_bio
    with pytest.raises(ssl.SSLWantReadError):
        client.read(100)  # nothing there yet
    c_in.write(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)  # a forged record
    outcomes = []
    for _ in range(3):
        with pytest.raises(ssl.SSLError) as info:
            client.read(100)
        outcomes.append(type(info.value))
    # CPython before 3.10 reports the dead connection as SSLSyscallError;
    # ssl_compat gives the newer SSLEOFError on every Python.
    dead = ssl.SSLSyscallError if old_stdlib(module) else ssl.SSLEOFError
    assert outcomes == [ssl.SSLError, dead, dead]


@pytest.mark.parametrize("module", MODULES)
def test_reads_after_close_notify_keep_returning_eof(module: Any) -> None:
    client_end, server_end = _ends(ssl_client_context(module), ssl_server_context(ssl))
    client, server = client_end.obj, server_end.obj
    c_in, s_out = client_end.in_bio, server_end.out_bio
    with pytest.raises(ssl.SSLWantReadError):
        server.unwrap()
    c_in.write(s_out.read())
    assert [client.read(100) for _ in range(3)] == [b"", b"", b""]
