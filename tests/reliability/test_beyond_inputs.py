"""Garbage inputs to ssl_compat's extensions: memory PEM, OCSP responses.

``SSLContext.load_cert_chain`` from memory is fed mutated PEM (bytes
flipped, cut, inserted, markers duplicated, base64 broken) for the chain
and for the encrypted key; every load either succeeds or raises a
documented exception (``ssl.SSLError``, ``TypeError``/``ValueError``), and
leaves OpenSSL's error queue empty. The OCSP check (``_ocsp.check_staple``)
is fed mutated DER responses, as a hostile server would staple them: it
accepts or returns a failure, it never raises. Callbacks that raise and
oversized staples are in ``test_callback_abuse`` (the ssl_compat slots).
Seeds are fixed: a failure names the seed that reproduces it.
"""

from __future__ import annotations

import datetime
import random
import ssl
from typing import Any

from cryptography.hazmat.primitives import serialization

from OpenSSL import ssl_compat
from OpenSSL.ssl_compat import _ocsp
from tests.reliability.callback_abuse_driver import (
    assert_flat,
    compat_handshake,
    error_queue_empty,
)
from tests.reliability.outcomes import COMPAT_DOCUMENTED
from tests.reliability.profile import record, scale
from tests.support import make_pki

PASSWORD = b"reliability"
CASES = scale(150, 5000)


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """One to four random edits of *data*."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(6)
        at = rng.randrange(len(out) + 1)
        if choice == 0 and out:  # flip a byte
            index = rng.randrange(len(out))
            out[index] ^= 1 << rng.randrange(8)
        elif choice == 1:  # cut
            del out[at : at + rng.randint(1, 200)]
        elif choice == 2:  # insert junk
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        elif choice == 3:  # duplicate a stretch
            end = min(len(out), at + rng.randint(1, 300))
            out[at:at] = out[at:end]
        elif choice == 4:  # an extra or truncated PEM marker
            out[at:at] = rng.choice(
                [b"-----BEGIN CERTIFICATE-----\n", b"-----END ", b"-----BEGIN "]
            )
        else:  # truncate
            del out[at:]
    return bytes(out)


def _pem_inputs() -> tuple[bytes, bytes]:
    pki = make_pki()
    key = pki.server.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSWORD),
    )
    return pki.server.chain_pem(), key


def test_garbage_pem_from_memory() -> None:
    chain, key = _pem_inputs()
    outcomes = {"loaded": 0, "refused": 0}
    for seed in range(CASES):
        rng = random.Random(seed)
        bad_chain = _mutate(rng, chain) if rng.random() < 0.6 else chain
        bad_key = _mutate(rng, key) if bad_chain is chain or rng.random() < 0.5 else key
        as_text = rng.random() < 0.3
        ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
        certfile: Any = bad_chain.decode("latin-1") if as_text else bad_chain
        try:
            ctx.load_cert_chain(certfile, bad_key, password=PASSWORD)
        except COMPAT_DOCUMENTED as exc:
            # Bytes without any "-----BEGIN" are a path (the documented
            # ambiguity rule): FileNotFoundError, as the stdlib says.
            unmarked = b"-----BEGIN" not in bad_chain or b"-----BEGIN" not in bad_key
            allowed = isinstance(exc, ssl.SSLError) or (
                unmarked and isinstance(exc, FileNotFoundError)
            )
            assert allowed or not isinstance(exc, OSError), f"seed {seed}: {exc!r}"
            outcomes["refused"] += 1
        else:
            outcomes["loaded"] += 1
        error_queue_empty(f"load_cert_chain, seed {seed}")
    # The mutations are not all harmless, nor all fatal.
    assert outcomes["refused"] > CASES // 3, outcomes
    record("beyond inputs: garbage PEM loads", CASES)
    record("beyond inputs: garbage PEM refused", outcomes["refused"])


def test_garbage_ocsp_responses() -> None:
    pki = make_pki()
    chain = [pki.server.cert, pki.intermediate.cert]
    now = datetime.datetime.now(datetime.timezone.utc)
    good = pki.ocsp_response()
    samples = [good, pki.ocsp_response(revoked=True), pki.ocsp_response(expired=True)]
    verdicts = {"accepted": 0, "refused": 0}
    for seed in range(CASES):
        rng = random.Random(seed)
        data = _mutate(rng, rng.choice(samples))
        for mode in (_ocsp.OCSPMode.REQUEST, _ocsp.OCSPMode.REQUIRE_GOOD):
            failure = _ocsp.check_staple(data, chain, mode, now)
            if failure is None:
                verdicts["accepted"] += 1
                # Only an unmodified verdict-bearing part can pass: the
                # signature covers everything that decides.
            else:
                assert failure.verify_message.startswith("OCSP: "), failure
                verdicts["refused"] += 1
    assert _ocsp.check_staple(good, chain, _ocsp.OCSPMode.REQUIRE_GOOD, now) is None
    assert verdicts["refused"] > CASES, verdicts
    record("beyond inputs: garbage OCSP responses checked", 2 * CASES)


def test_memory_loads_and_exporters_do_not_leak() -> None:
    """Loading from memory, handshaking, exporting: nothing grows per round."""
    chain, key = _pem_inputs()
    pki = make_pki()
    client_ctx = ssl_compat.create_default_context(cadata=pki.root.cert)
    rounds = scale(20, 300)

    def one_round() -> None:
        server_ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(chain, key, password=PASSWORD)
        client, server = _objects(client_ctx, server_ctx)
        assert client.get_channel_binding("tls-exporter") == (
            server.get_channel_binding("tls-exporter")
        )
        assert len(client.export_keying_material("EXPORTER-leak", 64)) == 64

    assert_flat(one_round, rounds, "memory load + handshake + exporters")
    record("beyond inputs: memory-loaded handshakes", rounds + 1)


def _objects(client_ctx: Any, server_ctx: Any) -> tuple[Any, Any]:
    c_in, c_out, s_in, s_out = (ssl_compat.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    compat_handshake([client, server, c_in, c_out, s_in, s_out])
    return client, server
