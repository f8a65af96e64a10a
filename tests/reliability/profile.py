"""Which profile the reliability suite runs in, and the figures it reports.

``make test`` runs the fast profile: the same assertions as the long one on
smaller counts, so that the whole suite stays within a few minutes.
``make stress`` sets ``PYOPENSSL_NG_STRESS=1`` and runs the long profile.

Tests report what they did through :func:`record`; the conftest prints the
collected figures after the run, in both profiles, so a green run also says
how much it exercised.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

__all__ = ["LONG", "Figure", "figures", "profile_name", "record", "scale"]

#: True when the long profile (``make stress``) is running.
LONG = os.environ.get("PYOPENSSL_NG_STRESS", "") not in ("", "0")


def profile_name() -> str:
    """``"long"`` or ``"fast"``, for messages."""
    return "long" if LONG else "fast"


def scale(fast: int, long: int) -> int:
    """Pick the count for the running profile.

    ``PYOPENSSL_NG_STRESS_FACTOR`` (a float, default 1) multiplies the long
    count, for a quicker or a harder stress run.
    """
    if not LONG:
        return fast
    factor = float(os.environ.get("PYOPENSSL_NG_STRESS_FACTOR", "1"))
    return max(fast, int(long * factor))


@dataclass
class Figure:
    """One reported figure: what was measured, its value and its unit."""

    name: str
    value: float
    unit: str


_lock = threading.Lock()
_figures: dict[str, Figure] = {}


def record(name: str, value: float, unit: str = "") -> None:
    """Report a figure; a figure reported twice under one name is summed."""
    with _lock:
        known = _figures.get(name)
        if known is None:
            _figures[name] = Figure(name, value, unit)
        else:
            known.value += value


def figures() -> list[Figure]:
    """The figures reported so far, in the order they were first reported."""
    with _lock:
        return list(_figures.values())
