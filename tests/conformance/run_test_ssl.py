"""CPython's own ``test_ssl`` as the conformance suite of ``OpenSSL.ssl_compat``.

Runs the running interpreter's ``Lib/test/test_ssl.py`` twice, in two child
processes side by side: once on the real ``ssl``, once with
``sys.modules["ssl"]`` replaced by ``OpenSSL.ssl_compat`` before the test
module (or anything it imports) imports ``ssl``; ``_ssl`` stays CPython's.
Every test runs under a timeout. It prints both counts and exits non-zero
when a test that passes on the stdlib does not pass on ``ssl_compat`` and is
not in ``known_differences.txt`` (one line per test: ``Class.test: reason``).

Nothing of CPython is copied here: the tests are imported from the
interpreter's own ``test`` package. Where the interpreter has none (some
distributions split it out), the run is skipped with the reason printed.

Usage::

    python tests/conformance/run_test_ssl.py            # both runs, compare
    python tests/conformance/run_test_ssl.py --only compat -k ContextTests

Resources that CPython's test runner gates (``network``: real hosts on the
internet; ``walltime``: slow timing tests) are switched off in both runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
KNOWN_DIFFERENCES = HERE / "known_differences.txt"
#: Seconds one test may take before it counts as hung (failed).
TEST_TIMEOUT = 30.0
#: Seconds one whole run may take (a safety net above the per-test one).
RUN_TIMEOUT = 900.0
MODES = ("stdlib", "compat")

PASS, FAIL, SKIP, TIMEOUT = "pass", "fail", "skip", "timeout"


class _TestTimedOut(Exception):
    """Raised in the main thread when a test runs past its time."""


def _alarm(signum: int, frame: Any) -> None:
    raise _TestTimedOut(f"test ran longer than {TEST_TIMEOUT:.0f} s")


class _Recorder(unittest.TestResult):
    """Keeps one outcome per test id and arms a timer around each test."""

    def __init__(self, names: Optional[list[str]], verbose: bool) -> None:
        super().__init__()
        self.outcomes: dict[str, str] = {}
        self.details: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self._names = names
        self._verbose = verbose
        self._started = 0.0

    @staticmethod
    def name(test: Any) -> str:
        parts = test.id().split(".")
        return ".".join(parts[-2:])

    def startTest(self, test: Any) -> None:
        super().startTest(test)
        self._started = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, TEST_TIMEOUT)

    def stopTest(self, test: Any) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        name = self.name(test)
        self.durations[name] = time.monotonic() - self._started
        self.outcomes.setdefault(name, PASS)
        if self._verbose:
            print(f"{self.outcomes[name]:7} {name}", file=sys.stderr, flush=True)
        super().stopTest(test)

    def _failed(self, test: Any, err: Any) -> None:
        name = self.name(test)
        kind = TIMEOUT if err[0] is _TestTimedOut else FAIL
        self.outcomes[name] = kind
        self.details[name] = self._exc_info_to_string(err, test)[-3000:]

    def addError(self, test: Any, err: Any) -> None:
        if not hasattr(test, "id") or type(test).__name__ == "_ErrorHolder":
            # A module or class fixture failed: every test under it counts.
            name = str(test)
            self.outcomes[name] = FAIL
            self.details[name] = self._exc_info_to_string(err, test)[-3000:]
            return
        self._failed(test, err)

    def addFailure(self, test: Any, err: Any) -> None:
        self._failed(test, err)

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        if err is not None:
            self._failed(test, err)

    def addSkip(self, test: Any, reason: str) -> None:
        self.outcomes[self.name(test)] = SKIP
        self.details[self.name(test)] = reason

    def addExpectedFailure(self, test: Any, err: Any) -> None:
        self.outcomes[self.name(test)] = PASS

    def addUnexpectedSuccess(self, test: Any) -> None:
        self.outcomes[self.name(test)] = FAIL


def _select(suite: unittest.TestSuite, patterns: list[str]) -> unittest.TestSuite:
    if not patterns:
        return suite
    selected = unittest.TestSuite()

    def walk(node: Any) -> None:
        if isinstance(node, unittest.TestSuite):
            for child in node:
                walk(child)
        elif any(pattern in node.id() for pattern in patterns):
            selected.addTest(node)

    walk(suite)
    return selected


def run_child(mode: str, output: str, patterns: list[str], verbose: bool) -> None:
    """Run test_ssl in this process on *mode*'s ssl; write outcomes as JSON."""
    if mode == "compat":
        # ssl_compat imports the real ssl for its exception classes; after
        # that, everyone else asking for "ssl" gets ssl_compat.
        from OpenSSL import ssl_compat

        sys.modules["ssl"] = ssl_compat  # type: ignore[assignment]
    from test import support

    support.use_resources = []  # no 'network', no 'walltime'
    import warnings

    # test_ssl checks some DeprecationWarnings itself; others (asyncore's
    # import) must not turn into errors or noise.
    warnings.simplefilter("ignore", DeprecationWarning)
    signal.signal(signal.SIGALRM, _alarm)
    import test.test_ssl as module

    if mode == "compat":
        assert module.ssl.__name__ == "OpenSSL.ssl_compat", module.ssl
    suite = _select(unittest.defaultTestLoader.loadTestsFromModule(module), patterns)
    result = _Recorder(patterns, verbose)
    started = time.monotonic()
    suite.run(result)
    elapsed = time.monotonic() - started
    with open(output, "w") as handle:
        json.dump(
            {
                "mode": mode,
                "seconds": elapsed,
                "outcomes": result.outcomes,
                "details": result.details,
                "durations": result.durations,
            },
            handle,
        )
    sys.stdout.flush()
    sys.stderr.flush()
    # Threads a hung test left behind must not keep the process alive.
    os._exit(0)


