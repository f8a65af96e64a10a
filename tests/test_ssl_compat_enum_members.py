"""``ssl_compat``'s enums have every member of the newest CPython's ``ssl``."""

from __future__ import annotations

import re
import ssl

from OpenSSL import crypto, ssl_compat

# VerifyFlags member names of CPython 3.13-3.15 (3.10 added the last two).
NEWEST_VERIFY_FLAGS = (
    "VERIFY_DEFAULT",
    "VERIFY_CRL_CHECK_LEAF",
    "VERIFY_CRL_CHECK_CHAIN",
    "VERIFY_X509_STRICT",
    "VERIFY_X509_TRUSTED_FIRST",
    "VERIFY_ALLOW_PROXY_CERTS",
    "VERIFY_X509_PARTIAL_CHAIN",
)


def test_verify_flags_has_every_member_of_the_newest_ssl() -> None:
    for name in NEWEST_VERIFY_FLAGS:
        assert name in ssl_compat.VerifyFlags.__members__, name


def test_verify_flags_equal_the_stdlib_members_and_openssl_values() -> None:
    for member in ssl.VerifyFlags:
        ours = ssl_compat.VerifyFlags[member.name]
        assert ours == member
        assert isinstance(ours, int)
    flags = ssl_compat.VerifyFlags
    assert flags.VERIFY_X509_PARTIAL_CHAIN == crypto.X509StoreFlags.PARTIAL_CHAIN
    assert flags.VERIFY_ALLOW_PROXY_CERTS == crypto.X509StoreFlags.ALLOW_PROXY_CERTS
    if hasattr(ssl, "VERIFY_X509_PARTIAL_CHAIN"):  # Python 3.10+
        assert flags.VERIFY_X509_PARTIAL_CHAIN == ssl.VERIFY_X509_PARTIAL_CHAIN
        assert flags is ssl.VerifyFlags  # nothing missing: the stdlib's class


def test_default_context_verify_flags_print_by_name() -> None:
    flags = ssl_compat.create_default_context().verify_flags
    text = repr(flags)
    assert "VERIFY_X509_PARTIAL_CHAIN" in text
    assert "VERIFY_X509_STRICT" in text
    assert "VERIFY_X509_TRUSTED_FIRST" in text
    assert not re.search(r"\.\d", text), text  # no unnamed bits
    assert isinstance(flags, ssl_compat.VerifyFlags)
    assert ssl_compat.VERIFY_X509_PARTIAL_CHAIN in flags


def test_module_level_verify_names_are_members() -> None:
    for name in NEWEST_VERIFY_FLAGS:
        value = getattr(ssl_compat, name)
        assert value is ssl_compat.VerifyFlags[name], name
