"""Twisted's own TLS test modules, run against this package.

Twisted drives ``OpenSSL.SSL`` harder than any other downstream user:
memory-BIO connections, verify/info/SNI/ALPN callbacks, session caching,
``OpenSSL._util.lib`` and ``Context._context``. Each module below runs in its
own ``python -m twisted.trial`` subprocess (Twisted is installed without its
``[tls]`` extra, so ``import OpenSSL`` finds this package) and must pass as it
passes with pyOpenSSL 26.4.

Baseline, measured on this machine with pyOpenSSL 26.4.0, cryptography 50.0.2,
Twisted 26.10.0, service-identity 26.1.0, idna 3.20, hypothesis, pyhamcrest
(a scratch virtualenv outside the repository)::

    module                                  successes skips failures errors  time
    twisted.protocols.test.test_tls                55     0        0      0   1.2s
    twisted.test.test_sslverify                   127     0        0      0  23.2s
    twisted.internet.test.test_tls                115    23        0      0   2.2s
    twisted.test.test_ssl                          17     0        0      0   0.8s
    twisted.internet.test.test_endpoints          228     0        0      0   2.3s

The 23 skips of ``twisted.internet.test.test_tls`` are the GI reactor
("No module named 'gi'"), nothing TLS-related. With another Twisted version
the exact counts are not compared, but no module may fail, error, or skip a
test for a reason that mentions TLS/SSL/OpenSSL (which is how Twisted reports
a broken ``OpenSSL`` import: it skips instead of failing).
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: Twisted version the baseline counts were measured with.
BASELINE_TWISTED = "26.10.0"


@dataclass(frozen=True)
class Baseline:
    successes: int
    skips: int = 0


BASELINE = {
    "twisted.protocols.test.test_tls": Baseline(successes=55),
    "twisted.test.test_sslverify": Baseline(successes=127),
    "twisted.internet.test.test_tls": Baseline(successes=115, skips=23),
    "twisted.test.test_ssl": Baseline(successes=17),
    "twisted.internet.test.test_endpoints": Baseline(successes=228),
}

#: Seconds one module may run before it counts as hung.
MODULE_TIMEOUT = 300

#: Skip reasons that mean Twisted could not use ``OpenSSL``.
_TLS_SKIP = re.compile(r"ssl|tls|openssl|crypto|service.identity", re.IGNORECASE)

_SUMMARY = re.compile(r"^(PASSED|FAILED)(?: \((.*)\))?\s*$", re.MULTILINE)


@dataclass
class TrialResult:
    outcome: str
    counts: dict[str, int]
    skip_reasons: list[str] = field(default_factory=list)


def parse_trial_output(output: str) -> TrialResult:
    """Read trial's closing summary and the reasons of its skips.

    The summary is the last line of the form ``PASSED (successes=N, skips=M)``
    or ``FAILED (failures=F, errors=E, successes=N)``; each ``[SKIPPED]``
    block in the report starts with its reason on the next line.
    """
    matches = list(_SUMMARY.finditer(output))
    if not matches:
        raise ValueError("no trial summary line in the output")
    outcome, items = matches[-1].group(1), matches[-1].group(2) or ""
    counts = {}
    for item in filter(None, (part.strip() for part in items.split(","))):
        key, _, value = item.partition("=")
        counts[key] = int(value)
    lines = output.splitlines()
    reasons = [
        lines[i + 1].strip()
        for i, line in enumerate(lines[:-1])
        if line.strip() == "[SKIPPED]"
    ]
    return TrialResult(outcome, counts, reasons)


def test_parse_trial_output() -> None:
    passed = parse_trial_output(
        "...\nRan 3 tests in 0.1s\n\nPASSED (skips=1, successes=2)\n"
    )
    assert passed.outcome == "PASSED"
    assert passed.counts == {"skips": 1, "successes": 2}
    failed = parse_trial_output(
        "[SKIPPED]\nReactor does not support SSL, cannot run SSL tests\n\nx.y\n"
        "FAILED (failures=1, errors=2, successes=124)\n"
    )
    assert failed.outcome == "FAILED"
    assert failed.counts == {"failures": 1, "errors": 2, "successes": 124}
    assert failed.skip_reasons == ["Reactor does not support SSL, cannot run SSL tests"]
    assert _TLS_SKIP.search(failed.skip_reasons[0])
    assert not _TLS_SKIP.search("No module named 'gi'")
    with pytest.raises(ValueError):
        parse_trial_output("Traceback (most recent call last):\n")


_X509REQ_ERROR = "AttributeError: module 'OpenSSL.crypto' has no attribute 'X509Req'"


def _errors_from_removed_x509req(output: str, result: TrialResult) -> bool:
    """Discount errors of old Twisted calling ``crypto.X509Req``; whether any were.

    ``crypto.X509Req`` was removed from pyOpenSSL before 26.4, and this
    package does not have it either. Twisted releases up to 26.4 (the newest
    on Python 3.9) still call it in certificate-request helpers, so those
    tests error exactly as they do with pyOpenSSL 26.4. Each such error is
    subtracted from the counts; any other error or failure still counts.
    """
    removed = output.count(_X509REQ_ERROR)
    if not removed:
        return False
    left = result.counts.get("errors", 0) - removed
    if left:
        result.counts["errors"] = left
    else:
        result.counts.pop("errors", None)
    return not result.counts.get("failures") and not result.counts.get("errors")


def test_removed_x509req_errors_are_discounted() -> None:
    block = f"[ERROR]\nTraceback (most recent call last):\n  ...\n{_X509REQ_ERROR}\n"
    result = parse_trial_output(block * 2 + "FAILED (errors=2, successes=5)\n")
    assert _errors_from_removed_x509req(block * 2, result)
    assert result.counts == {"successes": 5}
    other = parse_trial_output(block + "FAILED (errors=2, successes=5)\n")
    assert not _errors_from_removed_x509req(block, other)
    assert other.counts == {"errors": 1, "successes": 5}


def _pyopenssl_installed() -> bool:
    try:
        importlib.metadata.distribution("pyOpenSSL")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(
    _pyopenssl_installed(),
    reason="pyOpenSSL is installed and would be what Twisted imports",
)
@pytest.mark.parametrize("module", sorted(BASELINE))
def test_twisted_module(module: str, tmp_path: Path) -> None:
    pytest.importorskip("twisted.trial")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    command = [
        sys.executable,
        "-m",
        "twisted.trial",
        "--temp-directory",
        str(tmp_path / "_trial_temp"),
        module,
    ]
    try:
        proc = subprocess.run(
            command,
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=MODULE_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        partial = (exc.stdout or b"").decode(errors="replace")
        pytest.fail(f"{module} ran past {MODULE_TIMEOUT}s:\n{partial[-6000:]}")
    output = proc.stdout.decode(errors="replace")
    tail = output[-8000:]
    result = parse_trial_output(output)
    removed = _errors_from_removed_x509req(output, result)

    assert (result.outcome == "PASSED" and proc.returncode == 0) or removed, (
        f"{module}: {result.outcome} {result.counts}\n{tail}"
    )
    bad = {k: v for k, v in result.counts.items() if k not in ("successes", "skips")}
    assert not bad, f"{module}: {result.counts}\n{tail}"
    tls_skips = sorted({r for r in result.skip_reasons if _TLS_SKIP.search(r)})
    assert not tls_skips, f"{module} skipped tests for TLS reasons: {tls_skips}"
    if importlib.metadata.version("twisted") == BASELINE_TWISTED:
        expected = BASELINE[module]
        assert result.counts.get("successes", 0) == expected.successes, tail
        assert result.counts.get("skips", 0) == expected.skips, tail
    else:
        assert result.counts.get("successes", 0) > 0, tail