def _applies(condition: str, version: tuple[int, int]) -> bool:
    """Whether ``<3.13`` / ``>=3.12`` (an entry's version mark) holds for *version*."""
    for operator in ("<=", ">=", "<", ">", "=="):
        if condition.startswith(operator):
            major, _, minor = condition[len(operator) :].strip().partition(".")
            bound = (int(major), int(minor))
            return {
                "<=": version <= bound,
                ">=": version >= bound,
                "<": version < bound,
                ">": version > bound,
                "==": version == bound,
            }[operator]
    raise ValueError(f"not a version mark: {condition!r} (e.g. <3.13 or >=3.12)")


def load_known_differences(
    path: Path = KNOWN_DIFFERENCES,
    version: Optional[tuple[int, int]] = None,
) -> dict[str, str]:
    """``{"Class.test": reason}`` from the checked-in list.

    An entry may carry version marks, ``Class.test [<3.13]: reason`` or
    ``[>=3.12, <3.14]``: it counts only on the Pythons they allow (the
    test_ssl of each CPython release is different). *version* defaults to
    the running interpreter's ``(major, minor)``.
    """
    if version is None:
        version = sys.version_info[:2]
    known: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(":")
        if not reason.strip():
            raise ValueError(f"{path}: no reason given for {name!r}")
        name, _, marks = name.partition("[")
        if marks:
            if not marks.rstrip().endswith("]"):
                raise ValueError(f"{path}: unclosed version mark in {line!r}")
            conditions = marks.rstrip()[:-1].split(",")
            if not all(_applies(c.strip(), version) for c in conditions):
                continue
        known[name.strip()] = reason.strip()
    return known


def test_ssl_available() -> Optional[str]:
    """``None`` if ``test.test_ssl`` can be imported, else why not."""
    try:
        spec = importlib.util.find_spec("test.test_ssl")
    except ImportError as exc:
        return f"this interpreter has no 'test' package ({exc})"
    if spec is None:
        return "this interpreter ships no Lib/test/test_ssl.py"
    return None


def _count(outcomes: dict[str, str]) -> dict[str, int]:
    counts = dict.fromkeys((PASS, FAIL, TIMEOUT, SKIP), 0)
    for outcome in outcomes.values():
        counts[outcome] += 1
    return counts


