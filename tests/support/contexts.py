"""Contexts built from the test PKI: one builder per kind of context.

* :func:`server_context` / :func:`client_context`: ``OpenSSL.SSL.Context``.
* :func:`ssl_server_context` / :func:`ssl_client_context`: an ``SSLContext``
  of the standard library's ``ssl`` or of ``OpenSSL.ssl_compat`` (pass the
  module), so that a test can put either implementation on either end.

``ssl_compat`` is imported only when used (the reliability oracle imports
this package under the real pyOpenSSL, which has none). Clients trust the
test root through :func:`~tests.support.files.ca_file`.
A protocol *version* is a key of :data:`VERSIONS` (``"TLSv1.2"``,
``"TLSv1.3"``) and pins both the minimum and the maximum.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from types import ModuleType
from typing import Any, Optional, Union

from OpenSSL import SSL
from tests.support.files import ca_file, identity_files
from tests.support.pki import Identity, make_pki

__all__ = [
    "VERSIONS",
    "client_context",
    "early_client_context",
    "early_server_context",
    "present",
    "reasons",
    "server_context",
    "ssl_client_context",
    "ssl_server_context",
]

#: Protocol versions tested against every peer: name -> (ours, stdlib's).
VERSIONS = {
    "TLSv1.2": (SSL.TLS1_2_VERSION, ssl.TLSVersion.TLSv1_2),
    "TLSv1.3": (SSL.TLS1_3_VERSION, ssl.TLSVersion.TLSv1_3),
}


def _identity(identity: Union[Identity, str, None]) -> Identity:
    if identity is None:
        return make_pki().server
    if isinstance(identity, str):
        named: Identity = getattr(make_pki(), identity)
        return named
    return identity


def present(ctx: SSL.Context, identity: Union[Identity, str, None]) -> None:
    """Make *ctx* present *identity* (default ``pki.server``) and its chain."""
    identity = _identity(identity)
    ctx.use_certificate(identity.cert)
    ctx.use_privatekey(identity.key)
    for extra in identity.chain:
        ctx.add_extra_chain_cert(extra)


def _limit(
    ctx: SSL.Context,
    version: Optional[str],
    min_version: Optional[int],
    max_version: Optional[int],
) -> None:
    if version is not None:
        min_version = max_version = VERSIONS[version][0]
    if min_version is not None:
        ctx.set_min_proto_version(min_version)
    if max_version is not None:
        ctx.set_max_proto_version(max_version)


def server_context(
    identity: Union[Identity, str, None] = None,
    *,
    method: int = SSL.TLS_METHOD,
    version: Optional[str] = None,
    min_version: Optional[int] = None,
    max_version: Optional[int] = None,
    verify_client: bool = False,
    require_client_cert: bool = False,
) -> SSL.Context:
    """A server ``Context`` presenting *identity* (default: ``pki.server``).

    *identity* is an :class:`Identity` or the name of one. The intermediate
    is sent along (``add_extra_chain_cert``), so a client that trusts only
    the root can verify. With *verify_client* the server asks for a client
    certificate (``VERIFY_PEER``) and trusts the test root; with
    *require_client_cert* a client without one also fails the handshake
    (``VERIFY_FAIL_IF_NO_PEER_CERT``).
    """
    ctx = SSL.Context(method)
    present(ctx, identity)
    _limit(ctx, version, min_version, max_version)
    if verify_client or require_client_cert:
        ctx.load_verify_locations(str(ca_file()))
        mode = SSL.VERIFY_PEER
        if require_client_cert:
            mode |= SSL.VERIFY_FAIL_IF_NO_PEER_CERT
        ctx.set_verify(mode)
    return ctx


def client_context(
    *,
    method: int = SSL.TLS_METHOD,
    verify: bool = True,
    identity: Union[Identity, str, None] = None,
    cafile: Optional[Path] = None,
    version: Optional[str] = None,
    min_version: Optional[int] = None,
    max_version: Optional[int] = None,
) -> SSL.Context:
    """A client ``Context`` that trusts *cafile* (default: the test root).

    With *verify* (the default) the mode is ``VERIFY_PEER``, otherwise
    ``VERIFY_NONE``. *identity* (for example ``pki.client``) is presented
    as the client certificate when the server asks for one.
    """
    ctx = SSL.Context(method)
    ctx.load_verify_locations(str(cafile if cafile is not None else ca_file()))
    ctx.set_verify(SSL.VERIFY_PEER if verify else SSL.VERIFY_NONE)
    if identity is not None:
        present(ctx, identity)
    _limit(ctx, version, None, None)
    _limit(ctx, None, min_version, max_version)
    return ctx


def early_server_context(max_early_data: int = 16384) -> SSL.Context:
    """:func:`server_context` accepting up to *max_early_data* bytes of TLS 1.3
    early data in the tickets it issues (0: none, OpenSSL's default)."""
    ctx = server_context()
    if max_early_data:
        ctx.set_max_early_data(max_early_data)
    return ctx


def early_client_context(max_early_data: int = 16384) -> SSL.Context:
    """:func:`client_context` willing to send up to *max_early_data* bytes of
    early data (the session's own limit still applies)."""
    ctx = client_context()
    ctx.set_max_early_data(max_early_data)
    return ctx


def _settle(ctx: Any, version: Optional[str], settings: dict[str, Any]) -> Any:
    if version is not None:
        ctx.minimum_version = VERSIONS[version][1]
        ctx.maximum_version = VERSIONS[version][1]
    for name, value in settings.items():
        setattr(ctx, name, value)
    return ctx


def _module(module: Optional[ModuleType]) -> ModuleType:
    if module is None:
        from OpenSSL import ssl_compat

        return ssl_compat
    return module


def ssl_server_context(
    module: Optional[ModuleType] = None,
    identity: str = "server",
    *,
    version: Optional[str] = None,
    require_client_cert: bool = False,
    **settings: Any,
) -> Any:
    """A ``PROTOCOL_TLS_SERVER`` context of *module* presenting *identity*.

    *module* is ``ssl`` or ``OpenSSL.ssl_compat`` (the default); *identity*
    names a PKI leaf. With *require_client_cert* the server demands a
    certificate the test root issued. Remaining keywords are set as
    attributes (``maximum_version=...``).
    """
    module = _module(module)
    ctx = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    certfile, keyfile = identity_files(identity)
    ctx.load_cert_chain(str(certfile), str(keyfile))
    if require_client_cert:
        ctx.load_verify_locations(cafile=str(ca_file()))
        ctx.verify_mode = module.CERT_REQUIRED
    return _settle(ctx, version, settings)


def ssl_client_context(
    module: Optional[ModuleType] = None,
    *,
    version: Optional[str] = None,
    client_cert: bool = False,
    cafile: Optional[Path] = None,
    **settings: Any,
) -> Any:
    """``create_default_context`` of *module* (``ssl_compat``), trusting the root.

    *cafile* replaces the test root. Host name checking is on, as the
    default context has it. With *client_cert* the context presents
    ``pki.client``. Remaining keywords are set as attributes.
    """
    module = _module(module)
    ctx = module.create_default_context(
        cafile=str(cafile if cafile is not None else ca_file())
    )
    if client_cert:
        certfile, keyfile = identity_files("client")
        ctx.load_cert_chain(str(certfile), str(keyfile))
    return _settle(ctx, version, settings)


def reasons(error: SSL.Error) -> list[str]:
    """The reason strings of an ``SSL.Error``'s ``[(lib, func, reason)]``."""
    assert error.args, error
    return [entry[2] for entry in error.args[0]]
