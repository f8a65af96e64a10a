"""Certificates, names, keys and certificate stores: pyOpenSSL 26.4's ``crypto``.

The model
---------
Every object wraps exactly one OpenSSL pointer and owns one reference to it,
released by ``ffi.gc`` when the Python object goes away:

- :class:`X509` owns an ``X509 *`` (``_x509``);
- :class:`PKey` owns an ``EVP_PKEY *`` (``_pkey``), plus two flags:
  ``_only_public`` (no private half) and ``_initialized`` (``PKey()`` starts
  empty until :meth:`PKey.generate_key`);
- :class:`X509Name` owns an ``X509_NAME *`` (``_name``) -- or, when it came from
  :meth:`X509.get_subject` / :meth:`X509.get_issuer`, is a *view* into the
  certificate: it keeps the certificate alive, writes through to it, and stops
  working (``AttributeError``) once the certificate's name is replaced;
- :class:`X509Store` owns an ``X509_STORE *`` (``_store``).

``OpenSSL.SSL`` builds these objects from pointers it gets from OpenSSL through
the private factories ``X509._from_raw_x509_ptr``, ``PKey._from_raw_pkey``,
``X509Name._from_raw_name_copy`` and ``X509Store._from_borrowed``; each says
in its docstring whose reference it consumes.

``PKey`` and the key loaders live in :mod:`OpenSSL._pkey`, ``X509Name`` in
:mod:`OpenSSL._x509name`, the exception and constants in
:mod:`OpenSSL._crypto_base`; this module re-exports them and holds
certificates, stores and verification.

Conversions to and from ``cryptography`` objects go through DER, which both
sides parse and produce cheaply; there is no other shared representation.

Errors
------
OpenSSL failures raise :class:`Error` carrying the drained error queue (see
:func:`OpenSSL._util.exception_from_error_queue`). Misuse from Python -- a
wrong type, an unknown file-type constant, a bad digest name -- raises
``TypeError`` or ``ValueError`` before OpenSSL is called. Exceptions raised by
a passphrase callback propagate unchanged out of the load/dump call.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from OpenSSL._crypto_base import (
    FILETYPE_ASN1,
    FILETYPE_PEM,
    FILETYPE_TEXT,
    TYPE_DSA,
    TYPE_RSA,
    Error,
    _check_filetype,
    _digest_by_name,
    _input_bytes,
    _require_int,
)
from OpenSSL._crypto_base import (
    TYPE_DH as TYPE_DH,
)
from OpenSSL._crypto_base import (
    TYPE_EC as TYPE_EC,
)
from OpenSSL._crypto_base import (
    PassphraseCallableT as PassphraseCallableT,
)
from OpenSSL._crypto_base import (
    _Key as _Key,
)
from OpenSSL._crypto_base import (
    _PrivateKey as _PrivateKey,
)
from OpenSSL._pkey import (
    _ANY_TYPE,
    _ANY_TYPE_NAMES,
    _PEM_OR_ASN1,
    _PEM_OR_ASN1_NAMES,
    PKey,
    _dump_privatekey,
    _dump_publickey,
    _load_privatekey,
    _load_publickey,
)
from OpenSSL._util import (
    StrOrBytesPath,
    bio_to_bytes,
    checked,
    deprecated,
    ffi,
    lib,
    new_mem_bio,
    not_null,
    path_bytes,
    positive,
    verify_error_string,
)
from OpenSSL._util import clear_errors as _clear_errors
from OpenSSL._x509name import X509Name

__all__ = [
    "FILETYPE_ASN1",
    "FILETYPE_PEM",
    "FILETYPE_TEXT",
    "TYPE_DSA",
    "TYPE_RSA",
    "X509",
    "Error",
    "PKey",
    "X509Name",
    "X509Store",
    "X509StoreContext",
    "X509StoreContextError",
    "X509StoreFlags",
    "dump_certificate",
    "dump_privatekey",
    "dump_publickey",
    "get_elliptic_curve",
    "get_elliptic_curves",
    "load_certificate",
    "load_privatekey",
    "load_publickey",
]


# -- elliptic curves (deprecated) -------------------------------------------


class _EllipticCurve:
    """A named curve OpenSSL knows; compare by identity of the curve (NID)."""

    def __init__(self, nid: int, name: str) -> None:
        self._nid = nid
        self.name = name

    @classmethod
    def _from_nid(cls, nid: int) -> _EllipticCurve:
        return cls(nid, ffi.string(lib.OBJ_nid2sn(nid)).decode("ascii"))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _EllipticCurve):
            return NotImplemented
        return self._nid == other._nid

    def __hash__(self) -> int:
        return hash(self._nid)

    def __repr__(self) -> str:
        return f"<Curve {self.name!r}>"

    def _to_EC_KEY(self) -> Any:
        key = checked(Error, lib.EC_KEY_new_by_curve_name, self._nid, ok=not_null)
        return ffi.gc(key, lib.EC_KEY_free)


_CURVES: list[frozenset[_EllipticCurve]] = []


def _elliptic_curves() -> frozenset[_EllipticCurve]:
    if not _CURVES:
        count = lib.EC_get_builtin_curves(ffi.NULL, 0)
        curves = ffi.new("EC_builtin_curve[]", count)
        count = lib.EC_get_builtin_curves(curves, count)
        _CURVES.append(
            frozenset(_EllipticCurve._from_nid(curves[i].nid) for i in range(count))
        )
    return _CURVES[0]


def get_elliptic_curves() -> set[_EllipticCurve]:
    """Deprecated: the named curves OpenSSL supports.

    Pass ``cryptography`` curve objects to ``Context.set_tmp_ecdh`` instead.
    """
    deprecated(
        "get_elliptic_curves is deprecated; use cryptography's "
        "elliptic curve classes instead"
    )
    return set(_elliptic_curves())


def get_elliptic_curve(name: str) -> _EllipticCurve:
    """Deprecated: the curve called *name* (``ValueError`` if unknown)."""
    deprecated(
        "get_elliptic_curve is deprecated; use cryptography's "
        "elliptic curve classes instead"
    )
    for curve in _elliptic_curves():
        if curve.name == name:
            return curve
    raise ValueError("unknown curve name", name)


# -- certificates ------------------------------------------------------------


def _asn1_time_bytes(when: Any) -> bytes | None:
    """An ``ASN1_TIME *`` as GeneralizedTime bytes, ``None`` when unset."""
    if when == ffi.NULL:
        return None
    as_string = ffi.cast("ASN1_STRING *", when)
    if lib.ASN1_STRING_length(as_string) == 0:
        return None
    generalized = checked(
        Error, lib.ASN1_TIME_to_generalizedtime, when, ffi.NULL, ok=not_null
    )
    try:
        gen_string = ffi.cast("ASN1_STRING *", generalized)
        return ffi.buffer(
            lib.ASN1_STRING_get0_data(gen_string), lib.ASN1_STRING_length(gen_string)
        )[:]
    finally:
        lib.ASN1_GENERALIZEDTIME_free(generalized)


def _set_asn1_time(boundary: Any, when: Any) -> None:
    if not isinstance(when, bytes):
        raise TypeError("when must be a byte string")
    if b"\0" in when or lib.ASN1_TIME_set_string(boundary, when) != 1:
        _clear_errors()
        raise ValueError(f"Invalid string: {when!r} is not an ASN.1 time")


class X509:
    """An X.509 certificate."""

    _x509: Any

    def __init__(self) -> None:
        x509_ptr = checked(Error, lib.X509_new, ok=not_null)
        self._setup(x509_ptr)

    def _setup(self, x509_ptr: Any) -> None:
        self._x509 = ffi.gc(x509_ptr, lib.X509_free)
        self._name_views: dict[str, list[weakref.ref[X509Name]]] = {
            "issuer": [],
            "subject": [],
        }

    @classmethod
    def _from_raw_x509_ptr(cls, x509: Any) -> X509:
        """Wrap ``X509 *`` *x509*, taking over one reference to it."""
        if x509 == ffi.NULL:
            raise ValueError("cannot wrap a NULL X509 pointer")
        cert = cls.__new__(cls)
        cert._setup(x509)
        return cert

    def to_cryptography(self) -> x509.Certificate:
        """The certificate as a ``cryptography.x509.Certificate``."""
        return x509.load_der_x509_certificate(dump_certificate(FILETYPE_ASN1, self))

    @classmethod
    def from_cryptography(cls, crypto_cert: x509.Certificate) -> X509:
        """Make an :class:`X509` from a ``cryptography.x509.Certificate``."""
        if not isinstance(crypto_cert, x509.Certificate):
            raise TypeError("Must be a certificate")
        der = crypto_cert.public_bytes(serialization.Encoding.DER)
        return load_certificate(FILETYPE_ASN1, der)

    # -- reading ------------------------------------------------------------

    def get_version(self) -> int:
        """The version field: 0 for v1 ... 2 for v3."""
        return int(lib.X509_get_version(self._x509))

    def get_pubkey(self) -> PKey:
        """The certificate's public key."""
        pkey = checked(Error, lib.X509_get_pubkey, self._x509, ok=not_null)
        return PKey._from_raw_pkey(pkey, only_public=True)

    def get_serial_number(self) -> int:
        """The serial number."""
        bignum = checked(
            Error,
            lib.ASN1_INTEGER_to_BN,
            lib.X509_get_serialNumber(self._x509),
            ffi.NULL,
            ok=not_null,
        )
        try:
            hex_serial = checked(Error, lib.BN_bn2hex, bignum, ok=not_null)
            try:
                return int(ffi.string(hex_serial), 16)
            finally:
                lib.OPENSSL_free(hex_serial)
        finally:
            lib.BN_free(bignum)

    def get_signature_algorithm(self) -> bytes:
        """The long name of the signature algorithm (``ValueError`` if unknown)."""
        algorithm = ffi.new("ASN1_OBJECT **")
        lib.X509_ALGOR_get0(
            algorithm, ffi.NULL, ffi.NULL, lib.X509_get0_tbs_sigalg(self._x509)
        )
        nid = lib.OBJ_obj2nid(algorithm[0]) if algorithm[0] != ffi.NULL else 0
        if nid == lib.NID_undef:
            _clear_errors()
            raise ValueError("Undefined signature algorithm")
        return ffi.string(lib.OBJ_nid2ln(nid))

    def digest(self, digest_name: str) -> bytes:
        """The fingerprint, as colon-separated upper-case hex bytes."""
        digest = _digest_by_name(digest_name)
        out = ffi.new("unsigned char[]", lib.EVP_MAX_MD_SIZE)
        out_len = ffi.new("unsigned int *", len(out))
        checked(Error, lib.X509_digest, self._x509, digest, out, out_len)
        return b":".join(b"%02X" % byte for byte in ffi.buffer(out, out_len[0])[:])

    def subject_name_hash(self) -> int:
        """OpenSSL's hash of the subject name."""
        return int(lib.X509_subject_name_hash(self._x509))

    def get_notBefore(self) -> bytes | None:
        """Start of validity, ``b"YYYYMMDDhhmmssZ"`` (``None`` when unset)."""
        return _asn1_time_bytes(lib.X509_getm_notBefore(self._x509))

    def get_notAfter(self) -> bytes | None:
        """End of validity, ``b"YYYYMMDDhhmmssZ"`` (``None`` when unset)."""
        return _asn1_time_bytes(lib.X509_getm_notAfter(self._x509))

    def has_expired(self) -> bool:
        """Whether the end of validity lies in the past."""
        not_after = self.get_notAfter()
        if not_after is None:
            raise ValueError("Unable to determine notAfter")
        try:
            when = datetime.datetime.strptime(
                not_after.decode("ascii"), "%Y%m%d%H%M%SZ"
            )
        except ValueError:
            raise ValueError(f"Unable to parse notAfter {not_after!r}") from None
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        return when < now

    def get_extension_count(self) -> int:
        """The number of extensions."""
        return int(lib.X509_get_ext_count(self._x509))

    def _name_view(self, which: str) -> X509Name:
        getter = (
            lib.X509_get_subject_name
            if which == "subject"
            else lib.X509_get_issuer_name
        )
        name = X509Name._view(checked(Error, getter, self._x509, ok=not_null), self)
        views = self._name_views[which]
        views[:] = [ref for ref in views if ref() is not None]
        views.append(weakref.ref(name))
        return name

    def get_issuer(self) -> X509Name:
        """Deprecated: the issuer name, a live view into this certificate.

        Changing it changes the certificate. Use :meth:`to_cryptography`.
        """
        deprecated("X509.get_issuer is deprecated; use to_cryptography().issuer")
        return self._name_view("issuer")

    def get_subject(self) -> X509Name:
        """Deprecated: the subject name, a live view into this certificate.

        Changing it changes the certificate. Use :meth:`to_cryptography`.
        """
        deprecated("X509.get_subject is deprecated; use to_cryptography().subject")
        return self._name_view("subject")

    # -- mutating (all deprecated) -------------------------------------------

    @staticmethod
    def _deprecated_setter(method: str) -> None:
        deprecated(
            f"X509.{method} is deprecated; build certificates with "
            "cryptography.x509.CertificateBuilder",
            stacklevel=4,
        )

    def set_version(self, version: int) -> None:
        """Deprecated: set the version field (0, 1 or 2)."""
        self._deprecated_setter("set_version")
        _require_int(version, "version")
        if version not in (0, 1, 2):
            raise ValueError(
                f"Invalid version {version}: X.509 versions are 0 (v1) to 2 (v3)"
            )
        checked(Error, lib.X509_set_version, self._x509, version)

    def set_pubkey(self, pkey: PKey) -> None:
        """Deprecated: set the public key."""
        self._deprecated_setter("set_pubkey")
        if not isinstance(pkey, PKey):
            raise TypeError("pkey must be a PKey instance")
        checked(Error, lib.X509_set_pubkey, self._x509, pkey._pkey)

    def sign(self, pkey: PKey, digest: str) -> None:
        """Deprecated: sign the certificate with *pkey* and digest *digest*."""
        self._deprecated_setter("sign")
        if not isinstance(pkey, PKey):
            raise TypeError("pkey must be a PKey instance")
        if pkey._only_public:
            raise ValueError("Key only has public part")
        if not pkey._initialized:
            raise ValueError("Key is uninitialized")
        digest_obj = _digest_by_name(digest)
        checked(Error, lib.X509_sign, self._x509, pkey._pkey, digest_obj, ok=positive)

    def set_serial_number(self, serial: int) -> None:
        """Deprecated: set the serial number."""
        self._deprecated_setter("set_serial_number")
        _require_int(serial, "serial")
        bignum = ffi.new("BIGNUM **")
        checked(Error, lib.BN_hex2bn, bignum, b"%x" % serial, ok=positive)
        try:
            asn1 = checked(
                Error, lib.BN_to_ASN1_INTEGER, bignum[0], ffi.NULL, ok=not_null
            )
        finally:
            lib.BN_free(bignum[0])
        asn1 = ffi.gc(asn1, lib.ASN1_INTEGER_free)
        checked(Error, lib.X509_set_serialNumber, self._x509, asn1)

    def _adjust(self, boundary: Any, amount: int) -> None:
        _require_int(amount, "amount")
        if not -(2**63) <= amount < 2**63:
            raise OverflowError("amount does not fit in a C long")
        checked(Error, lib.X509_gmtime_adj, boundary, amount, ok=not_null)

    def gmtime_adj_notAfter(self, amount: int) -> None:
        """Deprecated: set the end of validity to now plus *amount* seconds."""
        self._deprecated_setter("gmtime_adj_notAfter")
        self._adjust(lib.X509_getm_notAfter(self._x509), amount)

    def gmtime_adj_notBefore(self, amount: int) -> None:
        """Deprecated: set the start of validity to now plus *amount* seconds."""
        self._deprecated_setter("gmtime_adj_notBefore")
        self._adjust(lib.X509_getm_notBefore(self._x509), amount)

    def set_notBefore(self, when: bytes) -> None:
        """Deprecated: set the start of validity (``b"YYYYMMDDhhmmssZ"``)."""
        self._deprecated_setter("set_notBefore")
        _set_asn1_time(lib.X509_getm_notBefore(self._x509), when)

    def set_notAfter(self, when: bytes) -> None:
        """Deprecated: set the end of validity (``b"YYYYMMDDhhmmssZ"``)."""
        self._deprecated_setter("set_notAfter")
        _set_asn1_time(lib.X509_getm_notAfter(self._x509), when)

    def _set_name(self, which: str, name: Any) -> None:
        if not isinstance(name, X509Name):
            raise TypeError("name must be an X509Name")
        if which == "subject":
            getter, setter = lib.X509_get_subject_name, lib.X509_set_subject_name
        else:
            getter, setter = lib.X509_get_issuer_name, lib.X509_set_issuer_name
        old = getter(self._x509)
        checked(Error, setter, self._x509, name._name)
        if getter(self._x509) == old:
            return  # set to its own name: OpenSSL kept the same X509_NAME
        # The old X509_NAME is gone: views handed out earlier must not touch it.
        for ref in self._name_views[which]:
            view = ref()
            if view is not None:
                view._invalidate()
        self._name_views[which] = []

    def set_issuer(self, issuer: X509Name) -> None:
        """Deprecated: set the issuer name (copied)."""
        self._deprecated_setter("set_issuer")
        self._set_name("issuer", issuer)

    def set_subject(self, subject: X509Name) -> None:
        """Deprecated: set the subject name (copied)."""
        self._deprecated_setter("set_subject")
        self._set_name("subject", subject)


