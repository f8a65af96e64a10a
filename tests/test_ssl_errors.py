"""Errors and the public surface of ``OpenSSL.SSL``.

* The exception classes and how OpenSSL failures are translated into them:
  ``Error`` carries the drained error queue as ``(lib, func, reason)``
  tuples, the ``Want*``/``ZeroReturnError`` classes carry nothing, and the
  queue is empty after every translated failure.
* Bad bytes from the network are never an interpreter problem: garbage,
  corrupted records and truncated streams all become ``SSL.Error``.
* The module surface matches pyOpenSSL 26.4 name for name: the section
  ``## OpenSSL.SSL`` of the reference is parsed, every name must exist,
  classes must have the same methods with the same parameter names, kinds
  and defaults, and constants must equal the binding's values.
"""

from __future__ import annotations

import builtins
import inspect
import random
import re
from pathlib import Path
from typing import Any

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

REFERENCE = Path("/work/shared/reference/pyopenssl-26.4-surface.txt")


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


#: The ``## OpenSSL.SSL`` section of the pyOpenSSL 26.4 surface reference
#: (``shared/reference/pyopenssl-26.4-surface.txt``), kept here so that the
#: test runs on a fresh clone; :func:`test_embedded_copy_is_current` compares
#: it with the shared file where that exists.
_SURFACE = """\
class Connection(object)
     DTLSv1_get_timeout(self) -> 'int | None'
     DTLSv1_handle_timeout(self) -> 'bool'
     DTLSv1_listen(self) -> 'None'
     __init__(self, context: 'Context', socket: 'socket.socket | None' = None) -> 'None'
     accept(self) -> 'tuple[Connection, Any]'
     bio_read(self, bufsiz: 'int') -> 'bytes'
     bio_shutdown(self) -> 'None'
     bio_write(self, buf: '_Buffer') -> 'int'
     client_random(self) -> 'bytes | None'
     connect(self, addr: 'Any') -> 'None'
     connect_ex(self, addr: 'Any') -> 'int'
     do_handshake(self) -> 'None'
     export_keying_material(self, label: 'bytes', olen: 'int', context: 'bytes | None' = None) -> 'bytes'
     get_alpn_proto_negotiated(self) -> 'bytes'
     get_app_data(self) -> 'Any'
     get_certificate(self, *, as_cryptography: 'typing.Literal[True] | typing.Literal[False]' = False) -> 'X509 | x509.Certificate | None'
     get_cipher_bits(self) -> 'int | None'
     get_cipher_list(self) -> 'list[str]'
     get_cipher_name(self) -> 'str | None'
     get_cipher_version(self) -> 'str | None'
     get_cleartext_mtu(self) -> 'int'
     get_client_ca_list(self, *, as_cryptography: 'typing.Literal[True] | typing.Literal[False]' = False) -> 'list[X509Name] | list[x509.Name]'
     get_context(self) -> 'Context'
     get_finished(self) -> 'bytes | None'
     get_group_name(self) -> 'str | None'
     get_peer_cert_chain(self, *, as_cryptography: 'typing.Literal[True] | typing.Literal[False]' = False) -> 'list[X509] | list[x509.Certificate] | None'
     get_peer_certificate(self, *, as_cryptography: 'typing.Literal[True] | typing.Literal[False]' = False) -> 'X509 | x509.Certificate | None'
     get_peer_finished(self) -> 'bytes | None'
     get_protocol_version(self) -> 'int'
     get_protocol_version_name(self) -> 'str'
     get_selected_srtp_profile(self) -> 'bytes'
     get_servername(self) -> 'bytes | None'
     get_session(self) -> 'Session | None'
     get_shutdown(self) -> 'int'
     get_state_string(self) -> 'bytes'
     get_verified_chain(self, *, as_cryptography: 'typing.Literal[True] | typing.Literal[False]' = False) -> 'list[X509] | list[x509.Certificate] | None'
     get_verify_mode(self) -> 'int'
     makefile(self, *args: 'Any', **kwargs: 'Any') -> 'typing.NoReturn'
     master_key(self) -> 'bytes | None'
     pending(self) -> 'int'
     read(self, bufsiz: 'int', flags: 'int | None' = None) -> 'bytes'
     recv(self, bufsiz: 'int', flags: 'int | None' = None) -> 'bytes'
     recv_into(self, buffer: 'Any', nbytes: 'int | None' = None, flags: 'int | None' = None) -> 'int'
     renegotiate(self) -> 'bool'
     renegotiate_pending(self) -> 'bool'
     request_ocsp(self) -> 'None'
     send(self, buf: '_Buffer', flags: 'int' = 0) -> 'int'
     sendall(self, buf: '_Buffer', flags: 'int' = 0) -> 'int'
     server_random(self) -> 'bytes | None'
     set_accept_state(self) -> 'None'
     set_alpn_protos(self, protos: 'list[bytes]') -> 'None'
     set_app_data(self, data: 'Any') -> 'None'
     set_ciphertext_mtu(self, mtu: 'int') -> 'None'
     set_connect_state(self) -> 'None'
     set_context(self, context: 'Context') -> 'None'
     set_info_callback(self, callback: 'Callable[[Connection, int, int], None]') -> 'None'
     set_options(self, options: 'int') -> 'int'
     set_session(self, session: 'Session') -> 'None'
     set_shutdown(self, state: 'int') -> 'None'
     set_tlsext_host_name(self, name: 'bytes') -> 'None'
     set_verify(self, mode: 'int', callback: '_VerifyCallback | None' = None) -> 'None'
     shutdown(self) -> 'bool'
     sock_shutdown(self, *args: 'Any', **kwargs: 'Any') -> 'None'
     total_renegotiations(self) -> 'int'
     use_certificate(self, cert: 'X509 | x509.Certificate') -> 'None'
     use_privatekey(self, pkey: '_PrivateKey | PKey') -> 'None'
     want_read(self) -> 'bool'
     want_write(self) -> 'bool'
     write(self, buf: '_Buffer', flags: 'int' = 0) -> 'int'
class Context(object)
     __init__(self, method: 'int') -> 'None'
     add_client_ca(self, certificate_authority: 'X509 | x509.Certificate') -> 'None'
     add_extra_chain_cert(self, certobj: 'X509 | x509.Certificate') -> 'None'
     check_privatekey(self) -> 'None'
     clear_mode(self, mode_to_clear: 'int') -> 'int'
     get_app_data(self) -> 'Any'
     get_cert_store(self) -> 'X509Store | None'
     get_session_cache_mode(self) -> 'int'
     get_timeout(self) -> 'int'
     get_verify_depth(self) -> 'int'
     get_verify_mode(self) -> 'int'
     load_client_ca(self, cafile: 'bytes') -> 'None'
     load_tmp_dh(self, dhfile: '_StrOrBytesPath') -> 'None'
     load_verify_locations(self, cafile: '_StrOrBytesPath | None', capath: '_StrOrBytesPath | None' = None) -> 'None'
     set_alpn_protos(self, protos: 'list[bytes]') -> 'None'
     set_alpn_select_callback(self, callback: '_ALPNSelectCallback') -> 'None'
     set_app_data(self, data: 'Any') -> 'None'
     set_cipher_list(self, cipher_list: 'bytes') -> 'None'
     set_client_ca_list(self, certificate_authorities: 'Sequence[X509Name]') -> 'None'
     set_cookie_generate_callback(self, callback: '_CookieGenerateCallback') -> 'None'
     set_cookie_verify_callback(self, callback: '_CookieVerifyCallback') -> 'None'
     set_default_verify_paths(self) -> 'None'
     set_info_callback(self, callback: 'Callable[[Connection, int, int], None]') -> 'None'
     set_keylog_callback(self, callback: 'Callable[[Connection, bytes], None]') -> 'None'
     set_max_proto_version(self, version: 'int') -> 'None'
     set_min_proto_version(self, version: 'int') -> 'None'
     set_mode(self, mode: 'int') -> 'int'
     set_ocsp_client_callback(self, callback: '_OCSPClientCallback[_T]', data: '_T | None' = None) -> 'None'
     set_ocsp_server_callback(self, callback: '_OCSPServerCallback[_T]', data: '_T | None' = None) -> 'None'
     set_options(self, options: 'int') -> 'int'
     set_passwd_cb(self, callback: '_PassphraseCallback[_T]', userdata: '_T | None' = None) -> 'None'
     set_session_cache_mode(self, mode: 'int') -> 'int'
     set_session_id(self, buf: 'bytes') -> 'None'
     set_timeout(self, timeout: 'int') -> 'None'
     set_tls13_ciphersuites(self, ciphersuites: 'bytes') -> 'None'
     set_tlsext_servername_callback(self, callback: 'Callable[[Connection], None]') -> 'None'
     set_tlsext_use_srtp(self, profiles: 'bytes') -> 'None'
     set_tmp_ecdh(self, curve: '_EllipticCurve | ec.EllipticCurve') -> 'None'
     set_verify(self, mode: 'int', callback: '_VerifyCallback | None' = None) -> 'None'
     set_verify_depth(self, depth: 'int') -> 'None'
     use_certificate(self, cert: 'X509 | x509.Certificate') -> 'None'
     use_certificate_chain_file(self, certfile: '_StrOrBytesPath') -> 'None'
     use_certificate_file(self, certfile: '_StrOrBytesPath', filetype: 'int' = 1) -> 'None'
     use_privatekey(self, pkey: '_PrivateKey | PKey') -> 'None'
     use_privatekey_file(self, keyfile: '_StrOrBytesPath', filetype: 'int' = 1) -> 'None'
DTLS_CLIENT_METHOD = 12
DTLS_METHOD = 10
DTLS_SERVER_METHOD = 11
class Error(Exception)
MODE_RELEASE_BUFFERS = 16
NO_OVERLAPPING_PROTOCOLS = <OpenSSL.SSL._NoOverlappingProtocols object at 0x7f3340d0785
OPENSSL_BUILT_ON = 2
OPENSSL_CFLAGS = 1
OPENSSL_DIR = 4
OPENSSL_PLATFORM = 3
OPENSSL_VERSION = 0
OPENSSL_VERSION_NUMBER = 1073741872
OP_ALL = 2147485776
OP_CIPHER_SERVER_PREFERENCE = 4194304
OP_COOKIE_EXCHANGE = 8192
OP_DONT_INSERT_EMPTY_FRAGMENTS = 2048
OP_EPHEMERAL_RSA = 0
OP_IGNORE_UNEXPECTED_EOF = 128
OP_LEGACY_SERVER_CONNECT = 4
OP_MICROSOFT_BIG_SSLV3_BUFFER = 0
OP_MICROSOFT_SESS_ID_BUG = 0
OP_MSIE_SSLV2_RSA_PADDING = 0
OP_NETSCAPE_CA_DN_BUG = 0
OP_NETSCAPE_CHALLENGE_BUG = 0
OP_NETSCAPE_DEMO_CIPHER_CHANGE_BUG = 0
OP_NETSCAPE_REUSE_CIPHER_CHANGE_BUG = 0
OP_NO_COMPRESSION = 131072
OP_NO_QUERY_MTU = 4096
OP_NO_RENEGOTIATION = 1073741824
OP_NO_SSLv2 = 0
OP_NO_SSLv3 = 33554432
OP_NO_TICKET = 16384
OP_NO_TLSv1 = 67108864
OP_NO_TLSv1_1 = 268435456
OP_NO_TLSv1_2 = 134217728
OP_NO_TLSv1_3 = 536870912
OP_PKCS1_CHECK_1 = 0
OP_PKCS1_CHECK_2 = 0
OP_SINGLE_DH_USE = 0
OP_SINGLE_ECDH_USE = 0
OP_SSLEAY_080_CLIENT_DH_BUG = 0
OP_SSLREF2_REUSE_CERT_TYPE_BUG = 0
OP_TLS_BLOCK_PADDING_BUG = 0
OP_TLS_D5_BUG = 0
OP_TLS_ROLLBACK_BUG = 8388608
RECEIVED_SHUTDOWN = 2
SENT_SHUTDOWN = 1
SESS_CACHE_BOTH = 3
SESS_CACHE_CLIENT = 1
SESS_CACHE_NO_AUTO_CLEAR = 128
SESS_CACHE_NO_INTERNAL = 768
SESS_CACHE_NO_INTERNAL_LOOKUP = 256
SESS_CACHE_NO_INTERNAL_STORE = 512
SESS_CACHE_OFF = 0
SESS_CACHE_SERVER = 2
SSL3_VERSION = 768
SSLEAY_BUILT_ON = 2
SSLEAY_CFLAGS = 1
SSLEAY_DIR = 4
SSLEAY_PLATFORM = 3
SSLEAY_VERSION = 0
SSL_CB_ACCEPT_EXIT = 8194
SSL_CB_ACCEPT_LOOP = 8193
SSL_CB_ALERT = 16384
SSL_CB_CONNECT_EXIT = 4098
SSL_CB_CONNECT_LOOP = 4097
SSL_CB_EXIT = 2
SSL_CB_HANDSHAKE_DONE = 32
SSL_CB_HANDSHAKE_START = 16
SSL_CB_LOOP = 1
SSL_CB_READ = 4
SSL_CB_READ_ALERT = 16388
SSL_CB_WRITE = 8
SSL_CB_WRITE_ALERT = 16392
SSL_ST_ACCEPT = 8192
SSL_ST_CONNECT = 4096
SSL_ST_MASK = 4095
def SSLeay_version(type: 'int') -> 'bytes'
SSLv23_METHOD = 3
class Session(object)
class SysCallError(Error)
TLS1_1_VERSION = 770
TLS1_2_VERSION = 771
TLS1_3_VERSION = 772
TLS1_VERSION = 769
TLS_CLIENT_METHOD = 9
TLS_METHOD = 7
TLS_SERVER_METHOD = 8
TLSv1_1_METHOD = 5
TLSv1_2_METHOD = 6
TLSv1_METHOD = 4
VERIFY_CLIENT_ONCE = 4
VERIFY_FAIL_IF_NO_PEER_CERT = 2
VERIFY_NONE = 0
VERIFY_PEER = 1
class WantReadError(Error)
class WantWriteError(Error)
class WantX509LookupError(Error)
class X509VerificationCodes(object)
     ERR_AKID_ISSUER_SERIAL_MISMATCH
     ERR_AKID_SKID_MISMATCH
     ERR_APPLICATION_VERIFICATION
     ERR_CERT_CHAIN_TOO_LONG
     ERR_CERT_HAS_EXPIRED
     ERR_CERT_NOT_YET_VALID
     ERR_CERT_REJECTED
     ERR_CERT_REVOKED
     ERR_CERT_SIGNATURE_FAILURE
     ERR_CERT_UNTRUSTED
     ERR_CRL_HAS_EXPIRED
     ERR_CRL_NOT_YET_VALID
     ERR_CRL_PATH_VALIDATION_ERROR
     ERR_CRL_SIGNATURE_FAILURE
     ERR_DEPTH_ZERO_SELF_SIGNED_CERT
     ERR_DIFFERENT_CRL_SCOPE
     ERR_EMAIL_MISMATCH
     ERR_ERROR_IN_CERT_NOT_AFTER_FIELD
     ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD
     ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD
     ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD
     ERR_EXCLUDED_VIOLATION
     ERR_HOSTNAME_MISMATCH
     ERR_INVALID_CA
     ERR_INVALID_EXTENSION
     ERR_INVALID_NON_CA
     ERR_INVALID_POLICY_EXTENSION
     ERR_INVALID_PURPOSE
     ERR_IP_ADDRESS_MISMATCH
     ERR_KEYUSAGE_NO_CERTSIGN
     ERR_KEYUSAGE_NO_CRL_SIGN
     ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE
     ERR_NO_EXPLICIT_POLICY
     ERR_OUT_OF_MEM
     ERR_PATH_LENGTH_EXCEEDED
     ERR_PERMITTED_VIOLATION
     ERR_PROXY_CERTIFICATES_NOT_ALLOWED
     ERR_PROXY_PATH_LENGTH_EXCEEDED
     ERR_SELF_SIGNED_CERT_IN_CHAIN
     ERR_SUBJECT_ISSUER_MISMATCH
     ERR_SUBTREE_MINMAX
     ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY
     ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE
     ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE
     ERR_UNABLE_TO_GET_CRL
     ERR_UNABLE_TO_GET_CRL_ISSUER
     ERR_UNABLE_TO_GET_ISSUER_CERT
     ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
     ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
     ERR_UNHANDLED_CRITICAL_CRL_EXTENSION
     ERR_UNHANDLED_CRITICAL_EXTENSION
     ERR_UNNESTED_RESOURCE
     ERR_UNSUPPORTED_CONSTRAINT_SYNTAX
     ERR_UNSUPPORTED_CONSTRAINT_TYPE
     ERR_UNSUPPORTED_EXTENSION_FEATURE
     ERR_UNSUPPORTED_NAME_SYNTAX
     OK
class ZeroReturnError(Error)
"""  # noqa: E501


