"""Key-exchange groups, signature algorithms and TLS 1.3 cipher suites.

A context that prefers the hybrid post-quantum group where the OpenSSL in
use has it, and allows only modern signatures and AEAD suites. A name
OpenSSL does not know raises ``SSL.Error`` right away. It also records the
signature schemes of its handshakes, for :func:`handshake_report`.
"""

from __future__ import annotations

from OpenSSL import SSL

GROUPS = ["X25519MLKEM768", "X25519", "P-256"]
SIGALGS = ["ed25519", "ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"]
TLS13_SUITES = b"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"


def modern_context(method: int = SSL.TLS_METHOD) -> SSL.Context:
    """A context restricted to modern key exchange, signatures and suites."""
    ctx = SSL.Context(method)
    ctx.set_min_proto_version(SSL.TLS1_3_VERSION)
    try:
        ctx.set_groups(GROUPS)
    except SSL.Error:  # an OpenSSL without ML-KEM
        ctx.set_groups(GROUPS[1:])
    ctx.set_sigalgs(SIGALGS)
    ctx.set_tls13_ciphersuites(TLS13_SUITES)
    # For get_signature_scheme()/get_peer_signature_scheme(); it costs a
    # short Python call per TLS record, so bulk-transfer contexts leave it.
    ctx.set_signature_scheme_tracking(True)
    return ctx


def handshake_report(conn: SSL.Connection) -> dict[str, object]:
    """What a completed handshake of a tracking context negotiated."""
    return {
        "version": conn.get_protocol_version_name(),
        "cipher": conn.get_cipher_name(),
        "group": conn.get_group_name(),
        # The peer's signature over the handshake, by its IANA name
        # ("ecdsa_secp256r1_sha256"); ours is None unless we signed.
        "peer_signature": conn.get_peer_signature_scheme(),
        "our_signature": conn.get_signature_scheme(),
    }
