"""Every name pyOpenSSL 26.4's public modules offer exists here too.

``tests/data/pyopenssl-26.4-namespace.json`` holds ``dir()`` of each of
pyOpenSSL 26.4's modules with what each name is (written by
``scripts/pyopenssl_namespace.py`` run under pyOpenSSL; pyOpenSSL is not
needed here). Code uses more than ``__all__`` (``SSL.FILETYPE_PEM``,
``SSL.X509``, ``SSL._lib``), so the comparison is of the whole namespace.
A public name may be absent only if it is listed below with its reason;
private names are compared for the ones downstream code is known to use.

Also here: the public classes and exceptions present themselves under the
public module's name (``OpenSSL.SSL.Error``), and ``repr``/pickling behave as
in pyOpenSSL.
"""

from __future__ import annotations

import importlib
import json
import pickle
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from OpenSSL import SSL, crypto

DATA = json.loads(
    (Path(__file__).parent / "data" / "pyopenssl-26.4-namespace.json").read_text()
)
MODULES = sorted(name for name, value in DATA.items() if isinstance(value, dict))

_IMPORT = "pyOpenSSL's own import of {}, not API"

# Public names of pyOpenSSL 26.4's modules that are deliberately absent here.
ABSENT: dict[str, dict[str, str]] = {
    "OpenSSL.SSL": {
        "F": "pyOpenSSL's private TypeVar for its decorators, not API",
        "Optional": _IMPORT.format("typing.Optional"),
        "Sequence": _IMPORT.format("collections.abc.Sequence"),
        "WeakValueDictionary": _IMPORT.format("weakref.WeakValueDictionary"),
        "chain": _IMPORT.format("itertools.chain"),
        "count": _IMPORT.format("itertools.count"),
        "ec": _IMPORT.format("cryptography's ec module"),
        "errorcode": _IMPORT.format("errno.errorcode"),
        "os": _IMPORT.format("os"),
        "partial": _IMPORT.format("functools.partial"),
        "platform": _IMPORT.format("sys.platform"),
        "socket": _IMPORT.format("socket.socket"),
        "sys": _IMPORT.format("sys"),
        "typing": _IMPORT.format("typing"),
        "warnings": _IMPORT.format("warnings"),
        "x509": _IMPORT.format("cryptography.x509"),
    },
    "OpenSSL.crypto": {
        "Callable": _IMPORT.format("typing.Callable"),
        "Union": _IMPORT.format("typing.Union"),
        "b16encode": _IMPORT.format("base64.b16encode"),
        "dsa": _IMPORT.format("cryptography's dsa module"),
        "ec": _IMPORT.format("cryptography's ec module"),
        "ed25519": _IMPORT.format("cryptography's ed25519 module"),
        "ed448": _IMPORT.format("cryptography's ed448 module"),
        "partial": _IMPORT.format("functools.partial"),
        "rsa": _IMPORT.format("cryptography's rsa module"),
        "sys": _IMPORT.format("sys"),
        "typing": _IMPORT.format("typing"),
        "utils": _IMPORT.format("cryptography.utils"),
    },
    "OpenSSL.rand": {"warnings": _IMPORT.format("warnings")},
    "OpenSSL._util": {
        "UNSPECIFIED": "pyOpenSSL's private sentinel for its own argument parsing",
        "make_assert": "pyOpenSSL's internal assert factory; this package's one "
        "checked-call helper is _util.checked",
    },
}

# Private names that downstream code (or pyOpenSSL's own test suite, which
# `make conformance` runs) reaches for.
PRIVATE_USED: dict[str, set[str]] = {
    "OpenSSL.SSL": {"_ffi", "_lib", "_NoOverlappingProtocols", "_make_requires"},
    "OpenSSL.crypto": {"_ffi", "_lib"},
    "OpenSSL.debug": {"_env_info"},
}


def _module(name: str) -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module(name)


def test_data_is_pyopenssl_26_4() -> None:
    assert DATA["OpenSSL.__version__"] == "26.4.0"
    assert "OpenSSL.SSL" in MODULES and "OpenSSL.crypto" in MODULES


