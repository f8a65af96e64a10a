"""The socket methods of a socket-mode ``Connection``, each on a real socket.

``bind``, ``listen``, ``accept``, ``fileno``, ``getpeername``,
``getsockname``, ``getsockopt``, ``setsockopt``, ``setblocking``,
``getblocking``, ``settimeout``, ``gettimeout``, ``close``, ``makefile`` and
``sock_shutdown`` are real methods (visible to ``dir()`` and type checkers)
that call the wrapped socket; other names still fall through to it. On a
memory-BIO ``Connection`` they raise ``AttributeError`` as in pyOpenSSL.
"""

from __future__ import annotations

import errno
import select
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from OpenSSL.SSL import (
    TLS_METHOD,
    Connection,
    Context,
    SysCallError,
    WantReadError,
    ZeroReturnError,
)
from tests.support import (
    client_context,
    handshake,
    read_all,
    server_context,
    socket_connection_pair,
)

#: The socket methods spelled out on Connection by this project.
SOCKET_METHODS = [
    "bind",
    "listen",
    "fileno",
    "getpeername",
    "getsockname",
    "getsockopt",
    "setsockopt",
    "setblocking",
    "getblocking",
    "settimeout",
    "gettimeout",
    "close",
]


@pytest.fixture
def pair() -> Iterator[tuple[Connection, Connection]]:
    client, server = socket_connection_pair()
    yield client, server
    client.close()
    server.close()


@pytest.fixture
def listener() -> Iterator[Connection]:
    conn = Connection(server_context(), socket.socket())
    yield conn
    conn.close()


def _connected(listener: Connection) -> tuple[Connection, Connection]:
    """A client Connection and the one ``listener.accept()`` made for it."""
    client = Connection(client_context(), socket.socket())
    client.settimeout(10)
    client.connect(listener.getsockname())
    accepted, _ = listener.accept()
    return client, accepted


class TestVisible:
    @pytest.mark.parametrize("name", SOCKET_METHODS)
    def test_defined_on_the_class(self, name: str) -> None:
        assert name in dir(Connection)
        assert callable(getattr(Connection, name))
        assert getattr(Connection, name).__doc__

    def test_dir_of_a_socket_mode_connection(
        self, pair: tuple[Connection, Connection]
    ) -> None:
        client, _ = pair
        assert set(SOCKET_METHODS) <= set(dir(client))


class TestListeningServer:
    def test_bind_listen_accept_and_a_tls_session(self, listener: Connection) -> None:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        host, port = listener.getsockname()
        assert host == "127.0.0.1" and port > 0
        assert listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1

        client, accepted = _connected(listener)
        try:
            assert isinstance(accepted, Connection)
            assert accepted.getpeername() == client.getsockname()
            assert client.getpeername() == accepted.getsockname()
            client.setblocking(False)
            accepted.setblocking(False)
            handshake(client, accepted)
            client.sendall(b"bound, listened, accepted")
            assert read_all(accepted, 25) == b"bound, listened, accepted"
        finally:
            client.close()
            accepted.close()

    def test_listen_without_backlog(self, listener: Connection) -> None:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client, accepted = _connected(listener)
        try:
            assert accepted.getpeername() == client.getsockname()
        finally:
            client.close()
            accepted.close()

    def test_bind_errors_are_the_sockets(self, listener: Connection) -> None:
        listener.bind(("127.0.0.1", 0))
        with pytest.raises(OSError) as info:
            listener.bind(("127.0.0.1", 0))
        assert info.value.errno == errno.EINVAL


class TestDescriptorAndOptions:
    def test_fileno_is_the_sockets_and_select_uses_it(
        self, pair: tuple[Connection, Connection]
    ) -> None:
        client, server = pair
        assert client.fileno() == client._socket.fileno()
        handshake(client, server)
        client.sendall(b"x")
        readable, _, _ = select.select([server], [], [], 10)
        assert readable == [server]
        assert server.recv(1) == b"x"

    def test_setsockopt_and_getsockopt(
        self, pair: tuple[Connection, Connection]
    ) -> None:
        client, _ = pair
        client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
        assert client._socket.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) >= 65536
        assert client.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) >= 65536
        raw = client.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4)
        assert isinstance(raw, bytes) and len(raw) == 4
        client.setsockopt(
            socket.SOL_SOCKET, socket.SO_KEEPALIVE, (1).to_bytes(4, "little")
        )
        assert client.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1

    def test_tcp_option(self, listener: Connection) -> None:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client, accepted = _connected(listener)
        try:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
            assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        finally:
            client.close()
            accepted.close()


