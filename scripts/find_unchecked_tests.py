"""List the test functions that check nothing.

Usage: ``python scripts/find_unchecked_tests.py [DIR ...]`` (default
``tests``); exits 1 when it lists any.

A test checks something when its body contains an ``assert`` or a ``raise``,
uses ``pytest.raises``/``warns``/``fail``/``deprecated_call``, calls a
function whose name starts with ``assert``/``_assert`` (``assert_flat``), or
calls a function of its own module that checks something by the same rule
(``_child`` running a driver and asserting on its figures). A test that only
calls a setter, or relies on "no exception" alone, is listed: it should
check the setter's effect, or go.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

_PYTEST_CHECKS = {"raises", "warns", "fail", "deprecated_call"}


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _checks(node: ast.AST, checking: set[str]) -> bool:
    for child in ast.walk(node):
        if isinstance(child, (ast.Assert, ast.Raise)):
            return True
        if isinstance(child, ast.Call):
            name = _called_name(child)
            if name is None:
                continue
            if name in _PYTEST_CHECKS or name in checking:
                return True
            if name.lstrip("_").startswith("assert"):
                return True
    return False


def unchecked(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, name)`` of each test function in *path* that checks nothing."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    checking: set[str] = set()
    grew = True
    while grew:  # helpers that call helpers that check
        grew = False
        for function in functions:
            if function.name.startswith("test_") or function.name in checking:
                continue
            if _checks(function, checking):
                checking.add(function.name)
                grew = True
    for function in functions:
        if function.name.startswith("test_") and not _checks(function, checking):
            yield function.lineno, function.name


def main(argv: list[str]) -> int:
    roots = [Path(arg) for arg in argv[1:]] or [Path("tests")]
    found = 0
    for root in roots:
        for path in sorted(root.rglob("test_*.py")):  # what pytest collects
            for line, name in unchecked(path):
                print(f"{path}:{line}: {name}")
                found += 1
    print(f"{found} test(s) without a check", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
