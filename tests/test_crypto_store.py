"""OpenSSL.crypto: X509Store, X509StoreFlags, X509StoreContext verification."""

from __future__ import annotations

import datetime
import os
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from OpenSSL import crypto
from OpenSSL._util import ffi, lib
from tests.support import OPENSSL, PKI, Identity, make_pki, needs_openssl

pytestmark = pytest.mark.usefixtures("clean_error_queue")

UTC = datetime.timezone.utc


def X509(cert: x509.Certificate) -> crypto.X509:
    return crypto.X509.from_cryptography(cert)


@pytest.fixture
def store(pki: PKI) -> crypto.X509Store:
    """A store that trusts the test root."""
    store = crypto.X509Store()
    store.add_cert(X509(pki.root.cert))
    return store


def _context(
    store: crypto.X509Store, identity: Identity, *, with_chain: bool = True
) -> crypto.X509StoreContext:
    chain = [X509(c) for c in identity.chain] if with_chain else None
    return crypto.X509StoreContext(store, X509(identity.cert), chain)


def _assert_verifies(ctx: crypto.X509StoreContext) -> None:
    """The certificate verifies, and the chain built runs up to the test root."""
    assert ctx.verify_certificate() is None
    chain = ctx.get_verified_chain()
    assert chain[-1].to_cryptography() == make_pki().root.cert


class TestFlags:
    @pytest.mark.parametrize(
        "name",
        [
            "CRL_CHECK",
            "CRL_CHECK_ALL",
            "IGNORE_CRITICAL",
            "X509_STRICT",
            "ALLOW_PROXY_CERTS",
            "POLICY_CHECK",
            "EXPLICIT_POLICY",
            "INHIBIT_MAP",
            "CHECK_SS_SIGNATURE",
            "PARTIAL_CHAIN",
        ],
    )
    def test_values_from_lib(self, name: str) -> None:
        assert getattr(crypto.X509StoreFlags, name) == getattr(
            lib, f"X509_V_FLAG_{name}"
        )

    def test_set_flags_wrong_type(self) -> None:
        with pytest.raises(TypeError, match="flags must be an integer"):
            crypto.X509Store().set_flags("CRL_CHECK")  # type: ignore[arg-type]


