"""GetFreshToken's cache miss: one prepared, autocommit read by primary key and one decryption.

A unit of work would cost the miss a pool checkout with a SQLAlchemy connection, a BEGIN (on
SQLite also a PRAGMA), the compiled Core statement and its row processing, and a ROLLBACK
when it ends: three to four statements for one row. Here the read has its own small pool
of autocommit DBAPI connections (never in a transaction, so nothing to roll back when one is
returned) and sends one statement: on PostgreSQL a server-side prepared one (psycopg
`prepare=True`), on SQLite one from the connection's statement cache, in WAL mode so it never
waits on a writer. It sees the last committed row, which is all the fast path promises.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine

from adapters.persistence import sqlite
from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.errors import translated
from adapters.persistence.mappers.grant import TABLE
from domain.errors import StorageUnavailable
from domain.grant import TokenView
from domain.ports import TokenViews
from domain.values import BindingStatus, Environment

COLUMNS = (
    "SELECT b.status, b.xero_tenant_id, g.environment, g.access_token, g.access_expires_at, "
    "g.next_retry_at FROM bindings b JOIN grants g ON g.binding_id = b.id "
    "WHERE b.id = {} AND b.xero_tenant_id IS NOT NULL"
)
POSTGRES_SQL = COLUMNS.format("%s")
SQLITE_SQL = COLUMNS.format("?")


class SqlTokenViews(TokenViews):
    def __init__(self, database: Database, sealer: Sealer, pool_size: int = 8) -> None:
        self._sealer = sealer
        self._sqlite = database.is_sqlite
        self._sql = SQLITE_SQL if self._sqlite else POSTGRES_SQL
        self._engine = _autocommit_engine(database, pool_size)
        self._driver_error: type[Exception] = self._engine.dialect.loaded_dbapi.Error

    def view(self, binding_id: str) -> TokenView | None:
        try:
            row = self._read(binding_id)
        except self._driver_error:
            # A pooled connection may have died since its last use (the database restarted,
            # a proxy cut it): it is dropped, and one more try takes a new one.
            try:
                row = self._read(binding_id)
            except self._driver_error as error:
                raise StorageUnavailable("the database is unavailable") from error
        return view_of(row, binding_id, self._sealer)

    def _read(self, binding_id: str) -> Any:
        """One row, or None; a raw DBAPI error invalidates the connection it met."""
        with translated():
            conn = self._engine.raw_connection()
        try:
            cursor = conn.cursor()
            if self._sqlite:
                cursor.execute(self._sql, (binding_id,))
            else:
                cursor.execute(self._sql, (binding_id,), prepare=True)  # type: ignore[call-arg]
            row = cursor.fetchone()
            cursor.close()
        except self._driver_error:
            conn.invalidate()
            raise
        finally:
            conn.close()
        return row

    def dispose(self) -> None:
        self._engine.dispose()


def view_of(row: Sequence[Any] | None, binding_id: str, sealer: Sealer) -> TokenView | None:
    """The view of one row of `COLUMNS` (any driver's), its token opened."""
    if row is None:
        return None
    status, tenant_id, environment, sealed, expires_at, retry_at = row
    return TokenView(
        binding_id=binding_id,
        status=BindingStatus(status),
        tenant_id=tenant_id,
        environment=Environment(environment),
        access_token=sealer.open(sealed, TABLE, "access_token", binding_id),
        access_expires_at=_utc(expires_at),
        next_retry_at=_utc(retry_at) if retry_at is not None else None,
    )


def _autocommit_engine(database: Database, pool_size: int) -> Engine:
    """A pool of its own: autocommit connections, so returning one needs no ROLLBACK."""
    engine = create_engine(
        database.url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_reset_on_return=None,
        isolation_level="AUTOCOMMIT",
        **database.connect_options(),
    )
    if database.is_sqlite:
        sqlite.install(engine, database.busy_timeout_ms)
    return engine


def _utc(value: Any) -> datetime:
    """SQLite hands back the naive UTC text the column type wrote; PostgreSQL a timestamptz."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
