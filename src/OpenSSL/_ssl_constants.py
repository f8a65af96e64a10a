"""Constants of ``OpenSSL.SSL``, read from the binding.

Every value is read from ``lib``, so the numbers are always those of the
OpenSSL in use; the names are written out (rather than copied in a loop) so
that type checkers and editors see them. The method
constants (``TLS_METHOD`` and friends) are the one exception: they are
pyOpenSSL's own identifiers, not OpenSSL values, and keep pyOpenSSL's numbers.
"""

from __future__ import annotations

from typing import Any

from OpenSSL._util import ffi, lib

__all__ = [
    "DTLS_CLIENT_METHOD",
    "DTLS_METHOD",
    "DTLS_SERVER_METHOD",
    "FILETYPE_ASN1",
    "FILETYPE_PEM",
    "MODE_ENABLE_PARTIAL_WRITE",
    "MODE_RELEASE_BUFFERS",
    "NO_OVERLAPPING_PROTOCOLS",
    "OPENSSL_BUILT_ON",
    "OPENSSL_CFLAGS",
    "OPENSSL_DIR",
    "OPENSSL_PLATFORM",
    "OPENSSL_VERSION",
    "OPENSSL_VERSION_NUMBER",
    "OP_ALL",
    "OP_CIPHER_SERVER_PREFERENCE",
    "OP_COOKIE_EXCHANGE",
    "OP_DONT_INSERT_EMPTY_FRAGMENTS",
    "OP_EPHEMERAL_RSA",
    "OP_IGNORE_UNEXPECTED_EOF",
    "OP_LEGACY_SERVER_CONNECT",
    "OP_MICROSOFT_BIG_SSLV3_BUFFER",
    "OP_MICROSOFT_SESS_ID_BUG",
    "OP_MSIE_SSLV2_RSA_PADDING",
    "OP_NETSCAPE_CA_DN_BUG",
    "OP_NETSCAPE_CHALLENGE_BUG",
    "OP_NETSCAPE_DEMO_CIPHER_CHANGE_BUG",
    "OP_NETSCAPE_REUSE_CIPHER_CHANGE_BUG",
    "OP_NO_COMPRESSION",
    "OP_NO_QUERY_MTU",
    "OP_NO_RENEGOTIATION",
    "OP_NO_TICKET",
    "OP_PKCS1_CHECK_1",
    "OP_PKCS1_CHECK_2",
    "OP_SINGLE_DH_USE",
    "OP_SINGLE_ECDH_USE",
    "OP_SSLEAY_080_CLIENT_DH_BUG",
    "OP_SSLREF2_REUSE_CERT_TYPE_BUG",
    "OP_TLS_BLOCK_PADDING_BUG",
    "OP_TLS_D5_BUG",
    "OP_TLS_ROLLBACK_BUG",
    "RECEIVED_SHUTDOWN",
    "SENT_SHUTDOWN",
    "SESS_CACHE_BOTH",
    "SESS_CACHE_CLIENT",
    "SESS_CACHE_NO_AUTO_CLEAR",
    "SESS_CACHE_NO_INTERNAL",
    "SESS_CACHE_NO_INTERNAL_LOOKUP",
    "SESS_CACHE_NO_INTERNAL_STORE",
    "SESS_CACHE_OFF",
    "SESS_CACHE_SERVER",
    "SSL3_VERSION",
    "SSLEAY_BUILT_ON",
    "SSLEAY_CFLAGS",
    "SSLEAY_DIR",
    "SSLEAY_PLATFORM",
    "SSLEAY_VERSION",
    "SSL_CB_ACCEPT_EXIT",
    "SSL_CB_ACCEPT_LOOP",
    "SSL_CB_ALERT",
    "SSL_CB_CONNECT_EXIT",
    "SSL_CB_CONNECT_LOOP",
    "SSL_CB_EXIT",
    "SSL_CB_HANDSHAKE_DONE",
    "SSL_CB_HANDSHAKE_START",
    "SSL_CB_LOOP",
    "SSL_CB_READ",
    "SSL_CB_READ_ALERT",
    "SSL_CB_WRITE",
    "SSL_CB_WRITE_ALERT",
    "SSL_ST_ACCEPT",
    "SSL_ST_CONNECT",
    "SSL_ST_MASK",
    "TLS1_1_VERSION",
    "TLS1_2_VERSION",
    "TLS1_3_VERSION",
    "TLS1_VERSION",
    "TLS_CLIENT_METHOD",
    "TLS_METHOD",
    "TLS_SERVER_METHOD",
    "VERIFY_CLIENT_ONCE",
    "VERIFY_FAIL_IF_NO_PEER_CERT",
    "VERIFY_NONE",
    "VERIFY_PEER",
    "OP_NO_SSLv2",
    "OP_NO_SSLv3",
    "OP_NO_TLSv1",
    "OP_NO_TLSv1_1",
    "OP_NO_TLSv1_2",
    "OP_NO_TLSv1_3",
    "OpenSSL_version",
    "SSLeay_version",
    "SSLv2_METHOD",
    "SSLv3_METHOD",
    "SSLv23_METHOD",
    "TLSv1_1_METHOD",
    "TLSv1_2_METHOD",
    "TLSv1_METHOD",
    "X509VerificationCodes",
]

