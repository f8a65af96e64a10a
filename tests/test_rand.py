"""OpenSSL.rand: deprecated, but working, with type checks."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from types import ModuleType

import pytest


@pytest.fixture(scope="module")
def rand() -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import OpenSSL.rand

    return OpenSSL.rand


def test_import_warns() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import OpenSSL.rand
    with pytest.warns(DeprecationWarning, match="OpenSSL.rand is deprecated"):
        importlib.reload(OpenSSL.rand)


def test_import_fails_under_error_filter() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::DeprecationWarning",
            "-c",
            "import OpenSSL.rand",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert "OpenSSL.rand is deprecated" in result.stderr


def test_status(rand: ModuleType) -> None:
    # As in pyOpenSSL, only the import warns.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rand.status() == 1


@pytest.mark.parametrize(("buffer", "entropy"), [(b"", 0), (b"seed" * 16, 8)])
def test_add(rand: ModuleType, buffer: bytes, entropy: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rand.add(buffer, entropy) is None


@pytest.mark.parametrize("buffer", ["text", None, 1, bytearray(b"x")])
def test_add_buffer_type(rand: ModuleType, buffer: object) -> None:
    with pytest.raises(TypeError, match="buffer must be a byte string"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            rand.add(buffer, 1)


@pytest.mark.parametrize("entropy", ["1", None, 1.5])
def test_add_entropy_type(rand: ModuleType, entropy: object) -> None:
    with pytest.raises(TypeError, match="entropy must be an integer"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            rand.add(b"seed", entropy)


def test_surface(rand: ModuleType) -> None:
    import inspect

    assert sorted(rand.__all__) == ["add", "status"]
    assert list(inspect.signature(rand.add).parameters) == ["buffer", "entropy"]
    assert list(inspect.signature(rand.status).parameters) == []
