"""Kept only so branches written against the old helpers merge; remove after.

The test PKI lives in :mod:`tests.support.pki`; import from ``tests.support``.
"""

from __future__ import annotations

from tests.support.pki import PKI, Identity, PrivateKey, make_pki

__all__ = ["PKI", "Identity", "PrivateKey", "make_pki"]
