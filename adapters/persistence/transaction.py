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

import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, CursorResult, Executable, RowMapping, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.persistence import sqlite
from adapters.persistence.errors import busy, translated
from domain.errors import StorageUnavailable

if TYPE_CHECKING:
    from adapters.persistence.database import Database


QUEUE_SLACK_MS = 50


class Tx:
    def __init__(
        self,
        conn: Connection,
        *,
        sqlite_busy_ms: int | None,
        writers: threading.Lock | None = None,
    ) -> None:
        """`sqlite_busy_ms` is None for PostgreSQL; `writers`, the process's SQLite write
        lock (`Database.sqlite_writers`), held from BEGIN IMMEDIATE to its end."""
        self._conn = conn
        self._busy_ms = sqlite_busy_ms
        self._writers = writers
        self._holding = False
        self._immediate = False

    @classmethod
    def on(cls, database: Database) -> Tx:
        """A transaction on a new connection of `database`'s pool."""
        busy_ms = database.busy_timeout_ms if database.is_sqlite else None
        return cls(database.connect(), sqlite_busy_ms=busy_ms, writers=database.sqlite_writers)

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
        try:
            with translated():
                self._conn.commit()
        finally:
            self._deferred()

    def rollback(self) -> None:
        try:
            with translated():
                self._conn.rollback()
        finally:
            self._deferred()

    def close(self, *, quiet: bool = False) -> None:
        """Roll back what is uncommitted and return the connection to the pool."""
        try:
            with translated():
                self._conn.close()
        except StorageUnavailable:
            if not quiet:
                raise
        finally:
            self._let_writers_go()

    def _begin_immediate(self, busy_ms: int, *, lock: bool) -> None:
        if self._conn.in_transaction():
            self.rollback()
        started = time.monotonic()
        self._wait_for_writers(busy_ms, lock=lock)
        # One budget for both waits: what the queue took is not waited again in SQLite's
        # (a wait under QUEUE_SLACK_MS is let go: a changed timeout costs a PRAGMA).
        queued_ms = int((time.monotonic() - started) * 1000)
        left_ms = busy_ms if queued_ms < QUEUE_SLACK_MS else max(1, busy_ms - queued_ms)
        sqlite.begin_mode(self._conn, immediate=True, busy_ms=left_ms)
        try:
            with translated(lock=lock):
                self._conn.begin()
        except BaseException:
            self._let_writers_go()
            raise
        self._immediate = True

    def _wait_for_writers(self, busy_ms: int, *, lock: bool) -> None:
        """This process's writers queue on a lock of their own before SQLite's: a writer
        waiting in SQLite's busy handler polls, sleeping up to 100 ms between tries, and may
        lose every try to writers that come later (seen waiting out a 5 s busy timeout with
        16 of them), where one waiting here is woken when the lock is let go (not first come,
        first served: a thread that lets go and writes again may take it back first, but
        nobody sleeps through a free lock)."""
        if self._writers is None or self._holding:
            return
        if not self._writers.acquire(timeout=busy_ms / 1000):
            raise busy(lock=lock)
        self._holding = True

    def _let_writers_go(self) -> None:
        if self._holding:
            self._holding = False
            self._writers.release()  # type: ignore[union-attr]

    def _deferred(self) -> None:
        if self._busy_ms is not None and self._immediate:
            sqlite.begin_mode(self._conn, immediate=False, busy_ms=self._busy_ms)
        self._immediate = False
        self._let_writers_go()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
