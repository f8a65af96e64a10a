"""Derive ``tests/data/pyopenssl-26.4-ssl-surface.json`` from the reference.

Usage::

    python scripts/derive_ssl_surface.py pyopenssl-26.4-surface.txt \\
        > tests/data/pyopenssl-26.4-ssl-surface.json

Reads the ``## OpenSSL.SSL`` section of the pyOpenSSL 26.4 surface listing
and keeps only what ``tests/test_ssl_errors.py`` compares: each class's base
and members (a callable member as its parameter shapes, an attribute as
``null``), each function's parameter shapes, and each constant's literal.
Parameter shapes are written comma-separated in one string; a shape is
``name``, ``name=`` (has a default), ``*`` (start of the keyword-only ones),
``*args`` or ``**kwargs``; annotations are dropped.
The tests then run on a fresh clone without the reference.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Optional


def _section(text: str, title: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("## ")),
        len(lines),
    )
    return lines[start:end]


def parameter_shapes(signature: str) -> str:
    """``name``, ``name=``, ``*``, ``*args``, ``**kw`` of one signature line."""
    body = re.sub(r"'[^']*'", "''", signature)
    inner = body[body.index("(") + 1 : body.rindex(")")]
    shapes = []
    for piece in (p.strip() for p in inner.split(",")):
        if not piece:
            continue
        if piece == "*":
            shapes.append("*")
            continue
        stars = len(piece) - len(piece.lstrip("*"))
        name = re.match(r"\w+", piece.lstrip("*"))
        if name is None:
            raise ValueError(f"cannot read parameter {piece!r} of {signature!r}")
        shapes.append("*" * stars + name.group() + ("=" if "=" in piece else ""))
    return ", ".join(shapes)


def derive(text: str) -> dict[str, Any]:
    """The JSON document for the ``## OpenSSL.SSL`` section of *text*."""
    classes: dict[str, dict[str, Any]] = {}
    functions: dict[str, str] = {}
    constants: dict[str, str] = {}
    current: Optional[dict[str, Optional[str]]] = None
    for line in _section(text, "## OpenSSL.SSL"):
        if not line.strip():
            continue
        if line.startswith(" "):
            if current is None:
                raise ValueError(f"member outside a class: {line!r}")
            member = line.strip()
            name = re.match(r"\w+", member)
            if name is None:
                raise ValueError(f"cannot read member {member!r}")
            current[name.group()] = parameter_shapes(member) if "(" in member else None
            continue
        current = None
        match = re.match(r"class (\w+)\((\w+)\)", line)
        if match:
            current = {}
            classes[match.group(1)] = {"base": match.group(2), "members": current}
        elif line.startswith("def "):
            name = re.match(r"def (\w+)", line)
            if name is None:
                raise ValueError(f"cannot read function {line!r}")
            functions[name.group(1)] = parameter_shapes(line)
        else:
            constant, _, value = line.partition(" = ")
            constants[constant] = value
    return {
        "source": "pyopenssl-26.4-surface.txt, section '## OpenSSL.SSL'",
        "classes": classes,
        "functions": functions,
        "constants": constants,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    document = derive(Path(argv[1]).read_text(encoding="utf-8"))
    json.dump(document, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
