"""The world the API fuzzer acts on: fixtures, live objects, argument values.

.. list-table:: Who relies on this module, and where verdicts are computed
   :header-rows: 1

   * - test
     - uses
     - verdict computed in
   * - ``test_fuzz_api_ssl.py::test_fuzz_fixed_seed``, ``test_fuzz_fresh_seeds``
     - the fixtures, live objects and argument pool, through ``fuzz_api_ssl``
     - not here: ``fuzz_api_ssl.judge``/``check_clean``/``check_round_trip``
   * - ``test_fuzz_api_ssl.py::test_bytes_subclass_with_lying_len_is_copied``,
       ``test_recv_into_is_bounded_by_the_real_buffer_size``
     - the lying ``bytes``/``str``/``bytearray`` classes
     - the tests

Part of ``fuzz_api_ssl`` (the driver; its docstring explains the fuzzer).
This module holds what a step can name: the certificates, keys and files
built once per process (:class:`_Fixtures`), the live objects of one
example (:class:`World`), the pool of argument values (:data:`POOL`), the
hints that steer arguments by parameter name, the callables the fuzzer
passes as callbacks, and the introspection that finds the methods to call.
"""

from __future__ import annotations

import atexit
import datetime
import inspect
import os
import pathlib
import shutil
import socket
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519

from OpenSSL import SSL, crypto
from OpenSSL._ssl_socket import SocketMethods
from tests import support
from tests.support import make_pki

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from OpenSSL import rand


class FuzzCallbackError(Exception):
    """Raised by the fuzzer's own callbacks; must come out of the driving call."""


Step = tuple[Any, ...]

# -- fixtures built once per process -------------------------------------------

_DH_PARAMS = b"""-----BEGIN DH PARAMETERS-----
MEYCQQCmpSftDtBPNTnn7iAM2oxxm3SchlW3xFsgA8wfFbXYeygiuf9zMZdQkUu6
pmryNSQ7SPXTsJ/8qmPsTAaIThiXAgEC
-----END DH PARAMETERS-----
"""
_GARBAGE_PEM = (
    b"-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n"
)
_PASSPHRASE = b"secret"


class _Fixtures:
    """Certificates, keys and files every example draws from (immutable)."""

    def __init__(self) -> None:
        pki = make_pki()
        self.pki = pki
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="fuzz-api-ssl-"))
        atexit.register(shutil.rmtree, str(self.dir), True)
        d = self.dir
        self.dsa_key = dsa.generate_private_key(1024)
        self.ed_key = ed25519.Ed25519PrivateKey.generate()
        root = pki.root
        crl_builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(root.cert.subject)
            .last_update(datetime.datetime(2020, 1, 1))
            .next_update(datetime.datetime(2099, 1, 1))
        )
        self.crl = crl_builder.sign(root.key, hashes.SHA256())
        encrypted = pki.server.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(_PASSPHRASE),
        )
        files = {
            "ca": pki.root_pem(),
            "chain": pki.server.chain_pem(),
            "key": pki.server.key_pem(),
            "enc_key": encrypted,
            "der_cert": pki.server.cert.public_bytes(serialization.Encoding.DER),
            "garbage": _GARBAGE_PEM,
            "empty": b"",
            "dh": _DH_PARAMS,
        }
        self.files: dict[str, pathlib.Path] = {}
        for name, content in files.items():
            path = d / f"{name}.pem"
            path.write_bytes(content)
            self.files[name] = path
        self.files["dir"] = d
        self.files["missing"] = d / "missing.pem"
        self.blobs = {**files, "pubkey": _pub_pem(pki.server.key)}


def _pub_pem(key: Any) -> bytes:
    return key.public_key().public_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


_FIXTURES: list[_Fixtures] = []


def fixtures() -> _Fixtures:
    if not _FIXTURES:
        _FIXTURES.append(_Fixtures())
    return _FIXTURES[0]


# -- what the callbacks did ----------------------------------------------------


class _Trace:
    """Exceptions the fuzzer's callbacks raised, and what escaped elsewhere."""

    def __init__(self) -> None:
        self.raised: list[BaseException] = []
        self.excepthook: list[BaseException] = []
        self.unraisable: list[str] = []
        self.warnings: list[str] = []
        self.outside = True

    def reset(self) -> None:
        self.raised.clear()
        self.excepthook.clear()


