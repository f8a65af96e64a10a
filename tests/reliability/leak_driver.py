"""Leak driver: repeat one scenario many times and check that memory stays flat.

.. list-table:: The tests of ``test_leaks.py``: checks and verdicts
   :header-rows: 1

   * - test
     - scenario (``leak_scenarios``) and what it checks
     - verdict computed in
   * - ``test_handshakes_with_every_callback``
     - ``handshakes``: full handshakes with every callback, both versions,
       resumption, data, shutdown; memory flat
     - :func:`main` here (RSS, heap, tracemalloc growth; exit 1); the
       scenario's ``expect``/``step.check``; the test: sessions resumed
   * - ``test_contexts_and_connections_created_and_dropped``
     - ``objects``: Contexts and Connections made and dropped; memory flat
     - :func:`main` here; the test: some of each were made
   * - ``test_sessions_stored_and_reused``
     - ``sessions``: sessions kept and resumed; memory flat
     - :func:`main` here; the test: sessions resumed
   * - ``test_errors_provoked``
     - ``errors``: failed verification, bad records, raising callbacks, bad
       configuration each raise as documented; memory flat
     - the scenario's ``expect_error``; :func:`main` here; the test: errors
       were raised
   * - ``test_ssl_compat_objects_and_errors``
     - ``compat``: ``ssl_compat`` objects, handshakes and failures
     - the scenario's ``expect``; :func:`main` here; the test: handshakes
       and errors happened
   * - ``test_dtls_cookie_exchange``
     - ``dtls``: cookies accepted, rejected, raising
     - the scenario; :func:`main` here; the test: handshakes completed
   * - ``test_data_path_on_long_lived_connections``
     - ``data``: 1 byte to 70 kB records, every send/receive form
     - the scenario; :func:`main` here; the test: records moved
   * - ``test_set_client_ca_list_refusing_a_name_frees_the_copies``
     - ``client-ca-list-error``: the refused call frees its copies
     - :func:`main` here; the test: every iteration raised
   * - ``test_a_deliberate_leak_is_caught``
     - ``--leak-on-purpose``/``--leak-c-on-purpose`` with ``--expect-leak``:
       the check fails when there is a leak
     - :func:`main` here (inverted verdict)

Run by ``tests/reliability/test_leaks.py`` in a child interpreter (so the
numbers are this scenario's alone)::

    python -m tests.reliability.leak_driver --scenario handshakes --count 1500

Each scenario (in ``leak_scenarios``) is a setup that returns ``step(i)``,
one iteration (a full handshake with every callback set, a Context and its
Connections created and dropped, a session stored and resumed, a provoked
error, ...). The driver

1. runs a warm-up (caches, free lists and OpenSSL's one-off tables fill up),
2. measures, runs ``--count`` iterations, measures again: the resident set
   size (RSS) and glibc's heap in use (``mallinfo2``: ``uordblks`` +
   ``hblkhd``, every byte malloc handed out, OpenSSL's included); each
   measurement is the smallest of three readings one iteration apart,
3. starts ``tracemalloc``, warms up again, and measures the Python-level
   growth over ``--tracemalloc-count`` more iterations.

It fails (exit status 1, one line saying what grew by how much) when

* RSS grew by 5 MiB or more (the issue's bound, in both profiles: RSS is
  page- and arena-granular, so it is the coarse check), or
* the heap grew by more than 32 bytes per iteration, or
* tracemalloc's traced memory grew by more than 32 bytes per iteration.

The issue's 5 MiB spread over its 50,000 handshakes is ~105 bytes each; the
limit is a third of that, so one leaked small OpenSSL object per iteration
fails the fast profile's counts too. On glibc the driver re-executes itself
with the malloc tcache off, which makes the heap reading exact (a scenario
without a leak measures a few bytes of growth, not tens of KiB).

``--leak-on-purpose N`` keeps a Python ``bytes`` object of N bytes alive per
iteration, ``--leak-c-on-purpose N`` an ``OPENSSL_malloc`` block of N bytes
never freed; ``--expect-leak`` inverts the verdict. The tests use them to
show that the check fails when there is a leak.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
from typing import Any, Optional

from OpenSSL._util import lib
from tests.reliability.leak_scenarios import SCENARIOS, Files, Step
from tests.reliability.memory import Memory
from tests.reliability.subproc import emit_figures

RSS_LIMIT = 5 * 1024 * 1024

#: Per-iteration growth limits (bytes) for the malloc heap and for
#: tracemalloc. The issue's 5 MiB over 50,000 handshakes is ~105 bytes per
#: handshake; a third of that leaves no room for one leaked small object.
HEAP_LIMIT = 32
TRACEMALLOC_LIMIT = 32


# -- the run ------------------------------------------------------------------


def _leaking(step: Step, python_bytes: int, c_bytes: int) -> tuple[Step, list[Any]]:
    """*step*, keeping *python_bytes* and *c_bytes* alive per call on purpose."""
    kept: list[Any] = []
    if python_bytes <= 0 and c_bytes <= 0:
        return step, kept

    def leaky(i: int) -> None:
        step(i)
        if python_bytes > 0:
            kept.append(os.urandom(python_bytes))
        if c_bytes > 0:
            kept.append(lib.OPENSSL_malloc(c_bytes))  # never freed

    leaky.check = getattr(step, "check", None)  # type: ignore[attr-defined]
    return leaky, kept


#: Readings taken, one iteration apart, at each end of the measured run.
READINGS = 3


def _smallest(values: list[Optional[int]]) -> Optional[int]:
    known = [value for value in values if value is not None]
    return min(known) if known else None


def _readings(
    step: Step, position: int, memory: Memory
) -> tuple[int, Optional[int], Optional[int]]:
    """The smallest RSS and heap readings over a few iterations.

    Memory that is in use at one reading and not at the next (a buffer of
    the last connection, a dict between two resizes) makes single readings
    wander by ~10 KiB; a leak raises every reading, so the minimum keeps
    the leak and drops the wandering.
    """
    rss: list[Optional[int]] = []
    heap: list[Optional[int]] = []
    for _ in range(READINGS):
        step(position)
        position += 1
        memory.settle()
        rss.append(memory.rss())
        heap.append(memory.heap())
    return position, _smallest(rss), _smallest(heap)


def _run(step: Step, start: int, count: int) -> int:
    for i in range(start, start + count):
        step(i)
    return start + count


_TCACHE_OFF = "glibc.malloc.tcache_count=0"


def _without_tcache() -> None:
    """Re-run this driver with glibc's per-thread cache of freed chunks off.

    The tcache keeps up to seven freed chunks per size class, which
    ``mallinfo2`` counts as in use: with it the heap reading wanders by tens
    of KiB from one run to the next, without it the reading is exact (a
    scenario without a leak measures 0 bytes of growth).
    """
    if platform.libc_ver()[0] != "glibc":
        return
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if _TCACHE_OFF in tunables.split(":"):
        return
    env = dict(os.environ)
    env["GLIBC_TUNABLES"] = f"{tunables}:{_TCACHE_OFF}" if tunables else _TCACHE_OFF
    command = [sys.executable, "-X", "faulthandler", "-m", __spec__.name]
    sys.stdout.flush()
    os.execve(sys.executable, command + sys.argv[1:], env)


def main(argv: Optional[list[str]] = None) -> int:
    if argv is None:
        _without_tcache()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=None)
    parser.add_argument("--tracemalloc-count", type=int, default=None)
    parser.add_argument("--leak-on-purpose", type=int, default=0, metavar="BYTES")
    parser.add_argument("--leak-c-on-purpose", type=int, default=0, metavar="BYTES")
    parser.add_argument("--expect-leak", action="store_true")
    args = parser.parse_args(argv)

    count = args.count
    # A tenth of the count for the warm-up and the tracemalloc phase, within
    # bounds (tracemalloc slows Python down; the long counts need no more).
    default_extra = max(100, min(count // 10, 1000))
    warmup = args.warmup if args.warmup is not None else default_extra
    tm_count = (
        args.tracemalloc_count
        if args.tracemalloc_count is not None
        else max(200, min(count // 10, 2000))
    )
    heap_limit, tm_limit = HEAP_LIMIT, TRACEMALLOC_LIMIT
    files = Files()
    figures: dict[str, float] = {}
    step, _kept = _leaking(
        SCENARIOS[args.scenario](files, figures),
        args.leak_on_purpose,
        args.leak_c_on_purpose,
    )
    memory = Memory()
    started = time.monotonic()

    position = _run(step, 0, warmup)
    position, rss_before, heap_before = _readings(step, position, memory)
    position = _run(step, position, count)
    position, rss_after, heap_after = _readings(step, position, memory)

    tracemalloc.start(1)
    position = _run(step, position, max(50, warmup // 4))
    memory.settle()
    traced_before = tracemalloc.get_traced_memory()[0]
    position = _run(step, position, tm_count)
    memory.settle()
    traced_after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    check = getattr(step, "check", None)
    if check is not None:
        check()

    failures: list[str] = []
    figures["iterations"] = position
    figures["measured iterations"] = count
    figures["seconds"] = round(time.monotonic() - started, 2)
    if rss_before is not None and rss_after is not None:
        growth = rss_after - rss_before
        figures["rss growth KiB"] = round(growth / 1024, 1)
        if growth >= RSS_LIMIT:
            failures.append(
                f"RSS grew by {growth / 1024:.0f} KiB over {count} iterations "
                f"(limit {RSS_LIMIT // 1024} KiB)"
            )
    if heap_before is not None and heap_after is not None:
        growth = heap_after - heap_before
        figures["heap growth bytes"] = growth
        figures["heap growth per iteration"] = round(growth / count, 2)
        figures["heap measured"] = 1
        figures["heap check failed"] = int(growth > heap_limit * count)
        if growth > heap_limit * count:
            failures.append(
                f"the malloc heap grew by {growth} bytes over {count} iterations, "
                f"{growth / count:.1f} per iteration (limit {heap_limit})"
            )
    else:
        figures["heap measured"] = 0
        print(f"heap not measured: {memory.heap_reason}")
    growth = traced_after - traced_before
    figures["tracemalloc growth bytes"] = growth
    figures["tracemalloc iterations"] = tm_count
    figures["tracemalloc check failed"] = int(growth > tm_limit * tm_count)
    if growth > tm_limit * tm_count:
        failures.append(
            f"tracemalloc's traced memory grew by {growth} bytes over {tm_count} "
            f"iterations, {growth / tm_count:.1f} per iteration (limit {tm_limit})"
        )

    emit_figures(figures)
    what = f"scenario {args.scenario}, {count} iterations after {warmup} warm-up"
    if args.expect_leak:
        if failures:
            print(f"the deliberate leak was detected ({what}): " + "; ".join(failures))
            return 0
        print(f"LEAK NOT DETECTED: a deliberate leak passed the check ({what})")
        return 1
    if failures:
        print(f"LEAK ({what}): " + "; ".join(failures))
        return 1
    print(f"no leak ({what})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
