"""OpenSSL._util: the binding, error-queue translation and helpers."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from OpenSSL import _lib_types, _util
from OpenSSL._util import ffi, lib

pytestmark = pytest.mark.usefixtures("clean_error_queue")


class Boom(Exception):
    pass


def _push_openssl_error() -> None:
    """Make OpenSSL record a genuine error: parse garbage as a certificate."""
    bio = _util.new_mem_bio(b"not DER")
    assert lib.d2i_X509_bio(bio, ffi.NULL) == ffi.NULL
    assert lib.ERR_peek_error() != 0


class TestBinding:
    def test_ffi_and_lib_importable_like_twisted_does(self) -> None:
        from cryptography.hazmat.bindings.openssl.binding import Binding

        assert lib.SSL_CTX_new is not None
        assert ffi.NULL == Binding.ffi.NULL
        assert ffi.typeof("X509 *") is not None


class TestTypedBinding:
    """``_lib_types`` declares names mypy then trusts: each must be real."""

    @staticmethod
    def _declared(protocol: type) -> list[str]:
        names = set(getattr(protocol, "__annotations__", {}))
        names.update(
            name
            for name, value in vars(protocol).items()
            if callable(value) and not name.startswith("_")
        )
        return sorted(names)

    def test_every_declared_lib_name_is_in_the_binding(self) -> None:
        declared = self._declared(_lib_types.Lib)
        assert "SSL_read" in declared and "SSL_TLSEXT_ERR_OK" in declared
        assert [name for name in declared if not hasattr(lib, name)] == []

    def test_every_declared_ffi_name_is_in_the_binding(self) -> None:
        declared = self._declared(_lib_types.FFI)
        assert {"NULL", "buffer", "string", "unpack"} <= set(declared)
        assert [name for name in declared if not hasattr(ffi, name)] == []

    def test_declared_results_have_the_declared_types(self) -> None:
        assert isinstance(lib.SSL_TLSEXT_ERR_OK, int)
        assert isinstance(ffi.buffer(ffi.new("char[]", b"ab"), 2)[:], bytes)
        assert ffi.unpack(ffi.new("char[]", b"ab"), 2) == b"ab"


class TestErrorQueue:
    def test_drains_into_tuples(self) -> None:
        _push_openssl_error()
        with pytest.raises(Boom) as info:
            _util.exception_from_error_queue(Boom)
        errors = info.value.args[0]
        assert isinstance(errors, list)
        assert errors
        for entry in errors:
            assert isinstance(entry, tuple)
            assert len(entry) == 3
            assert all(isinstance(part, str) for part in entry)
        assert any("asn1" in entry[0].lower() for entry in errors)
        assert lib.ERR_peek_error() == 0

    def test_empty_queue_names_what_failed(self) -> None:
        with pytest.raises(Boom) as info:
            _util.exception_from_error_queue(Boom, "SSL_frobnicate")
        assert info.value.args[0] == [
            ("", "SSL_frobnicate", "failed without an OpenSSL error")
        ]

    def test_default_what(self) -> None:
        with pytest.raises(Boom) as info:
            _util.exception_from_error_queue(Boom)
        assert info.value.args[0][0][1] == "OpenSSL call"

    def test_checked_returns_the_result_on_success(self) -> None:
        bio = _util.checked(Boom, lib.BIO_new, lib.BIO_s_mem(), ok=_util.not_null)
        try:
            assert (
                _util.checked(Boom, lib.BIO_write, bio, b"abc", 3, ok=_util.positive)
                == 3
            )
        finally:
            lib.BIO_free(bio)

    def test_checked_raises_the_given_class_with_the_queue(self) -> None:
        bio = _util.new_mem_bio(b"not DER")
        with pytest.raises(Boom) as info:
            _util.checked(Boom, lib.d2i_X509_bio, bio, ffi.NULL, ok=_util.not_null)
        assert info.value.args[0], "the queue's entries travel with the exception"
        assert (
            info.value.args[0][0][1] != "d2i_X509_bio"
        )  # a real reason, not the stand-in
        assert lib.ERR_peek_error() == 0

    def test_checked_names_the_function_when_the_queue_is_empty(self) -> None:
        # SSL_CTX_set_alpn_protos returns 1 for an empty list: a "failure"
        # under ok=is_zero that OpenSSL queues nothing for.
        ctx = ffi.gc(lib.SSL_CTX_new(lib.TLS_method()), lib.SSL_CTX_free)
        with pytest.raises(Boom) as info:
            _util.checked(
                Boom, lib.SSL_CTX_set_alpn_protos, ctx, b"\x00", 1, ok=_util.is_zero
            )
        assert info.value.args[0] == [
            ("", "SSL_CTX_set_alpn_protos", "failed without an OpenSSL error")
        ]

    def test_checked_cleans_up_before_raising(self) -> None:
        freed = []
        with pytest.raises(Boom):
            _util.checked(
                Boom,
                lib.ERR_peek_error,
                ok=_util.positive,
                on_failure=lambda: freed.append(True),
            )
        assert freed == [True]

    def test_clear_errors(self) -> None:
        _push_openssl_error()
        _util.clear_errors()
        assert lib.ERR_peek_error() == 0


class TestText:
    def test_null_is_empty(self) -> None:
        assert _util.text(ffi.NULL) == ""

    def test_c_string(self) -> None:
        assert _util.text(ffi.new("char[]", b"hello")) == "hello"

    def test_invalid_utf8_is_replaced(self) -> None:
        assert _util.text(ffi.new("char[]", b"a\xffb")) == "a\ufffdb"

    def test_byte_string(self) -> None:
        assert _util.byte_string("sha256") == b"sha256"
        with pytest.raises(UnicodeEncodeError):
            _util.byte_string("\u2603")


class TestPathBytes:
    def test_str(self) -> None:
        assert _util.path_bytes("/tmp/x") == b"/tmp/x"

    def test_bytes(self) -> None:
        assert _util.path_bytes(b"/tmp/x") == b"/tmp/x"

    def test_pathlike(self, tmp_path: Path) -> None:
        assert _util.path_bytes(tmp_path / "x") == os.fsencode(tmp_path / "x")

    def test_non_ascii(self) -> None:
        name = "/tmp/z\u00fcrich-\u65e5\u672c"
        assert _util.path_bytes(name) == os.fsencode(name)
        assert os.fsdecode(_util.path_bytes(name)) == name

    @pytest.mark.parametrize("bad", [None, 1, 1.5, ["x"]])
    def test_wrong_type(self, bad: object) -> None:
        with pytest.raises(TypeError, match=r"path must be str, bytes or os\.PathLike"):
            _util.path_bytes(bad)  # type: ignore[arg-type]


class TestDeprecation:
    def test_deprecated_points_at_caller_of_the_api(self) -> None:
        def api() -> None:
            _util.deprecated("api is deprecated")

        with pytest.warns(DeprecationWarning, match="api is deprecated") as record:
            api()
        assert record[0].filename == __file__
        assert record[0].category is DeprecationWarning

    def test_text_to_bytes_and_warn(self) -> None:
        def api(data: object) -> object:
            return _util.text_to_bytes_and_warn("data", data)

        with pytest.warns(DeprecationWarning, match="data"):
            assert api("h\u00e9") == "h\u00e9".encode()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert api(b"bytes") == b"bytes"
            marker = object()
            assert api(marker) is marker


class TestMemoryBio:
    def test_round_trip(self) -> None:
        bio = _util.new_mem_bio(b"payload\0with nul")
        assert _util.bio_to_bytes(bio) == b"payload\0with nul"

    def test_empty(self) -> None:
        assert _util.bio_to_bytes(_util.new_mem_bio()) == b""
        assert _util.bio_to_bytes(_util.new_mem_bio(b"")) == b""

    def test_independent_of_source(self) -> None:
        data = bytearray(b"original")
        bio = _util.new_mem_bio(bytes(data))
        data[:] = b"changed!"
        assert _util.bio_to_bytes(bio) == b"original"

    def test_write_then_read(self) -> None:
        bio = _util.new_mem_bio()
        assert lib.BIO_write(bio, b"abc", 3) == 3
        assert _util.bio_to_bytes(bio) == b"abc"


def test_no_zero_allocator() -> None:
    buf = _util.no_zero_allocator("char[]", 16)
    assert len(buf) == 16
    ffi.memmove(buf, b"x" * 16, 16)
    assert ffi.buffer(buf)[:] == b"x" * 16
