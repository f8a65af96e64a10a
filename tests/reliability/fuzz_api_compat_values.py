"""The value pools of ``fuzz_api_compat``: garbage, and good values by name.

.. list-table:: Who relies on this module, and where verdicts are computed
   :header-rows: 1

   * - test
     - uses
     - verdict computed in
   * - ``test_fuzz_api_compat.py::test_fuzz_fixed_seed``, ``test_fuzz_fresh_seed``,
       ``test_the_fuzzer_reports_a_planted_defect``
     - the value pools, through ``fuzz_api_compat``
     - not here: ``fuzz_api_compat`` (``World.invoke``, ``World.check_clean``);
       :func:`has_big_number`/:func:`has_hostile` only tell it which
       exceptions a call may raise

``static_values`` is what any parameter may get (``None``, huge ints, NUL
bytes, read-only and non-contiguous buffers, closed sockets, ...);
``smart_table`` maps a parameter's name (``server_hostname``, ``cadata``,
``alpn_protocols``, ...) to values that get past the first checks, plus
near misses. Both take the driver's ``Shared`` object (its files, the DER
and PEM of the test certificate, the closed port). Labels are short reprs,
for the step list a finding prints. :class:`Marker` is the exception the
fuzzer's callbacks and :class:`Hostile` values raise; ``has_big_number`` and
``has_hostile`` tell the driver when OverflowError or the marker may come out
of a call.
"""

from __future__ import annotations

import io
import socket
import ssl
from pathlib import Path
from typing import Any

from OpenSSL import ssl_compat

__all__ = [
    "BOOL_PARAMETERS",
    "Hostile",
    "Marker",
    "has_big_number",
    "has_hostile",
    "labelled",
    "smart_table",
    "static_values",
]

BOOL_PARAMETERS = {
    *("binary_form", "block", "flag", "server_side", "do_handshake_on_connect"),
    *("suppress_ragged_eofs", "check_hostname", "post_handshake_auth"),
    "hostname_checks_common_name",
}


class Marker(Exception):
    """Raised by the fuzzer's own callbacks; must never leak unexplained."""


class Hostile:
    """A value whose conversions raise :class:`Marker` (int, float, bool,
    len, iter, str, fspath): like a callback's, its exception may come out."""

    def _refuse(self, *args: Any) -> Any:
        raise Marker("raised by a hostile value's conversion")

    __index__ = __int__ = __float__ = __bool__ = __len__ = __iter__ = _refuse
    __fspath__ = __str__ = __bytes__ = _refuse

    def __repr__(self) -> str:
        return "Hostile()"


def has_hostile(values: Any, depth: int = 0) -> bool:
    """Whether *values* hold a :class:`Hostile` (its Marker may come out)."""
    for value in values:
        if isinstance(value, Hostile):
            return True
        if isinstance(value, (tuple, list)) and depth < 2:
            if has_hostile(value, depth + 1):
                return True
    return False


def has_big_number(values: Any, depth: int = 0) -> bool:
    """Whether *values* hold a number that may overflow a C type (OverflowError)."""
    for value in values:
        if isinstance(value, float) and not 0 <= value < 2**31:
            return True  # also inf and nan
        if isinstance(value, int) and not isinstance(value, bool):
            # Negative into unsigned, and ports refuse 70000 with it too.
            if value < 0 or value >= 2**16:
                return True
        if isinstance(value, (tuple, list)) and depth < 2:
            if has_big_number(value, depth + 1):
                return True
    return False


class LyingBytes(bytes):
    """``len()`` overstates the size: C code trusting it reads past the end."""

    def __len__(self) -> int:
        return 1 << 20


class LyingStr(str):
    """The same for text."""

    def __len__(self) -> int:
        return 1 << 20


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}...<{len(text)} chars>"


def labelled(*values: Any) -> list[tuple[str, Any]]:
    """``(label, value)`` pairs, the label a short repr for the step list."""
    return [(_short(v), v) for v in values]


def static_values(self: Any) -> list[tuple[str, Any]]:
    """Plain garbage for any parameter (fresh per sequence: some are mutable)."""
    closed = socket.socket()
    closed.close()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.close()
    return labelled(
        *(None, True, False, 0, 1, -1, 7, 16385, 2**31, 2**32 + 1, 2**63),
        *(2**64, -(2**63) - 1, 10**30, 0.0, 0.5, -1.5, 1e300, float("nan")),
        *(float("inf"), "", "\0", "a\0b", "é☃", "x" * 5000, "localhost"),
        *(b"", b"\0", b"abc", b"x" * 70000, bytearray(b"hello"), bytearray()),
        *(LyingBytes(b"short"), LyingStr("localhost")),
        *(bytearray(70000), memoryview(b"readonly"), memoryview(bytearray(32))),
        memoryview(bytearray(16))[::2],
        memoryview(bytearray(8)).cast("B", shape=[2, 4]),
        *([], [b"h2", "http/1.1"], [1, 2], {}, (), object()),
        *(("127.0.0.1", self.closed_port), io.BytesIO(b"file data"), closed, udp),
        *(ssl_compat.CERT_REQUIRED, ssl_compat.TLSVersion.TLSv1_3),
        *(ssl_compat.Purpose.CLIENT_AUTH, ssl_compat.OP_NO_TICKET),
        *(ssl_compat.PROTOCOL_TLS_SERVER, self.certfile, self.peer_client),
    )


