"""API fuzzing of ``OpenSSL.ssl_compat``, and the defects it found, pinned.

The fuzzer itself (``fuzz_api_compat``) runs in a child interpreter through
``subproc.run_driver``: a crash, a hang or an undocumented outcome fails the
test with the command that reproduces it. The fast profile runs fixed seeds;
the long one (``make stress``) runs fresh seeds, printed by the driver, for
at least 150,000 calls.

Below the fuzz runs, one small deterministic test per defect the fuzzer
found, so each fix stays fixed.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import threading

import pytest

from OpenSSL import ssl_compat
from OpenSSL._util import lib
from tests.reliability.profile import LONG, record, scale
from tests.reliability.subproc import REPO_ROOT, run_driver
from tests.support import (
    deliver,
    handshake,
    object_pair,
    ssl_client_context,
    ssl_server_context,
)

FAST_SEEDS = [1, 2, 3]
LONG_RUNS = 3


def _fuzz(seed: int, examples: int, max_steps: int, timeout: float) -> dict[str, float]:
    args = ["--seed", str(seed), "--examples", str(examples)]
    args += ["--max-steps", str(max_steps)]
    figures = run_driver("fuzz_api_compat", args, timeout=timeout)
    record("api fuzz (ssl_compat): calls", figures["calls"], "calls")
    record("api fuzz (ssl_compat): sequences", figures["sequences"], "sequences")
    if "handshakes" in figures:
        record(
            "api fuzz (ssl_compat): handshakes completed",
            figures["handshakes"],
            "handshakes",
        )
    return figures


@pytest.mark.skipif(LONG, reason="the long profile runs fresh seeds instead")
@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_fuzz_fixed_seed(seed: int) -> None:
    """120 random call sequences from a fixed seed."""
    figures = _fuzz(seed, examples=120, max_steps=60, timeout=120)
    assert figures["calls"] > 2000


@pytest.mark.skipif(not LONG, reason="long profile only (make stress)")
@pytest.mark.parametrize("run", range(LONG_RUNS))
def test_fuzz_fresh_seed(run: int) -> None:
    """Fresh seeds (printed, and named by any failure): 150,000+ calls."""
    seed = int.from_bytes(os.urandom(4), "big")
    print(f"fuzz_api_compat long run {run}: --seed {seed}")  # shown with -rP
    figures = _fuzz(seed, examples=scale(150, 800), max_steps=120, timeout=300)
    assert figures["calls"] > scale(1000, 150_000 // LONG_RUNS)


@pytest.mark.parametrize(
    ("plant", "status"), [("exception", 1), ("error-queue", 1), ("hang", 3)]
)
def test_the_fuzzer_reports_a_planted_defect(plant: str, status: int) -> None:
    """Self-test: an undocumented exception, a leftover OpenSSL error and a
    hang (planted in ``SSLObject.cipher``) each end the driver with a finding
    that names the command reproducing it."""
    command = [sys.executable, "-m", "tests.reliability.fuzz_api_compat"]
    command += ["--seed", "1", "--examples", "50", "--max-steps", "60"]
    command += ["--hang-after", "1", "--plant", plant]
    result = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == status, result.stderr[-2000:]
    assert "FINDING" in result.stderr
    assert f"--seed 1 --examples 50 --max-steps 60 --plant {plant}" in result.stderr
    assert "obj#0.cipher()" in result.stderr or "cipher()" in result.stderr


# -- defects the fuzzer found ---------------------------------------------------


@pytest.mark.parametrize("n", [2**31, 2**32 + 1])
def test_rand_bytes_refuses_more_than_a_c_int(n: int) -> None:
    """It allocated (and filled) *n* bytes; the stdlib raises OverflowError."""
    with pytest.raises(OverflowError):
        ssl_compat.RAND_bytes(n)
    with pytest.raises(OverflowError):
        ssl.RAND_bytes(n)


@pytest.mark.parametrize("value", [16, "text", [1, 2]])
def test_der_cert_to_pem_cert_needs_a_buffer(value: object) -> None:
    """``bytes(16)`` made 16 zero bytes (``2**32`` of them: a hang)."""
    with pytest.raises(TypeError):
        ssl_compat.DER_cert_to_PEM_cert(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ssl.DER_cert_to_PEM_cert(value)  # type: ignore[arg-type]


def test_unwrap_after_a_fatal_alert_leaves_the_error_queue_empty() -> None:
    """``Connection.shutdown`` returned True but left the peer's alert queued.

    The stale entry then failed the next, unrelated OpenSSL call of the
    thread: here a fresh ``wrap_bio`` raised a raw ``OpenSSL.SSL.Error``.
    """
    client, server = object_pair(ssl_client_context(), ssl_server_context())
    handshake(client, server)
    assert client.obj.version() is not None
    # A bogus application record makes the client send a fatal alert.
    client.incoming(b"\x17\x03\x03\x00\x05hello")
    with pytest.raises(ssl.SSLError):
        client.obj.read(100)
    deliver(client, server)
    server.obj.unwrap()
    assert lib.ERR_peek_error() == 0
    client2, _ = object_pair(ssl_client_context(), ssl_server_context())
    with pytest.raises(ssl.SSLWantReadError):
        client2.obj.do_handshake()


@pytest.mark.parametrize("flags", [-1, 2**64, 2**64 + 8])
def test_verify_flags_out_of_range_do_not_break_later_wraps(flags: int) -> None:
    """Stored as given, the flags failed every later wrap with OverflowError."""
    ctx = ssl_client_context()
    ctx.verify_flags = flags
    assert int(ctx.verify_flags) == flags & (2**64 - 1)
    reference = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    reference.verify_flags = flags
    assert int(ctx.verify_flags) == int(reference.verify_flags)
    bios = [ssl_compat.MemoryBIO() for _ in range(2)]
    tls = ctx.wrap_bio(bios[0], bios[1], server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()


@pytest.mark.parametrize("value", [5, None, ssl.create_default_context()])
def test_sslsocket_context_is_checked_before_connect(value: object) -> None:
    """Unchecked without a TLS layer, it broke connect() with AttributeError."""
    raw = socket.socket()
    with ssl_client_context().wrap_socket(raw, server_hostname="localhost") as tls:
        with pytest.raises(TypeError):
            tls.context = value
        assert isinstance(tls.context, ssl_compat.SSLContext)
        with pytest.raises(OSError):
            tls.connect(_closed_address())


def _closed_address() -> tuple[str, int]:
    """A 127.0.0.1 port nothing listens on (bound, so nobody else takes it)."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    _CLOSED_PORT_HOLDERS.append(holder)
    return holder.getsockname()  # type: ignore[no-any-return]