TRACE = _Trace()
#: (call, outcome) -> count, for --stats.
OUTCOMES: Counter[tuple[str, str]] = Counter()


def _raise_marker(*args: Any) -> Any:
    exc = FuzzCallbackError("raised by a callback the fuzzer set")
    TRACE.raised.append(exc)
    raise exc


class LyingBytes(bytes):
    """bytes whose ``len()`` claims 64 MiB: C code must not trust ``len()``."""

    def __len__(self) -> int:
        return 1 << 26


class LyingStr(str):
    """str whose ``encode()`` gives :class:`LyingBytes`."""

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return LyingBytes(str(self).encode(encoding, errors))


class LyingBytearray(bytearray):
    """A writable buffer whose ``len()`` claims 1 MiB."""

    def __len__(self) -> int:
        return 1 << 20


class _Evil:
    """A return value whose truth, comparison and length all raise."""

    def __bool__(self) -> bool:
        return bool(_raise_marker())

    def __eq__(self, other: object) -> bool:
        return bool(_raise_marker())

    __hash__ = object.__hash__

    def __len__(self) -> int:
        return int(_raise_marker())


class _EvilPath:
    """A path-like object whose ``__fspath__`` raises."""

    def __fspath__(self) -> str:
        return str(_raise_marker())


def _evil_items(world: World) -> Iterator[Any]:
    """An iterable that yields a certificate and a name, then raises."""
    yield from world.objects["X509"][:1]
    yield from world.objects["X509Name"][:1]
    _raise_marker()


def _first_offered(*args: Any) -> Any:
    # The well-behaved answer for ALPN select; True for the boolean ones.
    if len(args) >= 2 and isinstance(args[1], list):
        return args[1][0] if args[1] else SSL.NO_OVERLAPPING_PROTOCOLS
    return True


def _reenter(*args: Any) -> Any:
    # Looks at the Connection from inside the callback, then accepts.
    conn = args[0] if args else None
    if isinstance(conn, SSL.Connection):
        conn.get_state_string()
        conn.pending()
        conn.get_peer_certificate()
        conn.get_servername()
    return True


def _switch_context(method: int) -> Callable[..., Any]:
    """A callback that moves its Connection to a new Context, then accepts.

    What servername callbacks do; here at any callback and to any method
    (a DTLS Context under a TLS handshake included).
    """

    def switch(*args: Any) -> Any:
        conn = args[0] if args else None
        if isinstance(conn, SSL.Connection):
            if method == SSL.TLS_METHOD:
                conn.set_context(support.server_context())
            else:
                conn.set_context(SSL.Context(method))
        return True

    return switch


def _no_args() -> None:
    return None


_CALLABLES: dict[str, Callable[..., Any]] = {
    "cb_raise": _raise_marker,
    "cb_none": lambda *a: None,
    "cb_one": lambda *a: 1,
    "cb_str": lambda *a: "x",
    "cb_object": lambda *a: object(),
    "cb_big": lambda *a: b"x" * 100000,
    "cb_300": lambda *a: b"c" * 300,
    "cb_true": lambda *a: True,
    "cb_false": lambda *a: False,
    "cb_empty": lambda *a: b"",
    "cb_cookie": lambda *a: b"cookie",
    "cb_secret": lambda *a: _PASSPHRASE,
    "cb_first": _first_offered,
    "cb_reenter": _reenter,
    "cb_no_args": _no_args,
    "cb_evil": lambda *a: _Evil(),
    "cb_switch_tls": _switch_context(SSL.TLS_METHOD),
    "cb_switch_dtls": _switch_context(SSL.DTLS_METHOD),
    "cb_liar": lambda *a: LyingBytes(b"h2"),
}

# -- the value pool ------------------------------------------------------------


