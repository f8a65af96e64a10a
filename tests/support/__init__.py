"""Everything the tests share, in one package.

=====================  =======================================================
module                 what lives there
=====================  =======================================================
``pki``                the generated test PKI (:func:`make_pki`, ``Identity``,
                       ``PKI.crl``, ``PKI.ocsp_response``)
``files``              the PKI on disk, in one scratch directory:
                       :func:`ca_file`, :func:`identity_files`, :func:`files`,
                       :func:`encrypted_key_file`, :func:`write_files`
``contexts``           one builder per context kind: ``OpenSSL.SSL``
                       (:func:`server_context`, :func:`client_context`,
                       :func:`early_server_context`,
                       :func:`early_client_context`, :func:`present`)
                       and ``ssl``/``ssl_compat``
                       (:func:`ssl_server_context`, :func:`ssl_client_context`)
``memory``             memory-BIO ends and the one :func:`handshake` loop
                       (memory, socket-mode and ``SSLObject`` ends);
                       :func:`memory_pair`, :func:`pump`, :func:`read_all`,
                       :func:`transfer`, :func:`close_pair`
``objects``            ``SSLObject`` ends (:class:`ObjectEnd`,
                       :func:`object_pair`, :func:`handshaken_objects`)
``dtls``               DTLS contexts, pairs, datagram-at-a-time delivery and
                       the cookie-exchange handshake
``sockets``            socket pairs, loopback listener, background peers,
                       :func:`accept_early_data`
``processes``          :class:`LoggedProcess`: a subprocess whose output goes
                       to files that tests poll (the one way to collect it)
``openssl_cli``        the ``openssl`` tool as the peer: :func:`s_client`,
                       :func:`s_server`, :func:`s_client_process`
                       (:class:`OpenSSLProcess`), :func:`identity_args`
``cli``                the ``python -m OpenSSL`` tests: :func:`run_main`,
                       :func:`run_client`,
                       :func:`server_process`, :func:`openssl_server`,
                       :func:`openssl_client`
``servers``            threaded ``ssl``-surface servers (:class:`EchoServer`,
                       :func:`https_server`, :class:`BodyHandler`,
                       :class:`WhoAmIHandler`,
                       :func:`asyncio_tls_server`)
``trio_streams``       trio transports (:class:`Corked`); NOT re-exported:
                       import from the module, the package must not need trio
=====================  =======================================================

Import from the package itself (``from tests.support import handshake``);
the modules are where the code lives, not separate APIs. Nothing here may
import ``OpenSSL.ssl_compat`` or ``OpenSSL._cli`` at import time: the
reliability oracle imports this package under pyOpenSSL 26.4.
"""

from __future__ import annotations

from tests.support.cli import (
    PREFIX,
    TIMEOUT,
    ServerProcess,
    assert_one_line_error,
    openssl_client,
    openssl_server,
    python_m_openssl,
    resident_kib,
    run_client,
    run_main,
    server_args,
    server_process,
)
from tests.support.contexts import (
    VERSIONS,
    client_context,
    early_client_context,
    early_server_context,
    present,
    reasons,
    server_context,
    ssl_client_context,
    ssl_server_context,
)
from tests.support.dtls import (
    DTLS_COOKIE,
    dtls_client_context,
    dtls_finish_handshake,
    dtls_handshake,
    dtls_listen_exchange,
    dtls_pair,
    dtls_server_context,
    dtls_step,
    move_datagram,
)
from tests.support.files import (
    ca_file,
    encrypted_key_file,
    files,
    identity_files,
    scratch_dir,
    unrelated_ca_file,
    write_files,
)
from tests.support.memory import (
    MAX_ROUNDS,
    End,
    HandshakeOutcome,
    OurEnd,
    close_pair,
    deliver,
    drain,
    handshake,
    handshake_pair,
    interact_in_memory,
    memory_pair,
    pump,
    read_all,
    read_exactly,
    run_handshake,
    transfer,
)
from tests.support.objects import ObjectEnd, handshaken_objects, object_pair
from tests.support.openssl_cli import (
    OPENSSL,
    VERSION_FLAG,
    OpenSSLProcess,
    identity_args,
    needs_openssl,
    rev_line,
    s_client,
    s_client_process,
    s_server,
    serve_once,
)
from tests.support.pki import PKI, Identity, PrivateKey, make_pki
from tests.support.processes import LoggedProcess
from tests.support.servers import (
    IO_TIMEOUT,
    BodyHandler,
    EchoServer,
    WhoAmIHandler,
    asyncio_tls_server,
    connect,
    https_server,
    stdlib,
)
from tests.support.sockets import (
    PEER_TIMEOUT,
    Background,
    accept_early_data,
    blocking_with_deadline,
    close_tracked,
    free_port,
    listener,
    loopback_tcp,
    recv_exactly,
    recv_line,
    socket_connection_pair,
    socket_pair,
    tls_client,
    track,
)

__all__ = [
    "DTLS_COOKIE",
    "IO_TIMEOUT",
    "MAX_ROUNDS",
    "OPENSSL",
    "PEER_TIMEOUT",
    "PKI",
    "PREFIX",
    "TIMEOUT",
    "VERSIONS",
    "VERSION_FLAG",
    "Background",
    "BodyHandler",
    "EchoServer",
    "End",
    "HandshakeOutcome",
    "Identity",
    "LoggedProcess",
    "ObjectEnd",
    "OpenSSLProcess",
    "OurEnd",
    "PrivateKey",
    "ServerProcess",
    "WhoAmIHandler",
    "accept_early_data",
    "assert_one_line_error",
    "asyncio_tls_server",
    "blocking_with_deadline",
    "ca_file",
    "client_context",
    "close_pair",
    "close_tracked",
    "connect",
    "deliver",
    "drain",
    "dtls_client_context",
    "dtls_finish_handshake",
    "dtls_handshake",
    "dtls_listen_exchange",
    "dtls_pair",
    "dtls_server_context",
    "dtls_step",
    "early_client_context",
    "early_server_context",
    "encrypted_key_file",
    "files",
    "free_port",
    "handshake",
    "handshake_pair",
    "handshaken_objects",
    "https_server",
    "identity_args",
    "identity_files",
    "interact_in_memory",
    "listener",
    "loopback_tcp",
    "make_pki",
    "memory_pair",
    "move_datagram",
    "needs_openssl",
    "object_pair",
    "openssl_client",
    "openssl_server",
    "present",
    "pump",
    "python_m_openssl",
    "read_all",
    "read_exactly",
    "reasons",
    "recv_exactly",
    "recv_line",
    "resident_kib",
    "rev_line",
    "run_client",
    "run_handshake",
    "run_main",
    "s_client",
    "s_client_process",
    "s_server",
    "scratch_dir",
    "serve_once",
    "server_args",
    "server_context",
    "server_process",
    "socket_connection_pair",
    "socket_pair",
    "ssl_client_context",
    "ssl_server_context",
    "stdlib",
    "tls_client",
    "track",
    "transfer",
    "unrelated_ca_file",
    "write_files",
]
