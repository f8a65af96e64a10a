"""``SSLObject`` ends: the standard library's or ``ssl_compat``'s, on memory BIOs.

:class:`ObjectEnd` wraps one ``SSLContext.wrap_bio`` object with its two
``MemoryBIO``s and speaks the :class:`~tests.support.memory.End` interface,
so :func:`~tests.support.memory.handshake`, ``deliver`` and ``read_exactly``
drive it against another ``ObjectEnd`` or against an ``OpenSSL.SSL``
:class:`~tests.support.memory.OurEnd`. :func:`object_pair` makes the usual
client/server pair, :func:`handshaken_objects` the same after the handshake.
"""

from __future__ import annotations

import ssl
from typing import Any, Optional

from tests.support.memory import handshake

__all__ = ["ObjectEnd", "handshaken_objects", "object_pair"]


def _bio_type(ctx: Any) -> Any:
    from OpenSSL import ssl_compat

    # The stdlib's SSLObject only takes its own MemoryBIO; ssl_compat's
    # SSLContext subclasses ssl.SSLContext, so test for it first.
    return (
        ssl_compat.MemoryBIO
        if isinstance(ctx, ssl_compat.SSLContext)
        else ssl.MemoryBIO
    )


class ObjectEnd:
    """One ``SSLObject`` with its incoming and outgoing ``MemoryBIO``.

    ``obj`` is the SSLObject, ``in_bio``/``out_bio`` its BIOs. *bio_type*
    defaults to the context's own module's ``MemoryBIO``.
    """

    def __init__(
        self,
        ctx: Any,
        *,
        server_side: bool,
        server_hostname: Optional[str] = None,
        session: Any = None,
        bio_type: Any = None,
    ) -> None:
        make_bio = bio_type if bio_type is not None else _bio_type(ctx)
        self.in_bio = make_bio()
        self.out_bio = make_bio()
        self.obj = ctx.wrap_bio(
            self.in_bio,
            self.out_bio,
            server_side=server_side,
            server_hostname=server_hostname,
            session=session,
        )

    @classmethod
    def around(cls, obj: Any, in_bio: Any, out_bio: Any) -> ObjectEnd:
        """The end of an SSLObject the test made itself over *in_bio*/*out_bio*."""
        end = cls.__new__(cls)
        end.obj, end.in_bio, end.out_bio = obj, in_bio, out_bio
        return end

    def step_handshake(self) -> bool:
        try:
            self.obj.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return False
        return True

    def outgoing(self) -> bytes:
        data: bytes = self.out_bio.read()
        return data

    def incoming(self, data: bytes) -> None:
        if data:
            self.in_bio.write(data)

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self.obj.write(view) :]

    def recv(self, size: int) -> Optional[bytes]:
        """Up to *size* bytes, or None when nothing is there yet."""
        try:
            data: bytes = self.obj.read(size)
        except ssl.SSLWantReadError:
            return None
        return data

    def close_notify(self) -> None:
        """Send close_notify (the answer is not awaited)."""
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass


def object_pair(
    client_ctx: Any,
    server_ctx: Any,
    *,
    server_hostname: Optional[str] = "localhost",
    session: Any = None,
    client_bio: Any = None,
    server_bio: Any = None,
) -> tuple[ObjectEnd, ObjectEnd]:
    """``(client, server)`` ``ObjectEnd``s of the two contexts, no I/O done.

    *client_bio*/*server_bio* are the ``MemoryBIO`` types of each end
    (default: the one of the end's context's module).
    """
    client = ObjectEnd(
        client_ctx,
        server_side=False,
        server_hostname=server_hostname,
        session=session,
        bio_type=client_bio,
    )
    return client, ObjectEnd(server_ctx, server_side=True, bio_type=server_bio)


def handshaken_objects(
    client_ctx: Any, server_ctx: Any, **options: Any
) -> tuple[ObjectEnd, ObjectEnd]:
    """:func:`object_pair` (same *options*) followed by the one handshake."""
    client, server = object_pair(client_ctx, server_ctx, **options)
    handshake(client, server)
    return client, server