class World:
    """The live objects of one example."""

    def __init__(self) -> None:
        fx = fixtures()
        pki = fx.pki
        self.fx = fx
        self.objects: dict[str, list[Any]] = {kind: [] for kind in KINDS}
        self.added: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.pairs: list[Pair] = []
        self.sockets: list[socket.socket] = []
        spare_a, spare_b = socket.socketpair()
        closed, _other = socket.socketpair()
        for s in (spare_a, spare_b, closed, _other):
            s.setblocking(False)
            self.sockets.append(s)
        closed.close()
        self.spare = spare_a
        self.closed = closed
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            # The first two make the initial pairs; the others stay fresh
            # (configurable) until a new_pair transition uses them.
            contexts = [
                support.client_context(),
                support.server_context(),
                support.client_context(),
                support.server_context(),
                support.server_context(pki.rsa_server, max_version=SSL.TLS1_2_VERSION),
                SSL.Context(SSL.TLS_METHOD),
                SSL.Context(SSL.DTLS_METHOD),
            ]
            for ctx in contexts:
                self.add(ctx)
            server_cert = crypto.X509.from_cryptography(pki.server.cert)
            for obj in (
                server_cert,
                crypto.X509.from_cryptography(pki.root.cert),
                crypto.X509(),
                crypto.PKey.from_cryptography_key(pki.rsa_server.key),
                crypto.PKey.from_cryptography_key(pki.server.key),
                crypto.PKey.from_cryptography_key(fx.dsa_key),
                crypto.PKey.from_cryptography_key(fx.ed_key),
                server_cert.get_pubkey(),
                crypto.PKey(),
                server_cert.get_subject(),
                crypto.X509Name(server_cert.get_issuer()),
                crypto.X509Store(),
                crypto.X509StoreFlags(),
                crypto.get_elliptic_curve("prime256v1"),
                SSL.Session(),
            ):
                self.add(obj)
            store = crypto.X509Store()
            store.add_cert(crypto.X509.from_cryptography(pki.root.cert))
            self.add(store)
            self.add(crypto.X509StoreContext(store, server_cert))
        self.new_pair("memory", 0, 1)
        self.new_pair("socket", 0, 1)

    def add(self, obj: Any) -> None:
        kind = kind_of(obj)
        if kind is None:
            return
        items = self.objects[kind]
        if len(items) < MAX_PER_KIND:
            items.append(obj)
        else:
            items[self.added[kind] % MAX_PER_KIND] = obj
        self.added[kind] += 1

    def get(self, kind: str, index: int) -> Any:
        items = self.objects[kind]
        return items[index % len(items)] if items else None

    def new_pair(self, mode: str, client_index: int, server_index: int) -> Pair:
        client_ctx = self.get("Context", client_index)
        server_ctx = self.get("Context", server_index)
        if mode == "socket":
            a, b = socket.socketpair()
            a.setblocking(False)
            b.setblocking(False)
            self.sockets += [a, b]
            client = SSL.Connection(client_ctx, a)
            server = SSL.Connection(server_ctx, b)
            pair = Pair(mode, client, server, a, b)
        else:
            client = SSL.Connection(client_ctx, None)
            server = SSL.Connection(server_ctx, None)
            pair = Pair(mode, client, server, None, None)
        client.set_connect_state()
        server.set_accept_state()
        self.add(client)
        self.add(server)
        if len(self.pairs) >= MAX_PAIRS:
            self.pairs.pop(0)
        self.pairs.append(pair)
        return pair

    def callback_pair(self, mode: str, chosen: Sequence[tuple[str, str]]) -> Pair:
        """A client/server pair whose Contexts carry the *chosen* callbacks.

        The client sends SNI, offers ALPN and asks for OCSP stapling, so
        that every server-side callback has a reason to run.
        """
        pki = self.fx.pki
        if mode == "dtls":
            client_ctx = SSL.Context(SSL.DTLS_METHOD)
            server_ctx = SSL.Context(SSL.DTLS_METHOD)
            server_ctx.use_certificate(pki.server.cert)
            server_ctx.use_privatekey(pki.server.key)
            for ctx in (client_ctx, server_ctx):
                ctx.set_options(SSL.OP_NO_QUERY_MTU)
        elif mode == "tls12":
            # TLS 1.2 and RSA: renegotiation and session IDs are possible.
            client_ctx = support.client_context()
            server_ctx = support.server_context(
                pki.rsa_server, max_version=SSL.TLS1_2_VERSION
            )
        else:
            client_ctx = support.client_context()
            server_ctx = support.server_context()
        contexts = (client_ctx, server_ctx)
        later = []
        for kind, callback_name in chosen:
            side, where, method, extra = CALLBACK_SETTERS[kind]
            callback = POOL[callback_name](self)
            if where == "ctx":
                getattr(contexts[side], method)(*extra, callback)
            else:
                later.append((method, extra, callback))
        self.add(client_ctx)
        self.add(server_ctx)
        pair = self.new_pair(
            "socket" if mode == "socket" else "memory",
            self.objects["Context"].index(client_ctx),
            self.objects["Context"].index(server_ctx),
        )
        assert pair.client is not None and pair.server is not None
        pair.dtls = mode == "dtls"
        pair.tls12 = mode == "tls12"
        for method, extra, callback in later:
            getattr(pair.client, method)(*extra, callback)
        if pair.dtls:
            pair.client.set_ciphertext_mtu(1500)
            pair.server.set_ciphertext_mtu(1500)
        else:
            pair.client.set_tlsext_host_name(b"localhost")
        pair.client.set_alpn_protos([b"h2", b"http/1.1"])
        pair.client.request_ocsp()
        return pair

    def forget(self, obj: Any) -> None:
        """Drop the world's references to *obj* (the peer vanishes)."""
        for items in self.objects.values():
            items[:] = [o for o in items if o is not obj]

    def close(self) -> None:
        for s in self.sockets:
            s.close()
        self.pairs.clear()
        for items in self.objects.values():
            items.clear()


