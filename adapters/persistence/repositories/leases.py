"""Leases of the background sweeps: an upsert that only takes a lease that is free or ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.persistence.tables import leases
from adapters.persistence.transaction import Tx
from domain.ports import LeaseRepository


class SqlLeaseRepository(LeaseRepository):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def acquire(self, key: str, holder: str, now: datetime, until: datetime) -> bool:
        """One statement, so concurrent sweepers cannot both win: PostgreSQL locks the
        conflicting row for the `ON CONFLICT ... WHERE`; SQLite has one writer. A row comes
        back only when the insert or the update happened."""
        insert = sqlite_insert(leases) if self._tx.is_sqlite else pg_insert(leases)
        values = insert.values(key=key, holder=holder, expires_at=until)
        statement = values.on_conflict_do_update(
            index_elements=["key"],
            set_={"holder": values.excluded.holder, "expires_at": values.excluded.expires_at},
            where=leases.c.expires_at <= now,
        ).returning(leases.c.key)
        return self._tx.row(statement) is not None

    def release(self, key: str, holder: str) -> None:
        self._tx.run(delete(leases).where(leases.c.key == key, leases.c.holder == holder))

    def purge(self, ended_before: datetime) -> int:
        return self._tx.run(delete(leases).where(leases.c.expires_at < ended_before)).rowcount
