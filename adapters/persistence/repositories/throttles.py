"""Throttle buckets: a row per key digest, read under its row lock and written back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.persistence.tables import throttles
from adapters.persistence.transaction import Tx
from domain.ports import ThrottleStore
from domain.throttle import EMPTY, Bucket

# A new row's time: any moment long past reads as an empty bucket.
EMPTY_AT = datetime(2000, 1, 1, tzinfo=UTC)


class SqlThrottleStore(ThrottleStore):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def lock(self, key: str, timeout_s: float) -> Bucket:
        """Insert the row if it is missing (so there is a row to lock), then lock it."""
        insert = sqlite_insert(throttles) if self._tx.is_sqlite else pg_insert(throttles)
        empty = {"key": key, "level": 0.0, "at": EMPTY_AT, "empty_at": EMPTY_AT}
        self._tx.run(insert.values(empty).on_conflict_do_nothing(index_elements=["key"]))
        statement = select(throttles).where(throttles.c.key == key).with_for_update()
        rows = self._tx.locked_rows(statement, timeout_s)
        return Bucket(rows[0]["level"], rows[0]["at"]) if rows else EMPTY

    def save(self, key: str, bucket: Bucket, empty_at: datetime) -> None:
        statement = update(throttles).where(throttles.c.key == key)
        self._tx.run(statement.values(level=bucket.level, at=bucket.at, empty_at=empty_at))

    def delete(self, key: str) -> None:
        self._tx.run(delete(throttles).where(throttles.c.key == key))

    def purge(self, now: datetime) -> int:
        return self._tx.run(delete(throttles).where(throttles.c.empty_at < now)).rowcount
