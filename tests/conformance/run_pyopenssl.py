"""Run pyOpenSSL 26.4.0's own test suite, unchanged, against this package.

    .venv/bin/python tests/conformance/run_pyopenssl.py [extra pytest args]

What it does:

1. Fetches pyOpenSSL 26.4.0's source distribution from the package index
   with pip (``pip download --no-deps --no-binary :all:``) into
   ``.conformance-cache/`` (git-ignored), once; the archive's SHA-256 is
   checked against the one pinned below. Nothing from pyOpenSSL is kept in
   the repository.
2. Extracts only its ``tests/`` directory and runs it with pytest, with the
   running interpreter's ``import OpenSSL`` (this package).
3. Prints the counts, then compares the failing tests with
   ``tests/conformance/pyopenssl_known_differences.txt`` (one test id a line, each with
   its one-line reason). Exit status 1 when a test fails that is not on the
   list, or when a listed test now passes (the list must not lie).

When the index cannot be reached and nothing is cached, the run is skipped
with the reason on stdout and exit status 0, so an offline ``make test``
still works and says what it left out.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

PYOPENSSL_VERSION = "26.4.0"
SDIST = f"pyopenssl-{PYOPENSSL_VERSION}.tar.gz"
# The sdist on PyPI; a different archive under the same name is refused.
SDIST_SHA256 = "28dfcce0162b9211413e26dfbfdf1d24317fbeba18fc93c12400a1856b2a0bc7"

ROOT = Path(__file__).resolve().parent.parent.parent
CACHE = Path(
    os.environ.get("PYOPENSSL_NG_CONFORMANCE_CACHE", ROOT / ".conformance-cache")
)
KNOWN = Path(__file__).resolve().parent / "pyopenssl_known_differences.txt"
DOWNLOAD_TIMEOUT = 300
RUN_TIMEOUT = 900


def read_known(path: Path = KNOWN) -> dict[str, str]:
    """``{test id: reason}`` from the known-differences file.

    Each entry is ``<test id>  # <reason>``; blank lines and lines starting
    with ``#`` are comments. An entry without a reason is an error.
    """
    known: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        test_id, sep, reason = stripped.partition(" # ")
        if not sep or not reason.strip():
            raise ValueError(f"{path.name}:{number}: entry without a reason: {line!r}")
        known[test_id.strip()] = reason.strip()
    return known


def fetch_sdist() -> Path | str:
    """The cached sdist's path, or the reason it cannot be had."""
    archive = CACHE / SDIST
    if not archive.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            # Fail fast when the index cannot be reached (pip's default is
            # minutes of retries), so that an offline run is skipped quickly.
            "--timeout",
            "20",
            "--retries",
            "1",
            f"pyOpenSSL=={PYOPENSSL_VERSION}",
            "--dest",
            str(CACHE),
        ]
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=DOWNLOAD_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"pip download timed out after {DOWNLOAD_TIMEOUT} s"
        if result.returncode != 0 or not archive.exists():
            lines = [
                line.strip()
                for line in result.stderr.splitlines()
                if line.strip() and not line.startswith("WARNING: Location")
            ]
            errors = [line for line in lines if line.lower().startswith("error")]
            return f"pip download failed: {(errors or lines or ['no output'])[0]}"
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        archive.unlink()
        raise SystemExit(f"{SDIST}: SHA-256 {digest} is not the pinned {SDIST_SHA256}")
    return archive


def extract_tests(archive: Path) -> Path:
    """Extract the sdist's ``tests/`` (only) and return the directory above it."""
    top = f"pyopenssl-{PYOPENSSL_VERSION}"
    target = CACHE / top
    marker = target / ".extracted"
    if marker.exists():
        return target
    with tarfile.open(archive) as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.name.startswith(f"{top}/tests/")
            and m.isfile()
            and ".." not in Path(m.name).parts
        ]
        for member in members:
            destination = CACHE / member.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            destination.write_bytes(source.read())
    marker.touch()
    return target


def run_suite(suite_root: Path, extra: list[str]) -> tuple[dict[str, str], float]:
    """Run pytest on *suite_root*/tests; ``{test id: outcome}`` and wall time."""
    report = suite_root / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests",
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(suite_root),
        # pyOpenSSL's own settings (pyproject.toml) are not extracted: run
        # with neutral ones, and know its one plugin marker.
        "-c",
        os.devnull,
        "-o",
        "markers=flaky: pytest-rerunfailures marker used by pyOpenSSL",
        f"--junitxml={report}",
        "-o",
        "junit_family=xunit1",
        "--timeout=300",
        *extra,
    ]
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    start = time.monotonic()
    subprocess.run(command, cwd=suite_root, env=env, timeout=RUN_TIMEOUT, check=False)
    elapsed = time.monotonic() - start
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        # classname is "tests.test_ssl.TestContext": rebuild pytest's id.
        module, *classes = case.get("classname", "").split(".")[1:]
        test_id = "::".join([f"tests/{module}.py", *classes, case.get("name", "")])
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = f"skipped: {child.get('message', '')}"
        outcomes[test_id] = outcome
    return outcomes, elapsed


def main(argv: list[str]) -> int:
    import OpenSSL

    known = read_known()
    got = fetch_sdist()
    if isinstance(got, str):
        print(f"SKIPPED pyOpenSSL {PYOPENSSL_VERSION} conformance: {got}")
        return 0
    suite_root = extract_tests(got)
    print(
        f"pyOpenSSL {PYOPENSSL_VERSION}'s tests against {OpenSSL.__file__}"
        f" (Python {sys.version.split()[0]})",
        flush=True,
    )
    outcomes, elapsed = run_suite(suite_root, argv)
    counts = {
        k: sum(1 for v in outcomes.values() if v.startswith(k))
        for k in ("passed", "failed", "skipped")
    }
    failed = {t for t, v in outcomes.items() if v == "failed"}
    unexpected = sorted(failed - set(known))
    stale = sorted(t for t in known if outcomes.get(t) == "passed")
    missing = sorted(t for t in known if t not in outcomes)
    print(
        f"pyOpenSSL {PYOPENSSL_VERSION} conformance: {counts['passed']} passed,"
        f" {counts['failed']} failed ({len(failed & set(known))} known differences),"
        f" {counts['skipped']} skipped, {len(outcomes)} tests in {elapsed:.1f} s"
    )
    for test_id in sorted(failed & set(known)):
        print(f"  known: {test_id} -- {known[test_id]}")
    for test_id, outcome in sorted(outcomes.items()):
        if outcome.startswith("skipped: "):
            print(f"  skipped: {test_id} -- {outcome[len('skipped: ') :]}")
    status = 0
    for test_id in unexpected:
        print(f"UNEXPECTED FAILURE: {test_id}")
        status = 1
    for test_id in stale:
        print(f"NOW PASSES (remove from {KNOWN.name}): {test_id}")
        status = 1
    for test_id in missing:
        print(f"NOT RUN (listed in {KNOWN.name}): {test_id}")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
