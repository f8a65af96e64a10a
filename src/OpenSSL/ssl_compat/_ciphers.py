"""``SSLContext.get_ciphers()`` dictionaries, rebuilt from cipher suite names.

CPython fills each dictionary from ``SSL_CIPHER_*`` getters
(``get_cipher_nid``, ``get_digest_nid``, ``get_kx_nid``, ``get_auth_nid``,
``description``) that cryptography's binding does not expose. The binding does
give the name, protocol version and key sizes
(``OpenSSL.SSL.Connection.get_cipher_details``);
the rest -- key exchange, authentication, cipher and MAC -- is spelled out in
OpenSSL's suite names (``ECDHE-ECDSA-AES256-GCM-SHA384``,
``TLS_CHACHA20_POLY1305_SHA256``), so it is parsed from them, and the
``description`` is formatted the way ``SSL_CIPHER_description`` formats it.
Suites whose names do not follow the usual pattern get ``None`` fields rather
than guesses.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from OpenSSL.SSL import CipherDetails as CipherInfo

__all__ = ["cipher_dict", "shared_cipher_tuple"]

# Prefix of an OpenSSL TLS 1.2 suite name -> (Kx label, Au label, kea, auth).
_KX_AUTH = [
    ("ECDHE-ECDSA-", ("ECDH", "ECDSA", "kx-ecdhe", "auth-ecdsa")),
    ("ECDHE-RSA-", ("ECDH", "RSA", "kx-ecdhe", "auth-rsa")),
    ("ECDHE-PSK-", ("ECDHEPSK", "PSK", "kx-ecdhe-psk", "auth-psk")),
    ("DHE-RSA-", ("DH", "RSA", "kx-dhe", "auth-rsa")),
    ("DHE-DSS-", ("DH", "DSS", "kx-dhe", "auth-dss")),
    ("DHE-PSK-", ("DHEPSK", "PSK", "kx-dhe-psk", "auth-psk")),
    ("RSA-PSK-", ("RSAPSK", "RSA", "kx-rsa-psk", "auth-rsa")),
    ("PSK-", ("PSK", "PSK", "kx-psk", "auth-psk")),
    ("ECDHE-", ("ECDH", "RSA", "kx-ecdhe", "auth-rsa")),
    ("DHE-", ("DH", "RSA", "kx-dhe", "auth-rsa")),
]

# Cipher token -> (Enc label without bits, symmetric name template, aead).
_CIPHERS: dict[str, tuple[str, str, bool, int]] = {
    "AES128-GCM": ("AESGCM", "aes-128-gcm", True, 128),
    "AES256-GCM": ("AESGCM", "aes-256-gcm", True, 256),
    "AES128-CCM": ("AESCCM", "aes-128-ccm", True, 128),
    "AES256-CCM": ("AESCCM", "aes-256-ccm", True, 256),
    "AES128-CCM8": ("AESCCM8", "aes-128-ccm", True, 128),
    "AES256-CCM8": ("AESCCM8", "aes-256-ccm", True, 256),
    "CHACHA20-POLY1305": ("CHACHA20/POLY1305", "chacha20-poly1305", True, 256),
    "AES128": ("AES", "aes-128-cbc", False, 128),
    "AES256": ("AES", "aes-256-cbc", False, 256),
    "ARIA128-GCM": ("ARIAGCM", "aria-128-gcm", True, 128),
    "ARIA256-GCM": ("ARIAGCM", "aria-256-gcm", True, 256),
    "CAMELLIA128": ("Camellia", "camellia-128-cbc", False, 128),
    "CAMELLIA256": ("Camellia", "camellia-256-cbc", False, 256),
}

_TLS13 = {
    "TLS_AES_128_GCM_SHA256": "AES128-GCM",
    "TLS_AES_256_GCM_SHA384": "AES256-GCM",
    "TLS_CHACHA20_POLY1305_SHA256": "CHACHA20-POLY1305",
    "TLS_AES_128_CCM_SHA256": "AES128-CCM",
    "TLS_AES_128_CCM_8_SHA256": "AES128-CCM8",
}

_MACS = {
    "SHA": ("SHA1", "sha1"),
    "SHA256": ("SHA256", "sha256"),
    "SHA384": ("SHA384", "sha384"),
}


class _Parts(NamedTuple):
    kx: str
    au: str
    enc: str
    mac: str
    kea: str
    auth: str
    symmetric: str
    digest: Optional[str]
    aead: bool


def _parse(name: str) -> Optional[_Parts]:
    """The parts of a suite from its OpenSSL name; ``None`` if unusual."""
    if name in _TLS13:
        enc, symmetric, aead, bits = _CIPHERS[_TLS13[name]]
        return _Parts(
            "any",
            "any",
            f"{enc}({bits})",
            "AEAD",
            "kx-any",
            "auth-any",
            symmetric,
            None,
            aead,
        )
    kx, au, kea, auth = "RSA", "RSA", "kx-rsa", "auth-rsa"
    rest = name
    for prefix, labels in _KX_AUTH:
        if name.startswith(prefix):
            kx, au, kea, auth = labels
            rest = name[len(prefix) :]
            break
    for token in sorted(_CIPHERS, key=len, reverse=True):
        if rest == token or rest.startswith(token + "-"):
            enc, symmetric, aead, bits = _CIPHERS[token]
            mac_token = rest[len(token) + 1 :]
            digest: Optional[str]
            if aead:
                mac, digest = "AEAD", None
            elif mac_token in _MACS:
                mac, digest = _MACS[mac_token]
            else:
                return None
            return _Parts(
                kx, au, f"{enc}({bits})", mac, kea, auth, symmetric, digest, aead
            )
    return None


def cipher_dict(info: CipherInfo) -> dict[str, Any]:
    """The ``get_ciphers()`` entry CPython builds for one suite."""
    parsed = _parse(info.name)
    # SSL_CIPHER_description prints "SSLv3" for suites usable since SSL 3.0,
    # where SSL_CIPHER_get_version says "TLSv1.0".
    description_version = "SSLv3" if info.version == "TLSv1.0" else info.version
    if parsed is None:
        parsed = _Parts(
            "unknown", "unknown", "unknown", "unknown", "", "", "", None, False
        )
    description = (
        f"{info.name:<30} {description_version:<7} Kx={parsed.kx:<8} "
        f"Au={parsed.au:<5} Enc={parsed.enc:<22} Mac={parsed.mac}"
    )
    return {
        "id": 0x03000000 | info.code,
        "name": info.name,
        "protocol": info.version,
        "description": description,
        "strength_bits": info.strength_bits,
        "alg_bits": info.alg_bits,
        "aead": parsed.aead,
        "symmetric": parsed.symmetric or None,
        "digest": parsed.digest,
        "kea": parsed.kea or None,
        "auth": parsed.auth or None,
    }


def shared_cipher_tuple(info: CipherInfo) -> tuple[str, str, int]:
    """``(name, protocol, secret_bits)``, as ``cipher()``/``shared_ciphers()``."""
    return (info.name, info.version, info.strength_bits)