# SSL 2.0 and 3.0 are gone from every OpenSSL that cryptography ships: the
# names keep early pyOpenSSL's numbers so that old code imports, and Context
# refuses them (unsupported_method_message says why).
SSLv2_METHOD = 1
SSLv3_METHOD = 2
SSLv23_METHOD = 3
TLSv1_METHOD = 4
TLSv1_1_METHOD = 5
TLSv1_2_METHOD = 6
TLS_METHOD = 7
TLS_SERVER_METHOD = 8
TLS_CLIENT_METHOD = 9
DTLS_METHOD = 10
DTLS_SERVER_METHOD = 11
DTLS_CLIENT_METHOD = 12

# method constant -> (lib constructor name, pinned protocol version or None)
METHODS: dict[int, tuple[str, int | None]] = {
    SSLv23_METHOD: ("TLS_method", None),
    TLSv1_METHOD: ("TLS_method", lib.TLS1_VERSION),
    TLSv1_1_METHOD: ("TLS_method", lib.TLS1_1_VERSION),
    TLSv1_2_METHOD: ("TLS_method", lib.TLS1_2_VERSION),
    TLS_METHOD: ("TLS_method", None),
    TLS_SERVER_METHOD: ("TLS_server_method", None),
    TLS_CLIENT_METHOD: ("TLS_client_method", None),
    DTLS_METHOD: ("DTLS_method", None),
    DTLS_SERVER_METHOD: ("DTLS_server_method", None),
    DTLS_CLIENT_METHOD: ("DTLS_client_method", None),
}


def unsupported_method_message(method: int) -> str:
    """Why ``Context(method)`` refuses *method*, which is not in :data:`METHODS`."""
    protocol = {SSLv2_METHOD: "SSLv2", SSLv3_METHOD: "SSLv3"}.get(method)
    if protocol is None:
        return f"no such protocol method: {method!r}"
    return (
        f"No such protocol: {protocol} is not available in the OpenSSL in use "
        f"({OpenSSL_version(OPENSSL_VERSION).decode()}); use TLS_METHOD"
    )


