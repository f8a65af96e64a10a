"""Helpers for the interoperability tests (stdlib ``ssl``, ``openssl``, urllib3).

The interop tests put this project's ``OpenSSL.SSL.Connection`` on one end of
a TLS conversation and an independent implementation on the other. Two ways
to wire the ends together live here:

* **Memory BIOs.** Our ``Connection(ctx, None)`` and the standard library's
  ``SSLObject`` (``SSLContext.wrap_bio`` over two ``ssl.MemoryBIO``) both keep
  their TLS bytes in memory. :class:`OurEnd` and :class:`StdlibEnd` give them
  one small interface (``step_handshake``, ``outgoing``, ``incoming``,
  ``send``, ``recv``), and :func:`run_handshake` / :func:`deliver` move the
  bytes between any two ends. Everything is deterministic and single-threaded.

* **Sockets and processes.** :func:`listener` opens a loopback TCP socket,
  :class:`Background` runs one peer in a thread and re-raises what it raised,
  :func:`free_port` and :func:`wait_for_port` serve the ``openssl`` CLI tests.

Contexts are built from the generated test PKI (``tests/pki.py``) with
:func:`our_server_context`, :func:`our_client_context`,
:func:`stdlib_server_context` and :func:`stdlib_client_context`. Every loop is
bounded: a conversation that stops making progress fails with
``AssertionError`` rather than hanging.
"""

from __future__ import annotations

import atexit
import datetime
import functools
import shutil
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Callable, Optional, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from OpenSSL import SSL
from tests.pki import Identity, make_pki

__all__ = [
    "VERSIONS",
    "Background",
    "OurEnd",
    "StdlibEnd",
    "blocking_with_deadline",
    "deliver",
    "free_port",
    "identity_files",
    "listener",
    "our_client_context",
    "our_server_context",
    "read_exactly",
    "reasons",
    "recv_exactly",
    "recv_line",
    "run_handshake",
    "scratch_dir",
    "stdlib_client_context",
    "stdlib_server_context",
    "unrelated_ca_file",
    "wait_for_port",
]

#: Protocol versions tested against every peer: name -> (ours, stdlib's).
VERSIONS = {
    "TLSv1.2": (SSL.TLS1_2_VERSION, ssl.TLSVersion.TLSv1_2),
    "TLSv1.3": (SSL.TLS1_3_VERSION, ssl.TLSVersion.TLSv1_3),
}

#: Upper bound on handshake/delivery rounds; a real handshake needs < 10.
MAX_ROUNDS = 50

#: Seconds a thread or subprocess peer may take before the test fails.
PEER_TIMEOUT = 20.0


# --- files ------------------------------------------------------------------


@functools.cache
def scratch_dir() -> Path:
    """A per-process temporary directory, removed at exit."""
    path = Path(tempfile.mkdtemp(prefix="pyopenssl-ng-interop-"))
    atexit.register(shutil.rmtree, str(path), True)
    return path


@functools.cache
def ca_file() -> Path:
    """PEM file with the test root CA."""
    return make_pki().write_ca(scratch_dir())


@functools.cache
def identity_files(name: str) -> tuple[Path, Path]:
    """``(certfile, keyfile)`` for the PKI identity *name* (leaf+chain, key)."""
    identity: Identity = getattr(make_pki(), name)
    return identity.write(scratch_dir())


@functools.cache
def unrelated_ca_file() -> Path:
    """PEM file with a self-signed CA that issued nothing in the test PKI."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unrelated CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    path = scratch_dir() / "unrelated-ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


# --- contexts -----------------------------------------------------------------


def _present(ctx: SSL.Context, identity: Identity) -> None:
    ctx.use_certificate(identity.cert)
    ctx.use_privatekey(identity.key)
    for extra in identity.chain:
        ctx.add_extra_chain_cert(extra)


def _pin(ctx: SSL.Context, version: Optional[str]) -> None:
    if version is not None:
        ctx.set_min_proto_version(VERSIONS[version][0])
        ctx.set_max_proto_version(VERSIONS[version][0])


def our_server_context(
    identity: Optional[Identity] = None,
    *,
    version: Optional[str] = None,
    require_client_cert: bool = False,
) -> SSL.Context:
    """Our server ``Context`` presenting *identity* (default ``pki.server``)."""
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    _present(ctx, identity if identity is not None else make_pki().server)
    _pin(ctx, version)
    if require_client_cert:
        ctx.load_verify_locations(str(ca_file()))
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
    return ctx


def our_client_context(
    *,
    version: Optional[str] = None,
    identity: Optional[Identity] = None,
    cafile: Optional[Path] = None,
    verify: bool = True,
) -> SSL.Context:
    """Our client ``Context`` trusting *cafile* (default: the test root)."""
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.load_verify_locations(str(cafile if cafile is not None else ca_file()))
    ctx.set_verify(SSL.VERIFY_PEER if verify else SSL.VERIFY_NONE)
    if identity is not None:
        _present(ctx, identity)
    _pin(ctx, version)
    return ctx


def _pin_stdlib(ctx: ssl.SSLContext, version: Optional[str]) -> None:
    if version is not None:
        ctx.minimum_version = VERSIONS[version][1]
        ctx.maximum_version = VERSIONS[version][1]


def stdlib_server_context(
    name: str = "server",
    *,
    version: Optional[str] = None,
    require_client_cert: bool = False,
) -> ssl.SSLContext:
    """A stdlib server context presenting the PKI identity *name*."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certfile, keyfile = identity_files(name)
    ctx.load_cert_chain(str(certfile), str(keyfile))
    _pin_stdlib(ctx, version)
    if require_client_cert:
        ctx.load_verify_locations(cafile=str(ca_file()))
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def stdlib_client_context(
    *,
    version: Optional[str] = None,
    client_cert: bool = False,
    cafile: Optional[Path] = None,
) -> ssl.SSLContext:
    """A stdlib client context (hostname checking on) trusting *cafile*."""
    ctx = ssl.create_default_context(
        cafile=str(cafile if cafile is not None else ca_file())
    )
    if client_cert:
        certfile, keyfile = identity_files("client")
        ctx.load_cert_chain(str(certfile), str(keyfile))
    _pin_stdlib(ctx, version)
    return ctx


