"""``server --www``: one HTTP/1.0 answer per connection, describing the session.

As ``openssl s_server -www`` does, the server reads one request after the
handshake and answers ``GET`` (any path) with a small HTML page that shows
what was negotiated, so ``curl --cacert ca.pem https://localhost:4433/`` and
other HTTP-speaking test tools can be pointed at it. ``HEAD`` gets the
headers alone; other methods get ``405``, a malformed or oversized request
``400``. The answer is HTTP/1.0 with ``Connection: close``: the server then
closes the TLS session.
"""

from __future__ import annotations

import html
import socket

from OpenSSL import SSL

from . import _io
from ._common import version_line
from .report import Field, format_fields

__all__ = ["answer_request"]

_MAX_REQUEST = 16 * 1024

_REASONS = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed"}


def _read_head(conn: SSL.Connection, sock: socket.socket, timeout: float) -> bytes:
    """The request line and headers (``b""`` if the client closed first)."""
    head = b""
    while b"\r\n\r\n" not in head and b"\n\n" not in head:
        if len(head) > _MAX_REQUEST:
            return head
        chunk = _io.recv(conn, sock, _io.deadline_after(timeout))
        if not chunk:
            return b""
        head += chunk
    return head


def _page(fields: list[Field], request_line: str) -> bytes:
    lines = [
        "python -m OpenSSL server --www",
        version_line(),
        "",
        *format_fields([*fields, ("request", request_line)], indent=""),
    ]
    body = "\n".join(html.escape(line) for line in lines)
    return (
        "<!DOCTYPE html>\n<html><head><title>pyopenssl-ng test server</title>"
        f"</head>\n<body><pre>\n{body}\n</pre></body></html>\n"
    ).encode()


def _response(status: int, body: bytes, *, with_body: bool = True) -> bytes:
    content_type = "text/html" if status == 200 else "text/plain"
    headers = [
        f"HTTP/1.0 {status} {_REASONS[status]}",
        f"Content-Type: {content_type}; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    if status == 405:
        headers.append("Allow: GET, HEAD")
    head = ("\r\n".join(headers) + "\r\n\r\n").encode("ascii")
    return head + body if with_body else head


def answer_request(
    conn: SSL.Connection, sock: socket.socket, fields: list[Field], timeout: float
) -> str:
    """Read one HTTP request on *conn* and answer it; says what was done."""
    head = _read_head(conn, sock, timeout)
    if not head:
        return "closed before sending a complete request"
    request_line = head.split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1")
    parts = request_line.split(" ")
    if len(head) > _MAX_REQUEST or len(parts) != 3 or not parts[2].startswith("HTTP/"):
        status, body, method = 400, b"malformed HTTP request\n", "?"
    elif parts[0] in ("GET", "HEAD"):
        status, body, method = 200, _page(fields, request_line), parts[0]
    else:
        status, body, method = 405, b"only GET and HEAD are answered\n", parts[0]
    response = _response(status, body, with_body=method != "HEAD")
    _io.send_all(conn, sock, response, _io.deadline_after(timeout))
    shown = request_line if len(request_line) <= 80 else request_line[:77] + "..."
    return f"answered {shown!r} with {status}"