class TestBlockingAndTimeouts:
    def test_setblocking(self, pair: tuple[Connection, Connection]) -> None:
        client, _ = pair
        client.setblocking(True)
        assert client.getblocking() is True
        assert client.gettimeout() is None
        client.setblocking(False)
        assert client.getblocking() is False
        assert client._socket.getblocking() is False
        # Nothing from the server yet: a non-blocking handshake asks to wait.
        with pytest.raises(WantReadError):
            client.do_handshake()

    def test_settimeout_and_gettimeout(
        self, pair: tuple[Connection, Connection]
    ) -> None:
        client, server = pair
        client.settimeout(2.5)
        assert client.gettimeout() == 2.5
        assert client._socket.gettimeout() == 2.5
        client.settimeout(None)
        assert client.gettimeout() is None
        assert client.getblocking() is True
        client.setblocking(False)
        # Under a timeout the descriptor is non-blocking: OpenSSL's own read
        # answers "want read" instead of waiting (as with pyOpenSSL).
        handshake(client, server)
        server.settimeout(30)
        with pytest.raises(WantReadError):
            server.recv(10)


class TestClosing:
    def test_close_closes_the_socket_without_close_notify(
        self, pair: tuple[Connection, Connection]
    ) -> None:
        client, server = pair
        handshake(client, server)
        sock = client._socket
        client.close()
        assert sock.fileno() == -1
        assert client.fileno() == -1
        # No close_notify was sent: the peer sees the transport end, an EOF
        # or (the server's session tickets were never read) a reset.
        with pytest.raises(SysCallError) as info:
            read_all(server, 1)
        assert info.value.args[0] in (-1, errno.ECONNRESET)

    def test_shutdown_is_tls_and_sock_shutdown_is_the_sockets(
        self, pair: tuple[Connection, Connection]
    ) -> None:
        client, server = pair
        handshake(client, server)
        assert client.shutdown() is False  # TLS: close_notify sent, none received
        with pytest.raises(ZeroReturnError):
            read_all(server, 1)
        assert client.fileno() >= 0  # the socket itself is still open
        client.sock_shutdown(socket.SHUT_RDWR)
        assert client.fileno() >= 0

    def test_makefile_is_refused(self, pair: tuple[Connection, Connection]) -> None:
        client, _ = pair
        with pytest.raises(NotImplementedError):
            client.makefile("rb")


class TestFallThrough:
    def test_other_socket_attributes_still_fall_through(
        self, pair: tuple[Connection, Connection]
    ) -> None:
        client, _ = pair
        assert client.family == client._socket.family
        assert client.type == socket.SOCK_STREAM
        with pytest.raises(AttributeError):
            client.no_such_attribute  # noqa: B018


class TestMemoryMode:
    @pytest.mark.parametrize("name", SOCKET_METHODS)
    def test_absent_as_in_pyopenssl(self, name: str) -> None:
        conn = Connection(Context(TLS_METHOD), None)
        assert not hasattr(conn, name)
        with pytest.raises(AttributeError, match=f"'{name}'.*memory-BIO"):
            getattr(conn, name)

    @pytest.mark.parametrize(
        "call",
        [
            lambda c: c.accept(),
            lambda c: c.connect(("127.0.0.1", 1)),
            lambda c: c.connect_ex(("127.0.0.1", 1)),
            lambda c: c.sock_shutdown(socket.SHUT_RDWR),
        ],
        ids=["accept", "connect", "connect_ex", "sock_shutdown"],
    )
    def test_socket_calls_fail_clearly(self, call: object) -> None:
        conn = Connection(Context(TLS_METHOD), None)
        # pyOpenSSL raises AttributeError here, this project TypeError: both.
        with pytest.raises(TypeError, match="memory-BIO") as info:
            call(conn)  # type: ignore[operator]
        assert isinstance(info.value, AttributeError)


_TYPED_USE = """\
from __future__ import annotations

import socket

from OpenSSL import SSL

conn = SSL.Connection(SSL.Context(SSL.TLS_METHOD), socket.socket())
conn.bind(("127.0.0.1", 0))
conn.listen(5)
accepted, address = conn.accept()
descriptor: int = conn.fileno()
flag: int = conn.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
raw: bytes = conn.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 4)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
conn.setblocking(False)
blocking: bool = conn.getblocking()
conn.settimeout(1.0)
timeout: float | None = conn.gettimeout()
peer = conn.getpeername()
own = conn.getsockname()
conn.sock_shutdown(socket.SHUT_RDWR)
conn.close()
"""


def test_type_checkers_see_them(tmp_path: Path) -> None:
    """``mypy --strict`` accepts code calling each method (and no other name)."""
    pytest.importorskip("mypy")
    good = tmp_path / "good.py"
    good.write_text(_TYPED_USE)
    bad = tmp_path / "bad.py"
    bad.write_text(_TYPED_USE.replace("conn.listen(5)", "conn.listen_(5)"))
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    command += ["--cache-dir", str(tmp_path / "cache")]
    result = subprocess.run(
        [*command, str(good)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run(
        [*command, str(bad)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1
    assert '"Connection" has no attribute "listen_"' in result.stdout