_CLOSED_PORT_HOLDERS: list[socket.socket] = []


@pytest.mark.parametrize("name", [b"x" * 256, b"x" * 70000])
def test_server_hostname_too_long_for_sni_is_an_ssl_error(name: bytes) -> None:
    """A raw ``OpenSSL.SSL.Error`` escaped (``except ssl.SSLError`` missed it)."""
    for module in (ssl, ssl_compat):
        ctx = ssl_client_context(module)
        with pytest.raises(ssl.SSLError):
            ctx.wrap_bio(module.MemoryBIO(), module.MemoryBIO(), server_hostname=name)
    assert lib.ERR_peek_error() == 0


def test_a_timeout_longer_than_poll_takes_still_waits() -> None:
    """1e7 s (116 days): poll() got more milliseconds than a C int holds and
    the first wait raised OverflowError instead of waiting for the peer."""
    raw, peer = socket.socketpair()
    tls = ssl_client_context().wrap_socket(
        raw, server_hostname="localhost", do_handshake_on_connect=False
    )
    tls.settimeout(1e7)
    # The far end goes away while the handshake waits for its answer: the
    # wait must end in the transport's error, not in OverflowError.
    closer = threading.Timer(0.5, peer.close)
    closer.start()
    try:
        with pytest.raises(OSError):
            tls.do_handshake()
    finally:
        closer.join()
        tls.close()


@pytest.mark.parametrize("protocols", [[1], [2**40], [None]])
def test_alpn_protocols_must_be_text_or_bytes(protocols: list[object]) -> None:
    """``bytes(1)`` made a one-NUL protocol; ``bytes(2**40)`` a MemoryError."""
    with pytest.raises(TypeError):
        ssl_client_context().set_alpn_protocols(protocols)
    with pytest.raises(TypeError):
        ssl_client_context(ssl).set_alpn_protocols(protocols)


@pytest.mark.parametrize("value", [5, 2**40, None])
def test_rand_add_needs_text_or_a_buffer(value: object) -> None:
    """``bytes(5)`` fed five zero bytes to OpenSSL (2**40: a terabyte)."""
    with pytest.raises(TypeError):
        ssl_compat.RAND_add(value, 1.0)
    with pytest.raises(TypeError):
        ssl.RAND_add(value, 1.0)  # type: ignore[arg-type]