# -- stores and verification -------------------------------------------------


class X509StoreFlags:
    """Verification flags for :meth:`X509Store.set_flags` (``X509_V_FLAG_*``)."""

    CRL_CHECK: int
    CRL_CHECK_ALL: int
    IGNORE_CRITICAL: int
    X509_STRICT: int
    ALLOW_PROXY_CERTS: int
    POLICY_CHECK: int
    EXPLICIT_POLICY: int
    INHIBIT_MAP: int
    CHECK_SS_SIGNATURE: int
    PARTIAL_CHAIN: int


for _flag in X509StoreFlags.__annotations__:
    setattr(X509StoreFlags, _flag, getattr(lib, f"X509_V_FLAG_{_flag}"))
del _flag


def _as_x509(cert: Any, what: str) -> X509:
    if isinstance(cert, X509):
        return cert
    if isinstance(cert, x509.Certificate):
        return X509.from_cryptography(cert)
    raise TypeError(f"{what} must be an X509 instance, not {type(cert).__name__}")


class X509Store:
    """A store of trusted certificates and CRLs, with verification settings."""

    _store: Any

    def __init__(self) -> None:
        store = checked(Error, lib.X509_STORE_new, ok=not_null)
        self._store = ffi.gc(store, lib.X509_STORE_free)

    @classmethod
    def _from_borrowed(cls, store_ptr: Any) -> X509Store:
        """Wrap borrowed ``X509_STORE *`` *store_ptr*, taking a new reference."""
        if store_ptr == ffi.NULL:
            raise ValueError("cannot wrap a NULL X509_STORE pointer")
        checked(Error, lib.X509_STORE_up_ref, store_ptr)
        store = cls.__new__(cls)
        store._store = ffi.gc(store_ptr, lib.X509_STORE_free)
        return store

    def add_cert(self, cert: X509) -> None:
        """Trust *cert* (an :class:`X509` or ``cryptography`` certificate)."""
        cert = _as_x509(cert, "cert")
        checked(Error, lib.X509_STORE_add_cert, self._store, cert._x509)

    def add_crl(self, crl: x509.CertificateRevocationList) -> None:
        """Add a ``cryptography`` CRL, used with ``X509StoreFlags.CRL_CHECK``."""
        if not isinstance(crl, x509.CertificateRevocationList):
            raise TypeError(
                "CRL must be of type cryptography.x509.CertificateRevocationList"
            )
        bio = new_mem_bio(crl.public_bytes(serialization.Encoding.DER))
        crl_ptr = checked(Error, lib.d2i_X509_CRL_bio, bio, ffi.NULL, ok=not_null)
        crl_ptr = ffi.gc(crl_ptr, lib.X509_CRL_free)
        checked(Error, lib.X509_STORE_add_crl, self._store, crl_ptr)

    def set_flags(self, flags: int) -> None:
        """Add *flags* (``X509StoreFlags`` values or-ed together)."""
        _require_int(flags, "flags")
        checked(Error, lib.X509_STORE_set_flags, self._store, flags)

    def set_time(self, vfy_time: datetime.datetime) -> None:
        """Verify as of *vfy_time* instead of now (naive means UTC)."""
        if not isinstance(vfy_time, datetime.datetime):
            raise TypeError("vfy_time must be a datetime.datetime")
        param = checked(Error, lib.X509_VERIFY_PARAM_new, ok=not_null)
        param = ffi.gc(param, lib.X509_VERIFY_PARAM_free)
        lib.X509_VERIFY_PARAM_set_time(param, calendar.timegm(vfy_time.utctimetuple()))
        checked(Error, lib.X509_STORE_set1_param, self._store, param)

    def load_locations(
        self, cafile: StrOrBytesPath | None, capath: StrOrBytesPath | None = None
    ) -> None:
        """Trust the PEM certificates in file *cafile* and/or hashed directory
        *capath*."""
        cafile_arg = ffi.NULL if cafile is None else path_bytes(cafile)
        capath_arg = ffi.NULL if capath is None else path_bytes(capath)
        for arg in (cafile_arg, capath_arg):
            if arg is not ffi.NULL and b"\0" in arg:
                raise ValueError("paths must not contain NUL bytes")
        checked(
            Error, lib.X509_STORE_load_locations, self._store, cafile_arg, capath_arg
        )


