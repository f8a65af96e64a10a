"""ssl_compat's Python 3.13-3.15 surface, on every Python this project runs on.

PSK callbacks, ``set_ciphersuites``, ``set_groups``/``get_groups``,
``group()``, the sigalg setters and ``get_sigalgs()``, DER chains, and
post-handshake authentication (sockets, memory BIOs and asyncio). Peers:
ssl_compat itself, the running Python's ``ssl`` where it has the feature, and
CPython 3.13's own ``ssl`` in a subprocess for PSK (skipped, visibly, when
that interpreter is not installed).
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import subprocess
import sys
import textwrap
from typing import Any, Optional

import pytest

from OpenSSL import ssl_compat
from tests.support import (
    IO_TIMEOUT,
    EchoServer,
    ObjectEnd,
    connect,
    deliver,
    files,
    handshake,
    object_pair,
    ssl_client_context,
    ssl_server_context,
)

KEY = bytes.fromhex("c0ffee" * 8)
PYTHON313 = "/root/.pyenv/versions/3.13.0/bin/python3"
VERSIONS = [ssl_compat.TLSVersion.TLSv1_2, ssl_compat.TLSVersion.TLSv1_3]


def _objects(
    client_ctx: Any,
    server_ctx: Any,
    hostname: Optional[str] = None,
    session: Any = None,
) -> tuple[Any, Any, tuple[ObjectEnd, ObjectEnd]]:
    """``(client, server, ends)``: two SSLObjects and their ``ObjectEnd``s."""
    ends = object_pair(
        client_ctx, server_ctx, server_hostname=hostname, session=session
    )
    return ends[0].obj, ends[1].obj, ends


def psk_contexts(version: Any) -> tuple[Any, Any]:
    client = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl_compat.CERT_NONE
    server = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
    for ctx in (client, server):
        ctx.minimum_version = ctx.maximum_version = version
        ctx.set_ciphers("PSK")
    return client, server


# -- PSK (3.13) ---------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_psk_between_ssl_compat_objects(version: Any) -> None:
    hints: list[Optional[str]] = []
    identities: list[Optional[str]] = []
    client_ctx, server_ctx = psk_contexts(version)
    client_ctx.set_psk_client_callback(lambda hint: hints.append(hint) or ("id1", KEY))
    server_ctx.set_psk_server_callback(
        lambda identity: identities.append(identity) or KEY, identity_hint="hint1"
    )
    client, server, links = _objects(client_ctx, server_ctx)
    handshake(*links)
    client.write(b"psk")
    deliver(*links)
    assert server.read(3) == b"psk"
    assert identities == ["id1"]
    assert hints == (["hint1"] if version == VERSIONS[0] else [None])
    assert client.getpeercert(True) is None


def test_each_psk_server_call_sets_the_hint_as_in_cpython() -> None:
    """CPython 3.13 sets the hint on every call: none given (or no callback)
    clears an earlier one, which TLS 1.2 clients would otherwise still get."""
    client_ctx, server_ctx = psk_contexts(VERSIONS[0])  # TLS 1.2: hints exist
    hints: list[Optional[str]] = []
    client_ctx.set_psk_client_callback(lambda hint: hints.append(hint) or ("id", KEY))

    def hint_sent() -> Optional[str]:
        _client, _server, links = _objects(client_ctx, server_ctx)
        handshake(*links)
        return hints.pop()

    def key(identity: Optional[str]) -> bytes:
        return KEY

    server_ctx.set_psk_server_callback(key, "h1")
    assert hint_sent() == "h1"
    server_ctx.set_psk_server_callback(key)
    assert hint_sent() is None
    server_ctx.set_psk_server_callback(key, "h2")
    server_ctx.set_psk_server_callback(None, "ignored")
    server_ctx.set_psk_server_callback(key)
    assert hint_sent() is None


def handshake_against_raw(
    ours: Any, incoming: Any, outgoing: Any, raw: Any, *, ours_first: bool
) -> None:
    """Drive a handshake between an ``ssl_compat`` SSLObject (*ours*, over the
    *incoming*/*outgoing* memory BIOs) and a raw ``OpenSSL.SSL.Connection``
    in memory mode, client's step first, for at most 20 rounds; the failure
    the tests expect propagates."""
    from OpenSSL import SSL

    steps = (ours.do_handshake, raw.do_handshake)
    if not ours_first:
        steps = steps[::-1]
    for _ in range(20):
        for step in steps:
            try:
                step()
            except (SSL.WantReadError, ssl.SSLWantReadError):
                pass
        try:
            incoming.write(raw.bio_read(65536))
        except SSL.WantReadError:
            pass
        if outgoing.pending:
            raw.bio_write(outgoing.read())


@pytest.mark.parametrize("version", VERSIONS)
def test_a_psk_identity_that_is_not_utf8_is_refused(version: Any) -> None:
    """CPython refuses it; decoding it lossily would give b"ab\\xffcd" and
    b"ab\\xfecd" the same identity, so the same key."""
    from OpenSSL import SSL

    _client_ctx, server_ctx = psk_contexts(version)
    seen: list[Optional[str]] = []
    server_ctx.set_psk_server_callback(lambda identity: seen.append(identity) or KEY)
    incoming, outgoing = ssl_compat.MemoryBIO(), ssl_compat.MemoryBIO()
    server = server_ctx.wrap_bio(incoming, outgoing, server_side=True)
    raw = SSL.Context(SSL.TLS_CLIENT_METHOD)
    raw.set_min_proto_version(SSL.TLS1_2_VERSION)
    raw.set_max_proto_version(
        SSL.TLS1_2_VERSION if version == VERSIONS[0] else SSL.TLS1_3_VERSION
    )
    raw.set_cipher_list(b"PSK")
    raw.set_psk_client_callback(lambda conn, hint: (b"ab\xffcd", KEY))
    client = SSL.Connection(raw, None)
    client.set_connect_state()
    with pytest.raises((ssl.SSLError, SSL.Error)):
        handshake_against_raw(server, incoming, outgoing, client, ours_first=False)
    assert seen == []


def test_a_psk_hint_that_is_not_utf8_offers_no_key() -> None:
    """As CPython 3.13: the client callback is not asked with a mangled hint."""
    from OpenSSL import SSL

    client_ctx, _server_ctx = psk_contexts(VERSIONS[0])
    hints: list[Optional[str]] = []
    client_ctx.set_psk_client_callback(lambda hint: hints.append(hint) or ("id", KEY))
    incoming, outgoing = ssl_compat.MemoryBIO(), ssl_compat.MemoryBIO()
    client = client_ctx.wrap_bio(incoming, outgoing)
    raw = SSL.Context(SSL.TLS_SERVER_METHOD)
    raw.set_max_proto_version(SSL.TLS1_2_VERSION)
    raw.set_cipher_list(b"PSK")
    raw.use_psk_identity_hint(b"h\xffx")
    raw.set_psk_server_callback(lambda conn, identity: KEY)
    server = SSL.Connection(raw, None)
    server.set_accept_state()
    with pytest.raises((ssl.SSLError, SSL.Error)):
        handshake_against_raw(client, incoming, outgoing, server, ours_first=True)
    assert hints == []


def test_has_psk_tls13_as_in_315() -> None:
    """3.15's flag: TLS 1.3 external PSKs work here (tested above)."""
    assert ssl_compat.HAS_PSK_TLS13 is True
    assert "HAS_PSK_TLS13" in ssl_compat.__all__


def test_psk_refused_and_removed() -> None:
    client_ctx, server_ctx = psk_contexts(VERSIONS[0])
    client_ctx.set_psk_client_callback(lambda hint: (None, KEY))
    server_ctx.set_psk_server_callback(lambda identity: b"")
    _client, _server, links = _objects(client_ctx, server_ctx)
    with pytest.raises(ssl.SSLError):
        handshake(*links)
    # None removes the callback: the client then has no key to offer.
    server_ctx.set_psk_server_callback(lambda identity: KEY)
    client_ctx.set_psk_client_callback(None)
    _client, _server, links = _objects(client_ctx, server_ctx)
    with pytest.raises(ssl.SSLError):
        handshake(*links)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "answer", [RuntimeError("boom"), "not a tuple", ("id", "not bytes"), (1, KEY)]
)
def test_psk_client_callback_failure_is_an_sslerror_with_cause(
    version: Any, answer: Any
) -> None:
    def callback(hint: Optional[str]) -> Any:
        if isinstance(answer, BaseException):
            raise answer
        return answer

    client_ctx, server_ctx = psk_contexts(version)
    client_ctx.set_psk_client_callback(callback)
    server_ctx.set_psk_server_callback(lambda identity: KEY)
    _client, _server, links = _objects(client_ctx, server_ctx)
    with pytest.raises(ssl.SSLError) as info:
        handshake(*links)
    cause = info.value.__cause__
    if isinstance(answer, BaseException):
        assert cause is answer
    else:
        assert isinstance(cause, TypeError)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("identity", ["x" * 256, "\u00e9" * 128, "a\0b"])
def test_psk_identities_cpython_cannot_send_fail_as_sslerror(
    version: Any, identity: str
) -> None:
    """CPython sends at most 255 bytes (a C string: no NUL); more is an
    SSLError here with the ValueError as its cause, in TLS 1.2 and 1.3."""
    client_ctx, server_ctx = psk_contexts(version)
    client_ctx.set_psk_client_callback(lambda hint: (identity, KEY))
    server_ctx.set_psk_server_callback(lambda identity: KEY)
    _client, _server, links = _objects(client_ctx, server_ctx)
    with pytest.raises(ssl.SSLError) as info:
        handshake(*links)
    assert isinstance(info.value.__cause__, ValueError)
    # 255 bytes still go.
    client_ctx.set_psk_client_callback(lambda hint: ("x" * 255, KEY))
    _client, _server, links = _objects(client_ctx, server_ctx)
    handshake(*links)


@pytest.mark.parametrize("version", VERSIONS)
def test_psk_without_identity(version: Any) -> None:
    """(None, key), as in CPython: TLS 1.2 sends an empty identity, which the
    server callback gets as None; TLS 1.3 has no empty identities, so the
    handshake fails (an SSLError, the ValueError its cause)."""
    client_ctx, server_ctx = psk_contexts(version)
    seen: list[Optional[str]] = []
    client_ctx.set_psk_client_callback(lambda hint: (None, KEY))
    server_ctx.set_psk_server_callback(lambda identity: seen.append(identity) or KEY)
    _client, _server, links = _objects(client_ctx, server_ctx)
    if version == VERSIONS[0]:
        handshake(*links)
        assert seen == [None]
    else:
        with pytest.raises(ssl.SSLError) as info:
            handshake(*links)
        assert isinstance(info.value.__cause__, ValueError)


def test_psk_server_callback_failure_is_an_sslerror_with_cause() -> None:
    boom = ValueError("unknown user")

    def callback(identity: Optional[str]) -> bytes:
        raise boom

    client_ctx, server_ctx = psk_contexts(VERSIONS[1])
    client_ctx.set_psk_client_callback(lambda hint: ("id", KEY))
    server_ctx.set_psk_server_callback(callback)
    _client, _server, links = _objects(client_ctx, server_ctx)
    with pytest.raises(ssl.SSLError) as info:
        handshake(*links)
    assert info.value.__cause__ is boom


def test_psk_setter_checks_as_cpython() -> None:
    client = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_CLIENT)
    server = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
    with pytest.raises(ssl.SSLError, match="PROTOCOL_TLS_SERVER"):
        server.set_psk_client_callback(lambda hint: (None, KEY))
    with pytest.raises(ssl.SSLError, match="PROTOCOL_TLS_CLIENT"):
        client.set_psk_server_callback(lambda identity: KEY)
    with pytest.raises(TypeError):
        client.set_psk_client_callback(3)
    with pytest.raises(TypeError):
        server.set_psk_server_callback(lambda i: b"", identity_hint=3)  # type: ignore[arg-type]
    server.set_psk_server_callback(None)
    client.set_psk_client_callback(None)
    assert ssl_compat.HAS_PSK is True


PSK_SETTER_CASES = """
import importlib, sys
ssl = importlib.import_module(sys.argv[1])  # ssl, or OpenSSL.ssl_compat
client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
cb = lambda *args: b""
cases = [
    lambda: server.set_psk_client_callback(cb),
    lambda: client.set_psk_server_callback(cb),
    lambda: server.set_psk_server_callback(cb, "h" * 300),
    lambda: server.set_psk_server_callback(cb, "a\\0b"),
    lambda: server.set_psk_server_callback(cb, identity_hint=3),
    lambda: client.set_psk_client_callback(3),
    lambda: client.set_psk_server_callback(cb, 3),
    lambda: server.set_psk_server_callback(3, "a\\0b"),
    lambda: server.set_psk_server_callback(3, "h" * 300),
]
for case in cases:
    try:
        case()
        print(repr(None))
    except Exception as exc:
        message = str(exc).split(" (_ssl.c:")[0]
        print(repr((type(exc).__name__, message, len(exc.args))))
"""


def test_psk_setter_failures_are_cpython_313s(tmp_path: Any) -> None:
    """The same wrong calls fail with CPython 3.13's types, messages and args."""
    script = tmp_path / "cases.py"
    script.write_text(PSK_SETTER_CASES)
    outputs = []
    for python, module in (
        (_python313(), "ssl"),
        (sys.executable, "OpenSSL.ssl_compat"),
    ):
        run = subprocess.run(
            [python, str(script), module], capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout.splitlines())
    theirs, ours = outputs
    assert len(ours) == 9
    assert ours == theirs


PEER_SERVER = """
import socket, ssl, sys
version = getattr(ssl.TLSVersion, sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ctx.maximum_version = version
ctx.set_ciphers("PSK")
seen = []
ctx.set_psk_server_callback(
    lambda identity: seen.append(identity) or bytes.fromhex(sys.argv[2]), "py313-hint")
listener = socket.create_server(("127.0.0.1", 0))
listener.settimeout(20)
print(listener.getsockname()[1], flush=True)
raw, _ = listener.accept()
raw.settimeout(20)
with ctx.wrap_socket(raw, server_side=True) as tls:
    line = tls.recv(100)
    tls.sendall(line[::-1])
    print(seen, tls.version(), tls.cipher()[0], flush=True)
"""

PEER_CLIENT = """
import socket, ssl, sys
version = getattr(ssl.TLSVersion, sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ctx.maximum_version = version
ctx.set_ciphers("PSK")
hints = []
ctx.set_psk_client_callback(
    lambda hint: hints.append(hint) or ("py313", bytes.fromhex(sys.argv[2])))
with socket.create_connection(("127.0.0.1", int(sys.argv[3])), timeout=20) as raw:
    with ctx.wrap_socket(raw) as tls:
        tls.sendall(b"from 3.13")
        print(tls.recv(100), hints, tls.version(), flush=True)
"""


def _python313() -> str:
    if not os.path.exists(PYTHON313):
        pytest.skip("CPython 3.13 is not installed at " + PYTHON313)
    return PYTHON313


@pytest.mark.parametrize("version", VERSIONS)
def test_psk_ssl_compat_client_against_cpython_313_server(version: Any) -> None:
    proc = subprocess.Popen(
        [_python313(), "-c", textwrap.dedent(PEER_SERVER), version.name, KEY.hex()],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        hints: list[Optional[str]] = []
        client_ctx, _ = psk_contexts(version)
        client_ctx.set_psk_client_callback(
            lambda hint: hints.append(hint) or ("us", KEY)
        )
        with socket.create_connection(("127.0.0.1", port), IO_TIMEOUT) as raw:
            with client_ctx.wrap_socket(raw) as tls:
                tls.sendall(b"ssl_compat")
                assert tls.recv(100) == b"tapmoc_lss"
        report = proc.stdout.read()
        assert proc.wait(IO_TIMEOUT) == 0, report
        assert "['us']" in report and version.name.replace("_", ".") in report
        assert hints == (["py313-hint"] if version == VERSIONS[0] else [None])
    finally:
        proc.kill()
        proc.wait(IO_TIMEOUT)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_psk_cpython_313_client_against_ssl_compat_server(version: Any) -> None:
    identities: list[Optional[str]] = []
    _, server_ctx = psk_contexts(version)
    server_ctx.set_psk_server_callback(
        lambda identity: identities.append(identity) or KEY, identity_hint="ours"
    )
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(IO_TIMEOUT)
    port = listener.getsockname()[1]
    proc = subprocess.Popen(
        [_python313(), "-c", textwrap.dedent(PEER_CLIENT), version.name, KEY.hex(),
         str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        raw, _ = listener.accept()
        raw.settimeout(IO_TIMEOUT)
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            line = tls.recv(100)
            tls.sendall(line[::-1])
            assert tls.version() == version.name.replace("_", ".")
        output, _ = proc.communicate(timeout=IO_TIMEOUT)
        assert proc.returncode == 0, output
        assert "b'31.3 morf'" in output
        assert identities == ["py313"]
        expected_hint = "['ours']" if version == VERSIONS[0] else "[None]"
        assert expected_hint in output
    finally:
        listener.close()
        proc.kill()
        proc.wait(IO_TIMEOUT)


# -- suites, groups, signature algorithms (3.15) --------------------------------


def test_set_ciphersuites_and_group() -> None:
    server_ctx = ssl_server_context()
    server_ctx.set_ciphersuites("TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256")
    server_ctx.set_groups("P-384:X25519")
    client_ctx = ssl_client_context()
    client_ctx.set_ciphersuites("TLS_CHACHA20_POLY1305_SHA256")
    client_ctx.set_groups("P-384")
    client, server, links = _objects(client_ctx, server_ctx, "localhost")
    assert client.group() is None
    handshake(*links)
    assert client.cipher()[0] == "TLS_CHACHA20_POLY1305_SHA256"
    assert client.group() == server.group() == "secp384r1"


def test_bad_names_raise_sslerror() -> None:
    ctx = ssl_client_context()
    with pytest.raises(ssl.SSLError):
        ctx.set_ciphersuites("TLS_NO_SUCH_SUITE")
    with pytest.raises(ssl.SSLError):
        ctx.set_groups("X25519:nope")
    with pytest.raises(ssl.SSLError):
        ctx.set_server_sigalgs("nope")
    with pytest.raises(ssl.SSLError):
        ctx.set_client_sigalgs("rsa_pss_rsae_sha256:nope")
    for setter in (ctx.set_ciphersuites, ctx.set_groups, ctx.set_server_sigalgs):
        with pytest.raises(TypeError):
            setter(b"X25519")


def test_get_groups_follows_the_version_limits() -> None:
    ctx = ssl_client_context()
    groups = ctx.get_groups()
    assert {"x25519", "secp256r1", "secp384r1", "ffdhe2048"} <= set(groups)
    assert "P-256" not in groups and "P-256" in ctx.get_groups(include_aliases=True)
    ctx.maximum_version = ssl_compat.TLSVersion.TLSv1_2
    assert not [g for g in ctx.get_groups() if "MLKEM" in g]
    for group in ssl_client_context().get_groups():
        context = ssl_client_context()
        context.set_groups(group)  # every listed group is accepted


def test_client_sigalgs_alone_also_limit_the_servers_signature() -> None:
    """What doc/ssl_compat.rst says of the binding's one sigalg list."""
    server_ctx = ssl_server_context()  # an ECDSA P-256 certificate
    server_ctx.set_client_sigalgs("ed25519")
    client, _server, links = _objects(ssl_client_context(), server_ctx, "localhost")
    with pytest.raises(ssl.SSLError):
        handshake(*links)
    server_ctx = ssl_server_context()
    server_ctx.set_client_sigalgs("ed25519:ecdsa_secp256r1_sha256")
    client, _server, links = _objects(ssl_client_context(), server_ctx, "localhost")
    handshake(*links)
    assert client.version() == "TLSv1.3"


def _track(*contexts: Any) -> Any:
    """Turn on what client_sigalg()/server_sigalg() need (off by default)."""
    for context in contexts:
        context.openssl_context.set_signature_scheme_tracking(True)
    return contexts[0]


def test_sigalg_setters_and_get_sigalgs() -> None:
    sigalgs = ssl_compat.get_sigalgs()
    assert {"ed25519", "rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256"} <= set(sigalgs)
    server_ctx = ssl_server_context(identity="rsa_server")
    server_ctx.set_server_sigalgs("rsa_pss_rsae_sha384")
    client_ctx = ssl_client_context()
    client_ctx.set_server_sigalgs("rsa_pss_rsae_sha256")
    client, server, links = _objects(client_ctx, server_ctx, "localhost")
    with pytest.raises(ssl.SSLError):
        handshake(*links)
    client_ctx = ssl_client_context()
    client_ctx.set_server_sigalgs("rsa_pss_rsae_sha384:ecdsa_secp256r1_sha256")
    client_ctx.set_client_sigalgs("ed25519")
    server_ctx = _track(ssl_server_context(identity="rsa_server"))
    client, server, links = _objects(_track(client_ctx), server_ctx, "localhost")
    assert client.server_sigalg() is None and server.server_sigalg() is None
    handshake(*links)
    # The server signed with the one scheme both allow; no client auth.
    assert client.server_sigalg() == server.server_sigalg() == "rsa_pss_rsae_sha384"
    assert client.client_sigalg() is None and server.client_sigalg() is None


@pytest.mark.parametrize("version", VERSIONS)
def test_sigalg_getters_with_client_auth_and_resumption(version: Any) -> None:
    """As CPython 3.15: both sides agree; a resumed session signs nothing."""
    server_ctx = ssl_server_context(identity="rsa_server")
    server_ctx.verify_mode = ssl_compat.CERT_REQUIRED
    server_ctx.load_verify_locations(str(files().ca))
    server_ctx.set_server_sigalgs("rsa_pss_rsae_sha256")
    server_ctx.set_client_sigalgs("ecdsa_secp256r1_sha256")
    client_ctx = ssl_client_context()
    client_ctx.maximum_version = version
    client_ctx.load_cert_chain(*files().identities["client"])
    _track(client_ctx, server_ctx)
    client, server, links = _objects(client_ctx, server_ctx, "localhost")
    handshake(*links)
    for side in (client, server):
        assert side.server_sigalg() == "rsa_pss_rsae_sha256"
        assert side.client_sigalg() == "ecdsa_secp256r1_sha256"
    server.write(b"tickets")
    for _ in range(10):
        deliver(*links)
        try:
            assert client.read(100) == b"tickets"
            break
        except ssl_compat.SSLWantReadError:
            continue
    session = client.session
    again, again_server, links = _objects(client_ctx, server_ctx, "localhost", session)
    handshake(*links)
    assert again.session_reused
    for side in (again, again_server):
        assert side.server_sigalg() is None and side.client_sigalg() is None


def test_sigalg_getters_without_a_signature_psk() -> None:
    """TLS 1.3 external PSK: nobody signs, both getters give None."""
    client_ctx, server_ctx = psk_contexts(ssl_compat.TLSVersion.TLSv1_3)
    client_ctx.set_psk_client_callback(lambda hint: ("id", KEY))
    server_ctx.set_psk_server_callback(lambda identity: KEY)
    _track(client_ctx, server_ctx)
    client, server, links = _objects(client_ctx, server_ctx)
    handshake(*links)
    for side in (client, server):
        assert side.server_sigalg() is None and side.client_sigalg() is None


# -- chains (3.13), default flags -------------------------------------------------


def test_chains_are_der_bytes_as_in_313() -> None:
    client, server, links = _objects(
        ssl_client_context(), ssl_server_context(), "localhost"
    )
    handshake(*links)
    pki = files().pki
    from cryptography.hazmat.primitives.serialization import Encoding

    der = [
        c.public_bytes(Encoding.DER) for c in (pki.server.cert, pki.intermediate.cert)
    ]
    assert client.get_unverified_chain() == der
    assert client.get_verified_chain() == [
        *der,
        pki.root.cert.public_bytes(Encoding.DER),
    ]
    assert server.get_verified_chain() == server.get_unverified_chain() == []


# -- post-handshake authentication ------------------------------------------------


def pha_contexts() -> tuple[Any, Any]:
    server_ctx = ssl_server_context(
        verify_mode=ssl.CERT_REQUIRED, post_handshake_auth=True
    )
    server_ctx.load_verify_locations(files().ca)
    client_ctx = ssl_client_context(post_handshake_auth=True)
    client_ctx.load_cert_chain(*files().identities["client"])
    return client_ctx, server_ctx


def test_post_handshake_auth_sslobject() -> None:
    client_ctx, server_ctx = pha_contexts()
    client, server, links = _objects(client_ctx, server_ctx, "localhost")
    handshake(*links)
    assert server.getpeercert() is None
    server.verify_client_post_handshake()
    server.write(b"ask")
    deliver(*links)
    assert client.read(3) == b"ask"
    client.write(b"answer")
    deliver(*links)
    assert server.read(6) == b"answer"
    assert server.getpeercert()["subject"][-1] == (("commonName", "client"),)


def test_post_handshake_auth_sslsocket() -> None:
    client_ctx, server_ctx = pha_contexts()

    def handler(tls: Any) -> Any:
        before = tls.getpeercert()
        tls.verify_client_post_handshake()
        tls.sendall(b"ask\n")
        data = tls.recv(100)
        return before, data, tls.getpeercert()

    server = EchoServer(server_ctx, handler=handler)
    with server, connect(client_ctx, server.address) as tls:
        assert tls.recv(100) == b"ask\n"
        tls.sendall(b"answer")
    assert not server.errors, server.errors
    before, data, after = server.results[0]
    assert before is None and data == b"answer"
    assert after["subject"][-1] == (("commonName", "client"),)


def test_post_handshake_auth_without_client_offer_is_an_sslerror() -> None:
    _, server_ctx = pha_contexts()
    client_ctx = ssl_client_context()  # post_handshake_auth stays False
    _client, server, links = _objects(client_ctx, server_ctx, "localhost")
    handshake(*links)
    with pytest.raises(ssl.SSLError):
        server.verify_client_post_handshake()


def test_post_handshake_auth_asyncio() -> None:
    client_ctx, server_ctx = pha_contexts()

    async def main() -> Any:
        seen: dict[str, Any] = {}

        async def serve(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            ssl_object = writer.get_extra_info("ssl_object")
            seen["before"] = ssl_object.getpeercert()
            ssl_object.verify_client_post_handshake()
            writer.write(b"ask\n")
            await writer.drain()
            seen["line"] = await reader.readline()
            seen["after"] = ssl_object.getpeercert()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        async with server:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=client_ctx, server_hostname="localhost"
            )
            assert await reader.readline() == b"ask\n"
            writer.write(b"answer\n")
            await writer.drain()
            await reader.read()  # the server closes after reading
            writer.close()
        return seen

    seen = asyncio.run(asyncio.wait_for(main(), IO_TIMEOUT))
    assert seen["before"] is None and seen["line"] == b"answer\n"
    assert seen["after"]["subject"][-1] == (("commonName", "client"),)


def test_create_default_context_flags_on_every_python() -> None:
    flags = ssl_compat.create_default_context().verify_flags
    assert flags & ssl_compat.VERIFY_X509_STRICT
    assert flags & ssl_compat.VERIFY_X509_PARTIAL_CHAIN
    assert sys.version_info >= (3, 9)


def test_sigalg_getters_without_tracking() -> None:
    """Off by default (it costs per record): the getters cannot answer."""
    client_ctx, server_ctx = ssl_client_context(), _track(ssl_server_context())
    client, server, links = _objects(client_ctx, server_ctx, "localhost")
    handshake(*links)
    with pytest.raises(ssl_compat.SSLError, match="not recorded"):
        client.server_sigalg()
    assert server.server_sigalg() == "ecdsa_secp256r1_sha256"  # still tracking