# Plain copies of OpenSSL's values, written out so type checkers see them.
OP_ALL: int = lib.SSL_OP_ALL
OP_CIPHER_SERVER_PREFERENCE: int = lib.SSL_OP_CIPHER_SERVER_PREFERENCE
OP_COOKIE_EXCHANGE: int = lib.SSL_OP_COOKIE_EXCHANGE
OP_DONT_INSERT_EMPTY_FRAGMENTS: int = lib.SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS
OP_EPHEMERAL_RSA: int = lib.SSL_OP_EPHEMERAL_RSA
OP_LEGACY_SERVER_CONNECT: int = lib.SSL_OP_LEGACY_SERVER_CONNECT
OP_MICROSOFT_BIG_SSLV3_BUFFER: int = lib.SSL_OP_MICROSOFT_BIG_SSLV3_BUFFER
OP_MICROSOFT_SESS_ID_BUG: int = lib.SSL_OP_MICROSOFT_SESS_ID_BUG
OP_MSIE_SSLV2_RSA_PADDING: int = lib.SSL_OP_MSIE_SSLV2_RSA_PADDING
OP_NETSCAPE_CA_DN_BUG: int = lib.SSL_OP_NETSCAPE_CA_DN_BUG
OP_NETSCAPE_CHALLENGE_BUG: int = lib.SSL_OP_NETSCAPE_CHALLENGE_BUG
OP_NETSCAPE_DEMO_CIPHER_CHANGE_BUG: int = lib.SSL_OP_NETSCAPE_DEMO_CIPHER_CHANGE_BUG
OP_NETSCAPE_REUSE_CIPHER_CHANGE_BUG: int = lib.SSL_OP_NETSCAPE_REUSE_CIPHER_CHANGE_BUG
OP_NO_COMPRESSION: int = lib.SSL_OP_NO_COMPRESSION
OP_NO_QUERY_MTU: int = lib.SSL_OP_NO_QUERY_MTU
OP_NO_RENEGOTIATION: int = lib.SSL_OP_NO_RENEGOTIATION
OP_NO_SSLv2: int = lib.SSL_OP_NO_SSLv2
OP_NO_SSLv3: int = lib.SSL_OP_NO_SSLv3
OP_NO_TICKET: int = lib.SSL_OP_NO_TICKET
OP_NO_TLSv1: int = lib.SSL_OP_NO_TLSv1
OP_NO_TLSv1_1: int = lib.SSL_OP_NO_TLSv1_1
OP_NO_TLSv1_2: int = lib.SSL_OP_NO_TLSv1_2
OP_NO_TLSv1_3: int = lib.SSL_OP_NO_TLSv1_3
OP_PKCS1_CHECK_1: int = lib.SSL_OP_PKCS1_CHECK_1
OP_PKCS1_CHECK_2: int = lib.SSL_OP_PKCS1_CHECK_2
OP_SINGLE_DH_USE: int = lib.SSL_OP_SINGLE_DH_USE
OP_SINGLE_ECDH_USE: int = lib.SSL_OP_SINGLE_ECDH_USE
OP_SSLEAY_080_CLIENT_DH_BUG: int = lib.SSL_OP_SSLEAY_080_CLIENT_DH_BUG
OP_SSLREF2_REUSE_CERT_TYPE_BUG: int = lib.SSL_OP_SSLREF2_REUSE_CERT_TYPE_BUG
OP_TLS_BLOCK_PADDING_BUG: int = lib.SSL_OP_TLS_BLOCK_PADDING_BUG
OP_TLS_D5_BUG: int = lib.SSL_OP_TLS_D5_BUG
OP_TLS_ROLLBACK_BUG: int = lib.SSL_OP_TLS_ROLLBACK_BUG
MODE_RELEASE_BUFFERS: int = lib.SSL_MODE_RELEASE_BUFFERS
# Set on every new Context (send() may write less than it was given);
# ssl_compat clears it, since the stdlib's writes are all-or-nothing.
MODE_ENABLE_PARTIAL_WRITE: int = lib.SSL_MODE_ENABLE_PARTIAL_WRITE
VERIFY_NONE: int = lib.SSL_VERIFY_NONE
VERIFY_PEER: int = lib.SSL_VERIFY_PEER
VERIFY_FAIL_IF_NO_PEER_CERT: int = lib.SSL_VERIFY_FAIL_IF_NO_PEER_CERT
VERIFY_CLIENT_ONCE: int = lib.SSL_VERIFY_CLIENT_ONCE
SESS_CACHE_OFF: int = lib.SSL_SESS_CACHE_OFF
SESS_CACHE_CLIENT: int = lib.SSL_SESS_CACHE_CLIENT
SESS_CACHE_SERVER: int = lib.SSL_SESS_CACHE_SERVER
SESS_CACHE_BOTH: int = lib.SSL_SESS_CACHE_BOTH
SESS_CACHE_NO_AUTO_CLEAR: int = lib.SSL_SESS_CACHE_NO_AUTO_CLEAR
SESS_CACHE_NO_INTERNAL_LOOKUP: int = lib.SSL_SESS_CACHE_NO_INTERNAL_LOOKUP
SESS_CACHE_NO_INTERNAL_STORE: int = lib.SSL_SESS_CACHE_NO_INTERNAL_STORE
SESS_CACHE_NO_INTERNAL: int = lib.SSL_SESS_CACHE_NO_INTERNAL
SENT_SHUTDOWN: int = lib.SSL_SENT_SHUTDOWN
RECEIVED_SHUTDOWN: int = lib.SSL_RECEIVED_SHUTDOWN
SSL_ST_CONNECT: int = lib.SSL_ST_CONNECT
SSL_ST_ACCEPT: int = lib.SSL_ST_ACCEPT
SSL_ST_MASK: int = lib.SSL_ST_MASK
SSL_CB_LOOP: int = lib.SSL_CB_LOOP
SSL_CB_EXIT: int = lib.SSL_CB_EXIT
SSL_CB_READ: int = lib.SSL_CB_READ
SSL_CB_WRITE: int = lib.SSL_CB_WRITE
SSL_CB_ALERT: int = lib.SSL_CB_ALERT
SSL_CB_READ_ALERT: int = lib.SSL_CB_READ_ALERT
SSL_CB_WRITE_ALERT: int = lib.SSL_CB_WRITE_ALERT
SSL_CB_ACCEPT_LOOP: int = lib.SSL_CB_ACCEPT_LOOP
SSL_CB_ACCEPT_EXIT: int = lib.SSL_CB_ACCEPT_EXIT
SSL_CB_CONNECT_LOOP: int = lib.SSL_CB_CONNECT_LOOP
SSL_CB_CONNECT_EXIT: int = lib.SSL_CB_CONNECT_EXIT
SSL_CB_HANDSHAKE_START: int = lib.SSL_CB_HANDSHAKE_START
SSL_CB_HANDSHAKE_DONE: int = lib.SSL_CB_HANDSHAKE_DONE
SSL3_VERSION: int = lib.SSL3_VERSION
TLS1_VERSION: int = lib.TLS1_VERSION
TLS1_1_VERSION: int = lib.TLS1_1_VERSION
TLS1_2_VERSION: int = lib.TLS1_2_VERSION
TLS1_3_VERSION: int = lib.TLS1_3_VERSION
OPENSSL_VERSION: int = lib.OPENSSL_VERSION
OPENSSL_CFLAGS: int = lib.OPENSSL_CFLAGS
OPENSSL_BUILT_ON: int = lib.OPENSSL_BUILT_ON
OPENSSL_PLATFORM: int = lib.OPENSSL_PLATFORM
OPENSSL_DIR: int = lib.OPENSSL_DIR
OP_IGNORE_UNEXPECTED_EOF: int = lib.SSL_OP_IGNORE_UNEXPECTED_EOF
FILETYPE_PEM: int = lib.SSL_FILETYPE_PEM
FILETYPE_ASN1: int = lib.SSL_FILETYPE_ASN1