class X509StoreContextError(Exception):
    """Verification failed.

    ``errors`` is ``[code, depth, message]`` as OpenSSL reported it and
    ``certificate`` the :class:`X509` at which it failed.
    """

    def __init__(self, message: str, errors: list[Any], certificate: X509) -> None:
        super().__init__(message)
        self.errors = errors
        self.certificate = certificate


def _certificate_stack(certificates: Iterable[Any] | None) -> Any:
    if certificates is None:
        return ffi.NULL
    certs = [_as_x509(cert, "chain element") for cert in certificates]
    if not certs:
        return ffi.NULL

    def free_stack(stack: Any) -> None:
        for i in range(lib.sk_X509_num(stack)):
            lib.X509_free(lib.sk_X509_value(stack, i))
        lib.sk_X509_free(stack)

    stack = checked(Error, lib.sk_X509_new_null, ok=not_null)
    stack = ffi.gc(stack, free_stack)
    for cert in certs:
        checked(Error, lib.X509_up_ref, cert._x509)
        checked(
            Error,
            lib.sk_X509_push,
            stack,
            cert._x509,
            ok=positive,
            on_failure=functools.partial(lib.X509_free, cert._x509),
        )
    return stack


class X509StoreContext:
    """Verify *certificate* against *store*, with untrusted *chain* helping
    to build the path."""

    def __init__(
        self,
        store: X509Store,
        certificate: X509,
        chain: Sequence[X509] | None = None,
    ) -> None:
        self.set_store(store)
        self._cert = _as_x509(certificate, "certificate")
        self._chain = _certificate_stack(chain)

    def set_store(self, store: X509Store) -> None:
        """Verify against *store* from now on."""
        if not isinstance(store, X509Store):
            raise TypeError(f"store must be an X509Store, not {type(store).__name__}")
        self._store = store

    def _verify(self) -> Any:
        ctx = checked(Error, lib.X509_STORE_CTX_new, ok=not_null)
        ctx = ffi.gc(ctx, lib.X509_STORE_CTX_free)
        checked(
            Error,
            lib.X509_STORE_CTX_init,
            ctx,
            self._store._store,
            self._cert._x509,
            self._chain,
        )
        if lib.X509_verify_cert(ctx) <= 0:
            _clear_errors()
            code = lib.X509_STORE_CTX_get_error(ctx)
            message = verify_error_string(code)
            current = lib.X509_STORE_CTX_get_current_cert(ctx)
            if current == ffi.NULL:
                certificate = self._cert
            else:
                checked(Error, lib.X509_up_ref, current)
                certificate = X509._from_raw_x509_ptr(current)
            errors = [code, lib.X509_STORE_CTX_get_error_depth(ctx), message]
            raise X509StoreContextError(message, errors, certificate)
        return ctx

    def verify_certificate(self) -> None:
        """Verify; raises :class:`X509StoreContextError` on failure."""
        self._verify()

    def get_verified_chain(self) -> list[X509]:
        """Verify and return the chain, leaf first, trust anchor last."""
        ctx = self._verify()
        stack = checked(Error, lib.X509_STORE_CTX_get1_chain, ctx, ok=not_null)
        try:
            # get1: each certificate carries a reference that X509 takes over.
            return [
                X509._from_raw_x509_ptr(lib.sk_X509_value(stack, i))
                for i in range(lib.sk_X509_num(stack))
            ]
        finally:
            lib.sk_X509_free(stack)


