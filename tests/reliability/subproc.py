"""Run a fuzz driver in a child interpreter, so that a crash fails one test.

A segmentation fault or an abort inside OpenSSL would kill the pytest
process and every test after it. The drivers therefore run as
``python -m tests.reliability.<driver> --seed N ...`` in a subprocess; a child
that dies from a signal, exits non-zero or runs past its deadline fails the
calling test with the exact command that reproduces it.

A driver reports its figures by printing one line ``FIGURES {json}`` on
standard output; :func:`run_driver` returns that mapping.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

__all__ = ["FIGURES_PREFIX", "REPO_ROOT", "emit_figures", "run_driver"]

REPO_ROOT = Path(__file__).resolve().parents[2]
FIGURES_PREFIX = "FIGURES "


def emit_figures(figures: dict[str, float]) -> None:
    """Print a driver's figures in the form :func:`run_driver` parses."""
    print(FIGURES_PREFIX + json.dumps(figures, sort_keys=True), flush=True)


def _describe(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the interpreter died from {name}"
    return f"the driver exited with status {returncode}"


def run_driver(driver: str, args: Sequence[str], timeout: float) -> dict[str, float]:
    """Run ``tests.reliability.<driver>``; fail the test unless it succeeds."""
    module = f"tests.reliability.{driver}"
    command = [sys.executable, "-X", "faulthandler", "-m", module, *args]
    shown = "cd " + shlex.quote(str(REPO_ROOT)) + " && " + shlex.join(command)
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    try:
        result = subprocess.run(
            command,
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        tail = (exc.stderr or "")[-4000:] if isinstance(exc.stderr, str) else ""
        pytest.fail(
            f"the driver hung (no result within {timeout:.0f} s)\n"
            f"reproduce with: {shown}\n{tail}",
            pytrace=False,
        )
    if result.returncode != 0:
        pytest.fail(
            f"{_describe(result.returncode)}\nreproduce with: {shown}\n"
            f"--- stdout (tail) ---\n{result.stdout[-4000:]}\n"
            f"--- stderr (tail) ---\n{result.stderr[-8000:]}",
            pytrace=False,
        )
    for line in reversed(result.stdout.splitlines()):
        if line.startswith(FIGURES_PREFIX):
            parsed = json.loads(line[len(FIGURES_PREFIX) :])
            return {str(k): float(v) for k, v in parsed.items()}
    pytest.fail(
        f"the driver printed no figures\nreproduce with: {shown}\n"
        f"{result.stdout[-4000:]}",
        pytrace=False,
    )