SSLEAY_VERSION: int = lib.OPENSSL_VERSION
SSLEAY_CFLAGS: int = lib.OPENSSL_CFLAGS
SSLEAY_BUILT_ON: int = lib.OPENSSL_BUILT_ON
SSLEAY_PLATFORM: int = lib.OPENSSL_PLATFORM
SSLEAY_DIR: int = lib.OPENSSL_DIR
OPENSSL_VERSION_NUMBER: int = lib.OPENSSL_VERSION_NUMBER


def OpenSSL_version(type: int) -> bytes:
    """Describe the linked OpenSSL; *type* is one of the ``OPENSSL_*`` selectors."""
    return ffi.string(lib.OpenSSL_version(type))


SSLeay_version = OpenSSL_version


class X509VerificationCodes:
    """The ``X509_V_*`` certificate verification result codes.

    ``OK`` is success; each ``ERR_*`` attribute is the code a verify callback
    receives as ``errnum`` for that failure.
    """

    # Declared here so type checkers see them; the loop below gives each its
    # value, lib.X509_V_<name>, from the binding.
    OK: int
    ERR_AKID_ISSUER_SERIAL_MISMATCH: int
    ERR_AKID_SKID_MISMATCH: int
    ERR_APPLICATION_VERIFICATION: int
    ERR_CERT_CHAIN_TOO_LONG: int
    ERR_CERT_HAS_EXPIRED: int
    ERR_CERT_NOT_YET_VALID: int
    ERR_CERT_REJECTED: int
    ERR_CERT_REVOKED: int
    ERR_CERT_SIGNATURE_FAILURE: int
    ERR_CERT_UNTRUSTED: int
    ERR_CRL_HAS_EXPIRED: int
    ERR_CRL_NOT_YET_VALID: int
    ERR_CRL_PATH_VALIDATION_ERROR: int
    ERR_CRL_SIGNATURE_FAILURE: int
    ERR_DEPTH_ZERO_SELF_SIGNED_CERT: int
    ERR_DIFFERENT_CRL_SCOPE: int
    ERR_EMAIL_MISMATCH: int
    ERR_ERROR_IN_CERT_NOT_AFTER_FIELD: int
    ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD: int
    ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD: int
    ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD: int
    ERR_EXCLUDED_VIOLATION: int
    ERR_HOSTNAME_MISMATCH: int
    ERR_INVALID_CA: int
    ERR_INVALID_EXTENSION: int
    ERR_INVALID_NON_CA: int
    ERR_INVALID_POLICY_EXTENSION: int
    ERR_INVALID_PURPOSE: int
    ERR_IP_ADDRESS_MISMATCH: int
    ERR_KEYUSAGE_NO_CERTSIGN: int
    ERR_KEYUSAGE_NO_CRL_SIGN: int
    ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE: int
    ERR_NO_EXPLICIT_POLICY: int
    ERR_OUT_OF_MEM: int
    ERR_PATH_LENGTH_EXCEEDED: int
    ERR_PERMITTED_VIOLATION: int
    ERR_PROXY_CERTIFICATES_NOT_ALLOWED: int
    ERR_PROXY_PATH_LENGTH_EXCEEDED: int
    ERR_SELF_SIGNED_CERT_IN_CHAIN: int
    ERR_SUBJECT_ISSUER_MISMATCH: int
    ERR_SUBTREE_MINMAX: int
    ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: int
    ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE: int
    ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE: int
    ERR_UNABLE_TO_GET_CRL: int
    ERR_UNABLE_TO_GET_CRL_ISSUER: int
    ERR_UNABLE_TO_GET_ISSUER_CERT: int
    ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: int
    ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: int
    ERR_UNHANDLED_CRITICAL_CRL_EXTENSION: int
    ERR_UNHANDLED_CRITICAL_EXTENSION: int
    ERR_UNNESTED_RESOURCE: int
    ERR_UNSUPPORTED_CONSTRAINT_SYNTAX: int
    ERR_UNSUPPORTED_CONSTRAINT_TYPE: int
    ERR_UNSUPPORTED_EXTENSION_FEATURE: int
    ERR_UNSUPPORTED_NAME_SYNTAX: int


