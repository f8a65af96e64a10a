"""API fuzzing of OpenSSL.SSL / OpenSSL.crypto, and the defects it found.

The fuzzer itself is ``fuzz_api_ssl.py`` (see its docstring for the rules);
it runs in a child interpreter through :func:`subproc.run_driver`, so that a
crash fails one test with the command that reproduces it. The fast profile
runs fixed seeds; the long one (``make stress``) fresh seeds, printed, two
children at a time.

Below the fuzz runs, each defect the fuzzer found has a small deterministic
test that reproduces its minimal case directly (crash-prone ones in a child
process, so that a regression fails only that test).
"""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from OpenSSL import SSL
from tests import ssl_helpers
from tests.reliability.profile import LONG, record, scale
from tests.reliability.subproc import REPO_ROOT, run_driver

DRIVER = "fuzz_api_ssl"

#: Fast profile: fixed seeds, so ``make test`` is deterministic.
FAST_SEEDS = (1, 2)
FAST_EXAMPLES = 400


def _record(figures: dict[str, float]) -> None:
    record("api fuzz (SSL/crypto): calls", figures["calls"])
    record("api fuzz (SSL/crypto): sequences", figures["sequences"])
    record("api fuzz (SSL/crypto): handshakes", figures["handshakes"])


@pytest.mark.skipif(LONG, reason="the long profile runs fresh seeds instead")
@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_fuzz_fixed_seed(seed: int) -> None:
    figures = run_driver(
        DRIVER, ["--seed", str(seed), "--examples", str(FAST_EXAMPLES)], timeout=120
    )
    assert figures["calls"] > 0
    _record(figures)


@pytest.mark.skipif(not LONG, reason="long profile only (make stress)")
def test_fuzz_fresh_seeds() -> None:
    target_calls = scale(0, 300_000)
    examples = 400
    chooser = random.SystemRandom()
    total = {"calls": 0.0, "sequences": 0.0, "handshakes": 0.0}

    def one_run(seed: int) -> dict[str, float]:
        print(f"fuzz_api_ssl: seed {seed}", flush=True)
        return run_driver(
            DRIVER, ["--seed", str(seed), "--examples", str(examples)], timeout=600
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        while total["calls"] < target_calls:
            seeds = [chooser.randrange(2**32) for _ in range(2)]
            for figures in pool.map(one_run, seeds):
                for key in total:
                    total[key] += figures[key]
                _record(figures)
    assert total["calls"] >= target_calls


# -- defects the fuzzer found ---------------------------------------------------


def _run_isolated(code: str) -> subprocess.CompletedProcess[str]:
    """Run *code* in a child interpreter (a crash fails only the caller)."""
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cleartext_mtu_of_tls_connection_is_type_error() -> None:
    # DTLS_get_data_mtu read DTLS-only state of a TLS connection once it had
    # a cipher: a segmentation fault (pyOpenSSL 26.4 crashes the same way).
    result = _run_isolated(
        """
        from OpenSSL import SSL
        from tests import ssl_helpers
        client, server = ssl_helpers.handshake_pair()
        for conn in (client, server, SSL.Connection(SSL.Context(SSL.TLS_METHOD))):
            try:
                conn.get_cleartext_mtu()
            except TypeError:
                pass
            else:
                raise SystemExit("no TypeError")
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_cleartext_mtu_of_dtls_connection_still_works() -> None:
    conn = SSL.Connection(SSL.Context(SSL.DTLS_METHOD))
    assert conn.get_cleartext_mtu() == 0  # no cipher yet
    client, _ = ssl_helpers.memory_pair()
    with pytest.raises(TypeError):
        client.get_cleartext_mtu()


def test_group_name_before_handshake_is_none() -> None:
    # SSL_get0_group_name crashed on a connection with no session yet;
    # pyOpenSSL 26.4 answers None.
    result = _run_isolated(
        """
        from OpenSSL import SSL
        conn = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
        assert conn.get_group_name() is None
        conn.set_connect_state()
        assert conn.get_group_name() is None
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    client, server = ssl_helpers.handshake_pair()
    assert client.get_group_name() == server.get_group_name()
    assert isinstance(client.get_group_name(), str)