class TestVerify:
    def test_leaf_with_chain(self, store: crypto.X509Store, pki: PKI) -> None:
        for identity in (pki.server, pki.rsa_server, pki.client, pki.wrong_host_server):
            assert _context(store, identity).verify_certificate() is None

    def test_intermediate_in_store(self, pki: PKI) -> None:
        store = crypto.X509Store()
        store.add_cert(X509(pki.root.cert))
        store.add_cert(X509(pki.intermediate.cert))
        _assert_verifies(_context(store, pki.server, with_chain=False))

    def test_root_itself(self, store: crypto.X509Store, pki: PKI) -> None:
        _assert_verifies(crypto.X509StoreContext(store, X509(pki.root.cert)))

    def test_missing_intermediate(self, store: crypto.X509Store, pki: PKI) -> None:
        ctx = _context(store, pki.server, with_chain=False)
        with pytest.raises(crypto.X509StoreContextError) as info:
            ctx.verify_certificate()
        error = info.value
        assert error.errors == [
            lib.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            0,
            "unable to get local issuer certificate",
        ]
        assert str(error) == "unable to get local issuer certificate"
        assert isinstance(error.certificate, crypto.X509)
        assert error.certificate.to_cryptography() == pki.server.cert

    def test_empty_store(self, pki: PKI) -> None:
        ctx = _context(crypto.X509Store(), pki.server)
        with pytest.raises(crypto.X509StoreContextError) as info:
            ctx.verify_certificate()
        assert info.value.errors[0] == lib.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        # The failure is at the intermediate, one above the leaf.
        assert info.value.errors[1] == 1
        assert info.value.certificate.to_cryptography() == pki.intermediate.cert

    def test_self_signed_untrusted(self, pki: PKI) -> None:
        ctx = crypto.X509StoreContext(crypto.X509Store(), X509(pki.root.cert))
        with pytest.raises(crypto.X509StoreContextError) as info:
            ctx.verify_certificate()
        assert info.value.errors[0] == lib.X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT

    def test_expired(self, store: crypto.X509Store, pki: PKI) -> None:
        with pytest.raises(crypto.X509StoreContextError) as info:
            _context(store, pki.expired_server).verify_certificate()
        assert info.value.errors[0] == lib.X509_V_ERR_CERT_HAS_EXPIRED
        assert info.value.certificate.to_cryptography() == pki.expired_server.cert

    def test_reusable_after_failure(self, store: crypto.X509Store, pki: PKI) -> None:
        ctx = _context(store, pki.server, with_chain=False)
        for _ in range(3):
            with pytest.raises(crypto.X509StoreContextError):
                ctx.verify_certificate()
        store.add_cert(X509(pki.intermediate.cert))
        _assert_verifies(ctx)

    def test_get_verified_chain(self, store: crypto.X509Store, pki: PKI) -> None:
        chain = _context(store, pki.server).get_verified_chain()
        assert [c.to_cryptography() for c in chain] == [
            pki.server.cert,
            pki.intermediate.cert,
            pki.root.cert,
        ]
        assert all(isinstance(c, crypto.X509) for c in chain)

    def test_get_verified_chain_failure(
        self, store: crypto.X509Store, pki: PKI
    ) -> None:
        with pytest.raises(crypto.X509StoreContextError):
            _context(store, pki.server, with_chain=False).get_verified_chain()

    def test_cryptography_certificates_accepted(
        self, store: crypto.X509Store, pki: PKI
    ) -> None:
        ctx = crypto.X509StoreContext(
            store,
            pki.server.cert,  # type: ignore[arg-type]
            pki.server.chain,  # type: ignore[arg-type]
        )
        _assert_verifies(ctx)

    def test_chain_may_be_any_iterable(self, store: crypto.X509Store, pki: PKI) -> None:
        chain = (X509(c) for c in pki.server.chain)
        leaf = X509(pki.server.cert)
        _assert_verifies(crypto.X509StoreContext(store, leaf, chain))  # type: ignore[arg-type]
        _assert_verifies(crypto.X509StoreContext(store, X509(pki.root.cert), []))

    def test_set_store(self, store: crypto.X509Store, pki: PKI) -> None:
        ctx = _context(crypto.X509Store(), pki.server)
        with pytest.raises(crypto.X509StoreContextError):
            ctx.verify_certificate()
        ctx.set_store(store)
        _assert_verifies(ctx)

    @pytest.mark.parametrize("bad", [None, object(), "store"])
    def test_wrong_store_type(self, pki: PKI, bad: object) -> None:
        with pytest.raises(TypeError, match="X509Store"):
            crypto.X509StoreContext(bad, X509(pki.server.cert))  # type: ignore[arg-type]
        ctx = crypto.X509StoreContext(crypto.X509Store(), X509(pki.server.cert))
        with pytest.raises(TypeError, match="X509Store"):
            ctx.set_store(bad)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [None, object(), b"cert"])
    def test_wrong_certificate_type(self, store: crypto.X509Store, bad: object) -> None:
        with pytest.raises(TypeError, match="X509"):
            crypto.X509StoreContext(store, bad)  # type: ignore[arg-type]

    def test_wrong_chain_element(self, store: crypto.X509Store, pki: PKI) -> None:
        with pytest.raises(TypeError, match="X509"):
            crypto.X509StoreContext(
                store, X509(pki.server.cert), [X509(pki.root.cert), "x"]
            )  # type: ignore[list-item]

    def test_chain_not_iterable(self, store: crypto.X509Store, pki: PKI) -> None:
        with pytest.raises(TypeError):
            crypto.X509StoreContext(store, X509(pki.server.cert), 42)  # type: ignore[arg-type]

    def test_context_outlives_its_inputs(self, pki: PKI) -> None:
        store = crypto.X509Store()
        store.add_cert(X509(pki.root.cert))
        ctx = crypto.X509StoreContext(
            store, X509(pki.server.cert), [X509(c) for c in pki.server.chain]
        )
        del store
        import gc

        gc.collect()
        assert len(ctx.get_verified_chain()) == 3

    def test_error_is_exception(self) -> None:
        error = crypto.X509StoreContextError("msg", [1, 2, "msg"], crypto.X509())
        assert isinstance(error, Exception)
        assert error.args == ("msg",)
        assert error.errors == [1, 2, "msg"]


