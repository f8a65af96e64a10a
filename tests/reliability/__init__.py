"""The reliability suite: fuzzing, leaks, threads and hostile peers.

Every module here runs in two profiles. The fast profile is part of
``make test``; the long profile runs behind ``make stress`` (environment
variable ``PYOPENSSL_NG_STRESS=1``). Both print the figures they reached
(calls fuzzed, records fuzzed, handshakes, memory growth) at the end of the
run; see :mod:`tests.reliability.profile`.
"""