def smart_table(self: Any) -> dict[str, list[tuple[str, Any]]]:
    """Good and nearly good values by parameter name (*self*: the Shared)."""
    ints = labelled(0, 1, 5, 1024, -1, 2**31)
    buffers = labelled(
        bytearray(64), memoryview(bytearray(100)), bytearray(), memoryview(b"ro")
    )
    data = labelled(
        *(b"data", bytearray(b"data"), memoryview(b"view"), b"", b"x" * 20000),
        *("text", LyingBytes(b"lying")),
    )
    paths = labelled(
        *(self.certfile, self.keyfile, self.encrypted, self.cafile, self.garbage),
        *(self.empty, self.directory, self.missing, Path(self.certfile)),
        self.certfile.encode(),
    )
    hostnames = labelled(
        *("localhost", "127.0.0.1", None, "", ".lead", "a\0b", "[::1]"),
        *("例え.jp", b"localhost", "x" * 300, "trailing.", "a..b"),
        *(LyingStr("localhost"), LyingBytes(b"localhost")),
    )
    protocols = labelled(
        *(ssl_compat.PROTOCOL_TLS_CLIENT, ssl_compat.PROTOCOL_TLS_SERVER),
        *(ssl_compat.PROTOCOL_TLS, ssl.PROTOCOL_TLSv1_2, 99, None),
        *(ssl.PROTOCOL_TLSv1, ssl.PROTOCOL_TLSv1_1),
    )
    versions = labelled(*ssl_compat.TLSVersion, 0x0305, -1, "TLSv1_2")
    table = {
        "buffer": buffers,
        "flags": labelled(0, socket.MSG_PEEK, -1),
        "flags_or_addr": labelled(0),
        "cb_type": labelled("tls-unique", "tls-server-end-point", ""),
        "server_hostname": hostnames,
        "hostname": hostnames,
        "capath": labelled(self.directory, None),
        "keylog_filename": labelled(self.keylog, None),
        "cadata": labelled(Path(self.cafile).read_text(), self.der, bytearray(self.der))
        + labelled(self.der + b"junk", "garbage"),
        "password": labelled(b"fuzz-password", "fuzz-password", "x" * 2000, None),
        "ciphers": labelled(
            *("DEFAULT", "ECDHE+AESGCM", "DEFAULT:@SECLEVEL=0", "NULL"),
            *("nonsense", "", "é"),
        ),
        "curve_name": labelled("prime256v1", "X25519", b"secp384r1", "nope", "a:b", ""),
        "alpn_protocols": labelled(
            ["h2", "http/1.1"], [b"x" * 255], ["x" * 256], [""], [], "h2", [None]
        ),
        "purpose": labelled(
            ssl_compat.Purpose.SERVER_AUTH, ssl_compat.Purpose.CLIENT_AUTH, "p"
        ),
        "protocol": protocols,
        "ssl_version": protocols,
        "protocol_code": protocols,
        "timeout": labelled(None, 0.0, 0.01, -1, 1e300, 1e7),
        "value": labelled(None, 0.0, 0.01, True, 1e7),
        "how": labelled(socket.SHUT_RD, socket.SHUT_WR, socket.SHUT_RDWR, 7),
        "cert_time": labelled(
            *("Jan  5 09:34:43 2018 GMT", "May 9 00:00:00 2007 GMT"),
            *("Feb 30 00:00:00 2007 GMT", "Jan  5 09:34:61 2018 GMT", "Xyz"),
        ),
        "der_cert_bytes": labelled(self.der, bytearray(self.der)),
        "pem_cert_string": labelled(
            self.pem,
            "  " + self.pem + "  \n",
            "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----",
        ),
        "entropy": labelled(0.0, 1.5, -1, float("nan")),
        "file": labelled(io.BytesIO(b"to send")),
        "options": labelled(ssl_compat.OP_NO_TICKET, ssl_compat.OP_ALL, 0, -1, 2**64),
        "verify_mode": labelled(*ssl_compat.VerifyMode, 3),
        "verify_flags": labelled(
            ssl_compat.VERIFY_CRL_CHECK_LEAF, ssl_compat.VERIFY_X509_STRICT
        )
        + labelled(0, -1, 2**40),
        "minimum_version": versions,
        "maximum_version": versions,
        "cert": labelled(
            {},
            {"subject": ((("commonName", "localhost"),),)},
            {"subjectAltName": (("DNS", "*.example"),)},
        ),
        "identity_hint": labelled("hint"),
    }
    for name in ("len", "n", "buflen", "nbytes", "count", "offset", "num_tickets"):
        table[name] = ints
    for name in ("data", "buf", "string"):
        table[name] = data
    for name in ("certfile", "path"):
        table[name] = paths
    for name in ("keyfile", "cafile", "ca_certs"):
        table[name] = paths + labelled(None)
    return table
