"""Threaded TLS servers for the ``ssl``-surface tests (stdlib or ``ssl_compat``).

Every test that talks TLS has two real endpoints: one made with
``OpenSSL.ssl_compat`` and the other with either ``ssl_compat`` again or the
standard library's ``ssl`` (the reference implementation). Servers run in a
background thread on 127.0.0.1 and every blocking call carries a timeout
(:data:`IO_TIMEOUT`), so a broken handshake fails a test instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any, Callable, Optional

__all__ = [
    "IO_TIMEOUT",
    "BodyHandler",
    "EchoServer",
    "WhoAmIHandler",
    "asyncio_tls_server",
    "connect",
    "https_server",
    "stdlib",
]

#: Upper bound for any single blocking socket operation in these tests.
IO_TIMEOUT = 10.0


class EchoServer:
    """A one-thread TLS server: per connection, run *handler(tls_socket)*.

    The default handler echoes lines until the client closes. Exceptions the
    handler raises are kept in :attr:`errors` (tests assert on them); results
    it returns are kept in :attr:`results`.
    """

    def __init__(
        self,
        context: Any,
        handler: Optional[Callable[[Any], Any]] = None,
        connections: int = 1,
    ) -> None:
        self.context = context
        self.handler = handler or _echo
        self.connections = connections
        self.errors: list[BaseException] = []
        self.results: list[Any] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(IO_TIMEOUT)
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def _run(self) -> None:
        try:
            for _ in range(self.connections):
                raw, _addr = self._listener.accept()
                raw.settimeout(IO_TIMEOUT)
                try:
                    with self.context.wrap_socket(raw, server_side=True) as tls:
                        self.results.append(self.handler(tls))
                except BaseException as exc:
                    self.errors.append(exc)
                    raw.close()
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            self._listener.close()

    def __enter__(self) -> EchoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._thread.join(IO_TIMEOUT)
        self._listener.close()
        assert not self._thread.is_alive(), "server thread did not finish"


def _echo(tls: Any) -> None:
    with tls.makefile("rb") as reader:
        while True:
            line = reader.readline()
            if not line:
                return
            tls.sendall(line)


@contextlib.contextmanager
def connect(
    context: Any,
    address: tuple[str, int],
    server_hostname: Optional[str] = "localhost",
    **wrap_options: Any,
) -> Iterator[Any]:
    """A connected, handshaken client socket of *context*'s module.

    *wrap_options* go to ``wrap_socket`` (``suppress_ragged_eofs=...``).
    """
    raw = socket.create_connection(address, timeout=IO_TIMEOUT)
    try:
        tls = context.wrap_socket(raw, server_hostname=server_hostname, **wrap_options)
    except BaseException:
        raw.close()
        raise
    with tls:
        yield tls


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = f"hello {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class BodyHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with 200 and :meth:`body`, and logs nothing.

    Subclasses say what the body is (and may set ``protocol_version``).
    """

    def body(self) -> bytes:
        raise NotImplementedError

    def do_GET(self) -> None:
        body = self.body()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class WhoAmIHandler(BodyHandler):
    """Answers ``hello <common name>`` of the verified client certificate."""

    protocol_version = "HTTP/1.1"

    def body(self) -> bytes:
        peer = self.connection.getpeercert()  # type: ignore[attr-defined]
        name = dict(item[0] for item in peer["subject"])["commonName"]
        return f"hello {name}".encode()


@contextlib.contextmanager
def https_server(
    context: Any,
    handler: type[http.server.BaseHTTPRequestHandler] = _QuietHandler,
) -> Iterator[tuple[str, int]]:
    """``http.server`` on 127.0.0.1 with its socket wrapped by *context*.

    *handler* answers the requests; the default answers ``hello <path>``.
    """
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield ("127.0.0.1", httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(IO_TIMEOUT)


@contextlib.asynccontextmanager
async def asyncio_tls_server(handler: Any, context: Any) -> AsyncIterator[int]:
    """``asyncio.start_server`` on 127.0.0.1 with *context*; yields the port.

    On exit the server is closed and waited for.
    """
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def stdlib(module: ModuleType) -> bool:
    """Whether *module* is the standard library's ``ssl``."""
    return module is ssl