# -- loading and dumping -----------------------------------------------------


def load_certificate(type: int, buffer: bytes) -> X509:
    """Parse a certificate from PEM or DER *buffer*."""
    _check_filetype(type, _PEM_OR_ASN1, _PEM_OR_ASN1_NAMES)
    bio = new_mem_bio(_input_bytes(buffer))
    if type == FILETYPE_PEM:
        cert = checked(
            Error, lib.PEM_read_bio_X509, bio, ffi.NULL, ffi.NULL, ffi.NULL, ok=not_null
        )
    else:
        cert = checked(Error, lib.d2i_X509_bio, bio, ffi.NULL, ok=not_null)
    return X509._from_raw_x509_ptr(cert)


def dump_certificate(type: int, cert: X509) -> bytes:
    """Serialize *cert* as PEM, DER or OpenSSL's text form."""
    _check_filetype(type, _ANY_TYPE, _ANY_TYPE_NAMES)
    if not isinstance(cert, X509):
        raise TypeError(f"cert must be an X509 instance, not {cert.__class__.__name__}")
    bio = new_mem_bio()
    if type == FILETYPE_PEM:
        checked(Error, lib.PEM_write_bio_X509, bio, cert._x509)
    elif type == FILETYPE_ASN1:
        checked(Error, lib.i2d_X509_bio, bio, cert._x509)
    else:
        checked(Error, lib.X509_print_ex, bio, cert._x509, 0, 0)
    return bio_to_bytes(bio)


