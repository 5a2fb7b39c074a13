"""`credential_reads`: the audit's rows, one per day, caller and binding (DESIGN §13).

A flush is one short transaction of its own: one upsert statement, sent for many rows at
once, that adds the flushed count to the stored one and keeps the earliest first read and
the latest last read, so replicas flushing the same rows merge instead of overwriting. Rows
go in key order, so two replicas' flushes lock them in the same order on PostgreSQL and
never deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Executable, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.persistence.database import Database
from adapters.persistence.tables import credential_reads as table
from adapters.persistence.transaction import Tx
from domain.ports import CredentialReadLog
from domain.reads import CredentialReads

KEYS = ("day", "caller", "binding_id")
BATCH = 500


class SqlCredentialReadLog(CredentialReadLog):
    def __init__(self, database: Database) -> None:
        self._database = database
        self._sqlite = database.is_sqlite
        self._upsert = _upsert(self._sqlite)

    def add(self, reads: Sequence[CredentialReads]) -> None:
        rows = [_params(r) for r in sorted(reads, key=lambda r: r.key)]
        if not rows:
            return
        tx = self._tx()
        try:
            tx.writing()
            for start in range(0, len(rows), BATCH):
                tx.run_many(self._upsert, rows[start : start + BATCH])
            tx.commit()
        finally:
            tx.close()

    def query(
        self,
        *,
        since: date,
        binding_id: str | None = None,
        caller: str | None = None,
        limit: int = 1000,
    ) -> list[CredentialReads]:
        statement = select(table).where(table.c.day >= since)
        if binding_id is not None:
            statement = statement.where(table.c.binding_id == binding_id)
        if caller is not None:
            statement = statement.where(table.c.caller == caller)
        statement = statement.order_by(
            table.c.day.desc(), table.c.count.desc(), table.c.caller, table.c.binding_id
        ).limit(limit)
        tx = self._tx()
        try:
            return [_reads(row) for row in tx.rows(statement)]
        finally:
            tx.close()

    def _tx(self) -> Tx:
        return Tx.on(self._database)


def _upsert(sqlite: bool) -> Executable:
    """Sent with many rows' parameters at once (executemany)."""
    statement = sqlite_insert(table) if sqlite else pg_insert(table)
    earliest, latest = (func.min, func.max) if sqlite else (func.least, func.greatest)
    merged: dict[str, ColumnElement[object]] = {
        "count": table.c.count + statement.excluded.count,
        "first_at": earliest(table.c.first_at, statement.excluded.first_at),
        "last_at": latest(table.c.last_at, statement.excluded.last_at),
    }
    return statement.on_conflict_do_update(index_elements=list(KEYS), set_=merged)


def _params(reads: CredentialReads) -> dict[str, Any]:
    return {
        "day": reads.day,
        "caller": reads.caller,
        "binding_id": reads.binding_id,
        "count": reads.count,
        "first_at": reads.first_at,
        "last_at": reads.last_at,
    }


def _reads(row: object) -> CredentialReads:
    values = dict(row)  # type: ignore[call-overload]
    return CredentialReads(
        values["day"],
        values["caller"],
        values["binding_id"],
        int(values["count"]),
        values["first_at"],
        values["last_at"],
    )
