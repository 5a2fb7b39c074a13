"""One unit of work's connection: translated errors, and how writes and row locks begin (§5).

PostgreSQL runs READ COMMITTED; a row lock is `SELECT ... FOR UPDATE` under `SET LOCAL
lock_timeout`. SQLite has one writer at a time: reads run in a deferred transaction, and the
first write or lock of a unit of work ends that read snapshot and begins `BEGIN IMMEDIATE`,
waiting up to the busy timeout for the write lock, so writes see the latest committed rows as
under READ COMMITTED. (Upgrading the read transaction in place would fail at once with
SQLITE_BUSY whenever another writer committed since it began.)

Write mode is structural: every INSERT, UPDATE or DELETE that `run` executes enters it first,
so no repository write can forget it. `writing()` stays for a write that must hold the lock
before its statement runs (the outbox stages events at `add` and inserts them at commit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, CursorResult, Executable, RowMapping, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.persistence import sqlite
from adapters.persistence.errors import translated
from domain.errors import StorageUnavailable


class Tx:
    def __init__(self, conn: Connection, *, sqlite_busy_ms: int | None) -> None:
        """`sqlite_busy_ms` is None for PostgreSQL."""
        self._conn = conn
        self._busy_ms = sqlite_busy_ms
        self._immediate = False

    @property
    def is_sqlite(self) -> bool:
        return self._busy_ms is not None

    def run(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> CursorResult[Any]:
        """`parameters`: the values of a statement built once without them."""
        if statement.is_dml:
            self.writing()
        with translated():
            return self._conn.execute(statement, parameters)

    def run_many(self, statement: Executable, parameters: list[dict[str, Any]]) -> None:
        """One statement for many rows (executemany)."""
        if statement.is_dml:
            self.writing()
        with translated():
            self._conn.execute(statement, parameters)

    def rows(self, statement: Executable) -> list[RowMapping]:
        return list(self.run(statement).mappings())

    def row(self, statement: Executable) -> RowMapping | None:
        return self.run(statement).mappings().first()

    def writing(self) -> None:
        """Enter write mode now: on SQLite take the write lock (or wait for it). Every DML
        statement through `run` does this itself; call it only to lock earlier than that."""
        if self._busy_ms is not None and not self._immediate:
            self._begin_immediate(self._busy_ms, lock=False)

    def locked_rows(self, statement: Executable, timeout_s: float | None) -> list[RowMapping]:
        """Run a locking SELECT, waiting at most `timeout_s` for the lock (else LockTimeout);
        None waits as long as any write would."""
        if self._busy_ms is not None:
            if not self._immediate:
                wait_ms = self._busy_ms if timeout_s is None else _ms(timeout_s)
                self._begin_immediate(wait_ms, lock=True)
            return self.rows(statement)
        with translated(lock=True):
            if timeout_s is not None:
                self._conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{_ms(timeout_s)}ms'")
            return list(self._conn.execute(statement).mappings())

    def upsert(self, table: Table, values: Mapping[str, Any], keys: Iterable[str]) -> None:
        keys = tuple(keys)
        insert = sqlite_insert(table) if self.is_sqlite else pg_insert(table)
        statement = insert.values(dict(values))
        updates = {name: statement.excluded[name] for name in values if name not in keys}
        self.run(statement.on_conflict_do_update(index_elements=keys, set_=updates))

    def commit(self) -> None:
        with translated():
            self._conn.commit()
        self._deferred()

    def rollback(self) -> None:
        with translated():
            self._conn.rollback()
        self._deferred()

    def close(self, *, quiet: bool = False) -> None:
        """Roll back what is uncommitted and return the connection to the pool."""
        try:
            with translated():
                self._conn.close()
        except StorageUnavailable:
            if not quiet:
                raise

    def _begin_immediate(self, busy_ms: int, *, lock: bool) -> None:
        if self._conn.in_transaction():
            self.rollback()
        sqlite.begin_mode(self._conn, immediate=True, busy_ms=busy_ms)
        with translated(lock=lock):
            self._conn.begin()
        self._immediate = True

    def _deferred(self) -> None:
        if self._busy_ms is not None and self._immediate:
            sqlite.begin_mode(self._conn, immediate=False, busy_ms=self._busy_ms)
        self._immediate = False


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