for _name in X509VerificationCodes.__annotations__:
    setattr(X509VerificationCodes, _name, getattr(lib, "X509_V_" + _name))
del _name


class _NoOverlappingProtocols:
    """The type of :data:`NO_OVERLAPPING_PROTOCOLS`; there is one instance."""

    def __repr__(self) -> str:
        return "NO_OVERLAPPING_PROTOCOLS"


NO_OVERLAPPING_PROTOCOLS: Any = _NoOverlappingProtocols()
"""Return this from an ALPN select callback to negotiate no protocol at all."""


# -- OpenSSL's documented ABI values missing from the binding ----------------
#
# cryptography's binding does not export these names. The values are part of
# OpenSSL's documented, stable ABI (ssl.h, ssl3.h) and have not changed from
# OpenSSL 1.1.1 to 4.0; add here any other such constant this package needs.

#: ``SSL_read_early_data`` results (``man SSL_read_early_data``).
SSL_READ_EARLY_DATA_ERROR = 0
SSL_READ_EARLY_DATA_SUCCESS = 1
SSL_READ_EARLY_DATA_FINISH = 2

#: What became of early data (``SSL_EARLY_DATA_*``, the values
#: ``SSL_get_early_data_status`` would return): see
#: ``Connection.get_early_data_status``.
EARLY_DATA_NOT_SENT = 0
EARLY_DATA_REJECTED = 1
EARLY_DATA_ACCEPTED = 2

#: Pseudo content types of the message callback (``SSL3_RT_HEADER``: a
#: record's 5-byte header; ``SSL3_RT_INNER_CONTENT_TYPE``: the one-byte real
#: content type inside a TLS 1.3 record).
SSL3_RT_HEADER = 256
SSL3_RT_INNER_CONTENT_TYPE = 257

#: ``X509_V_FLAG_TRUSTED_FIRST`` (x509_vfy.h): prefer trust-store issuers
#: over the peer's untrusted chain while building the chain.
X509_V_FLAG_TRUSTED_FIRST = 0x8000

__all__ += [
    "EARLY_DATA_ACCEPTED",
    "EARLY_DATA_NOT_SENT",
    "EARLY_DATA_REJECTED",
    "SSL3_RT_HEADER",
    "SSL3_RT_INNER_CONTENT_TYPE",
    "X509_V_FLAG_TRUSTED_FIRST",
]
