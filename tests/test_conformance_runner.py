"""The conformance runner's own logic: its list of known differences, compare().

The runner itself (``make conformance``) runs CPython's test_ssl; these
tests check the parts that decide whether it fails CI, on any Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conformance import run_test_ssl as runner


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "known.txt"
    path.write_text(text)
    return path


def test_version_marks_select_entries(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "# comment\n"
        "A.always: reason a\n"
        "A.old [<3.13]: reason b\n"
        "A.new [>=3.12]: reason c\n"
        "A.window [>=3.12, <3.14]: reason d\n",
    )
    assert set(runner.load_known_differences(path, (3, 11))) == {"A.always", "A.old"}
    assert set(runner.load_known_differences(path, (3, 12))) == {
        "A.always",
        "A.old",
        "A.new",
        "A.window",
    }
    assert runner.load_known_differences(path, (3, 13)) == {
        "A.always": "reason a",
        "A.new": "reason c",
        "A.window": "reason d",
    }
    assert set(runner.load_known_differences(path, (3, 14))) == {"A.always", "A.new"}


@pytest.mark.parametrize(
    "line", ["A.x [3.13]: r", "A.x [<3.13: r", "A.x [<=three]: r", "A.x:  "]
)
def test_malformed_entries_are_refused(tmp_path: Path, line: str) -> None:
    with pytest.raises(ValueError):
        runner.load_known_differences(_write(tmp_path, line + "\n"), (3, 11))


@pytest.mark.parametrize("version", [(3, 9), (3, 11), (3, 12), (3, 13), (3, 14)])
def test_checked_in_list_parses_everywhere(version: tuple[int, int]) -> None:
    known = runner.load_known_differences(version=version)
    assert known and all(reason for reason in known.values())
    # The 3.11/3.12-only entry is gone where CPython's test CA changed.
    assert ("ThreadedTests.test_socketserver" in known) == (version < (3, 13))


def _run(outcomes: dict[str, str]) -> dict[str, Any]:
    return {"outcomes": outcomes, "details": {}, "seconds": 0.0}


def test_compare_counts_only_unlisted_regressions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stdlib = _run({"T.a": "pass", "T.b": "pass", "T.c": "fail", "T.d": "pass"})
    compat = _run({"T.a": "pass", "T.b": "fail", "T.c": "fail", "T.d": "timeout"})
    assert runner.compare(stdlib, compat, {}) == 2
    assert runner.compare(stdlib, compat, {"T.b": "why"}) == 1
    assert runner.compare(stdlib, compat, {"T.b": "why", "T.d": "why"}) == 0
    out = capsys.readouterr().out
    assert "T.c" not in out.split("pass on the stdlib but not")[-1]
