"""Write the module namespaces of the installed ``OpenSSL`` as JSON.

    /path/to/venv-with-pyOpenSSL/bin/python scripts/pyopenssl_namespace.py \\
        > tests/data/pyopenssl-26.4-namespace.json

Run it with an interpreter whose ``import OpenSSL`` is pyOpenSSL 26.4 (a
scratch virtualenv outside this repository). For every public module it
records each name of ``dir(module)`` with what the object is and where it
was defined, so tests/test_pyopenssl_namespace.py can compare this package's
namespaces without pyOpenSSL installed.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import warnings

MODULES = [
    "OpenSSL",
    "OpenSSL.SSL",
    "OpenSSL.crypto",
    "OpenSSL.rand",
    "OpenSSL.version",
    "OpenSSL.debug",
    "OpenSSL._util",
]


def describe(obj: object) -> str:
    """``"module"``, ``"class <module>"``, ``"function <module>"`` or a type name."""
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return f"class {obj.__module__}"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return f"function {getattr(obj, '__module__', None)}"
    origin = getattr(obj, "__module__", None)
    if origin in ("typing", "typing_extensions"):
        return f"typing {origin}"
    return type(obj).__name__


def main() -> None:
    import OpenSSL

    warnings.simplefilter("ignore")
    namespaces: dict[str, object] = {
        "OpenSSL.__version__": OpenSSL.__version__,
    }
    for name in MODULES:
        module = importlib.import_module(name)
        namespaces[name] = {
            attr: describe(getattr(module, attr)) for attr in sorted(dir(module))
        }
    json.dump(namespaces, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
