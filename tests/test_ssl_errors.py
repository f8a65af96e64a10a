"""Errors and the public surface of ``OpenSSL.SSL``.

* The exception classes and how OpenSSL failures are translated into them:
  ``Error`` carries the drained error queue as ``(lib, func, reason)``
  tuples, the ``Want*``/``ZeroReturnError`` classes carry nothing, and the
  queue is empty after every translated failure.
* Bad bytes from the network are never an interpreter problem: garbage,
  corrupted records and truncated streams all become ``SSL.Error``.
* The module surface matches pyOpenSSL 26.4 name for name: what the
  section ``## OpenSSL.SSL`` of the reference lists (vendored, reduced to
  names and parameter shapes, in ``tests/data/``) must exist,
  classes must have the same methods with the same parameter names, kinds
  and defaults, and constants must equal the binding's values.
"""

from __future__ import annotations

import builtins
import inspect
import json
import random
import re
from pathlib import Path
from typing import Any, Optional

import pytest

from OpenSSL import SSL
from OpenSSL._util import ffi, lib
from OpenSSL.SSL import (
    TLS1_2_VERSION,
    TLS_METHOD,
    Connection,
    Context,
    Error,
    SysCallError,
    WantReadError,
    WantWriteError,
    WantX509LookupError,
    ZeroReturnError,
)
from tests.support import (
    client_context,
    handshake,
    handshake_pair,
    memory_pair,
    pump,
    server_context,
)


def _queue_empty() -> bool:
    return bool(lib.ERR_peek_error() == 0)


# --- exception classes and translation ---------------------------------------


class TestExceptionClasses:
    @pytest.mark.parametrize(
        "cls",
        [
            WantReadError,
            WantWriteError,
            WantX509LookupError,
            ZeroReturnError,
            SysCallError,
        ],
    )
    def test_hierarchy(self, cls: type[Exception]) -> None:
        assert issubclass(cls, Error)
        assert issubclass(Error, Exception)

    def test_error_carries_the_queue(self) -> None:
        with pytest.raises(Error) as info:
            Context(TLS_METHOD).set_cipher_list(b"not-a-cipher")
        (entries,) = info.value.args
        assert isinstance(entries, list) and entries
        for entry in entries:
            assert isinstance(entry, tuple) and len(entry) == 3
            assert all(isinstance(part, str) for part in entry)
        assert _queue_empty()

    def test_want_read_has_no_args(self) -> None:
        _, server = memory_pair()
        with pytest.raises(WantReadError) as info:
            server.do_handshake()
        assert info.value.args == ()
        assert type(info.value) is WantReadError

    def test_zero_return_has_no_args(self) -> None:
        client, server = handshake_pair()
        client.shutdown()
        pump(client, server)
        with pytest.raises(ZeroReturnError) as info:
            server.recv(1)
        assert info.value.args == ()
        assert type(info.value) is ZeroReturnError

    def test_send_before_handshake_drives_it(self) -> None:
        client, _ = memory_pair()
        with pytest.raises(WantReadError):
            client.send(b"early")
        assert client.bio_read(65536)  # the ClientHello went out

    def test_fatal_alert_reaches_the_peer(self) -> None:
        client, server = memory_pair(Context(TLS_METHOD), server_context())
        client.set_verify(SSL.VERIFY_PEER)
        with pytest.raises(Error) as client_info:
            handshake(client, server)
        assert "certificate verify failed" in [e[2] for e in client_info.value.args[0]]
        pump(client, server)
        with pytest.raises(Error) as server_info:
            server.do_handshake()
        assert not isinstance(server_info.value, (WantReadError, SysCallError))
        assert any("alert" in e[2] for e in server_info.value.args[0])
        assert _queue_empty()

    def test_calls_after_a_fatal_error_keep_failing_cleanly(self) -> None:
        _, server = memory_pair()
        server.bio_write(b"\x16\x03\x01\x00\x05hello")
        with pytest.raises(Error):
            server.do_handshake()
        for call in (server.do_handshake, lambda: server.recv(10)):
            with pytest.raises(Error):
                call()
        assert _queue_empty()


# --- bad bytes from the network ----------------------------------------------