def _summary(label: str, outcomes: dict[str, str], seconds: float) -> str:
    c = _count(outcomes)
    return (
        f"{label:<11} {c[PASS]} passed, {c[FAIL] + c[TIMEOUT]} failed, "
        f"{c[SKIP]} skipped ({c[TIMEOUT]} timed out) of {len(outcomes)} "
        f"in {seconds:.1f} s"
    )


def compare(
    stdlib: dict[str, Any], compat: dict[str, Any], known: dict[str, str]
) -> int:
    """Print the comparison; return the number of unlisted differences."""
    ref = stdlib["outcomes"]
    ours = compat["outcomes"]
    print(_summary("stdlib ssl:", ref, stdlib["seconds"]))
    print(_summary("ssl_compat:", ours, compat["seconds"]))
    listed = []
    unlisted = []
    for name in sorted(ref):
        if ref[name] != PASS or ours.get(name) == PASS:
            continue
        (listed if name in known else unlisted).append(name)
    fixed = sorted(name for name in known if ours.get(name) == PASS)
    print(
        f"known differences: {len(known)} listed, {len(listed)} seen"
        + (f", {len(fixed)} now passing" if fixed else "")
    )
    for name in fixed:
        print(f"  now passes (remove from the list): {name}")
    if unlisted:
        print(f"\n{len(unlisted)} test(s) pass on the stdlib but not on ssl_compat:")
        for name in unlisted:
            print(f"\n--- {name}: {ours.get(name, 'not run')}")
            detail = compat["details"].get(name, "")
            print("    " + detail.strip().replace("\n", "\n    "))
    return len(unlisted)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=MODES, help="run one side and list it")
    parser.add_argument("-k", action="append", default=[], help="test id substring")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child, args.output, args.k, args.verbose)
        return 0
    reason = test_ssl_available()
    if reason is not None:
        print(f"SKIPPED: CPython conformance run: {reason}")
        return 0
    modes = (args.only,) if args.only else MODES
    started = time.monotonic()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="test-ssl-conformance-") as tmp:
        children = {}
        for mode in modes:
            output = os.path.join(tmp, f"{mode}.json")
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                mode,
                "--output",
                output,
                *(f"-k{pattern}" for pattern in args.k),
                *(["-v"] if args.verbose else []),
            ]
            # The test module writes temporary files in the current directory;
            # its servers print tracebacks of expected failures: to a log.
            log = open(os.path.join(tmp, f"{mode}.log"), "wb")
            process = subprocess.Popen(
                command,
                cwd=tmp,
                stdout=log if not args.verbose else None,
                stderr=subprocess.STDOUT if not args.verbose else None,
            )
            log.close()
            children[mode] = (process, output)
        for mode, (process, output) in children.items():
            try:
                process.wait(RUN_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                print(f"{mode}: the run took longer than {RUN_TIMEOUT:.0f} s")
                return 1
            if not os.path.exists(output):
                print(f"{mode}: the run died (exit status {process.returncode})")
                with open(os.path.join(tmp, f"{mode}.log"), "rb") as handle:
                    print(handle.read()[-6000:].decode("utf-8", "replace"))
                return 1
            with open(output) as handle:
                results[mode] = json.load(handle)
    wall = time.monotonic() - started
    if args.only:
        data = results[args.only]
        print(_summary(f"{args.only}:", data["outcomes"], data["seconds"]))
        for name, outcome in sorted(data["outcomes"].items()):
            if outcome in (FAIL, TIMEOUT):
                print(f"\n--- {name}: {outcome}")
                print(data["details"].get(name, "").strip())
        return 0
    unlisted = compare(results["stdlib"], results["compat"], load_known_differences())
    print(f"conformance runner wall time: {wall:.1f} s")
    if unlisted:
        print(
            f"FAILED: {unlisted} unlisted difference(s); fix them or add each to "
            f"{KNOWN_DIFFERENCES.relative_to(HERE.parent.parent)} with its reason"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