class TestFlagsAndTime:
    def test_partial_chain(self, pki: PKI) -> None:
        store = crypto.X509Store()
        store.add_cert(X509(pki.intermediate.cert))
        ctx = _context(store, pki.server, with_chain=False)
        with pytest.raises(crypto.X509StoreContextError):
            ctx.verify_certificate()
        store.set_flags(crypto.X509StoreFlags.PARTIAL_CHAIN)
        chain = ctx.get_verified_chain()
        assert [c.to_cryptography() for c in chain] == [
            pki.server.cert,
            pki.intermediate.cert,
        ]

    def test_explicit_policy_failure_has_no_current_certificate(
        self, store: crypto.X509Store, pki: PKI
    ) -> None:
        # OpenSSL reports "no explicit policy" without a current certificate;
        # the error then names the certificate being verified.
        store.set_flags(crypto.X509StoreFlags.EXPLICIT_POLICY)
        with pytest.raises(crypto.X509StoreContextError) as info:
            _context(store, pki.server).verify_certificate()
        assert info.value.errors[0] == lib.X509_V_ERR_NO_EXPLICIT_POLICY
        assert info.value.certificate.to_cryptography() == pki.server.cert

    def test_set_time_in_the_past_makes_expired_valid(
        self, store: crypto.X509Store, pki: PKI
    ) -> None:
        expired = pki.expired_server.cert
        store.set_time(expired.not_valid_after_utc - datetime.timedelta(days=1))
        _assert_verifies(_context(store, pki.expired_server))

    def test_set_time_naive_is_utc(self, store: crypto.X509Store, pki: PKI) -> None:
        expired = pki.expired_server.cert
        naive = (expired.not_valid_after_utc - datetime.timedelta(hours=1)).replace(
            tzinfo=None
        )
        store.set_time(naive)
        _assert_verifies(_context(store, pki.expired_server))

    def test_set_time_aware_other_zone(self, store: crypto.X509Store, pki: PKI) -> None:
        # One hour before notAfter, expressed in UTC+10: still valid.
        zone = datetime.timezone(datetime.timedelta(hours=10))
        when = (
            pki.expired_server.cert.not_valid_after_utc - datetime.timedelta(hours=1)
        ).astimezone(zone)
        store.set_time(when)
        _assert_verifies(_context(store, pki.expired_server))

    def test_set_time_before_validity(self, store: crypto.X509Store, pki: PKI) -> None:
        store.set_time(datetime.datetime(2000, 1, 1))
        with pytest.raises(crypto.X509StoreContextError) as info:
            _context(store, pki.server).verify_certificate()
        assert info.value.errors[0] == lib.X509_V_ERR_CERT_NOT_YET_VALID

    @pytest.mark.parametrize("bad", [None, 0, "2020-01-01", datetime.date(2020, 1, 1)])
    def test_set_time_wrong_type(self, bad: object) -> None:
        with pytest.raises(TypeError, match="datetime"):
            crypto.X509Store().set_time(bad)  # type: ignore[arg-type]


class TestCRL:
    def test_revoked_leaf(self, store: crypto.X509Store, pki: PKI) -> None:
        store.add_crl(pki.crl([pki.server.cert.serial_number]))
        store.set_flags(crypto.X509StoreFlags.CRL_CHECK)
        with pytest.raises(crypto.X509StoreContextError) as info:
            _context(store, pki.server).verify_certificate()
        assert info.value.errors[0] == lib.X509_V_ERR_CERT_REVOKED
        # Another leaf of the same issuer is fine.
        _context(store, pki.client).verify_certificate()

    def test_crl_ignored_without_flag(self, store: crypto.X509Store, pki: PKI) -> None:
        store.add_crl(pki.crl([pki.server.cert.serial_number]))
        _assert_verifies(_context(store, pki.server))

    def test_crl_check_without_crl(self, store: crypto.X509Store, pki: PKI) -> None:
        store.set_flags(crypto.X509StoreFlags.CRL_CHECK)
        with pytest.raises(crypto.X509StoreContextError) as info:
            _context(store, pki.server).verify_certificate()
        assert info.value.errors[0] == lib.X509_V_ERR_UNABLE_TO_GET_CRL

    @pytest.mark.parametrize("bad", [None, b"crl", object()])
    def test_wrong_type(self, bad: object) -> None:
        with pytest.raises(TypeError, match="CertificateRevocationList"):
            crypto.X509Store().add_crl(bad)  # type: ignore[arg-type]


class TestAddCert:
    def test_cryptography_certificate(self, pki: PKI) -> None:
        store = crypto.X509Store()
        store.add_cert(pki.root.cert)  # type: ignore[arg-type]
        _assert_verifies(_context(store, pki.server))

    def test_duplicate_is_fine(self, pki: PKI) -> None:
        store = crypto.X509Store()
        store.add_cert(X509(pki.root.cert))
        store.add_cert(X509(pki.root.cert))
        _assert_verifies(_context(store, pki.server))

    @pytest.mark.parametrize("bad", [None, b"cert", object()])
    def test_wrong_type(self, bad: object) -> None:
        with pytest.raises(TypeError, match="X509"):
            crypto.X509Store().add_cert(bad)  # type: ignore[arg-type]