def load_publickey(type: int, buffer: str | bytes) -> PKey:
    """Parse a public key (SubjectPublicKeyInfo) from PEM or DER *buffer*."""
    return _load_publickey(type, buffer)


def dump_publickey(type: int, pkey: PKey) -> bytes:
    """Serialize the public half of *pkey* (SubjectPublicKeyInfo)."""
    return _dump_publickey(type, pkey)


def load_privatekey(
    type: int,
    buffer: str | bytes,
    passphrase: PassphraseCallableT | None = None,
) -> PKey:
    """Parse a private key from PEM or DER *buffer*.

    An encrypted PEM key needs *passphrase*: bytes, or a callable taking one
    argument (the OpenSSL ``rwflag``) and returning bytes. A wrong passphrase
    raises :class:`Error`; a callable returning anything but bytes raises
    ``ValueError``; one that raises has its exception propagate.
    """
    return _load_privatekey(type, buffer, passphrase)


def dump_privatekey(
    type: int,
    pkey: PKey,
    cipher: str | None = None,
    passphrase: PassphraseCallableT | None = None,
) -> bytes:
    """Deprecated: serialize the private key *pkey*.

    PEM may be encrypted with *cipher* (an OpenSSL cipher name) and
    *passphrase* (bytes or a callable returning bytes). Use
    ``PKey.to_cryptography_key().private_bytes(...)`` instead.
    """
    deprecated(
        "dump_privatekey is deprecated; use "
        "PKey.to_cryptography_key().private_bytes() instead"
    )
    return _dump_privatekey(type, pkey, cipher, passphrase)
