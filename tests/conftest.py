"""Shared fixtures: the generated test PKI and its files on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support import PKI, close_tracked, make_pki


@pytest.fixture(scope="session")
def pki() -> PKI:
    """The test PKI (root, intermediate, server, client, ...)."""
    return make_pki()


@pytest.fixture
def pki_files(pki: PKI, tmp_path: Path) -> SimpleNamespace:
    """``server.pem``/``server.key``/``client.pem``/``client.key``/``ca.pem``.

    The ``.pem`` files hold the leaf followed by the intermediate; ``ca.pem``
    holds the root alone.
    """
    server_pem, server_key = pki.server.write(tmp_path)
    client_pem, client_key = pki.client.write(tmp_path)
    return SimpleNamespace(
        directory=tmp_path,
        server_pem=server_pem,
        server_key=server_key,
        client_pem=client_pem,
        client_key=client_key,
        ca_pem=pki.write_ca(tmp_path),
    )


@pytest.fixture
def clean_error_queue() -> Iterator[None]:
    """Fail the test if it leaves anything in OpenSSL's error queue.

    A stale entry would surface in an unrelated later call; every code path,
    failing ones included, must leave the queue empty.
    """
    from OpenSSL._util import lib

    lib.ERR_clear_error()
    yield
    leftover = lib.ERR_peek_error()
    lib.ERR_clear_error()
    assert leftover == 0, "the test left an entry in OpenSSL's error queue"


@pytest.fixture(autouse=True)
def _close_tracked_sockets() -> Iterator[None]:
    """Close the sockets the support helpers handed on (``track``) after each test."""
    yield
    close_tracked()
