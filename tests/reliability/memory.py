"""Readings of a process's memory: the C heap in use and the resident size.

The leak checks need the C heap, not just the resident size: OpenSSL
allocates with ``malloc``, and glibc keeps freed pages, so the resident size
moves in page- and arena-sized steps while ``mallinfo2`` counts every byte
handed out and not given back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from typing import Any, Callable, Optional

__all__ = ["Memory", "heap_in_use"]


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


class _Mallinfo(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int) for name, _ in _Mallinfo2._fields_]


class Memory:
    """RSS and glibc heap readings, with the reason when one is unavailable."""

    def __init__(self) -> None:
        self.heap_reason = ""
        self._mallinfo: Optional[Callable[[], Any]] = None
        self._trim: Optional[Callable[[int], int]] = None
        libc_name = ctypes.util.find_library("c")
        try:
            libc = ctypes.CDLL(libc_name)
        except OSError as exc:
            self.heap_reason = f"no C library to ask ({exc})"
            return
        for name, struct in (("mallinfo2", _Mallinfo2), ("mallinfo", _Mallinfo)):
            function = getattr(libc, name, None)
            if function is not None:
                function.restype = struct
                function.argtypes = []
                self._mallinfo = function
                break
        else:
            self.heap_reason = f"{libc_name} has neither mallinfo2 nor mallinfo"
        trim = getattr(libc, "malloc_trim", None)
        if trim is not None:
            trim.restype = ctypes.c_int
            trim.argtypes = [ctypes.c_size_t]
            self._trim = trim

    def settle(self) -> None:
        """Collect garbage and give free heap pages back, before a reading."""
        gc.collect()
        if self._trim is not None:
            self._trim(0)

    def heap(self) -> Optional[int]:
        """Bytes malloc has handed out and not had back, or None."""
        if self._mallinfo is None:
            return None
        info = self._mallinfo()
        return int(info.uordblks) + int(info.hblkhd)

    def rss(self) -> Optional[int]:
        """The resident set size in bytes, or None off Linux."""
        try:
            with open("/proc/self/statm") as statm:
                pages = int(statm.read().split()[1])
        except (OSError, ValueError, IndexError):
            return None
        return pages * os.sysconf("SC_PAGE_SIZE")


_memory: Optional[Memory] = None


def heap_in_use() -> int:
    """The C heap in use (``mallinfo2``), or the resident size without it."""
    global _memory
    if _memory is None:
        _memory = Memory()
    heap = _memory.heap()
    if heap is None:
        heap = _memory.rss() or 0
    return heap
