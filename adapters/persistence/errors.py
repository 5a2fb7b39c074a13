"""Library errors translated into the domain's: unavailable storage, busy locks, bad settings."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from domain.errors import LockTimeout, StorageUnavailable, ValidationFailed

PG_LOCK_NOT_AVAILABLE = "55P03"
SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class ConfigurationError(ValueError):
    """The operator gave a setting that cannot work; the message says what to do instead."""


@contextmanager
def translated(*, lock: bool = False) -> Iterator[None]:
    """Turn driver errors into StorageUnavailable; a lock wait that ran out into LockTimeout
    when `lock` (the caller asked for a row lock) and into StorageUnavailable otherwise."""
    try:
        yield
    except exc.TimeoutError as error:
        raise StorageUnavailable("no database connection is free; try again shortly") from error
    except exc.DBAPIError as error:
        if isinstance(error, exc.DataError) and "NUL (0x00)" in str(error.orig):
            # PostgreSQL text cannot hold NUL; such input names nothing we could have stored.
            raise ValidationFailed("text must not contain NUL characters") from error
        if is_busy(error):
            raise busy(lock=lock) from error
        if error.connection_invalidated or isinstance(
            error, exc.OperationalError | exc.InterfaceError
        ):
            raise StorageUnavailable("the database is unavailable") from error
        raise


def busy(*, lock: bool) -> LockTimeout | StorageUnavailable:
    """A lock wait that ran out: LockTimeout when the caller asked for a row lock."""
    if lock:
        return LockTimeout("the grant is locked by another refresh; try again")
    return StorageUnavailable("the database is busy; try again shortly")


def is_busy(error: exc.DBAPIError) -> bool:
    original = error.orig
    if getattr(original, "sqlstate", None) == PG_LOCK_NOT_AVAILABLE:
        return True
    code = getattr(original, "sqlite_errorcode", None)
    # Extended result codes (SQLITE_BUSY_SNAPSHOT, ...) carry the primary code in the low byte.
    return (
        isinstance(original, sqlite3.Error)
        and code is not None
        and code & 0xFF in (SQLITE_BUSY_CODES)
    )
