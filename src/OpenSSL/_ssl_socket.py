"""The socket calls a socket-mode ``Connection`` hands on to its socket.

A ``Connection`` made with a socket has always answered the socket's own
methods: pyOpenSSL passes every name it lacks to the socket (attribute
fall-through), and its first documentation listed ``bind``, ``listen``,
``fileno``, ``getpeername`` and the rest as ``Connection`` methods. The ones
code actually calls are written out here, so that ``dir()``, editors and
type checkers see them; they do nothing but call the socket. Any other name
still falls through (see ``_with_socket_attributes`` in ``_ssl_connection``).

Names that TLS already uses keep their TLS meaning: ``shutdown`` sends
close_notify (the socket's is :meth:`sock_shutdown`), ``send``/``recv`` move
application data, ``connect``/``accept`` also set up the TLS role.

A memory-BIO ``Connection`` has no socket, and there these methods do not
exist: reading one raises ``AttributeError`` and ``hasattr`` is false,
exactly as with pyOpenSSL, whose fall-through has nothing to fall to.
"""

from __future__ import annotations

import types
from typing import Any, Callable, TypeVar, Union, cast, overload

__all__ = ["NoSocketError", "SocketMethods"]

_F = TypeVar("_F", bound=Callable[..., Any])

# What socket.setsockopt takes as a value: an int or a bytes-like object.
_OptionValue = Union[int, bytes, bytearray, memoryview]


class NoSocketError(TypeError, AttributeError):
    """A socket call on a memory-BIO Connection, which has no socket.

    A ``TypeError`` (this project's answer to calling a socket-mode method
    in the wrong mode) that is also the ``AttributeError`` pyOpenSSL raises
    there (its ``None`` socket has no such attribute), so handlers written
    for either keep working.
    """


class _SocketOnly:
    """A method that exists only on a Connection that has a socket.

    Read from the class it is the plain function (for autodoc and
    ``inspect``); read from a memory-BIO instance it raises
    ``AttributeError``, so ``hasattr(conn, "fileno")`` tells the modes apart
    as it always has.
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function
        self._name = function.__name__
        self.__doc__ = function.__doc__
        self.__wrapped__ = function

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self._function
        if instance._socket is None:
            raise AttributeError(
                f"'{type(instance).__name__}' object has no attribute "
                f"'{self._name}' (a memory-BIO Connection has no socket)"
            )
        return types.MethodType(self._function, instance)


def _socket_only(function: _F) -> _F:
    # Typed as the function itself: to type checkers these are plain methods.
    return cast(_F, _SocketOnly(function))


class SocketMethods:
    """Socket-mode ``Connection`` methods that call the wrapped socket."""

    _socket: Any

    @_socket_only
    def bind(self, address: Any) -> None:
        """Bind the socket to *address* (``socket.bind``)."""
        self._socket.bind(address)

    @_socket_only
    def listen(self, backlog: int | None = None) -> None:
        """Make the socket a listening one (``socket.listen``).

        Accept connections with :meth:`accept`, which sets each up for TLS.
        """
        if backlog is None:
            self._socket.listen()
        else:
            self._socket.listen(backlog)

    @_socket_only
    def fileno(self) -> int:
        """The socket's file descriptor (``socket.fileno``)."""
        return self._socket.fileno()  # type: ignore[no-any-return]

    @_socket_only
    def getpeername(self) -> Any:
        """The address of the socket's peer (``socket.getpeername``)."""
        return self._socket.getpeername()

    @_socket_only
    def getsockname(self) -> Any:
        """The socket's own address (``socket.getsockname``)."""
        return self._socket.getsockname()

    @overload
    def getsockopt(self, level: int, optname: int) -> int: ...
    @overload
    def getsockopt(self, level: int, optname: int, buflen: int) -> bytes: ...

    @_socket_only
    def getsockopt(
        self, level: int, optname: int, buflen: int | None = None
    ) -> int | bytes:
        """Read a socket option (``socket.getsockopt``)."""
        if buflen is None:
            return self._socket.getsockopt(level, optname)  # type: ignore[no-any-return]
        return self._socket.getsockopt(level, optname, buflen)  # type: ignore[no-any-return]

    @overload
    def setsockopt(self, level: int, optname: int, value: _OptionValue) -> None: ...
    @overload
    def setsockopt(
        self, level: int, optname: int, value: None, optlen: int
    ) -> None: ...

    @_socket_only
    def setsockopt(
        self,
        level: int,
        optname: int,
        value: _OptionValue | None,
        optlen: int | None = None,
    ) -> None:
        """Set a socket option (``socket.setsockopt``)."""
        if optlen is None:
            self._socket.setsockopt(level, optname, value)
        else:
            self._socket.setsockopt(level, optname, value, optlen)

    @_socket_only
    def setblocking(self, flag: bool) -> None:
        """Make the socket blocking or not (``socket.setblocking``).

        On a non-blocking socket, I/O that cannot finish at once raises
        :class:`WantReadError` or :class:`WantWriteError`: retry the same
        call when the socket is ready.
        """
        self._socket.setblocking(flag)

    @_socket_only
    def getblocking(self) -> bool:
        """Whether the socket is blocking (``socket.getblocking``)."""
        return self._socket.getblocking()  # type: ignore[no-any-return]

    @_socket_only
    def settimeout(self, value: float | None) -> None:
        """Set the socket's timeout (``socket.settimeout``).

        OpenSSL does its own I/O on the descriptor, which is non-blocking
        under a timeout: a TLS call that would wait raises
        :class:`WantReadError` / :class:`WantWriteError` instead of waiting.
        """
        self._socket.settimeout(value)

    @_socket_only
    def gettimeout(self) -> float | None:
        """The socket's timeout (``socket.gettimeout``)."""
        return self._socket.gettimeout()  # type: ignore[no-any-return]

    @_socket_only
    def close(self) -> None:
        """Close the socket (``socket.close``).

        This sends no close_notify: for a clean TLS close call
        :meth:`shutdown` first.
        """
        self._socket.close()
