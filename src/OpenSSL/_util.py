"""The binding layer: ``ffi``/``lib``, error-queue translation and small helpers.

Everything else in the package reaches OpenSSL through the two objects defined
here. ``ffi`` and ``lib`` come from the cffi binding that ``cryptography``
ships; downstream code (Twisted, for one) imports them as
``from OpenSSL._util import ffi, lib``, so they are de-facto public.

OpenSSL reports failures by pushing entries onto a thread-local error queue.
:func:`exception_from_error_queue` drains that queue into the
``(library, function, reason)`` string tuples pyOpenSSL has always put in
``args[0]`` of its exceptions, and never leaves stale entries behind for an
unrelated later call to trip over.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable, NoReturn, TypeVar, Union, overload

from cryptography.hazmat.bindings.openssl.binding import Binding

if sys.version_info >= (3, 10):
    from typing import TypeAlias
else:  # pragma: no cover - old Pythons
    from typing_extensions import TypeAlias

__all__ = [
    "StrOrBytesPath",
    "binding",
    "bio_to_bytes",
    "byte_string",
    "checked",
    "clear_errors",
    "deprecated",
    "exact_bytes",
    "exception_from_error_queue",
    "ffi",
    "is_one",
    "is_zero",
    "lib",
    "new_mem_bio",
    "no_zero_allocator",
    "not_negative",
    "not_null",
    "path_bytes",
    "positive",
    "text",
    "text_to_bytes_and_warn",
    "verify_error_string",
]

_R = TypeVar("_R")

if TYPE_CHECKING:
    from OpenSSL._lib_types import FFI, Lib

binding = Binding()
# Typed for mypy by OpenSSL._lib_types; at run time cryptography's objects.
ffi: FFI = binding.ffi
lib: Lib = binding.lib

StrOrBytesPath: TypeAlias = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

# Buffers handed to OpenSSL to be filled need no zeroing first: skipping it
# keeps ``recv(1 MiB)`` as cheap as ``recv(16 KiB)`` on a small record.
no_zero_allocator = ffi.new_allocator(should_clear_after_alloc=False)


def text(charp: Any) -> str:
    """Decode a NUL-terminated C string from OpenSSL; ``""`` for NULL."""
    if charp == ffi.NULL:
        return ""
    return ffi.string(charp).decode("utf-8", "replace")


def _drain_error_queue() -> list[tuple[str, str, str]]:
    errors: list[tuple[str, str, str]] = []
    while True:
        code = lib.ERR_get_error()
        if code == 0:
            return errors
        errors.append(
            (
                text(lib.ERR_lib_error_string(code)),
                text(lib.ERR_func_error_string(code)),
                text(lib.ERR_reason_error_string(code)),
            )
        )


def exception_from_error_queue(
    exception_type: type[Exception], what: str = "OpenSSL call"
) -> NoReturn:
    """Raise *exception_type* carrying the drained OpenSSL error queue.

    ``args[0]`` is a list of ``(library, function, reason)`` tuples, as in
    pyOpenSSL. When OpenSSL recorded nothing, the list holds one entry that
    names *what* failed instead of being empty, so the exception always says
    something useful.
    """
    errors = _drain_error_queue()
    if not errors:
        errors = [("", what, "failed without an OpenSSL error")]
    raise exception_type(errors)


def verify_error_string(code: int) -> str:
    """OpenSSL's description of an ``X509_V_*`` verification result *code*."""
    return text(lib.X509_verify_cert_error_string(code))


def clear_errors() -> None:
    """Forget whatever an earlier call left in OpenSSL's error queue."""
    lib.ERR_clear_error()


def is_one(result: Any) -> bool:
    """Success for most OpenSSL calls: they return 1."""
    return bool(result == 1)


def is_zero(result: Any) -> bool:
    """Success for the few that return 0 (``SSL_CTX_set_alpn_protos``)."""
    return bool(result == 0)


def not_null(result: Any) -> bool:
    """Success for calls returning a pointer."""
    return bool(result != ffi.NULL)


def positive(result: Any) -> bool:
    """Success for calls returning a count or length that must be above 0."""
    return bool(result > 0)


