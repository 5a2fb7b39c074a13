"""The append-only activity log of each binding."""

from __future__ import annotations

from sqlalchemy import insert, select

from adapters.persistence.mappers.records import event_from, event_row
from adapters.persistence.tables import binding_events as events
from adapters.persistence.transaction import Tx
from domain.events import BindingEvent
from domain.ports import EventLog


class SqlEventLog(EventLog):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, event: BindingEvent) -> None:
        self._tx.writing()
        self._tx.run(insert(events).values(event_row(event)))

    def for_binding(self, binding_id: str, limit: int = 200) -> list[BindingEvent]:
        """The newest `limit` events, newest first (ids grow with every append)."""
        statement = (
            select(events)
            .where(events.c.binding_id == binding_id)
            .order_by(events.c.id.desc())
            .limit(limit)
        )
        return [event_from(row) for row in self._tx.rows(statement)]