@dataclass
class Pair:
    """A client and a server Connection that talk to each other."""

    mode: str
    client: Optional[SSL.Connection]
    server: Optional[SSL.Connection]
    client_sock: Optional[socket.socket]
    server_sock: Optional[socket.socket]
    dtls: bool = False
    tls12: bool = False

    def side(self, which: int) -> Optional[SSL.Connection]:
        return self.client if which == 0 else self.server


MAX_PER_KIND = 8
MAX_PAIRS = 6

#: Kinds of live objects, in the order of ``KIND_CLASSES``.
KIND_CLASSES: list[tuple[str, type]] = [
    ("Connection", SSL.Connection),
    ("Context", SSL.Context),
    ("Session", SSL.Session),
    ("X509", crypto.X509),
    ("X509Name", crypto.X509Name),
    ("PKey", crypto.PKey),
    ("X509Store", crypto.X509Store),
    ("X509StoreContext", crypto.X509StoreContext),
    ("X509StoreFlags", crypto.X509StoreFlags),
    ("curve", crypto._EllipticCurve),
]
# Classes the modules may grow (X509Req, X509Extension, CRL, ... were removed
# before pyOpenSSL 26.4): any public non-exception class becomes a kind.
for _module in (SSL, crypto):
    for _name in getattr(_module, "__all__", []):
        _obj = getattr(_module, _name, None)
        if (
            inspect.isclass(_obj)
            and not issubclass(_obj, BaseException)
            and all(cls is not _obj for _, cls in KIND_CLASSES)
        ):
            KIND_CLASSES.append((_name, _obj))
KINDS = [kind for kind, _ in KIND_CLASSES]


def kind_of(obj: Any) -> Optional[str]:
    for kind, cls in KIND_CLASSES:
        if isinstance(obj, cls):
            return kind
    return None


_PATHS = ["ca", "chain", "key", "enc_key", "der_cert", "garbage", "empty", "dh"]


