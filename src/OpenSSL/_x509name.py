"""``X509Name``: a distinguished name with attribute access (deprecated API).

An :class:`X509Name` either owns its ``X509_NAME *`` (a copy) or is a *view*
of a certificate's subject or issuer: it then holds the certificate alive and
writes through to it, and the certificate invalidates the view (attribute use
then raises ``AttributeError``) when it replaces that name, because the
``X509_NAME`` the view pointed at is freed.
"""

from __future__ import annotations

from typing import Any

from OpenSSL._crypto_base import Error
from OpenSSL._util import (
    checked,
    deprecated,
    exact_bytes,
    ffi,
    lib,
    not_negative,
    not_null,
)
from OpenSSL._util import clear_errors as _clear_errors


def name_der(name_ptr: Any) -> bytes:
    """The DER encoding of the ``X509_NAME *`` *name_ptr*."""
    out = ffi.new("unsigned char **")
    length = checked(Error, lib.i2d_X509_NAME, name_ptr, out, ok=not_negative)
    try:
        return ffi.buffer(out[0], length)[:]
    finally:
        lib.OPENSSL_free(out[0])


def _name_nid(name: str) -> int:
    try:
        encoded = name.encode("ascii")
    except UnicodeEncodeError:
        raise AttributeError(f"No such attribute: {name!r}") from None
    nid = lib.OBJ_txt2nid(encoded) if b"\0" not in encoded else lib.NID_undef
    if nid == lib.NID_undef:
        _clear_errors()
        raise AttributeError(f"No such attribute: {name!r}")
    return int(nid)


class X509Name:
    """A distinguished name; attributes are its components.

    ``name.CN``, ``name.commonName``, ``name.emailAddress``, ... read the first
    component of that type (``None`` when absent) and assigning replaces every
    component of that type with one holding the new value, placed last. Values
    are text; bytes are taken as UTF-8. NUL bytes are kept whole both ways. A
    value OpenSSL rejects (too long for the type, invalid UTF-8) raises
    :class:`~OpenSSL.crypto.Error` and leaves the name unchanged.

    Deprecated: use ``cryptography.x509.Name``.
    """

    _name: Any

    def __init__(self, name: X509Name) -> None:
        """Deprecated: a copy of *name*."""
        deprecated("X509Name is deprecated; use cryptography.x509.Name instead")
        if not isinstance(name, X509Name):
            raise TypeError(f"name must be an X509Name, not {type(name).__name__}")
        self._init_copy(name._name)

    def _init_copy(self, name_ptr: Any) -> None:
        copy = checked(Error, lib.X509_NAME_dup, name_ptr, ok=not_null)
        object.__setattr__(self, "_name", ffi.gc(copy, lib.X509_NAME_free))

    @classmethod
    def _from_raw_name_copy(cls, name_ptr: Any) -> X509Name:
        """An :class:`X509Name` owning a copy of borrowed ``X509_NAME *``."""
        if name_ptr == ffi.NULL:
            raise ValueError("cannot copy a NULL X509_NAME pointer")
        name = cls.__new__(cls)
        name._init_copy(name_ptr)
        return name

    @classmethod
    def _view(cls, name_ptr: Any, owner: object) -> X509Name:
        """A view of a certificate's own name; keeps *owner* (the X509) alive."""
        name = cls.__new__(cls)
        object.__setattr__(name, "_name", name_ptr)
        object.__setattr__(name, "_owner", owner)
        return name

    def _invalidate(self) -> None:
        self.__dict__.pop("_name", None)
        self.__dict__.pop("_owner", None)

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("_"):
            if name == "_name":
                raise AttributeError(
                    "this X509Name is no longer valid: the certificate's name "
                    "it belonged to has been replaced"
                )
            raise AttributeError(name)
        nid = _name_nid(name)
        index = lib.X509_NAME_get_index_by_NID(self._name, nid, -1)
        if index < 0:
            return None
        entry = lib.X509_NAME_get_entry(self._name, index)
        data = lib.X509_NAME_ENTRY_get_data(entry)
        out = ffi.new("unsigned char **")
        length = checked(Error, lib.ASN1_STRING_to_UTF8, out, data, ok=not_negative)
        try:
            return ffi.buffer(out[0], length)[:].decode("utf-8")
        finally:
            lib.OPENSSL_free(out[0])

    def __setattr__(self, name: str, value: Any) -> None:
        if type(name) is not str:
            raise TypeError(
                f"attribute name must be string, not '{type(name).__name__:.200}'"
            )
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        nid = _name_nid(name)
        if isinstance(value, str):
            value = value.encode("utf-8")
        elif not isinstance(value, bytes):
            raise TypeError(
                f"{name} value must be str or bytes, not {type(value).__name__}"
            )
        value = exact_bytes(value)
        name_ptr = self._name
        # Append first, so that a value OpenSSL rejects (too long, bad UTF-8)
        # leaves the name as it was; then drop the older entries of the type.
        checked(
            Error,
            lib.X509_NAME_add_entry_by_NID,
            name_ptr,
            nid,
            lib.MBSTRING_UTF8,
            value,
            len(value),
            -1,
            0,
        )
        last = lib.X509_NAME_entry_count(name_ptr) - 1
        while True:
            index = lib.X509_NAME_get_index_by_NID(name_ptr, nid, -1)
            if index < 0 or index >= last:
                break
            lib.X509_NAME_ENTRY_free(lib.X509_NAME_delete_entry(name_ptr, index))
            last -= 1

    def _cmp(self, other: X509Name) -> int:
        return int(lib.X509_NAME_cmp(self._name, other._name))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, X509Name):
            return NotImplemented
        return self._cmp(other) == 0

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, X509Name):
            return NotImplemented
        return self._cmp(other) != 0

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, X509Name):
            return NotImplemented
        return self._cmp(other) < 0

    def __le__(self, other: object) -> bool:
        if not isinstance(other, X509Name):
            return NotImplemented
        return self._cmp(other) <= 0

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, X509Name):
            return NotImplemented
        return self._cmp(other) > 0

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, X509Name):
            return NotImplemented
        return self._cmp(other) >= 0

    def __hash__(self) -> int:
        # Equal names (X509_NAME_cmp == 0) have equal canonical encodings and
        # so equal X509_NAME_hash values.
        return self.hash()

    def __repr__(self) -> str:
        buf = ffi.new("char[]", 512)
        checked(Error, lib.X509_NAME_oneline, self._name, buf, len(buf), ok=not_null)
        return "<X509Name object '{}'>".format(
            ffi.string(buf).decode("utf-8", "replace")
        )

    def hash(self) -> int:
        """OpenSSL's hash of the name (as used for ``c_rehash`` file names)."""
        return int(lib.X509_NAME_hash(self._name))

    def der(self) -> bytes:
        """The DER encoding of the name."""
        return name_der(self._name)

    def get_components(self) -> list[tuple[bytes, bytes]]:
        """``(short name, raw value)`` pairs in order, values undecoded."""
        result = []
        for i in range(lib.X509_NAME_entry_count(self._name)):
            entry = lib.X509_NAME_get_entry(self._name, i)
            nid = lib.OBJ_obj2nid(lib.X509_NAME_ENTRY_get_object(entry))
            data = lib.X509_NAME_ENTRY_get_data(entry)
            value = ffi.buffer(
                lib.ASN1_STRING_get0_data(data), lib.ASN1_STRING_length(data)
            )[:]
            result.append((ffi.string(lib.OBJ_nid2sn(nid)), value))
        return result


X509Name.__module__ = "OpenSSL.crypto"
