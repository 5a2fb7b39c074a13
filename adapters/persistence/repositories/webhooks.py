"""Webhook cursors, leased with one conditional UPDATE, and the delivery log.

A claim is `UPDATE ... WHERE the lease is free, ended or ours RETURNING`: on PostgreSQL the
row lock makes a second claimer wait and then re-check the condition against the committed
row (READ COMMITTED), so two replicas never both win; SQLite has one writer. Every later write
of the cursor names its holder in the WHERE clause, so a replica that lost its lease (it hung
past it and another took over) writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.persistence.tables import webhook_cursors as cursors
from adapters.persistence.tables import webhook_deliveries as deliveries
from adapters.persistence.transaction import Tx
from domain.ports import WebhookRepository
from domain.webhooks import DeliveryOutcome, DeliveryQuery, DeliveryRecord, WebhookCursor

Row = Any


class SqlWebhookRepository(WebhookRepository):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def cursors(self) -> list[WebhookCursor]:
        rows = self._tx.rows(select(cursors).order_by(cursors.c.subscriber))
        return [_cursor(row) for row in rows]

    def start(self, subscriber: str, revision: int) -> None:
        insert_ = sqlite_insert if self._tx.is_sqlite else pg_insert
        values = {**_values(WebhookCursor(subscriber, revision)), "subscriber": subscriber}
        self._tx.run(insert_(cursors).values(values).on_conflict_do_nothing())

    def forget(self, subscriber: str) -> WebhookCursor | None:
        doomed = delete(cursors).where(cursors.c.subscriber == subscriber).returning(*cursors.c)
        row = self._tx.row(doomed)
        return None if row is None else _cursor(row)

    def claim(
        self, subscriber: str, holder: str, now: datetime, until: datetime
    ) -> WebhookCursor | None:
        free = or_(
            cursors.c.leased_by.is_(None),
            cursors.c.lease_until <= now,
            cursors.c.leased_by == holder,
        )
        statement = (
            update(cursors)
            .where(cursors.c.subscriber == subscriber, free)
            .values(leased_by=holder, lease_until=until)
            .returning(*cursors.c)
        )
        row = self._tx.row(statement)
        return None if row is None else _cursor(row)

    def save(self, cursor: WebhookCursor, holder: str, until: datetime) -> bool:
        statement = (
            update(cursors)
            .where(cursors.c.subscriber == cursor.subscriber, cursors.c.leased_by == holder)
            .values(**_values(cursor), lease_until=until)
        )
        return int(self._tx.run(statement).rowcount) == 1

    def release(self, subscriber: str, holder: str) -> None:
        self._tx.run(
            update(cursors)
            .where(cursors.c.subscriber == subscriber, cursors.c.leased_by == holder)
            .values(leased_by=None, lease_until=None)
        )

    def enable(self, subscriber: str) -> WebhookCursor | None:
        self._tx.writing()  # read and rewrite under the write lock (SQLite)
        row = self._tx.row(select(cursors).where(cursors.c.subscriber == subscriber))
        if row is None:
            return None
        enabled = _cursor(row).enabled()
        self._tx.run(
            update(cursors).where(cursors.c.subscriber == subscriber).values(**_values(enabled))
        )
        return enabled

    def held_through(self) -> int | None:
        statement = select(func.min(cursors.c.delivered_through)).where(
            cursors.c.disabled_at.is_(None)
        )
        held = self._tx.run(statement).scalar_one_or_none()
        return None if held is None else int(held)

    def log(self, record: DeliveryRecord) -> None:
        self._tx.run(insert(deliveries).values(_record_values(record)))

    def deliveries(self, query: DeliveryQuery) -> list[DeliveryRecord]:
        statement = select(deliveries).order_by(deliveries.c.id.desc()).limit(query.limit)
        if query.subscriber:
            statement = statement.where(deliveries.c.subscriber == query.subscriber)
        if query.binding_id:
            statement = statement.where(deliveries.c.binding_id == query.binding_id)
        if query.outcomes:
            statement = statement.where(
                deliveries.c.outcome.in_(sorted(o.value for o in query.outcomes))
            )
        if query.since is not None:
            statement = statement.where(deliveries.c.at >= query.since)
        return [_record(row) for row in self._tx.rows(statement)]

    def purge_log(self, before: datetime) -> int:
        return int(self._tx.run(delete(deliveries).where(deliveries.c.at < before)).rowcount)


def _values(cursor: WebhookCursor) -> dict[str, Any]:
    return {
        "delivered_through": cursor.delivered_through,
        "failures": cursor.failures,
        "failing_since": cursor.failing_since,
        "next_attempt_at": cursor.next_attempt_at,
        "disabled_at": cursor.disabled_at,
        "disabled_reason": cursor.disabled_reason,
    }


def _cursor(row: Row) -> WebhookCursor:
    return WebhookCursor(
        subscriber=row["subscriber"],
        delivered_through=int(row["delivered_through"]),
        failures=int(row["failures"]),
        failing_since=row["failing_since"],
        next_attempt_at=row["next_attempt_at"],
        disabled_at=row["disabled_at"],
        disabled_reason=row["disabled_reason"],
    )


def _record_values(record: DeliveryRecord) -> dict[str, Any]:
    return {
        "subscriber": record.subscriber,
        "outcome": record.outcome.value,
        "at": record.at,
        "revision": record.revision,
        "webhook_id": record.webhook_id,
        "binding_id": record.binding_id,
        "kind": record.kind,
        "attempt": record.attempt,
        "http_status": record.http_status,
        "error": record.error,
        "seconds": record.seconds,
    }


def _record(row: Row) -> DeliveryRecord:
    return DeliveryRecord(
        subscriber=row["subscriber"],
        outcome=DeliveryOutcome(row["outcome"]),
        at=row["at"],
        revision=int(row["revision"]),
        webhook_id=row["webhook_id"],
        binding_id=row["binding_id"],
        kind=row["kind"],
        attempt=int(row["attempt"]),
        http_status=row["http_status"],
        error=row["error"],
        seconds=float(row["seconds"]),
        id=int(row["id"]),
    )