def _pool() -> dict[str, Callable[[World], Any]]:
    """Named argument values; each is made fresh per use (some are mutable)."""
    pool: dict[str, Callable[[World], Any]] = {
        "None": lambda w: None,
        "True": lambda w: True,
        "False": lambda w: False,
        "nan": lambda w: float("nan"),
        "inf": lambda w: float("inf"),
        "half": lambda w: 0.5,
        "neg_float": lambda w: -1.5,
        "str_empty": lambda w: "",
        "str_nul": lambda w: "a\0b",
        "str_unicode": lambda w: "\xe9\u20ac\U0001f600",
        "str_surrogate": lambda w: "\ud800",
        "str_long": lambda w: "x" * 10000,
        "str_host": lambda w: "localhost",
        "str_ip": lambda w: "127.0.0.1",
        "bytes_empty": lambda w: b"",
        "bytes_nul": lambda w: b"a\0b",
        "bytes_high": lambda w: b"\xff" * 300,
        "bytes_100k": lambda w: b"x" * 100000,
        "bytes_host": lambda w: b"localhost",
        "bytes_h2": lambda w: b"h2",
        "bytes_cipher": lambda w: b"ECDHE+AESGCM:!aNULL",
        "bytes_tls13": lambda w: b"TLS_AES_128_GCM_SHA256",
        "bytes_srtp": lambda w: b"SRTP_AES128_CM_SHA1_80",
        "bytearray": lambda w: bytearray(b"abcdef"),
        "bytearray_16k": lambda w: bytearray(16384),
        "bytearray_empty": lambda w: bytearray(),
        "bytes_liar": lambda w: LyingBytes(b"liar"),
        "str_liar": lambda w: LyingStr("localhost"),
        "evil": lambda w: _Evil(),
        "path_evil": lambda w: _EvilPath(),
        "iter_evil": _evil_items,
        "bytearray_liar": lambda w: LyingBytearray(8),
        "memoryview_ro": lambda w: memoryview(b"read-only"),
        "memoryview_rw": lambda w: memoryview(bytearray(64)),
        "memoryview_strided": lambda w: memoryview(bytearray(64))[::2],
        "memoryview_2d": lambda w: memoryview(bytearray(64)).cast("B", (8, 8)),
        "memoryview_int": lambda w: memoryview(bytearray(64)).cast("i"),
        "list_protos": lambda w: [b"h2", b"http/1.1"],
        "list_empty_proto": lambda w: [b""],
        "list_long_proto": lambda w: [b"p" * 300],
        "list_str": lambda w: ["h2"],
        "list_mixed": lambda w: [1, None, b"x", "y"],
        "list_empty": lambda w: [],
        "tuple_protos": lambda w: (b"h2",),
        "dict": lambda w: {"a": 1},
        "object": lambda w: object(),
        "list_x509": lambda w: list(w.objects["X509"][:3]),
        "list_names": lambda w: list(w.objects["X509Name"][:3]),
        "list_certs": lambda w: [w.fx.pki.intermediate.cert],
        "socket_spare": lambda w: w.spare,
        "socket_closed": lambda w: w.closed,
        "cert": lambda w: w.fx.pki.server.cert,
        "root_cert": lambda w: w.fx.pki.root.cert,
        "ec_key": lambda w: w.fx.pki.server.key,
        "rsa_key": lambda w: w.fx.pki.rsa_server.key,
        "dsa_key": lambda w: w.fx.dsa_key,
        "ed_key": lambda w: w.fx.ed_key,
        "public_key": lambda w: w.fx.pki.server.key.public_key(),
        "crl": lambda w: w.fx.crl,
        "x509_name": lambda w: w.fx.pki.server.cert.subject,
        "curve_p384": lambda w: ec.SECP384R1(),
        "curve_class": lambda w: ec.SECP256R1,
        "curve_brainpool": lambda w: ec.BrainpoolP256R1(),
        "now": lambda w: datetime.datetime.now(),
        "aware_now": lambda w: datetime.datetime.now(datetime.timezone.utc),
        "year_1": lambda w: datetime.datetime(1, 1, 1),
        "year_9999": lambda w: datetime.datetime(9999, 12, 31),
        "date": lambda w: datetime.date(2020, 1, 1),
        "digest_sha256": lambda w: "sha256",
        "digest_md5": lambda w: "md5",
        "digest_bad": lambda w: "no-such-digest",
        "digest_bytes": lambda w: b"sha1",
        "asn1_time": lambda w: b"20300101000000Z",
        "asn1_time_bad": lambda w: b"2030",
        "no_overlap": lambda w: SSL.NO_OVERLAPPING_PROTOCOLS,
        "msg_peek": lambda w: socket.MSG_PEEK,
        "shut_rdwr": lambda w: socket.SHUT_RDWR,
        "addr_tcp": lambda w: ("127.0.0.1", 9),
        "addr_unix": lambda w: str(w.fx.dir / "no-socket"),
    }
    ints = {
        "0": 0,
        "1": 1,
        "-1": -1,
        "2": 2,
        "255": 255,
        "256": 256,
        "512": 512,
        "1024": 1024,
        "2**31-1": 2**31 - 1,
        "2**31": 2**31,
        "2**32": 2**32,
        "2**63": 2**63,
        "2**64": 2**64,
        "-2**63-1": -(2**63) - 1,
        "10**100": 10**100,
    }
    for name, value in ints.items():
        pool[f"int_{name}"] = lambda w, v=value: v
    constants = [
        ("crypto", "FILETYPE_PEM"),
        ("crypto", "FILETYPE_ASN1"),
        ("crypto", "FILETYPE_TEXT"),
        ("crypto", "TYPE_RSA"),
        ("crypto", "TYPE_DSA"),
        ("crypto", "TYPE_EC"),
        ("crypto", "TYPE_DH"),
        ("SSL", "VERIFY_PEER"),
        ("SSL", "VERIFY_NONE"),
        ("SSL", "VERIFY_FAIL_IF_NO_PEER_CERT"),
        ("SSL", "OP_ALL"),
        ("SSL", "OP_NO_TICKET"),
        ("SSL", "OP_NO_TLSv1_3"),
        ("SSL", "OP_NO_QUERY_MTU"),
        ("SSL", "MODE_RELEASE_BUFFERS"),
        ("SSL", "SESS_CACHE_BOTH"),
        ("SSL", "SESS_CACHE_OFF"),
        ("SSL", "SENT_SHUTDOWN"),
        ("SSL", "RECEIVED_SHUTDOWN"),
        ("SSL", "TLS1_2_VERSION"),
        ("SSL", "TLS1_3_VERSION"),
        ("SSL", "TLS_METHOD"),
        ("SSL", "TLSv1_2_METHOD"),
        ("SSL", "DTLS_METHOD"),
        ("SSL", "TLS_CLIENT_METHOD"),
        ("SSL", "SSLEAY_VERSION"),
    ]
    for module_name, name in constants:
        module = crypto if module_name == "crypto" else SSL
        if hasattr(module, name):
            value = getattr(module, name)
            pool[name] = lambda w, v=value: v
    flags = crypto.X509StoreFlags
    pool["flag_partial_chain"] = lambda w: flags.PARTIAL_CHAIN
    pool["flag_crl_check"] = lambda w: flags.CRL_CHECK | flags.CRL_CHECK_ALL
    pool["flag_policy"] = lambda w: flags.POLICY_CHECK | flags.EXPLICIT_POLICY
    for name in [*_PATHS, "dir", "missing"]:
        pool[f"path_{name}"] = lambda w, n=name: str(w.fx.files[n])
    pool["path_bytes"] = lambda w: os.fsencode(w.fx.files["ca"])
    pool["path_object"] = lambda w: w.fx.files["chain"]
    pool["path_nul"] = lambda w: str(w.fx.files["ca"]) + "\0x"
    pool["path_devnull"] = lambda w: "/dev/null"
    for name in ["ca", "chain", "key", "enc_key", "der_cert", "garbage", "pubkey"]:
        pool[f"blob_{name}"] = lambda w, n=name: w.fx.blobs[n]
    for name, callback in _CALLABLES.items():
        pool[name] = lambda w, c=callback: c
    return pool