def _reference_section() -> list[str]:
    return _SURFACE.splitlines()


def _parse_reference() -> tuple[
    dict[str, str], dict[str, dict[str, str]], dict[str, str], dict[str, str]
]:
    """``(classes, members, functions, constants)`` from the reference."""
    classes: dict[str, str] = {}
    members: dict[str, dict[str, str]] = {}
    functions: dict[str, str] = {}
    constants: dict[str, str] = {}
    current: str | None = None
    for line in _reference_section():
        if not line.strip():
            continue
        if line.startswith(" "):
            assert current is not None
            member = line.strip()
            name = re.match(r"\w+", member)
            assert name is not None
            members[current][name.group()] = member
            continue
        current = None
        match = re.match(r"class (\w+)\((\w+)\)", line)
        if match:
            current = match.group(1)
            classes[current] = match.group(2)
            members[current] = {}
        elif line.startswith("def "):
            functions[re.match(r"def (\w+)", line).group(1)] = line[4:]  # type: ignore[union-attr]
        else:
            name, _, value = line.partition(" = ")
            constants[name] = value
    return classes, members, functions, constants


CLASSES, MEMBERS, FUNCTIONS, CONSTANTS = _parse_reference()


def _reference_params(signature_line: str) -> list[str]:
    """Parameter shapes (``name``, ``name=``, ``*``, ``*args``, ``**kw``)."""
    body = re.sub(r"'[^']*'", "''", signature_line)
    inner = body[body.index("(") + 1 : body.rindex(")")]
    shapes = []
    for piece in (p.strip() for p in inner.split(",")):
        if not piece:
            continue
        if piece == "*":
            shapes.append("*")
            continue
        stars = len(piece) - len(piece.lstrip("*"))
        name = re.match(r"\w+", piece.lstrip("*"))
        assert name is not None, signature_line
        shapes.append("*" * stars + name.group() + ("=" if "=" in piece else ""))
    return shapes


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
        line = MEMBERS[cls_name][member]
        if "(" in line:
            assert _our_params(getattr(cls, member)) == _reference_params(line)
        elif cls_name == "X509VerificationCodes":
            lib_name = "X509_V_OK" if member == "OK" else "X509_V_" + member
            assert getattr(cls, member) == getattr(lib, lib_name)

    @pytest.mark.parametrize("name", sorted(FUNCTIONS))
    def test_function(self, name: str) -> None:
        func = getattr(SSL, name)
        assert callable(func)
        assert _our_params(func) == _reference_params(FUNCTIONS[name])

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

    @pytest.mark.skipif(
        not REFERENCE.is_file(), reason="shared reference not on this machine"
    )
    def test_embedded_copy_is_current(self) -> None:
        lines = REFERENCE.read_text(encoding="utf-8").splitlines()
        start = lines.index("## OpenSSL.SSL") + 1
        end = next(i for i in range(start, len(lines)) if lines[i].startswith("## "))
        assert lines[start:end] == _reference_section()

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
