"""SQLite under SQLAlchemy: WAL, foreign keys, and our own BEGIN so a writer can ask IMMEDIATE.

pysqlite's own transaction handling would defer BEGIN until the first write and could not take
the write lock up front; with `isolation_level = None` the driver stays out of the way and the
`begin` hook emits `BEGIN` or `BEGIN IMMEDIATE` with the busy timeout the unit of work chose.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event

_BEGIN = "ledger_connect.begin"
_BUSY = "ledger_connect.busy_ms"  # the busy timeout the connection has now
PRAGMAS = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON")


def install(engine: Engine, busy_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (*PRAGMAS, f"PRAGMA busy_timeout = {busy_ms}"):
            cursor.execute(pragma)
        cursor.close()
        record.info[_BUSY] = busy_ms

    @event.listens_for(engine, "checkout")
    def _checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        record.info[_BEGIN] = (False, busy_ms)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate, wait_ms = conn.info.get(_BEGIN, (False, busy_ms))
        if conn.info.get(_BUSY) != int(wait_ms):  # one statement less on most transactions
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait_ms)}")
            conn.info[_BUSY] = int(wait_ms)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_mode(conn: Connection, *, immediate: bool, busy_ms: int) -> None:
    """How the connection's next transaction begins: deferred, or holding the write lock."""
    conn.info[_BEGIN] = (immediate, busy_ms)