POOL = _pool()
POOL_NAMES = sorted(POOL)
CALLABLE_NAMES = sorted(_CALLABLES)


def _names(prefixes: Sequence[str]) -> list[str]:
    return [n for n in POOL_NAMES if any(n.startswith(p) for p in prefixes)]


#: Parameter-name/annotation keywords -> the values worth trying first.
#: Entries are pool names or ``@Kind`` for a live object of that kind.
HINTS: list[tuple[tuple[str, ...], list[str]]] = [
    (("callback", "callable", "passphrase"), [*CALLABLE_NAMES, "bytes_empty"]),
    (("filetype",), _names(["FILETYPE_"])),
    (("hostname",), [*_names(["str_"]), "bytes_host", "bytes_nul", "bytes_liar"]),
    (("as_cryptography",), ["True", "False", "None", "int_1"]),
    (("file", "path", "Path", "cafile", "capath"), _names(["path_"])),
    (("Context",), ["@Context"]),
    (("Session",), ["@Session"]),
    (
        ("X509Name", "certificate_authorities"),
        ["@X509Name", "list_names", "iter_evil"],
    ),
    (("X509Store",), ["@X509Store"]),
    (("chain",), ["list_x509", "list_certs", "list_mixed", "None", "iter_evil"]),
    (("cert", "X509", "certobj"), ["@X509", "cert", "root_cert", "public_key"]),
    (
        ("pkey", "PKey", "key", "Key"),
        ["@PKey", "ec_key", "rsa_key", "dsa_key", "ed_key", "public_key"],
    ),
    (("crl",), ["crl", "cert"]),
    (("socket", "sock"), ["None", "socket_spare", "socket_closed"]),
    (("protos",), _names(["list_", "tuple_"])),
    (("vfy_time", "datetime"), ["now", "aware_now", "year_1", "year_9999", "date"]),
    (("curve",), ["@curve", "curve_p384", "curve_class", "curve_brainpool"]),
    (("digest",), _names(["digest_"])),
    (("when",), ["asn1_time", "asn1_time_bad", "bytes_empty", "bytes_nul"]),
    (("type", "filetype"), _names(["FILETYPE_", "TYPE_"])),
    (("method",), [n for n in POOL_NAMES if n.endswith("_METHOD")]),
    (
        ("buffer",),
        [*_names(["blob_", "bytearray", "memoryview"]), "bytes_empty", "str_empty"],
    ),
    (("addr",), ["addr_tcp", "addr_unix", "None"]),
    (
        ("mode", "options", "flags", "state", "version", "method", "depth"),
        [n for n in POOL_NAMES if n.isupper() or n.startswith(("int_", "flag_"))],
    ),
    (("bufsiz", "nbytes", "olen", "mtu", "timeout", "bits", "int"), _names(["int_"])),
    (("buf", "bytes", "label", "profiles", "cipher", "Buffer"), _names(["b"])),
    (("str",), _names(["str_"])),
]