def reasons(error: SSL.Error) -> list[str]:
    """The reason strings of an ``SSL.Error``'s ``[(lib, func, reason)]``."""
    assert error.args, error
    return [entry[2] for entry in error.args[0]]


# --- memory-BIO ends ----------------------------------------------------------


class OurEnd:
    """One of our memory-BIO ``Connection`` objects as a conversation end."""

    def __init__(self, conn: SSL.Connection) -> None:
        self.conn = conn

    @classmethod
    def client(
        cls, ctx: SSL.Context, server_name: Optional[bytes] = b"localhost"
    ) -> OurEnd:
        conn = SSL.Connection(ctx, None)
        if server_name is not None:
            conn.set_tlsext_host_name(server_name)
        conn.set_connect_state()
        return cls(conn)

    @classmethod
    def server(cls, ctx: SSL.Context) -> OurEnd:
        conn = SSL.Connection(ctx, None)
        conn.set_accept_state()
        return cls(conn)

    def step_handshake(self) -> bool:
        try:
            self.conn.do_handshake()
        except SSL.WantReadError:
            return False
        return True

    def outgoing(self) -> bytes:
        chunks = []
        for _ in range(10_000):
            try:
                chunks.append(self.conn.bio_read(65536))
            except SSL.WantReadError:
                return b"".join(chunks)
        raise AssertionError("bio_read never ran dry")

    def incoming(self, data: bytes) -> None:
        if data:
            assert self.conn.bio_write(data) == len(data)

    def send(self, data: bytes) -> None:
        self.conn.sendall(data)

    def recv(self, size: int) -> Optional[bytes]:
        """Up to *size* bytes, or None when nothing is there yet."""
        try:
            return self.conn.recv(size)
        except SSL.WantReadError:
            return None


class StdlibEnd:
    """A stdlib ``SSLObject`` over two ``MemoryBIO`` objects."""

    def __init__(
        self,
        ctx: ssl.SSLContext,
        *,
        server_side: bool,
        server_hostname: Optional[str] = None,
        session: Optional[ssl.SSLSession] = None,
    ) -> None:
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(
            self._in,
            self._out,
            server_side=server_side,
            server_hostname=server_hostname,
            session=session,
        )

    def step_handshake(self) -> bool:
        try:
            self.obj.do_handshake()
        except ssl.SSLWantReadError:
            return False
        return True

    def outgoing(self) -> bytes:
        return self._out.read()

    def incoming(self, data: bytes) -> None:
        if data:
            self._in.write(data)

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self.obj.write(view) :]

    def recv(self, size: int) -> Optional[bytes]:
        try:
            return self.obj.read(size)
        except ssl.SSLWantReadError:
            return None

    def close_notify(self) -> None:
        """Send close_notify (the answer is not awaited)."""
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass


End = Union[OurEnd, StdlibEnd]


def deliver(a: End, b: End) -> bool:
    """Move pending TLS bytes both ways once; True if anything moved."""
    to_b = a.outgoing()
    to_a = b.outgoing()
    b.incoming(to_b)
    a.incoming(to_a)
    return bool(to_a or to_b)


class HandshakeOutcome:
    """How a handshake between two ends ended: which finished, what raised."""

    def __init__(self) -> None:
        self.done: dict[int, bool] = {}
        self.errors: dict[int, BaseException] = {}

    def error(self, end: End) -> Optional[BaseException]:
        return self.errors.get(id(end))


