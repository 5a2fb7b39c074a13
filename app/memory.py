"""glibc's allocator in a long-running `serve` or `worker`: fewer arenas, free memory given
back.

grpc's threads, the use-case pool and the sweeps allocate concurrently, and glibc gives
threads that do so arenas of their own (up to 8 per core), each keeping the high-water of its
busiest moment. Both commands cap them at ARENAS before their threads start (unless the
operator chose with MALLOC_ARENA_MAX or GLIBC_TUNABLES, which glibc reads itself), and a
thread asks glibc every TRIM_EVERY_S to give the free pages of every arena back to the
system (`malloc_trim`), so the resident set follows what is live rather than the busiest
minute so far. Where the C library is not glibc both are no-ops.
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading

ARENAS = 2
TRIM_EVERY_S = 30.0
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The process's glibc, typed for the two calls made of it; None elsewhere."""
    try:
        os.confstr("CS_GNU_LIBC_VERSION")
        libc = ctypes.CDLL("libc.so.6")
    except (ValueError, OSError):
        return None
    libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    return libc


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's arenas for the threads yet to allocate; whether the cap was set here."""
    libc = _glibc()
    chosen = "MALLOC_ARENA_MAX" in os.environ or "arena" in os.environ.get("GLIBC_TUNABLES", "")
    if libc is None or chosen:
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, arenas))


def trim() -> bool:
    """Give free heap pages back to the system; whether glibc released any."""
    libc = _glibc()
    return libc is not None and bool(libc.malloc_trim(0))


class MemoryTrimmer:
    """`trim()` every `every_s` on a thread of its own, until stopped."""

    def __init__(self, every_s: float = TRIM_EVERY_S) -> None:
        self._every_s = every_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memory-trim", daemon=True)

    def start(self) -> MemoryTrimmer:
        if _glibc() is not None:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(5.0)

    def _loop(self) -> None:
        while not self._stopping.wait(self._every_s):
            trim()
