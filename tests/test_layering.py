"""The layer rule of the design notes, enforced on the source.

``OpenSSL.ssl_compat`` and the command line (``OpenSSL._cli``) are written
against ``OpenSSL.SSL``'s public API only: they import neither ``lib`` nor
``ffi`` (nor any other private module of the package but ``_util``'s plain
helpers), and they touch no private attribute of ``OpenSSL.SSL`` objects.
Where they need a knob, ``OpenSSL.SSL`` gets a documented public method.

The scan reads the source with ``ast``. An attribute ``x._name`` counts as a
reach into ``OpenSSL.SSL`` when ``_name`` is a private attribute of a
``Context``, ``Connection`` or ``Session`` (class or instance) and is not a
name the two packages define for themselves (``self._context`` of
``SSLSession`` and the like cannot be told apart by name; those shared
names are listed in the test's output below and stay unchecked).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import OpenSSL
from OpenSSL import SSL

PACKAGE = Path(OpenSSL.__file__).parent
LAYER = sorted([*PACKAGE.glob("ssl_compat/*.py"), *PACKAGE.glob("_cli/*.py")])

#: Names of OpenSSL._util the upper layer may use (no binding objects).
UTIL_ALLOWED = {"StrOrBytesPath", "text"}
#: Private modules of plain Python the upper layer may share (no binding,
#: no OpenSSL.SSL state): the one DER reader, the ALPN wire format.
PURE_MODULES = {"OpenSSL._der", "OpenSSL._alpn"}

#: Bases never checked: the layer's own objects and the standard library's ``ssl``
#: (whose own private ``_ssl`` the error tables read).
EXEMPT_BASES = {"self", "cls", "_stdlib_ssl", "ssl"}

#: Reaches that remain, each with the reason it is still there (none: the
#: last ones, ``ssl_compat/_knobs.py``, went with the sessions work of
#: issue 14, which made ``Connection.session_reused()`` and the ``Session``
#: facts public).
KNOWN_PENDING: dict[tuple[str, str], str] = {}


def _ssl_private_names() -> set[str]:
    ctx = SSL.Context(SSL.TLS_METHOD)
    objects = (ctx, SSL.Connection(ctx, None), SSL.Session())
    names: set[str] = set()
    for obj in (*objects, SSL.Context, SSL.Connection, SSL.Session):
        names.update(dir(obj))
        names.update(getattr(obj, "__dict__", {}))
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def _own_names(trees: dict[Path, ast.Module]) -> set[str]:
    """Private names the layer defines itself (methods, attributes, globals)."""
    own: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                own.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                if isinstance(node.value, ast.Name) and node.value.id in (
                    "self",
                    "cls",
                ):
                    own.add(node.attr)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                own.add(node.target.id)
            elif isinstance(node, ast.Assign):
                own.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return {n for n in own if n.startswith("_")}


def _violations() -> tuple[set[tuple[str, str]], set[str]]:
    trees = {path: ast.parse(path.read_text(), str(path)) for path in LAYER}
    shared = _ssl_private_names() & _own_names(trees)
    forbidden = _ssl_private_names() - shared
    found: set[tuple[str, str]] = set()
    for path, tree in trees.items():
        where = str(path.relative_to(PACKAGE))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in PURE_MODULES:
                continue
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "OpenSSL._"
            ):
                for alias in node.names:
                    if not (
                        node.module == "OpenSSL._util" and alias.name in UTIL_ALLOWED
                    ):
                        found.add((where, f"import {alias.name}"))
            elif isinstance(node, ast.ImportFrom) and node.module == "OpenSSL":
                for alias in node.names:
                    if alias.name.startswith("_"):
                        found.add((where, f"import {alias.name}"))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("OpenSSL._") or "bindings" in alias.name:
                        found.add((where, f"import {alias.name}"))
            elif isinstance(node, ast.Attribute) and node.attr in forbidden:
                base = node.value
                if not (isinstance(base, ast.Name) and base.id in EXEMPT_BASES):
                    found.add((where, f".{node.attr}"))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "setattr", "hasattr")
                and len(node.args) >= 2
                and not (
                    isinstance(node.args[0], ast.Name)
                    and node.args[0].id in EXEMPT_BASES
                )
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in forbidden
            ):
                found.add((where, f".{node.args[1].value}"))
    return found, shared


def test_the_layer_has_files() -> None:
    assert len(LAYER) > 10
    assert any(p.name == "_core.py" for p in LAYER)
    assert any(p.parent.name == "_cli" for p in LAYER)


def test_ssl_compat_and_cli_use_only_the_public_api() -> None:
    found, shared = _violations()
    unexpected = sorted(found - set(KNOWN_PENDING))
    assert not unexpected, (
        "ssl_compat/_cli reach below OpenSSL.SSL's public API (add a public "
        f"method instead): {unexpected}"
    )
    # Names both sides define cannot be checked by name; keep the list short
    # and known, so that a new overlap is a decision, not an accident.
    assert shared <= {"_context", "_session"}, shared


def test_known_pending_exceptions_are_still_needed() -> None:
    found, _ = _violations()
    stale = sorted(set(KNOWN_PENDING) - found)
    if stale:
        pytest.fail(f"these reaches are gone: remove them from KNOWN_PENDING: {stale}")


def test_the_scan_catches_a_reach() -> None:
    # The scan itself, on a snippet that does what the rule forbids.
    tree = ast.parse(
        "from OpenSSL._util import lib\n"
        "def f(conn):\n"
        "    lib.SSL_session_reused(conn._ssl)\n"
        "    return getattr(conn, '_from_ssl')\n"
    )
    forbidden = _ssl_private_names()
    attributes = {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
    } & forbidden
    constants = {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
    } & forbidden
    assert attributes == {"_ssl"} and constants == {"_from_ssl"}


def test_the_pure_modules_use_no_binding() -> None:
    for name in PURE_MODULES:
        path = PACKAGE / (name.split(".")[-1] + ".py")
        tree = ast.parse(path.read_text(), str(path))
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not {m for m in imported if m.startswith("OpenSSL")}, imported
        assert "lib." not in path.read_text()