def run_handshake(client: End, server: End) -> HandshakeOutcome:
    """Drive both handshakes until each finished or raised.

    Exceptions other than want-read are recorded, not raised, and the bytes
    the failing side produced (its alert) are still delivered to the other
    side, so a test can check what *both* ends saw. Use :func:`handshake`
    when both ends must succeed.
    """
    outcome = HandshakeOutcome()
    ends = (client, server)
    idle = 0
    for _ in range(MAX_ROUNDS):
        for end in ends:
            key = id(end)
            if outcome.done.get(key) or key in outcome.errors:
                continue
            try:
                outcome.done[key] = end.step_handshake()
            except Exception as exc:  # recorded for the test to inspect
                outcome.errors[key] = exc
        moved = deliver(client, server)
        settled = all(outcome.done.get(id(e)) or id(e) in outcome.errors for e in ends)
        if not moved:
            if settled:
                return outcome
            # Nothing in flight yet someone still waits: one more step each
            # lets a side finish on the bytes it just received; two idle
            # rounds in a row mean the conversation is stuck.
            idle += 1
            if idle > 1:
                break
        else:
            idle = 0
    raise AssertionError("handshake made no progress")


def handshake(client: End, server: End) -> None:
    """Complete the handshake on both ends; re-raise the first failure."""
    outcome = run_handshake(client, server)
    for end in (client, server):
        exc = outcome.error(end)
        if exc is not None:
            raise exc
    assert all(outcome.done.get(id(e)) for e in (client, server)), "stalled"


def read_exactly(reader: End, writer: End, size: int) -> bytes:
    """Read *size* application bytes on *reader*, delivering as needed."""
    chunks: list[bytes] = []
    got = 0
    for _ in range(MAX_ROUNDS + size // 1024):
        deliver(writer, reader)
        data = reader.recv(size - got)
        if data is None:
            continue
        if not data:
            break
        chunks.append(data)
        got += len(data)
        if got == size:
            return b"".join(chunks)
    raise AssertionError(f"read {got} of {size} bytes")


# --- sockets, threads, processes -----------------------------------------------


class Background:
    """Run *target* in a daemon thread; :meth:`result` returns or re-raises."""

    def __init__(self, target: Callable[[], Any]) -> None:
        self._target = target
        self._value: Any = None
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._target()
        except BaseException as exc:  # handed to the test thread by result()
            self._error = exc

    def result(self, timeout: float = PEER_TIMEOUT) -> Any:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError(f"background peer still running after {timeout}s")
        if self._error is not None:
            raise self._error
        return self._value


class listener:
    """A listening TCP socket on 127.0.0.1 (context manager).

    ``port`` is the bound port; ``accept()`` has a bounded timeout and
    returns a blocking socket with the same timeout.
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(PEER_TIMEOUT)
        self.port: int = self.sock.getsockname()[1]

    def accept(self) -> socket.socket:
        conn, _ = self.sock.accept()
        conn.settimeout(PEER_TIMEOUT)
        return conn

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), PEER_TIMEOUT)

    def __enter__(self) -> listener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.sock.close()


def blocking_with_deadline(sock: socket.socket, seconds: int = 20) -> socket.socket:
    """Make *sock* blocking for OpenSSL, with kernel send/receive timeouts.

    ``Connection(ctx, sock)`` lets OpenSSL read and write the descriptor
    itself, so the socket must be in blocking mode (a Python timeout would
    make the descriptor non-blocking). ``SO_RCVTIMEO``/``SO_SNDTIMEO`` turn a
    peer that never answers into an error instead of a hung test.
    """
    sock.settimeout(None)
    timeval = struct.pack("ll", seconds, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
    return sock


def recv_exactly(recv: Callable[[int], bytes], size: int) -> bytes:
    """Call *recv* until *size* bytes arrived; EOF before that fails."""
    chunks: list[bytes] = []
    got = 0
    while got < size:
        chunk = recv(min(65536, size - got))
        assert chunk, f"EOF after {got} of {size} bytes"
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv_line(recv: Callable[[int], bytes], limit: int = 65536) -> bytes:
    """Call *recv* until a newline arrived; returns everything read."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = recv(4096)
        assert chunk, f"EOF before end of line, got {data!r}"
        data += chunk
        assert len(data) <= limit, "line too long"
    return data


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(
    port: int, alive: Callable[[], bool], timeout: float = PEER_TIMEOUT
) -> None:
    """Poll a TCP connect to 127.0.0.1:*port* until it succeeds.

    *alive* says whether the process that should listen is still running;
    a process that died, or a port that never opens, fails the test.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError(f"peer process exited before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), 1.0).close()
            return
        except OSError:
            time.sleep(0.02)
    raise AssertionError(f"nothing listened on port {port} within {timeout}s")


def iter_lines(text: str, prefixes: Sequence[str]) -> Iterator[str]:
    """Lines of *text* (stripped) that start with one of *prefixes*."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(tuple(prefixes)):
            yield stripped
