"""The early ``OpenSSL.SSL`` API, walked top to bottom against real handshakes.

One of the documents this project started from describes ``OpenSSL.SSL`` as
pyOpenSSL's first releases had it (``shared/seeds/004_*.txt``; the mapping to
today's names is ``doc/early_api.rst``). Code written against it still
exists. This module follows that document in its order -- method, verify,
file type, option and version constants, ``SSLeay_version``, the deprecated
``ContextType``/``ConnectionType``, the exceptions, every ``Context`` method,
every ``Connection`` method -- and uses each name the way the document says,
with two real endpoints (this project against itself over memory BIOs, a
socket pair or loopback TCP) so that the names keep their meaning and not
only their existence.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from OpenSSL import SSL, crypto
from OpenSSL._util import lib
from OpenSSL.SSL import Connection, Context
from tests.support import (
    PKI,
    ObjectEnd,
    OurEnd,
    ca_file,
    client_context,
    handshake,
    make_pki,
    memory_pair,
    pump,
    read_all,
    server_context,
    socket_connection_pair,
    ssl_client_context,
    transfer,
)

#: RFC 7919's ffdhe2048 group, as ``openssl genpkey -genparam -algorithm DH
#: -pkeyopt dh_param:ffdhe2048`` writes it (public, standard parameters).
FFDHE2048_PEM = b"""\
-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
"""


#: The document, where the shared seeds are on this machine.
DOCUMENT = Path("/work/shared/seeds/004_5d45807462bd7d0d.txt")

#: Every name the document defines, in its order (a copy, so that the test
#: runs on a fresh clone; :meth:`TestTheDocument.test_copy_is_current`
#: compares it with the document where that exists).
DOCUMENTED_NAMES = """
OpenSSL.SSL.SSLv2_METHOD OpenSSL.SSL.SSLv3_METHOD OpenSSL.SSL.SSLv23_METHOD
OpenSSL.SSL.TLSv1_METHOD OpenSSL.SSL.VERIFY_NONE OpenSSL.SSL.VERIFY_PEER
OpenSSL.SSL.VERIFY_FAIL_IF_NO_PEER_CERT OpenSSL.SSL.FILETYPE_PEM
OpenSSL.SSL.FILETYPE_ASN1 OpenSSL.SSL.OP_SINGLE_DH_USE OpenSSL.SSL.OP_EPHEMERAL_RSA
OpenSSL.SSL.OP_NO_SSLv2 OpenSSL.SSL.OP_NO_SSLv3 OpenSSL.SSL.OP_NO_TLSv1
OpenSSL.SSL.SSLEAY_VERSION OpenSSL.SSL.SSLEAY_CFLAGS OpenSSL.SSL.SSLEAY_BUILT_ON
OpenSSL.SSL.SSLEAY_PLATFORM OpenSSL.SSL.SSLEAY_DIR OpenSSL.SSL.OPENSSL_VERSION_NUMBER
OpenSSL.SSL.SSLeay_version OpenSSL.SSL.ContextType OpenSSL.SSL.Context
OpenSSL.SSL.ConnectionType OpenSSL.SSL.Connection OpenSSL.SSL.Error
OpenSSL.SSL.ZeroReturnError OpenSSL.SSL.WantReadError OpenSSL.SSL.WantWriteError
OpenSSL.SSL.WantX509LookupError OpenSSL.SSL.SysCallError
Context.check_privatekey Context.get_app_data Context.get_cert_store
Context.get_timeout Context.get_verify_depth Context.get_verify_mode
Context.load_client_ca Context.set_client_ca_list Context.add_client_ca
Context.load_verify_locations Context.set_default_verify_paths Context.load_tmp_dh
Context.set_app_data Context.set_cipher_list Context.set_info_callback
Context.set_options Context.set_passwd_cb Context.set_session_id Context.set_timeout
Context.set_verify Context.set_verify_depth Context.use_certificate
Context.add_extra_chain_cert Context.use_certificate_chain_file
Context.use_privatekey Context.use_certificate_file Context.use_privatekey_file
Context.set_tlsext_servername_callback
Connection.accept Connection.bind Connection.close Connection.connect
Connection.connect_ex Connection.do_handshake Connection.fileno Connection.listen
Connection.get_app_data Connection.get_cipher_list Connection.get_client_ca_list
Connection.get_context Connection.set_context Connection.get_peer_certificate
Connection.get_peer_cert_chain Connection.getpeername Connection.getsockname
Connection.getsockopt Connection.pending Connection.recv Connection.bio_write
Connection.renegotiate Connection.send Connection.bio_read Connection.sendall
Connection.set_accept_state Connection.set_app_data Connection.set_connect_state
Connection.setblocking Connection.setsockopt Connection.shutdown
Connection.get_shutdown Connection.set_shutdown Connection.sock_shutdown
Connection.bio_shutdown Connection.state_string Connection.client_random
Connection.server_random Connection.master_key Connection.want_read
Connection.want_write Connection.set_tlsext_host_name Connection.get_servername
""".split()

#: Names the document's prose uses without a heading of their own.
NAMED_IN_THE_TEXT = [
    "OpenSSL.SSL.VERIFY_CLIENT_ONCE",
    "OpenSSL.SSL.SENT_SHUTDOWN",
    "OpenSSL.SSL.RECEIVED_SHUTDOWN",
]

#: The deprecated ones: they resolve, with a DeprecationWarning.
DEPRECATED = {
    "OpenSSL.SSL.ContextType",
    "OpenSSL.SSL.ConnectionType",
    "Connection.state_string",
}


@pytest.fixture(scope="module")
def pki() -> PKI:
    return make_pki()


class TestTheDocument:
    """Every name of the document resolves on ``OpenSSL.SSL``, a ``Context``
    or a socket-mode ``Connection``; only the deprecated ones warn."""

    @pytest.mark.skipif(not DOCUMENT.is_file(), reason="the seed document is absent")
    def test_copy_is_current(self) -> None:
        heading = re.compile(
            r"^(?:class |exception )?(OpenSSL\.SSL\.\w+|Context\.\w+|Connection\.\w+)"
        )
        found = []
        for line in DOCUMENT.read_text(encoding="utf-8").splitlines():
            match = heading.match(line)
            if match:
                found.append(match.group(1))
        assert found == DOCUMENTED_NAMES

    @pytest.mark.parametrize("name", DOCUMENTED_NAMES + NAMED_IN_THE_TEXT)
    def test_name_resolves(self, name: str) -> None:
        owner, attribute = name.rsplit(".", 1)
        a, b = socket.socketpair()
        try:
            target = {
                "OpenSSL.SSL": SSL,
                "Context": Context(SSL.TLS_METHOD),
                "Connection": Connection(Context(SSL.TLS_METHOD), a),
            }[owner]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                assert getattr(target, attribute) is not None
                if name == "Connection.state_string":
                    target.state_string()
            warned = [w for w in caught if w.category is DeprecationWarning]
            assert bool(warned) == (name in DEPRECATED), warned
        finally:
            a.close()
            b.close()


def _tls12_server(pki: PKI) -> Context:
    ctx = server_context(pki.rsa_server)
    ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    return ctx


def _x509(cert: Any) -> crypto.X509:
    return crypto.X509.from_cryptography(cert)


def _old_style(call: Any, *args: Any) -> Any:
    """Call an API the document describes with a now-deprecated argument type."""
    with pytest.warns(DeprecationWarning):
        return call(*args)


# --- the module's constants ---------------------------------------------------


class TestMethods:
    """``SSLv2_METHOD``, ``SSLv3_METHOD``, ``SSLv23_METHOD``, ``TLSv1_METHOD``."""

    def test_early_numbers(self) -> None:
        assert (SSL.SSLv2_METHOD, SSL.SSLv3_METHOD) == (1, 2)
        assert (SSL.SSLv23_METHOD, SSL.TLSv1_METHOD) == (3, 4)

    @pytest.mark.parametrize(
        ("method", "protocol"),
        [(SSL.SSLv2_METHOD, "SSLv2"), (SSL.SSLv3_METHOD, "SSLv3")],
    )
    def test_protocols_the_library_lacks(self, method: int, protocol: str) -> None:
        with pytest.raises(ValueError, match=f"No such protocol: {protocol}") as info:
            Context(method)
        assert "the OpenSSL in use" in str(info.value)
        assert SSL.OpenSSL_version(SSL.OPENSSL_VERSION).decode() in str(info.value)

    def test_sslv23_method_negotiates_the_best_version(self) -> None:
        client, server = memory_pair(
            client_context(method=SSL.SSLv23_METHOD),
            server_context(method=SSL.SSLv23_METHOD),
        )
        handshake(client, server)
        assert client.get_protocol_version_name() == "TLSv1.3"

    def test_tlsv1_method_speaks_tls_1_0(self, pki: PKI) -> None:
        # TLS 1.0 needs security level 0 in current OpenSSL (SHA-1 MACs).
        server_ctx = server_context(pki.rsa_server, method=SSL.TLSv1_METHOD)
        client_ctx = client_context(method=SSL.TLSv1_METHOD)
        for ctx in (server_ctx, client_ctx):
            ctx.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
        client, server = memory_pair(client_ctx, server_ctx)
        handshake(client, server)
        assert client.get_protocol_version_name() == "TLSv1"
        assert server.get_protocol_version() == SSL.TLS1_VERSION


class TestVerifyConstants:
    """``VERIFY_NONE``, ``VERIFY_PEER``, ``VERIFY_FAIL_IF_NO_PEER_CERT``."""

    def test_verify_none_accepts_an_untrusted_server(self) -> None:
        ctx = Context(SSL.TLS_METHOD)  # trusts nothing
        ctx.set_verify(SSL.VERIFY_NONE, lambda *args: False)
        client, server = memory_pair(ctx)
        handshake(client, server)
        assert client.get_peer_certificate() is not None

    def test_verify_peer_rejects_an_untrusted_server(self) -> None:
        ctx = Context(SSL.TLS_METHOD)
        ctx.set_verify(SSL.VERIFY_PEER)
        client, server = memory_pair(ctx)
        with pytest.raises(SSL.Error, match="certificate verify failed"):
            handshake(client, server)

    def test_fail_if_no_peer_cert(self) -> None:
        server_ctx = server_context(verify_client=True)
        server_ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
        client, server = memory_pair(client_context(), server_ctx)
        with pytest.raises(SSL.Error):
            handshake(client, server)
        # Plain VERIFY_PEER lets a client without a certificate in.
        client, server = memory_pair(
            client_context(), server_context(verify_client=True)
        )
        handshake(client, server)
        assert server.get_peer_certificate() is None


class TestFileTypes:
    """``FILETYPE_PEM`` / ``FILETYPE_ASN1`` with the ``use_*_file`` methods."""

    @pytest.mark.parametrize("filetype", ["PEM", "ASN1"])
    def test_certificate_and_key_files(
        self, pki: PKI, tmp_path: Path, filetype: str
    ) -> None:
        encoding = {
            "PEM": serialization.Encoding.PEM,
            "ASN1": serialization.Encoding.DER,
        }
        certfile, keyfile = tmp_path / "cert", tmp_path / "key"
        certfile.write_bytes(pki.server.cert.public_bytes(encoding[filetype]))
        keyfile.write_bytes(
            pki.server.key.private_bytes(
                encoding[filetype],
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        ctx = Context(SSL.TLS_METHOD)
        constant = getattr(SSL, f"FILETYPE_{filetype}")
        ctx.use_certificate_file(str(certfile), constant)
        ctx.use_privatekey_file(str(keyfile), constant)
        ctx.check_privatekey()
        client, server = memory_pair(client_context(verify=False), ctx)
        handshake(client, server)
        peer = client.get_peer_certificate(as_cryptography=True)
        assert peer == pki.server.cert

    def test_pem_is_the_default_and_the_crypto_constants_agree(
        self, pki: PKI, tmp_path: Path
    ) -> None:
        assert SSL.FILETYPE_PEM == crypto.FILETYPE_PEM
        assert SSL.FILETYPE_ASN1 == crypto.FILETYPE_ASN1
        certfile, keyfile = pki.server.write(tmp_path)
        ctx = Context(SSL.TLS_METHOD)
        ctx.use_certificate_file(str(certfile))
        ctx.use_privatekey_file(str(keyfile))
        ctx.check_privatekey()

    def test_wrong_file_type_is_an_error(self, pki: PKI, tmp_path: Path) -> None:
        certfile, _ = pki.server.write(tmp_path)
        with pytest.raises(SSL.Error):
            Context(SSL.TLS_METHOD).use_certificate_file(
                str(certfile), SSL.FILETYPE_ASN1
            )


class TestOptions:
    """``OP_SINGLE_DH_USE``, ``OP_EPHEMERAL_RSA``, ``OP_NO_SSLv2/SSLv3/TLSv1``."""

    def test_set_options_accumulates(self) -> None:
        ctx = Context(SSL.SSLv23_METHOD)
        for option in (
            SSL.OP_SINGLE_DH_USE,
            SSL.OP_EPHEMERAL_RSA,
            SSL.OP_NO_SSLv2,
            SSL.OP_NO_SSLv3,
            SSL.OP_NO_TLSv1,
        ):
            assert isinstance(option, int)
            assert ctx.set_options(option) & option == option
        # "Options you have set before are not cleared!"
        assert ctx.set_options(0) & SSL.OP_NO_TLSv1 == SSL.OP_NO_TLSv1

    def test_op_no_tlsv1_disables_tls_1_0(self, pki: PKI) -> None:
        server_ctx = server_context(pki.rsa_server, method=SSL.SSLv23_METHOD)
        server_ctx.set_options(SSL.OP_NO_SSLv2 | SSL.OP_NO_SSLv3 | SSL.OP_NO_TLSv1)
        server_ctx.set_options(SSL.OP_SINGLE_DH_USE | SSL.OP_EPHEMERAL_RSA)
        client_ctx = client_context(method=SSL.TLSv1_METHOD)
        for ctx in (server_ctx, client_ctx):
            ctx.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
        client, server = memory_pair(client_ctx, server_ctx)
        with pytest.raises(SSL.Error):
            handshake(client, server)
        # A client free to choose gets a newer version from the same server.
        client, server = memory_pair(
            client_context(method=SSL.SSLv23_METHOD), server_ctx
        )
        handshake(client, server)
        assert client.get_protocol_version() > SSL.TLS1_VERSION


class TestVersionInformation:
    """``SSLEAY_*``, ``OPENSSL_VERSION_NUMBER``, ``SSLeay_version``."""

    def test_sslEAY_version(self) -> None:
        version = SSL.SSLeay_version(SSL.SSLEAY_VERSION)
        assert isinstance(version, bytes) and version.startswith(b"OpenSSL ")
        for kind in (
            SSL.SSLEAY_CFLAGS,
            SSL.SSLEAY_BUILT_ON,
            SSL.SSLEAY_PLATFORM,
            SSL.SSLEAY_DIR,
        ):
            text = SSL.SSLeay_version(kind)
            assert isinstance(text, bytes) and text
        assert SSL.SSLeay_version(SSL.SSLEAY_DIR).startswith(b"OPENSSLDIR")
        assert len({SSL.SSLeay_version(k) for k in range(5)}) == 5

    def test_version_number(self) -> None:
        number = SSL.OPENSSL_VERSION_NUMBER
        assert number == lib.OpenSSL_version_num()
        major = number >> 28
        assert SSL.SSLeay_version(SSL.SSLEAY_VERSION).startswith(
            f"OpenSSL {major}.".encode()
        )


class TestTypeAliases:
    """``ContextType`` and ``ConnectionType``: deprecated, still the classes."""

    @pytest.mark.parametrize(
        ("alias", "name"),
        [("ContextType", "Context"), ("ConnectionType", "Connection")],
    )
    def test_deprecated_alias(self, alias: str, name: str) -> None:
        with pytest.warns(DeprecationWarning, match=f"SSL.{alias} is deprecated"):
            value = getattr(SSL, alias)
        assert value is getattr(SSL, name)

    def test_isinstance_and_from_import(self) -> None:
        with pytest.warns(DeprecationWarning) as caught:
            from OpenSSL.SSL import ConnectionType, ContextType
        assert len(caught) == 2
        assert caught[0].filename == __file__  # points at the user's code
        client, server = memory_pair()
        handshake(client, server)
        assert isinstance(client.get_context(), ContextType)
        assert isinstance(client, ConnectionType)
        sock_client, sock_server = socket_connection_pair()
        try:
            assert isinstance(sock_client, ConnectionType)
        finally:
            sock_client.close()
            sock_server.close()

    def test_not_exported_and_unknown_names_still_fail(self) -> None:
        assert "ContextType" not in SSL.__all__
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            namespace: dict[str, Any] = {}
            exec("from OpenSSL.SSL import *", namespace)  # no warning
        with pytest.raises(AttributeError, match="no attribute 'NoSuchType'"):
            SSL.NoSuchType  # type: ignore[attr-defined]  # noqa: B018


class TestConstructors:
    """``Context(method)`` and ``Connection(context, socket)``."""

    def test_connection_with_a_socket_and_with_none(self) -> None:
        ctx = Context(SSL.TLS_METHOD)
        memory = Connection(ctx, None)
        with pytest.raises(SSL.WantReadError):
            memory.bio_read(10)  # nothing to send yet
        a, b = socket.socketpair()
        with a, b:
            on_socket = Connection(ctx, a)
            assert on_socket.fileno() == a.fileno()
        with pytest.raises(TypeError):
            Connection(object(), None)  # type: ignore[arg-type]


# --- the exceptions -----------------------------------------------------------


class TestExceptions:
    def test_error_is_the_base_and_carries_lib_function_reason(self) -> None:
        for cls in (
            SSL.ZeroReturnError,
            SSL.WantReadError,
            SSL.WantWriteError,
            SSL.WantX509LookupError,
            SSL.SysCallError,
        ):
            assert issubclass(cls, SSL.Error)
        with pytest.raises(SSL.Error) as info:
            Context(SSL.TLS_METHOD).set_cipher_list(b"no-such-cipher")
        assert type(info.value) is SSL.Error
        (entries,) = info.value.args
        assert entries
        for entry in entries:
            assert len(entry) == 3 and all(isinstance(part, str) for part in entry)

    def test_zero_return_error_after_a_clean_close(self) -> None:
        client, server = memory_pair()
        handshake(client, server)
        client.shutdown()
        pump(client, server)
        with pytest.raises(SSL.ZeroReturnError):
            server.recv(10)

    def test_want_read_error(self) -> None:
        client, _ = memory_pair()
        with pytest.raises(SSL.WantReadError):
            client.do_handshake()

    def test_want_write_error_when_the_send_buffer_is_full(self) -> None:
        client, server = socket_connection_pair()
        try:
            handshake(client, server)
            with pytest.raises(SSL.WantWriteError):
                for _ in range(100000):
                    client.send(b"x" * 16384)
            assert client.want_write()
        finally:
            client.close()
            server.close()

    def test_sys_call_error_is_a_pair(self) -> None:
        client, server = socket_connection_pair()
        try:
            handshake(client, server)
            server.sock_shutdown(socket.SHUT_RDWR)
            with pytest.raises(SSL.SysCallError) as info:
                read_all(client, 1)
            errnum, errstr = info.value.args
            assert isinstance(errnum, int) and isinstance(errstr, str)
        finally:
            client.close()
            server.close()


# --- Context methods ----------------------------------------------------------


class TestContextMethods:
    def test_check_privatekey(self, pki: PKI) -> None:
        ctx = Context(SSL.TLS_METHOD)
        ctx.use_certificate(pki.server.cert)
        ctx.use_privatekey(pki.server.key)
        assert ctx.check_privatekey() is None
        # (use_privatekey checks the key against a certificate already there,
        # so the mismatch is made the other way round.)
        mismatched = Context(SSL.TLS_METHOD)
        mismatched.use_privatekey(pki.client.key)
        mismatched.use_certificate(pki.server.cert)
        with pytest.raises(SSL.Error):
            mismatched.check_privatekey()

    def test_app_data(self) -> None:
        ctx = Context(SSL.TLS_METHOD)
        assert ctx.get_app_data() is None
        marker = object()
        ctx.set_app_data(marker)
        assert ctx.get_app_data() is marker

    def test_get_cert_store_adds_trust(self, pki: PKI) -> None:
        ctx = Context(SSL.TLS_METHOD)
        ctx.set_verify(SSL.VERIFY_PEER)
        store = ctx.get_cert_store()
        assert isinstance(store, crypto.X509Store)
        store.add_cert(_x509(pki.root.cert))
        client, server = memory_pair(ctx)
        handshake(client, server)
        assert client.get_verify_result() == 0

    def test_timeout(self) -> None:
        ctx = Context(SSL.TLS_METHOD)
        # The document's 300 s was OpenSSL's default then; today it is 7200 s
        # for every method (RFC 8446's ticket lifetime cap is 7 days).
        assert ctx.get_timeout() == lib.SSL_CTX_get_timeout(ctx._context) > 0
        ctx.set_timeout(1234)
        assert ctx.get_timeout() == 1234
        # The effect, seen by an independent client (the standard library's
        # ssl): the lifetime the server gives its session tickets.
        for timeout in (77, None):
            timed = server_context()
            if timeout is not None:
                timed.set_timeout(timeout)
            server = OurEnd.server(timed)
            client = ObjectEnd(
                ssl_client_context(ssl),
                server_side=False,
                server_hostname="localhost",
            )
            handshake(client, server)
            assert client.recv(1) is None  # reads the tickets sent after it
            assert client.obj.session is not None
            lifetime = client.obj.session.ticket_lifetime_hint
            assert lifetime == (timeout or lib.SSL_CTX_get_timeout(timed._context))

    def test_verify_depth_and_mode(self) -> None:
        ctx = client_context()
        assert ctx.get_verify_mode() == SSL.VERIFY_PEER
        ctx.set_verify_depth(0)
        assert ctx.get_verify_depth() == 0
        # The server's chain is leaf <- intermediate <- root: depth 0 is too short.
        client, server = memory_pair(ctx)
        with pytest.raises(SSL.Error):
            handshake(client, server)
        ctx = client_context()
        ctx.set_verify_depth(2)
        client, server = memory_pair(ctx)
        handshake(client, server)

    def test_load_client_ca(self, pki: PKI) -> None:
        server_ctx = server_context(verify_client=True)
        server_ctx.load_client_ca(str(ca_file()).encode())
        client, server = memory_pair(client_context(), server_ctx)
        handshake(client, server)
        names = client.get_client_ca_list(as_cryptography=True)
        assert names == [pki.root.cert.subject]

    def test_set_client_ca_list_and_add_client_ca(self, pki: PKI) -> None:
        server_ctx = server_context(verify_client=True)
        name = _old_style(_x509(pki.intermediate.cert).get_subject)
        _old_style(server_ctx.set_client_ca_list, [name])
        server_ctx.add_client_ca(pki.root.cert)
        client, server = memory_pair(client_context(), server_ctx)
        handshake(client, server)
        names = client.get_client_ca_list(as_cryptography=True)
        assert names == [pki.intermediate.cert.subject, pki.root.cert.subject]
        assert [n.der() for n in server.get_client_ca_list()] == [
            n.public_bytes() for n in names
        ]

    def test_load_verify_locations_file_and_directory(
        self, pki: PKI, tmp_path: Path
    ) -> None:
        def verified_by(cafile: str | None, capath: str | None) -> None:
            ctx = Context(SSL.TLS_METHOD)
            ctx.set_verify(SSL.VERIFY_PEER)
            ctx.load_verify_locations(cafile, capath)
            client, server = memory_pair(ctx)
            handshake(client, server)
            assert client.get_verify_result() == 0
            chain = client.get_verified_chain(as_cryptography=True)
            assert chain is not None and chain[-1] == pki.root.cert

        verified_by(str(ca_file()), None)
        # A c_rehash directory: <subject hash>.0 files; empty, it trusts nothing.
        with pytest.raises(SSL.Error, match="certificate verify failed"):
            verified_by(None, str(tmp_path))
        name_hash = _x509(pki.root.cert).subject_name_hash()
        (tmp_path / f"{name_hash:08x}.0").write_bytes(pki.root_pem())
        verified_by(None, str(tmp_path))

    def test_set_default_verify_paths(self) -> None:
        ctx = Context(SSL.TLS_METHOD)
        ctx.set_default_verify_paths()
        ctx.set_verify(SSL.VERIFY_PEER)
        # The platform's CAs do not include the test root.
        client, server = memory_pair(ctx)
        with pytest.raises(SSL.Error):
            handshake(client, server)

    def test_load_tmp_dh(self, pki: PKI, tmp_path: Path) -> None:
        dhfile = tmp_path / "dh.pem"
        dhfile.write_bytes(FFDHE2048_PEM)
        server_ctx = _tls12_server(pki)
        server_ctx.load_tmp_dh(str(dhfile))
        server_ctx.set_cipher_list(b"DHE-RSA-AES128-GCM-SHA256")
        client, server = memory_pair(client_context(), server_ctx)
        handshake(client, server)
        assert client.get_cipher_name() == "DHE-RSA-AES128-GCM-SHA256"

    def test_set_cipher_list(self, pki: PKI) -> None:
        server_ctx = _tls12_server(pki)
        server_ctx.set_cipher_list(b"ECDHE-RSA-AES256-GCM-SHA384")
        client, server = memory_pair(client_context(), server_ctx)
        tls12_suites = [c for c in server.get_cipher_list() if "-" in c]
        assert tls12_suites == ["ECDHE-RSA-AES256-GCM-SHA384"]
        handshake(client, server)
        assert client.get_cipher_name() == "ECDHE-RSA-AES256-GCM-SHA384"

    def test_info_callback_gets_a_connection_and_two_integers(self) -> None:
        calls: list[tuple[Any, int, int]] = []
        server_ctx = server_context()
        server_ctx.set_info_callback(
            lambda conn, where, ret: calls.append((conn, where, ret))
        )
        client, server = memory_pair(client_context(), server_ctx)
        handshake(client, server)
        assert calls
        assert all(conn is server for conn, _, _ in calls)
        assert all(isinstance(w, int) and isinstance(r, int) for _, w, r in calls)
        assert any(where & SSL.SSL_CB_HANDSHAKE_DONE for _, where, _ in calls)

    def test_set_passwd_cb(self, pki: PKI, tmp_path: Path) -> None:
        keyfile = tmp_path / "encrypted.key"
        keyfile.write_bytes(
            pki.server.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"s3cret"),
            )
        )
        calls: list[tuple[int, bool, Any]] = []

        def passphrase(maxlen: int, verify: bool, userdata: Any) -> bytes:
            calls.append((maxlen, verify, userdata))
            return b"s3cret"

        ctx = Context(SSL.TLS_METHOD)
        _old_style(ctx.set_passwd_cb, passphrase, "userdata")
        ctx.use_privatekey_file(str(keyfile))
        ctx.use_certificate(pki.server.cert)
        ctx.check_privatekey()
        ((maxlen, verify, userdata),) = calls
        assert isinstance(maxlen, int) and maxlen > 0
        assert verify is False and userdata == "userdata"
        # A false value (the document's "on error") fails the load.
        ctx = Context(SSL.TLS_METHOD)
        _old_style(ctx.set_passwd_cb, lambda *args: b"")
        with pytest.raises(SSL.Error):
            ctx.use_privatekey_file(str(keyfile))

    def test_set_session_id_allows_resumption_with_client_certificates(
        self, pki: PKI
    ) -> None:
        server_ctx = server_context(verify_client=True)
        server_ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
        server_ctx.set_session_id(b"early-api-walk")
        client_ctx = client_context(identity=pki.client)
        first = memory_pair(client_ctx, server_ctx)
        handshake(*first)
        session = first[0].get_session()
        assert session is not None
        assert lib.SSL_session_reused(first[0]._ssl) == 0
        client, server = memory_pair(client_ctx, server_ctx)
        client.set_session(session)
        handshake(client, server)
        assert lib.SSL_session_reused(client._ssl) == 1
        assert server.get_peer_certificate(as_cryptography=True) == pki.client.cert

    def test_without_session_id_a_verified_session_is_not_resumed(
        self, pki: PKI
    ) -> None:
        # The reason set_session_id exists: OpenSSL refuses to resume a
        # session whose client certificate was checked in an unnamed context.
        server_ctx = server_context(verify_client=True)
        server_ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
        client_ctx = client_context(identity=pki.client)
        first = memory_pair(client_ctx, server_ctx)
        handshake(*first)
        session = first[0].get_session()
        assert session is not None
        client, server = memory_pair(client_ctx, server_ctx)
        client.set_session(session)
        with pytest.raises(SSL.Error, match="session id context uninitialized"):
            handshake(client, server)

    def test_set_verify_callback_gets_five_arguments(self, pki: PKI) -> None:
        seen: list[tuple[Any, ...]] = []

        def verify(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
            seen.append((conn, cert, errnum, depth, ok))
            return True

        ctx = Context(SSL.TLS_METHOD)  # trusts nothing: errors for the callback
        ctx.set_verify(SSL.VERIFY_PEER, verify)
        client, server = memory_pair(ctx)
        handshake(client, server)
        assert all(conn is client for conn, *_ in seen)
        assert all(isinstance(cert, crypto.X509) for _, cert, *_ in seen)
        assert {depth for *_, depth, _ in seen} >= {0, 1}
        assert any(errnum != 0 and ok == 0 for *_, errnum, _, ok in seen)
        leaf = [cert for _, cert, _, depth, _ in seen if depth == 0][-1]
        assert leaf.to_cryptography() == pki.server.cert
        # Returning false fails the handshake.
        ctx = Context(SSL.TLS_METHOD)
        ctx.set_verify(SSL.VERIFY_PEER, lambda *args: False)
        client, server = memory_pair(ctx)
        with pytest.raises(SSL.Error):
            handshake(client, server)

    def test_certificates_and_keys_as_x509_and_pkey(self, pki: PKI) -> None:
        # The document's types: X509 and PKey objects (deprecated today).
        ctx = Context(SSL.TLS_METHOD)
        _old_style(ctx.use_certificate, _x509(pki.server.cert))
        _old_style(
            ctx.use_privatekey, crypto.PKey.from_cryptography_key(pki.server.key)
        )
        for extra in pki.server.chain:
            _old_style(ctx.add_extra_chain_cert, _x509(extra))
        client, server = memory_pair(client_context(), ctx)
        handshake(client, server)
        chain = client.get_peer_cert_chain(as_cryptography=True)
        assert chain == [pki.server.cert, *pki.server.chain]

    def test_use_certificate_chain_file(self, pki: PKI, tmp_path: Path) -> None:
        certfile, keyfile = pki.server.write(tmp_path)
        ctx = Context(SSL.TLS_METHOD)
        ctx.use_certificate_chain_file(str(certfile))
        ctx.use_privatekey_file(str(keyfile))
        client, server = memory_pair(client_context(), ctx)
        handshake(client, server)
        assert client.get_peer_cert_chain(as_cryptography=True) == [
            pki.server.cert,
            *pki.server.chain,
        ]

    def test_tlsext_servername_callback(self) -> None:
        seen: list[Any] = []
        server_ctx = server_context()
        server_ctx.set_tlsext_servername_callback(seen.append)
        client, server = memory_pair(
            client_context(), server_ctx, server_name=b"early.example"
        )
        handshake(client, server)
        assert seen == [server]
        assert server.get_servername() == b"early.example"


# --- Connection methods -------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[Connection]:
    conn = Connection(server_context(), socket.socket())
    yield conn
    conn.close()


class TestConnectionSocketMethods:
    """accept, bind, close, connect, connect_ex, fileno, listen, getpeername,
    getsockname, getsockopt, setblocking, setsockopt, sock_shutdown."""

    def test_a_server_and_a_client_on_loopback(self, listener: Connection) -> None:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = Connection(client_context(), socket.socket())
        client.connect(listener.getsockname())
        accepted, address = listener.accept()
        try:
            assert address == client.getsockname()
            assert accepted.getpeername() == address
            assert accepted.get_context() is listener.get_context()
            assert client.fileno() >= 0 and accepted.fileno() >= 0
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            client.setblocking(False)
            accepted.setblocking(False)
            handshake(client, accepted)
            client.sendall(b"hello over TCP")
            assert read_all(accepted, 14) == b"hello over TCP"
            client.sock_shutdown(socket.SHUT_WR)
            with pytest.raises(SSL.SysCallError):
                read_all(accepted, 1)
        finally:
            client.close()
            accepted.close()

    def test_connect_ex(self, listener: Connection) -> None:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = Connection(client_context(), socket.socket())
        try:
            assert client.connect_ex(listener.getsockname()) == 0
            accepted, _ = listener.accept()
            client.setblocking(False)
            accepted.setblocking(False)
            handshake(client, accepted)
            accepted.close()
        finally:
            client.close()
        # Refused: the errno comes back and no exception is raised.
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        address = closed.getsockname()
        closed.close()
        client = Connection(client_context(), socket.socket())
        try:
            assert client.connect_ex(address) == errno.ECONNREFUSED
        finally:
            client.close()


class TestConnectionMethods:
    """The TLS-level methods, in the document's order."""

    def test_do_handshake_and_state(self) -> None:
        client, server = memory_pair()
        with pytest.warns(DeprecationWarning, match="get_state_string") as caught:
            before = client.state_string()
        assert caught[0].filename == __file__  # points at the caller
        assert before == client.get_state_string() == b"before SSL initialization"
        handshake(client, server)
        with pytest.warns(DeprecationWarning):
            assert client.state_string() == b"SSL negotiation finished successfully"

    def test_app_data_and_context(self) -> None:
        client, server = memory_pair()
        marker = object()
        client.set_app_data(marker)
        assert client.get_app_data() is marker
        other = server_context()
        server.set_context(other)
        assert server.get_context() is other
        handshake(client, server)

    def test_cipher_list_and_client_ca_list(self) -> None:
        client, server = memory_pair()
        ciphers = client.get_cipher_list()
        assert ciphers and all(isinstance(c, str) for c in ciphers)
        assert client.get_client_ca_list() == []
        handshake(client, server)
        assert client.get_cipher_name() in ciphers

    def test_peer_certificate_and_chain(self, pki: PKI) -> None:
        client, server = memory_pair()
        handshake(client, server)
        peer = client.get_peer_certificate()
        assert isinstance(peer, crypto.X509)
        assert peer.to_cryptography() == pki.server.cert
        chain = client.get_peer_cert_chain()
        assert chain is not None
        assert [c.to_cryptography() for c in chain] == [
            pki.server.cert,
            *pki.server.chain,
        ]

    def test_pending_recv_send_sendall(self) -> None:
        client, server = memory_pair()
        handshake(client, server)
        assert client.send(b"abc") == 3
        assert client.sendall(b"defgh") == 5
        pump(client, server)
        assert server.recv(2) == b"ab"
        assert server.pending() == 1
        assert server.recv(100) == b"c"
        assert server.recv(100) == b"defgh"
        assert server.pending() == 0

    def test_bio_write_bio_read_bio_shutdown(self) -> None:
        client, server = memory_pair()
        hello = None
        with pytest.raises(SSL.WantReadError):
            client.do_handshake()
        assert client.want_read()
        hello = client.bio_read(65536)
        assert hello[:1] == b"\x16"  # a handshake record
        assert server.bio_write(hello) == len(hello)
        handshake(client, server)
        server.bio_shutdown()
        with pytest.raises(SSL.Error):
            server.recv(1)

    def test_renegotiate(self, pki: PKI) -> None:
        # OpenSSL 3+ servers refuse a client's renegotiation by default, so
        # the server asks for it (a HelloRequest), as a server would rekey.
        client, server = memory_pair(client_context(), _tls12_server(pki))
        handshake(client, server)
        assert server.renegotiate() is True
        for _ in range(20):
            for conn in (client, server):
                try:
                    conn.do_handshake()
                    conn.recv(1)
                except SSL.WantReadError:
                    pass
            if not pump(client, server) and not server.renegotiate_pending():
                break
        assert server.total_renegotiations() == 1
        assert not server.renegotiate_pending()
        assert transfer(client, server, b"after renegotiation") == (
            b"after renegotiation"
        )

    def test_states(self) -> None:
        client = Connection(client_context(), None)
        server = Connection(server_context(), None)
        client.set_connect_state()
        server.set_accept_state()
        handshake(client, server)
        assert client.get_servername() is None

    def test_shutdown_states(self) -> None:
        client, server = memory_pair()
        handshake(client, server)
        assert client.get_shutdown() == 0
        assert client.shutdown() is False
        assert client.get_shutdown() == SSL.SENT_SHUTDOWN
        pump(client, server)
        with pytest.raises(SSL.ZeroReturnError):
            server.recv(1)
        assert server.get_shutdown() == SSL.RECEIVED_SHUTDOWN
        assert server.shutdown() is True
        pump(server, client)
        assert client.shutdown() is True
        assert client.get_shutdown() == SSL.SENT_SHUTDOWN | SSL.RECEIVED_SHUTDOWN
        other, _ = memory_pair()
        other.set_shutdown(SSL.SENT_SHUTDOWN)
        assert other.get_shutdown() == SSL.SENT_SHUTDOWN

    def test_randoms_and_master_key(self, pki: PKI) -> None:
        # TLS 1.2: a TLS 1.3 client learns its session's secret only from a
        # session ticket, after the handshake.
        client, server = memory_pair(client_context(), _tls12_server(pki))
        assert client.client_random() is None and client.master_key() is None
        handshake(client, server)
        client_random = client.client_random()
        assert client_random is not None and len(client_random) == 32
        assert client_random == server.client_random()
        assert client.server_random() == server.server_random()
        assert client.client_random() != client.server_random()
        master = client.master_key()
        assert master is not None and master == server.master_key()

    def test_want_read_and_want_write(self) -> None:
        client, server = memory_pair()
        assert not client.want_read() and not client.want_write()
        with pytest.raises(SSL.WantReadError):
            client.do_handshake()
        assert client.want_read()
        handshake(client, server)

    def test_tlsext_host_name_and_servername(self) -> None:
        client, server = memory_pair()
        client.set_tlsext_host_name(b"named.example")
        handshake(client, server)
        assert server.get_servername() == b"named.example"