class TestLoadLocations:
    @pytest.mark.parametrize("kind", ["str", "bytes", "path"])
    def test_cafile(self, pki: PKI, tmp_path: Path, kind: str) -> None:
        cafile = pki.write_ca(tmp_path)
        arg = {"str": str(cafile), "bytes": os.fsencode(cafile), "path": cafile}[kind]
        store = crypto.X509Store()
        store.load_locations(arg)
        _assert_verifies(_context(store, pki.server))

    def test_non_ascii_path(self, pki: PKI, tmp_path: Path) -> None:
        directory = tmp_path / "z\u00fcrich \u65e5\u672c"
        try:
            directory.mkdir()
        except (UnicodeEncodeError, OSError) as exc:  # pragma: no cover
            pytest.skip(f"file system cannot store non-ASCII names: {exc}")
        cafile = pki.write_ca(directory)
        store = crypto.X509Store()
        store.load_locations(str(cafile))
        _assert_verifies(_context(store, pki.server))

    def test_capath(self, pki: PKI, tmp_path: Path) -> None:
        # A c_rehash-style directory: <subject hash>.0 holds the certificate.
        name_hash = X509(pki.root.cert).subject_name_hash()
        (tmp_path / f"{name_hash:08x}.0").write_bytes(pki.root_pem())
        store = crypto.X509Store()
        store.load_locations(None, tmp_path)
        _assert_verifies(_context(store, pki.server))

    def test_capath_without_matching_file(self, pki: PKI, tmp_path: Path) -> None:
        store = crypto.X509Store()
        store.load_locations(None, tmp_path)
        with pytest.raises(crypto.X509StoreContextError):
            _context(store, pki.server).verify_certificate()

    @needs_openssl
    def test_capath_made_by_openssl_rehash(self, pki: PKI, tmp_path: Path) -> None:
        pki.write_ca(tmp_path)
        assert OPENSSL is not None
        result = subprocess.run(
            [OPENSSL, "rehash", str(tmp_path)],
            capture_output=True,
            check=False,
            timeout=60,
        )
        if result.returncode != 0:  # pragma: no cover
            pytest.skip(f"openssl rehash failed: {result.stderr!r}")
        store = crypto.X509Store()
        store.load_locations(None, str(tmp_path))
        _assert_verifies(_context(store, pki.server))

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(crypto.Error):
            crypto.X509Store().load_locations(tmp_path / "missing.pem")

    def test_file_without_certificates(self, tmp_path: Path) -> None:
        path = tmp_path / "empty.pem"
        path.write_bytes(b"no certificates here\n")
        with pytest.raises(crypto.Error):
            crypto.X509Store().load_locations(path)

    def test_both_none(self) -> None:
        with pytest.raises(crypto.Error):
            crypto.X509Store().load_locations(None, None)

    @pytest.mark.parametrize("bad", [42, object(), ["a"]])
    def test_wrong_type(self, bad: object) -> None:
        with pytest.raises(TypeError, match="path"):
            crypto.X509Store().load_locations(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="path"):
            crypto.X509Store().load_locations(None, bad)  # type: ignore[arg-type]

    def test_nul_in_path(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="NUL"):
            crypto.X509Store().load_locations(str(tmp_path) + "\0x")


class TestBorrowedStore:
    """``X509Store._from_borrowed``, used for ``Context.get_cert_store()``."""

    def test_takes_its_own_reference(self, pki: PKI) -> None:
        original = crypto.X509Store()
        raw = lib.X509_STORE_new()
        try:
            borrowed = crypto.X509Store._from_borrowed(raw)
        finally:
            lib.X509_STORE_free(raw)  # the "owner" lets go; ours is still alive
        borrowed.add_cert(X509(pki.root.cert))
        _assert_verifies(_context(borrowed, pki.server))
        del original

    def test_shares_state_with_the_owner(self, pki: PKI) -> None:
        owner = crypto.X509Store()
        view = crypto.X509Store._from_borrowed(owner._store)
        view.add_cert(X509(pki.root.cert))
        _assert_verifies(_context(owner, pki.server))

    def test_null(self) -> None:
        with pytest.raises(ValueError):
            crypto.X509Store._from_borrowed(ffi.NULL)
