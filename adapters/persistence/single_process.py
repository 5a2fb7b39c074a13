"""SQLite serves one replica: `serve` holds an exclusive lock on `<dbfile>.lock` while it runs.

`fcntl.flock` locks belong to the open file, so the kernel drops them when the process dies:
no stale lock files to clean up after a crash. PostgreSQL needs no such lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from adapters.persistence.errors import ConfigurationError
from adapters.persistence.urls import sqlite_file


class AlreadyServing(ConfigurationError):
    """Another process serves the same SQLite file."""


class SingleProcessLock:
    """Held until `release()` (or the end of a `with` block, or the process)."""

    def __init__(self, fd: int | None = None, path: Path | None = None) -> None:
        self._fd = fd
        self.path = path

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> SingleProcessLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def hold_single_process_lock(database_url: str) -> SingleProcessLock:
    """Refuse to run when another process serves this SQLite file; a no-op for PostgreSQL."""
    database = sqlite_file(database_url)
    if database is None:
        return SingleProcessLock()
    path = database.with_name(database.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise AlreadyServing(
            f"another ledger-connect serve is using {database}; "
            "SQLite supports one replica — use PostgreSQL for several"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return SingleProcessLock(fd, path)