@pytest.mark.parametrize("module_name", MODULES)
def test_public_names(module_name: str) -> None:
    module = _module(module_name)
    absent = ABSENT.get(module_name, {})
    missing = sorted(
        name
        for name in DATA[module_name]
        if not name.startswith("_") and name not in absent and not hasattr(module, name)
    )
    assert missing == []
    # The list of deliberate absences stays true: nothing on it exists.
    assert sorted(name for name in absent if hasattr(module, name)) == []
    assert set(absent) <= set(DATA[module_name])


@pytest.mark.parametrize("module_name", MODULES)
def test_same_kind_of_object(module_name: str) -> None:
    # A class stays a class, a function a function, a constant its type.
    module = _module(module_name)
    wrong = []
    for name, kind in DATA[module_name].items():
        if name.startswith("_") or not hasattr(module, name):
            continue
        ours = getattr(module, name)
        if kind.startswith("class OpenSSL"):
            ok = isinstance(ours, type)
        elif kind.startswith("function OpenSSL"):
            ok = callable(ours)
        elif kind in ("int", "bytes", "str"):
            ok = type(ours).__name__ == kind
        else:
            continue
        if not ok:
            wrong.append((name, kind, type(ours).__name__))
    assert wrong == []


@pytest.mark.parametrize("module_name", sorted(PRIVATE_USED))
def test_private_names_in_use_downstream(module_name: str) -> None:
    module = _module(module_name)
    assert sorted(n for n in PRIVATE_USED[module_name] if not hasattr(module, n)) == []
    assert PRIVATE_USED[module_name] <= set(DATA[module_name])


def _public_classes() -> list[tuple[str, str, type]]:
    found = []
    for module_name in ("OpenSSL.SSL", "OpenSSL.crypto"):
        module = _module(module_name)
        for name, kind in DATA[module_name].items():
            if kind == f"class {module_name}" and not name.startswith("_"):
                found.append((module_name, name, getattr(module, name)))
    return found


@pytest.mark.parametrize(
    ("module_name", "name", "cls"),
    _public_classes(),
    ids=[f"{m}.{n}" for m, n, _ in _public_classes()],
)
def test_classes_present_as_public_module(
    module_name: str, name: str, cls: type
) -> None:
    assert cls.__module__ == module_name
    assert cls.__qualname__ == name
    assert repr(cls) == f"<class '{module_name}.{name}'>"
    assert pickle.loads(pickle.dumps(cls)) is cls


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            SSL.Error([("SSL routines", "", "bad thing")]),
            "Error([('SSL routines', '', 'bad thing')])",
        ),
        (SSL.SysCallError(-1, "Unexpected EOF"), "SysCallError(-1, 'Unexpected EOF')"),
        (SSL.WantReadError(), "WantReadError()"),
        (SSL.WantWriteError(), "WantWriteError()"),
        (SSL.WantX509LookupError(), "WantX509LookupError()"),
        (SSL.ZeroReturnError(), "ZeroReturnError()"),
        (crypto.Error([("x509", "", "oops")]), "Error([('x509', '', 'oops')])"),
    ],
)
def test_exceptions_repr_and_pickle(error: BaseException, text: str) -> None:
    assert repr(error) == text
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.args == error.args


def test_traceback_names_the_public_module() -> None:
    import traceback

    try:
        raise SSL.Error([("SSL routines", "", "bad thing")])
    except SSL.Error as e:
        last = traceback.format_exception_only(type(e), e)[-1]
    assert last.startswith("OpenSSL.SSL.Error: ")


def _objects() -> list[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [
            SSL.Context(SSL.TLS_METHOD),
            SSL.Connection(SSL.Context(SSL.TLS_METHOD), None),
            crypto.X509(),
            crypto.X509Store(),
        ]


@pytest.mark.parametrize("obj", _objects(), ids=lambda o: type(o).__name__)
def test_objects_repr_and_not_picklable(obj: Any) -> None:
    # pyOpenSSL's reprs are object.__repr__ under the public name, and these
    # objects (which own OpenSSL pointers) cannot be pickled: TypeError.
    cls = type(obj)
    assert repr(obj).startswith(f"<{cls.__module__}.{cls.__qualname__} object at 0x")
    with pytest.raises(TypeError):
        pickle.dumps(obj)
