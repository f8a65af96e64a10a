"""What the benchmark measures: scenarios, their metrics, and the targets.

This module is shared by the parent (``run.py``) and the workers
(``worker.py``); it imports nothing TLS-related. The code that actually
drives a TLS library lives in ``impl_openssl.py`` (the ``OpenSSL`` API,
used for both this project and pyOpenSSL) and ``impl_stdlib.py`` (the
standard library's ``ssl`` API, used for ``ssl`` itself and for
``OpenSSL.ssl_compat``). Both define one generator function per scenario
name below, with the same protocol (see ``worker.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Implementations, in the order rounds are interleaved and columns shown.
IMPLS = ("ours", "pyopenssl", "stdlib", "compat")

IMPL_TITLES = {
    "ours": "ours",
    "pyopenssl": "pyOpenSSL",
    "stdlib": "stdlib",
    "compat": "ssl_compat",
}


@dataclass(frozen=True)
class Metric:
    """One number a scenario reports per round (the table shows medians)."""

    key: str
    label: str
    unit: str
    higher_is_better: bool = True


@dataclass(frozen=True)
class Scenario:
    """A named measurement, the metrics it yields, and who runs it."""

    name: str
    title: str
    metrics: tuple[Metric, ...]
    impls: tuple[str, ...] = ("ours", "pyopenssl", "stdlib")
    #: Rounds in a full run (``make bench``); a smoke run does one.
    rounds: int = 7
    #: Needs a fresh worker process (memory measurements do).
    fresh_process: bool = False
    notes: str = ""


@dataclass(frozen=True)
class Sizes:
    """How much work one round does; the smoke run shrinks everything."""

    #: Seconds a time-boxed round runs for.
    budget: float
    #: Seconds of warm-up before the first round of a scenario.
    warmup: float
    #: Bytes moved per round in the memory-BIO bulk scenario.
    bulk_bytes: int
    #: Bytes moved per round in the loopback-socket bulk scenario.
    sock_bulk_bytes: int
    #: Established connection pairs held in the memory scenario.
    mem_pairs: int
    #: Records queued per timed batch in the recv-size scenario.
    recv_batch: int = 256
    extra: dict[str, int] = field(default_factory=dict)


FULL = Sizes(
    budget=0.5,
    warmup=0.15,
    bulk_bytes=64 << 20,
    sock_bulk_bytes=64 << 20,
    mem_pairs=1000,
)
SMOKE = Sizes(
    budget=0.02,
    warmup=0.0,
    bulk_bytes=256 << 10,
    sock_bulk_bytes=256 << 10,
    mem_pairs=10,
    recv_batch=16,
)

HS = Metric("hs_per_s", "handshakes/s", "hs/s")

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "hs_tls13",
        "Full handshake, TLS 1.3, ECDSA P-256, client not verifying",
        (HS,),
    ),
    Scenario(
        "hs_tls13_verify",
        "Full handshake, TLS 1.3, client verifying the CA-signed chain",
        (HS,),
    ),
    Scenario("hs_tls12", "Full handshake, TLS 1.2 (ECDHE-ECDSA)", (HS,)),
    Scenario(
        "resume_tls13",
        "Resumed handshake, TLS 1.3 session ticket",
        (Metric("hs_per_s", "resumptions/s", "hs/s"),),
    ),
    Scenario(
        "bulk_membio",
        "Bulk over memory BIOs, 16 KiB writes",
        (Metric("mb_per_s", "bulk", "MB/s"),),
        # Short rounds, and this machine has slow spells (README): many.
        rounds=11,
        notes="ceiling",
    ),
    Scenario(
        "small_records",
        "Small records: 64-byte send -> bio_read -> bio_write -> recv",
        (Metric("ops_per_s", "64 B send+move+recv", "ops/s"),),
    ),
    Scenario(
        "sock_bulk",
        "TCP loopback, bulk in 16 KiB sendall, server in a child process",
        (Metric("mb_per_s", "socket bulk", "MB/s"),),
        impls=IMPLS,
        rounds=9,
    ),
    Scenario(
        "sock_rtt",
        "TCP loopback, 64-byte request/response round trips",
        (Metric("rtt_per_s", "round trips/s", "rt/s"),),
        impls=IMPLS,
        rounds=13,
    ),
    Scenario(
        "asyncio_rtt",
        "asyncio streams client, 64-byte round trips over TCP loopback",
        (
            Metric("rtt_per_s", "round trips/s", "rt/s"),
            Metric("sleeps_per_rt", "client sleeps/round trip", "", False),
        ),
        impls=("stdlib", "compat"),
        rounds=9,
    ),
    Scenario(
        "asyncio_bulk",
        "asyncio streams client, bulk in 16 KiB writes over TCP loopback",
        (Metric("mb_per_s", "asyncio bulk", "MB/s"),),
        impls=("stdlib", "compat"),
        rounds=7,
    ),
    Scenario(
        "trio_rtt",
        "trio SSLStream client, 64-byte round trips over TCP loopback",
        (
            Metric("rtt_per_s", "round trips/s", "rt/s"),
            Metric("sleeps_per_rt", "client sleeps/round trip", "", False),
        ),
        impls=("stdlib", "compat"),
        rounds=9,
    ),
    Scenario(
        "trio_bulk",
        "trio SSLStream client, bulk in 16 KiB send_all over TCP loopback",
        (Metric("mb_per_s", "trio bulk", "MB/s"),),
        impls=("stdlib", "compat"),
        rounds=7,
    ),
    Scenario(
        "memory_idle",
        "Memory per idle established connection (client+server ends / 2)",
        (
            Metric("rss_per_conn", "RSS per connection", "B", False),
            Metric("py_per_conn", "tracemalloc per connection", "B", False),
        ),
        rounds=1,
        fresh_process=True,
    ),
    Scenario(
        "recv_size",
        "recv() of a queued 64-byte record: 16 KiB vs 1 MiB buffer",
        (
            Metric("recv16k_per_s", "recv(16 KiB)", "ops/s"),
            Metric("recv1m_per_s", "recv(1 MiB)", "ops/s"),
            Metric("recv_ratio", "recv(1 MiB) / recv(16 KiB)", "x"),
        ),
    ),
    Scenario(
        "threads",
        "TLS 1.3 handshakes on one shared Context: 1 thread vs 2 threads",
        (
            Metric("hs1_per_s", "1 thread", "hs/s"),
            Metric("hs2_per_s", "2 threads, aggregate", "hs/s"),
            Metric("scaling", "2 threads / 1 thread", "x"),
        ),
    ),
)

# This project only: pyOpenSSL and the stdlib cannot export a session or
# send early data (issue 14).
SCENARIOS += (
    Scenario(
        "resume_imported",
        "TLS 1.3: resumption from a session loaded from bytes vs full handshake",
        (
            Metric("full_per_s", "full handshakes/s", "hs/s"),
            Metric("resumed_per_s", "resumptions from bytes/s", "hs/s"),
            Metric("resumed_ratio", "resumed / full", "x"),
        ),
        impls=("ours",),
    ),
    Scenario(
        "first_byte",
        "TCP loopback: first answer byte, full vs 1-RTT resumed vs 0-RTT",
        (
            Metric("rt_full", "round trips, full handshake", "RT", False),
            Metric("rt_resumed", "round trips, resumed (1-RTT)", "RT", False),
            Metric("rt_0rtt", "round trips, early data (0-RTT)", "RT", False),
            Metric("ms_full", "first byte, full handshake", "ms", False),
            Metric("ms_resumed", "first byte, resumed (1-RTT)", "ms", False),
            Metric("ms_0rtt", "first byte, early data (0-RTT)", "ms", False),
            Metric("link_full", "10 ms RTT link: full handshake", "ms", False),
            Metric("link_resumed", "10 ms RTT link: resumed (1-RTT)", "ms", False),
            Metric("link_0rtt", "10 ms RTT link: early data (0-RTT)", "ms", False),
        ),
        impls=("ours",),
        rounds=5,
    ),
)

BY_NAME = {s.name: s for s in SCENARIOS}


@dataclass(frozen=True)
class Target:
    """``value(scenario.metric, impl) / value(same, peer) >= minimum``.

    ``peer`` may also be ``"ceiling"`` (the halved ``openssl speed``
    figure) or ``"self:<metric>"`` (another metric of the same impl).
    For metrics where lower is better the ratio is taken the other way
    round (``peer / impl``), so ``minimum`` always reads "at least".
    """

    scenario: str
    metric: str
    impl: str
    peer: str
    minimum: float
    text: str


TARGETS: tuple[Target, ...] = (
    Target("small_records", "ops_per_s", "ours", "pyopenssl", 2.0, "small >= 2.0x"),
    Target("bulk_membio", "mb_per_s", "ours", "pyopenssl", 1.0, "bulk >= 1.0x"),
    Target("bulk_membio", "mb_per_s", "ours", "ceiling", 0.85, "bulk >= 85% ceiling"),
    Target("hs_tls13", "hs_per_s", "ours", "pyopenssl", 1.1, "handshake >= 1.1x"),
    Target(
        "hs_tls13_verify", "hs_per_s", "ours", "pyopenssl", 1.1, "handshake >= 1.1x"
    ),
    Target("hs_tls12", "hs_per_s", "ours", "pyopenssl", 1.1, "handshake >= 1.1x"),
    Target("resume_tls13", "hs_per_s", "ours", "pyopenssl", 1.1, "resume >= 1.1x"),
    Target("sock_rtt", "rtt_per_s", "ours", "pyopenssl", 1.2, "round trips >= 1.2x"),
    Target("small_records", "ops_per_s", "ours", "stdlib", 0.8, "small >= 0.8x"),
    Target("bulk_membio", "mb_per_s", "ours", "stdlib", 1.0, "bulk >= 1.0x"),
    Target("hs_tls13", "hs_per_s", "ours", "stdlib", 1.0, "handshake >= 1.0x"),
    Target("hs_tls13_verify", "hs_per_s", "ours", "stdlib", 1.0, "handshake >= 1.0x"),
    Target("hs_tls12", "hs_per_s", "ours", "stdlib", 1.0, "handshake >= 1.0x"),
    Target("sock_bulk", "mb_per_s", "compat", "stdlib", 0.9, "compat bulk >= 0.9x"),
    Target(
        "sock_rtt", "rtt_per_s", "compat", "stdlib", 0.9, "compat round trips >= 0.9x"
    ),
    Target("asyncio_rtt", "rtt_per_s", "compat", "stdlib", 0.9, "asyncio rt >= 0.9x"),
    Target("asyncio_bulk", "mb_per_s", "compat", "stdlib", 0.9, "asyncio bulk >= 0.9x"),
    Target("trio_rtt", "rtt_per_s", "compat", "stdlib", 0.9, "trio rt >= 0.9x"),
    Target("trio_bulk", "mb_per_s", "compat", "stdlib", 0.9, "trio bulk >= 0.9x"),
    Target("memory_idle", "rss_per_conn", "ours", "stdlib", 1.0, "RSS/conn <= stdlib"),
    Target(
        "recv_size",
        "recv1m_per_s",
        "ours",
        "self:recv16k_per_s",
        0.9,
        "recv(1 MiB) within 10% of recv(16 KiB)",
    ),
)
