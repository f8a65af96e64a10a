"""The benchmark harness must not rot: a smoke run completes and reports.

``bench/run.py --smoke`` runs every scenario with tiny sizes on this project
and the standard library (no pyOpenSSL virtualenv needed). No figure is
checked against anything: timing never decides a test.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"

if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from scenarios import SCENARIOS  # noqa: E402


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(BENCH.parent),
    )


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    done = run(str(BENCH / "run.py"), "--smoke", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, json.loads(out.read_text())


def test_every_scenario_in_the_table(smoke: tuple[str, dict]) -> None:
    table, _ = smoke
    for scenario in SCENARIOS:
        assert f"{scenario.name}: " in table
        for metric in scenario.metrics:
            assert metric.label in table
    assert "ours/std" in table
    assert "ERROR" not in table


def test_every_scenario_measured_in_the_json(smoke: tuple[str, dict]) -> None:
    _, doc = smoke
    assert doc["mode"] == "smoke"
    assert set(doc["scenarios"]) == {s.name for s in SCENARIOS}
    for scenario in SCENARIOS:
        results = doc["scenarios"][scenario.name]["results"]
        for impl in ("ours", "stdlib"):
            if impl not in scenario.impls:
                continue  # the event-loop scenarios compare stdlib and compat
            median = results[impl]["median"]
            for metric in scenario.metrics:
                value = median[metric.key]
                assert math.isfinite(value), (scenario.name, impl, metric.key)
                if metric.higher_is_better:  # rates; memory growth may be ~0
                    assert value > 0, (scenario.name, impl, metric.key)
    assert "pyopenssl" not in doc["impls"]
    assert doc["impls"]["ours"]["module"].startswith(
        str(BENCH.parent / "src" / "OpenSSL")
    )


def test_progress_goes_to_stderr(tmp_path: Path) -> None:
    done = run(
        str(BENCH / "run.py"),
        "--smoke",
        "--scenarios",
        "small_records",
        "--json",
        str(tmp_path / "one.json"),
    )
    assert done.returncode == 0, done.stderr
    assert "[1/1] small_records round 1/1" in done.stderr
    assert "round 1/1" not in done.stdout
    assert list(json.loads((tmp_path / "one.json").read_text())["scenarios"]) == [
        "small_records"
    ]


def test_unknown_scenario_is_refused(tmp_path: Path) -> None:
    done = run(str(BENCH / "run.py"), "--smoke", "--scenarios", "nope")
    assert done.returncode == 2
    assert "unknown scenario(s): nope" in done.stderr


def test_worker_standalone_prints_json() -> None:
    done = run(
        str(BENCH / "worker.py"),
        "--impl",
        "stdlib",
        "--scenario",
        "resume_tls13",
        "--rounds",
        "2",
        "--smoke",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["impl"] == "stdlib"
    assert len(doc["rounds"]) == 2
    assert doc["median"]["hs_per_s"] > 0


def test_pyopenssl_worker_refuses_this_project() -> None:
    # Under the repo's interpreter ``import OpenSSL`` finds this project, so
    # a worker asked for pyOpenSSL must refuse rather than measure us twice.
    done = run(
        str(BENCH / "worker.py"),
        "--impl",
        "pyopenssl",
        "--scenario",
        "small_records",
        "--smoke",
    )
    assert done.returncode == 1
    assert "expected pyOpenSSL" in json.loads(done.stdout)["error"]
