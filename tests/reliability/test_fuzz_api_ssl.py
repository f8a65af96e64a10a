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
from OpenSSL._util import lib
from tests import support
from tests.reliability.profile import LONG, record, scale
from tests.reliability.subproc import REPO_ROOT, run_driver

DRIVER = "fuzz_api_ssl"

#: Fast profile: fixed seeds, so ``make test`` is deterministic.
FAST_SEEDS = (1, 2)
FAST_EXAMPLES = 250


def _record(figures: dict[str, float]) -> None:
    record("api fuzz (SSL/crypto): calls", figures["calls"])
    record("api fuzz (SSL/crypto): sequences", figures["sequences"])
    record("api fuzz (SSL/crypto): handshakes", figures["handshakes"])
    record("api fuzz (SSL/crypto): calls in transitions", figures["transition calls"])


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
    """At least 300,000 calls, two children at a time, each on a fresh seed.

    The seeds are printed (and a failure names the command with its seed).
    """
    target_calls = scale(0, 300_000)
    examples = 1600  # of up to 80 steps: about 50,000 calls per child
    chooser = random.SystemRandom()
    total = {"calls": 0.0, "sequences": 0.0, "handshakes": 0.0}

    def one_run(seed: int) -> dict[str, float]:
        print(f"fuzz_api_ssl: seed {seed}", flush=True)
        args = ["--seed", str(seed), "--examples", str(examples), "--steps", "80"]
        return run_driver(DRIVER, args, timeout=600)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(100):  # bounded: each round adds thousands of calls
            if total["calls"] >= target_calls:
                break
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
        from tests import support
        client, server = support.handshake_pair()
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
    client, _ = support.memory_pair()
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
    client, server = support.handshake_pair()
    assert client.get_group_name() == server.get_group_name()
    assert isinstance(client.get_group_name(), str)


def test_recv_into_is_bounded_by_the_real_buffer_size() -> None:
    # recv_into sized the read by len(buffer): a bytearray subclass whose
    # len() overstated its size let OpenSSL write past its end.
    result = _run_isolated(
        """
        from tests import support
        from tests.reliability.fuzz_api_ssl_world import LyingBytearray
        client, server = support.handshake_pair()
        client.send(b"A" * 16000)
        support.pump(client, server)
        buf = LyingBytearray(8)
        assert server.recv_into(buf) == 8
        assert bytes(buf) == b"A" * 8
        assert server.recv_into(bytearray(100), 50) == 50
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


#: Each call passes bytes whose len() claims 64 MiB to C code that reads
#: len() bytes; before the fix several of them crashed.
LYING_BYTES_CASES = {
    "load_certificate": "crypto.load_certificate(crypto.FILETYPE_PEM, L(cert_pem))",
    "rand.add": "rand.add(L(b'x'), 1)",
    "export_keying_material": (
        "client, _ = support.handshake_pair()\n"
        "assert len(client.export_keying_material(L(b'lbl'), 8, L(b'c'))) == 8"
    ),
    "ocsp_server_callback": (
        "server_ctx = support.server_context()\n"
        "server_ctx.set_ocsp_server_callback(lambda conn, data: L(b'x'))\n"
        "client, server = support.memory_pair(None, server_ctx)\n"
        "client.request_ocsp()\n"
        "support.handshake(client, server)"
    ),
    "x509name": "name = crypto.X509().get_subject(); name.CN = L(b'x')\n"
    "assert name.CN == 'x'",
    "set_session_id": "SSL.Context(SSL.TLS_METHOD).set_session_id(L(b'x'))",
    # A str subclass whose encode() gives such bytes.
    "load_certificate(str)": (
        "crypto.load_certificate(crypto.FILETYPE_PEM, S(cert_pem.decode()))"
    ),
    "set_verify_hostname": (
        "SSL.Connection(SSL.Context(SSL.TLS_METHOD))"
        ".set_verify_hostname(S('localhost'))"
    ),
    "passphrase": (
        "key = crypto.load_privatekey(crypto.FILETYPE_PEM, enc_pem, L(b'secret'))\n"
        "assert key.bits() == 256"
    ),
}


@pytest.mark.parametrize("case", sorted(LYING_BYTES_CASES))
def test_bytes_subclass_with_lying_len_is_copied(case: str) -> None:
    body = LYING_BYTES_CASES[case]
    code = (
        "import warnings\n"
        "warnings.simplefilter('ignore', DeprecationWarning)\n"
        "from cryptography.hazmat.primitives import serialization\n"
        "from OpenSSL import SSL, crypto, rand\n"
        "from tests import support\n"
        "from tests.support import make_pki\n"
        "from tests.reliability.fuzz_api_ssl_world import LyingBytes as L\n"
        "from tests.reliability.fuzz_api_ssl_world import LyingStr as S\n"
        "pki = make_pki()\n"
        "cert_pem = pki.server.cert_pem()\n"
        "enc_pem = pki.server.key.private_bytes(serialization.Encoding.PEM,"
        " serialization.PrivateFormat.PKCS8,"
        " serialization.BestAvailableEncryption(b'secret'))\n"
        f"{body}\n"
        "print('ok')\n"
    )
    result = _run_isolated(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_zero_size_recv_into_leaves_no_queued_error() -> None:
    # recv_into(bytearray()) on a Connection with no connect/accept state
    # returned 0 but left "uninitialized" in OpenSSL's error queue.
    conn = SSL.Connection(support.client_context())
    assert conn.recv_into(bytearray()) == 0
    assert lib.ERR_peek_error() == 0
    client, _ = support.memory_pair()
    assert client.recv_into(bytearray(10), 0) == 0
    assert lib.ERR_peek_error() == 0


# -- the harness can fail ---------------------------------------------------------


def test_harness_flags_a_queued_error_and_undocumented_exceptions() -> None:
    from tests.reliability import fuzz_api_ssl as fuzz

    world = fuzz.World()
    try:
        ctx = SSL.Context(SSL.TLS_METHOD)
        lib.SSL_CTX_use_certificate_file(ctx._context, b"/nonexistent", 1)
        with pytest.raises(fuzz.Finding, match="error queue is not empty"):
            fuzz.check_clean(world, "a call")
        assert lib.ERR_peek_error() == 0  # drained for the report
        fuzz.TRACE.reset()
        fuzz.judge("f", [], "f", TypeError("documented"))
        with pytest.raises(fuzz.Finding, match="KeyError"):
            fuzz.judge("f", [], "f", KeyError("undocumented"))
        with pytest.raises(fuzz.Finding, match="swallowed"):
            fuzz.TRACE.raised.append(fuzz.FuzzCallbackError())
            fuzz.judge("f", [], "f", None)
    finally:
        fuzz.TRACE.reset()
        world.close()
