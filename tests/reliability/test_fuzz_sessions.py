"""Fuzzing of session import and early data (``fuzz_sessions``).

The driver runs in a child interpreter (``subproc.run_driver``), so a crash
fails one test with the command that reproduces it. The fast profile runs
fixed seeds on small counts; the long one (``make stress``) fresh seeds.
"""

from __future__ import annotations

import random

import pytest

from tests.reliability.profile import LONG, record, scale
from tests.reliability.subproc import run_driver

DRIVER = "fuzz_sessions"
FAST_SEEDS = (1, 2)


def _record(figures: dict[str, float]) -> None:
    record("session fuzz: imports", figures["imports"])
    record("session fuzz: loaded despite mutation", figures["loaded"])
    record("session fuzz: handshakes", figures["handshakes"])
    record("session fuzz: resumed", figures["resumed"])
    record("session fuzz: early data accepted", figures["early accepted"])
    record("session fuzz: mutated early-data flights", figures["flights"])


@pytest.mark.skipif(LONG, reason="the long profile runs fresh seeds instead")
@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_fuzz_fixed_seed(seed: int) -> None:
    figures = run_driver(
        DRIVER,
        ["--seed", str(seed), "--imports", "300", "--flights", "100"],
        timeout=120,
    )
    assert figures["imports"] == 300 and figures["flights"] == 100
    # The mutations must reach every stage, not stop at parsing.
    assert figures["loaded"] > 0 and figures["handshakes"] > 0
    assert figures["resumed"] > 0 and figures["early accepted"] > 0
    _record(figures)


@pytest.mark.skipif(not LONG, reason="long profile only (make stress)")
def test_fuzz_fresh_seeds() -> None:
    imports = scale(300, 50_000)
    seed = random.SystemRandom().randrange(2**32)
    print(f"fuzz_sessions: seed {seed}", flush=True)
    figures = run_driver(
        DRIVER,
        [
            "--seed",
            str(seed),
            "--imports",
            str(imports),
            "--flights",
            str(imports // 5),
        ],
        timeout=1800,
    )
    assert figures["imports"] == imports
    _record(figures)
