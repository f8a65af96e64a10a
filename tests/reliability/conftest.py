"""Reliability suite fixtures: the profile banner and the figures report."""

from __future__ import annotations

from typing import Any

from tests.reliability.profile import figures, profile_name


def _format(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the reliability tests exercised, in both profiles."""
    reported = figures()
    if not reported:
        return
    terminalreporter.section(f"reliability figures ({profile_name()} profile)")
    width = max(len(f.name) for f in reported)
    for figure in reported:
        unit = f" {figure.unit}" if figure.unit else ""
        value = _format(figure.value)
        terminalreporter.write_line(f"{figure.name:<{width}}  {value}{unit}")