def not_negative(result: Any) -> bool:
    """Success for calls returning a length (0 is a valid length)."""
    return bool(result >= 0)


def checked(
    error: type[Exception],
    function: Callable[..., _R],
    *args: Any,
    ok: Callable[[_R], bool] = is_one,
    on_failure: Callable[[], object] | None = None,
) -> _R:
    """Call ``lib`` *function* with *args*; return its result if *ok* says so.

    Otherwise run *on_failure* (to free what the failed call did not take
    over) and raise *error* -- ``OpenSSL.SSL.Error`` or
    ``OpenSSL.crypto.Error`` -- carrying the drained error queue, naming the
    function when OpenSSL recorded nothing. The one way this package calls
    OpenSSL and checks the result::

        ctx = checked(Error, lib.SSL_CTX_new, method, ok=not_null)
        checked(Error, lib.SSL_CTX_use_certificate, ctx, x509)
    """
    result = function(*args)
    if not ok(result):
        if on_failure is not None:
            on_failure()
        exception_from_error_queue(error, function.__name__)
    return result


def path_bytes(s: StrOrBytesPath) -> bytes:
    """Convert a path argument to the bytes OpenSSL's file functions take.

    Accepts ``str``, ``bytes`` and ``os.PathLike``; text is encoded with the
    file-system encoding so non-ASCII names reach the same file Python would
    open.
    """
    try:
        path = os.fspath(s)
    except TypeError:
        raise TypeError(
            f"path must be str, bytes or os.PathLike, not {type(s).__name__}"
        ) from None
    if isinstance(path, str):
        return os.fsencode(path)
    return path


@overload
def exact_bytes(data: bytes) -> bytes: ...
@overload
def exact_bytes(data: _R) -> _R: ...


def exact_bytes(data: Any) -> Any:
    """*data*, as plain ``bytes`` if it is a ``bytes`` subclass.

    For C code that is passed ``len(data)``: a subclass can override
    ``len()`` to overstate its size, and C code trusting it reads past the
    end of the data. A subclass is copied to plain ``bytes``; anything else
    (plain ``bytes``, or a wrong type for the caller to refuse) is returned
    as is.
    """
    if isinstance(data, bytes) and type(data) is not bytes:
        return bytes(data)
    return data


def byte_string(s: str) -> bytes:
    """Encode a text constant (a digest or cipher name) as ASCII-compatible bytes."""
    return s.encode("charmap")


def deprecated(message: str, stacklevel: int = 3) -> None:
    """Emit the one kind of ``DeprecationWarning`` this package uses.

    *stacklevel* defaults to pointing at the caller of the deprecated API.
    """
    warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)


def text_to_bytes_and_warn(label: str, obj: Any) -> Any:
    """Accept text where bytes are wanted, with the warning pyOpenSSL gives.

    Returns *obj* encoded as UTF-8 when it is ``str`` (after a
    ``DeprecationWarning`` naming *label*); anything else is returned as is.
    """
    if isinstance(obj, str):
        deprecated(
            f"{label} should be bytes; passing str is deprecated and it is "
            "encoded as UTF-8",
            stacklevel=4,
        )
        return obj.encode("utf-8")
    return obj


def bio_to_bytes(bio: Any) -> bytes:
    """Return everything written to memory BIO *bio*."""
    result = ffi.new("char**")
    length = lib.BIO_get_mem_data(bio, result)
    return ffi.buffer(result[0], length)[:]


def new_mem_bio(data: bytes | None = None) -> Any:
    """A garbage-collected memory BIO, empty or holding a copy of *data*.

    The copy means the BIO never points into a Python object that might be
    collected before OpenSSL is done reading.
    """
    bio = lib.BIO_new(lib.BIO_s_mem())
    if bio == ffi.NULL:
        raise MemoryError("could not allocate an OpenSSL memory BIO")
    bio = ffi.gc(bio, lib.BIO_free)
    if data:
        if lib.BIO_write(bio, data, len(data)) != len(data):
            raise MemoryError("could not fill an OpenSSL memory BIO")
    return bio