def _feed(conn: Connection, data: bytes) -> BaseException | None:
    """Give *data* to *conn* and run one step; return what it raised."""
    conn.bio_write(data)
    try:
        conn.do_handshake()
        conn.recv(65536)
    except Error as exc:
        return exc
    return None


class TestBadNetworkBytes:
    def test_http_request_to_a_tls_server(self) -> None:
        _, server = memory_pair()
        exc = _feed(server, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert type(exc) is Error
        assert _queue_empty()

    def test_oversized_record_length(self) -> None:
        _, server = memory_pair()
        exc = _feed(server, b"\x16\x03\x01\xff\xff" + b"\x00" * 64)
        assert type(exc) is Error

    def test_corrupted_application_record(self) -> None:
        client, server = handshake_pair(client_context(max_version=TLS1_2_VERSION))
        client.send(b"a perfectly good record")
        record = bytearray(client.bio_read(65536))
        record[-1] ^= 0x01
        server.bio_write(bytes(record))
        with pytest.raises(Error) as info:
            server.recv(100)
        assert type(info.value) is Error
        assert _queue_empty()

    def test_corrupted_server_flight(self) -> None:
        client, server = memory_pair()
        with pytest.raises(WantReadError):
            client.do_handshake()
        pump(client, server)
        with pytest.raises(WantReadError):
            server.do_handshake()
        flight = bytearray(server.bio_read(65536))
        flight[len(flight) // 2] ^= 0xFF
        client.bio_write(bytes(flight))
        with pytest.raises(Error) as info:
            client.do_handshake()
        assert not isinstance(info.value, WantReadError)

    def test_truncated_record_then_eof(self) -> None:
        client, server = handshake_pair()
        client.send(b"x" * 1000)
        record = client.bio_read(65536)
        server.bio_write(record[: len(record) // 2])
        with pytest.raises(WantReadError):
            server.recv(100)
        server.bio_shutdown()
        with pytest.raises(SysCallError) as info:
            server.recv(100)
        assert info.value.args == (-1, "Unexpected EOF")

    @pytest.mark.parametrize("seed", range(8))
    def test_random_bytes_in_every_state(self, seed: int) -> None:
        rng = random.Random(seed)
        for target in ("fresh-server", "client-after-hello", "established"):
            if target == "established":
                client, server = handshake_pair()
                victim = server
            else:
                client, server = memory_pair()
                victim = server
                if target == "client-after-hello":
                    with pytest.raises(WantReadError):
                        client.do_handshake()
                    victim = client
            size = rng.choice([1, 5, 100, 5000])
            noise = bytes(rng.getrandbits(8) for _ in range(size))
            if rng.random() < 0.5:  # sometimes look like a TLS record header
                noise = b"\x17\x03\x03" + len(noise).to_bytes(2, "big") + noise
            exc = _feed(victim, noise)
            assert exc is None or isinstance(exc, Error)
            assert _queue_empty()


# --- the public surface ------------------------------------------------------


#: What the surface tests compare, derived from the ``## OpenSSL.SSL`` section
#: of the pyOpenSSL 26.4 surface listing by ``scripts/derive_ssl_surface.py``
#: (classes with their bases and members, functions, constants; signatures
#: reduced to parameter shapes), so that the tests need nothing outside the
#: repository.
SURFACE_DATA = Path(__file__).parent / "data" / "pyopenssl-26.4-ssl-surface.json"


def _load_surface() -> tuple[
    dict[str, str],
    dict[str, dict[str, Optional[str]]],
    dict[str, str],
    dict[str, str],
]:
    """``(classes, members, functions, constants)`` from the data file."""
    document = json.loads(SURFACE_DATA.read_text(encoding="utf-8"))
    classes = {name: entry["base"] for name, entry in document["classes"].items()}
    members = {name: entry["members"] for name, entry in document["classes"].items()}
    return classes, members, document["functions"], document["constants"]


CLASSES, MEMBERS, FUNCTIONS, CONSTANTS = _load_surface()


def _shapes(listed: str) -> list[str]:
    return listed.split(", ") if listed else []


def _our_params(func: Any) -> list[str]:
    shapes = []
    seen_star = False
    for param in inspect.signature(func).parameters.values():
        if param.kind is param.VAR_POSITIONAL:
            shapes.append("*" + param.name)
            seen_star = True
        elif param.kind is param.VAR_KEYWORD:
            shapes.append("**" + param.name)
        else:
            if param.kind is param.KEYWORD_ONLY and not seen_star:
                shapes.append("*")
                seen_star = True
            default = "" if param.default is param.empty else "="
            shapes.append(param.name + default)
    return shapes


def _lib_name(name: str) -> str | None:
    """The binding's name for an ``OpenSSL.SSL`` constant, if it has one."""
    if name.endswith("_METHOD"):
        return None  # pyOpenSSL's own numbering
    if name.startswith("SSLEAY_"):
        return "OPENSSL_" + name[len("SSLEAY_") :]
    if name.startswith(("OP_", "MODE_", "SESS_CACHE_", "VERIFY_")):
        return "SSL_" + name
    if name in ("SENT_SHUTDOWN", "RECEIVED_SHUTDOWN"):
        return "SSL_" + name
    return name


class TestSurface:
    @pytest.mark.parametrize("name", sorted(CLASSES))
    def test_class(self, name: str) -> None:
        cls = getattr(SSL, name)
        assert inspect.isclass(cls)
        base = CLASSES[name]
        base_cls = getattr(SSL, base, None) or getattr(builtins, base)
        assert issubclass(cls, base_cls)

    @pytest.mark.parametrize(
        "qualname",
        sorted(f"{cls}.{member}" for cls, names in MEMBERS.items() for member in names),
    )
    def test_class_member(self, qualname: str) -> None:
        cls_name, member = qualname.split(".")
        cls = getattr(SSL, cls_name)
        assert hasattr(cls, member), qualname
        shapes = MEMBERS[cls_name][member]
        if shapes is not None:
            assert _our_params(getattr(cls, member)) == _shapes(shapes)
        elif cls_name == "X509VerificationCodes":
            lib_name = "X509_V_OK" if member == "OK" else "X509_V_" + member
            assert getattr(cls, member) == getattr(lib, lib_name)

    @pytest.mark.parametrize("name", sorted(FUNCTIONS))
    def test_function(self, name: str) -> None:
        func = getattr(SSL, name)
        assert callable(func)
        assert _our_params(func) == _shapes(FUNCTIONS[name])

    @pytest.mark.parametrize("name", sorted(CONSTANTS))
    def test_constant(self, name: str) -> None:
        assert hasattr(SSL, name), name
        value = getattr(SSL, name)
        literal = CONSTANTS[name]
        if not re.fullmatch(r"-?\d+", literal):
            return  # e.g. the NO_OVERLAPPING_PROTOCOLS sentinel
        assert isinstance(value, int)
        lib_name = _lib_name(name)
        if lib_name is not None and hasattr(lib, lib_name):
            assert value == getattr(lib, lib_name), name
        else:
            assert value == int(literal), name

    def test_surface_was_parsed(self) -> None:
        assert {"Context", "Connection", "Session", "Error"} <= set(CLASSES)
        assert len(MEMBERS["Connection"]) > 60
        assert len(MEMBERS["Context"]) > 40
        assert len(CONSTANTS) > 80

    def test_version_helpers(self) -> None:
        version = SSL.SSLeay_version(SSL.SSLEAY_VERSION)
        assert isinstance(version, bytes)
        assert version == ffi.string(lib.OpenSSL_version(lib.OPENSSL_VERSION))
        assert SSL.OpenSSL_version(SSL.OPENSSL_VERSION) == version
        assert SSL.OPENSSL_VERSION_NUMBER == lib.OpenSSL_version_num()
        for kind in (
            SSL.OPENSSL_CFLAGS,
            SSL.OPENSSL_BUILT_ON,
            SSL.OPENSSL_PLATFORM,
            SSL.OPENSSL_DIR,
        ):
            assert isinstance(SSL.OpenSSL_version(kind), bytes)

    def test_no_overlapping_protocols_is_a_unique_sentinel(self) -> None:
        sentinel = SSL.NO_OVERLAPPING_PROTOCOLS
        assert sentinel is SSL.NO_OVERLAPPING_PROTOCOLS
        assert not isinstance(sentinel, (bytes, str, type(None)))

    def test_extensions(self) -> None:
        assert _our_params(Connection.set_verify_hostname) == [
            "self",
            "hostname",
            "*",
            "check_common_name=",
        ]
        assert _our_params(Connection.get_verify_result) == ["self"]