def hint_values(hint: str) -> list[str]:
    """The preferred values for a ``"name:annotation"`` parameter hint.

    The parameter name decides first (``keyfile`` is a path, not a key);
    the annotation only when the name says nothing.
    """
    name, _, annotation = hint.partition(":")
    for part in (name, annotation):
        for keywords, values in HINTS:
            if any(k in part for k in keywords):
                return values
    return []


def resolve(world: World, token: Any) -> Any:
    """The value a step's argument token stands for."""
    tag = token[0]
    if tag == "v":
        return POOL[token[1]](world)
    if tag == "o":
        return world.get(token[1], token[2])
    if tag == "lit":
        return token[1]
    raise ValueError(f"unknown argument token {token!r}")


# -- introspection -------------------------------------------------------------

_METHODS: dict[type, list[str]] = {}


def methods_of(cls: type) -> list[str]:
    """Public methods of *cls* (plus a few operators), sorted; cached."""
    found = _METHODS.get(cls)
    if found is None:
        found = sorted(
            name
            for name in dir(cls)
            if not name.startswith("_") and callable(getattr(cls, name, None))
        )
        found += ["__repr__", "__eq__", "__hash__"]
        if issubclass(cls, crypto.X509Name):
            found += ["__lt__", "__ge__", "__ne__"]
        _METHODS[cls] = found
    return found


def functions_of(module: Any) -> list[str]:
    return sorted(
        name
        for name in getattr(module, "__all__", dir(module))
        if inspect.isroutine(getattr(module, name, None))
    )


MODULES = {"SSL": SSL, "crypto": crypto, "rand": rand}
FUNCTIONS = {name: functions_of(module) for name, module in MODULES.items()}
CONSTRUCTORS = [kind for kind, cls in KIND_CLASSES if kind != "curve"]
_CLASS_OF = dict(KIND_CLASSES)

_PARAMS: dict[Any, list[tuple[str, str]]] = {}


def signature_key(function: Any) -> Any:
    """What to cache a callable's signature under.

    Bound methods (and the method-wrappers of ``__repr__`` ...) are new
    objects on every access, and would keep their objects alive in a cache:
    they are keyed by the function behind them, or by class and name.
    """
    func = getattr(function, "__func__", None)
    if func is not None:
        return func
    owner = getattr(function, "__self__", None)
    if owner is not None and not inspect.ismodule(owner):
        return (type(owner), getattr(function, "__name__", ""))
    return function


def _parameters(function: Any) -> list[inspect.Parameter]:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p for p in parameters if p.name != "self"]


def params_of(function: Any) -> list[tuple[str, str]]:
    """``(name, name + annotation)`` of the parameters after ``self`` (cached)."""
    key = signature_key(function)
    found = _PARAMS.get(key)
    if found is None:
        found = [
            (p.name, f"{p.name}:{p.annotation}")
            for p in _parameters(function)
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        _PARAMS[key] = found
    return found


_REQUIRED: dict[Any, int] = {}


def required_count(function: Any) -> int:
    """How many positional parameters *function* requires (cached)."""
    key = signature_key(function)
    found = _REQUIRED.get(key)
    if found is None:
        found = sum(
            1
            for p in _parameters(function)
            if p.default is p.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        )
        _REQUIRED[key] = found
    return found


#: Methods that pass socket errors through unchanged (as pyOpenSSL does):
#: the TLS-role ones and every socket-mode method of ``SocketMethods``.
SOCKET_PASSTHROUGH = {"connect", "connect_ex", "accept", "sock_shutdown"} | {
    name for name in vars(SocketMethods) if not name.startswith("_")
}


def skip_reason(target: str, name: str, args: list[Any]) -> Optional[str]:
    """Why a call is not made: it would act on a foreign fd or run for ages."""
    if target == "new:Connection" and len(args) >= 2:
        sock = args[1]
        if isinstance(sock, int) and 0 <= sock < 2**20:
            return "Connection on an arbitrary file descriptor"
    if name == "export_keying_material" and len(args) >= 2:
        if isinstance(args[1], int) and args[1] > 1 << 16:
            return "gigabytes of keying material"
    if name == "generate_key" and len(args) >= 2:
        if isinstance(args[1], int) and args[1] > 1024:
            return "slow key generation"
    return None


#: How the callback_pair transition installs each kind of callback:
#: name -> (side: 0 client / 1 server, "ctx" or "conn", method, extra args).
#: Context and Connection methods with "callback" in their name that are not
#: listed are found by introspection and called as ``method(callback)``.
CALLBACK_SETTERS: dict[str, tuple[int, str, str, tuple[Any, ...]]] = {
    "client verify": (0, "ctx", "set_verify", (SSL.VERIFY_PEER,)),
    "server verify": (1, "ctx", "set_verify", (SSL.VERIFY_PEER,)),
    "client info": (0, "ctx", "set_info_callback", ()),
    "server info": (1, "ctx", "set_info_callback", ()),
    "client keylog": (0, "ctx", "set_keylog_callback", ()),
    "server keylog": (1, "ctx", "set_keylog_callback", ()),
    "servername": (1, "ctx", "set_tlsext_servername_callback", ()),
    "alpn select": (1, "ctx", "set_alpn_select_callback", ()),
    "ocsp server": (1, "ctx", "set_ocsp_server_callback", ()),
    "ocsp client": (0, "ctx", "set_ocsp_client_callback", ()),
    "cookie generate": (1, "ctx", "set_cookie_generate_callback", ()),
    "cookie verify": (1, "ctx", "set_cookie_verify_callback", ()),
    "conn info": (0, "conn", "set_info_callback", ()),
    "conn verify": (0, "conn", "set_verify", (SSL.VERIFY_PEER,)),
}
for _cls, _where in ((SSL.Context, "ctx"), (SSL.Connection, "conn")):
    for _method in methods_of(_cls):
        if "callback" in _method and not any(
            m == _method and w == _where for _, w, m, _ in CALLBACK_SETTERS.values()
        ):
            CALLBACK_SETTERS[f"{_where} {_method}"] = (1, _where, _method, ())
CALLBACK_KINDS = sorted(CALLBACK_SETTERS)
