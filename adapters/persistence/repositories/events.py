"""The outbox of binding events, numbered with gapless revisions in commit order.

Why not a sequence or an autoincrement id: on PostgreSQL a sequence value is taken when the
row is inserted, long before commit, so revision 41 can become visible after 42 has been
read, and a watcher resuming "after 42" would skip 41 for ever (DESIGN §12). Instead every
transaction that wrote events takes its revisions, just before it commits, from a single row
(`event_revision`) with `UPDATE ... RETURNING`. The row lock that UPDATE takes is held until
the transaction ends, so the next writer waits for it and reads the committed counter:
revisions are handed out in commit order, a rollback returns its numbers, and a reader that
sees revision N can already see every revision below it. The lock is held only for the
inserts and the commit (events are staged in memory until then), never across a Xero call,
so writers queue for well under a millisecond each. PostgreSQL's `NOTIFY` in the same
transaction wakes the replicas' watchers when (and only if) it commits. SQLite has one writer
at a time anyway; the same counter keeps the two backends alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.persistence.mappers.records import event_from
from adapters.persistence.tables import binding_events as events
from adapters.persistence.tables import bindings, event_revision
from adapters.persistence.transaction import Tx
from domain.errors import NotFound
from domain.events import BindingEvent
from domain.ports import EventLog

NOTIFY_CHANNEL = "ledger_events"
COUNTER = event_revision.c.id == 1


class SqlEventLog(EventLog):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._staged: list[BindingEvent] = []

    def add(self, event: BindingEvent) -> None:
        self._tx.writing()
        self._staged.append(event)

    def before_commit(self) -> None:
        """Number the staged events and insert them, last thing before the commit."""
        staged, self._staged = self._staged, []
        if not staged:
            return
        last = self._tx.run(_bump(self._tx.is_sqlite, len(staged))).scalar_one()
        for revision, event in enumerate(staged, start=last - len(staged) + 1):
            if self._tx.row(_insert(event, revision)) is None:
                raise NotFound("an event names a binding that does not exist")
        if not self._tx.is_sqlite:
            self._tx.run(select(func.pg_notify(NOTIFY_CHANNEL, str(last))))

    def discard(self) -> None:
        self._staged = []

    def for_binding(self, binding_id: str, limit: int = 200) -> list[BindingEvent]:
        """The newest `limit` events, newest first."""
        statement = (
            select(events)
            .where(events.c.binding_id == binding_id)
            .order_by(events.c.revision.desc())
            .limit(limit)
        )
        return [event_from(row) for row in self._tx.rows(statement)]

    def revision(self) -> int:
        statement = select(event_revision.c.revision).where(COUNTER)
        return int(self._tx.run(statement).scalar_one_or_none() or 0)

    def compacted_through(self) -> int:
        statement = select(event_revision.c.compacted_through).where(COUNTER)
        return int(self._tx.run(statement).scalar_one_or_none() or 0)

    def after(self, revision: int, limit: int) -> list[BindingEvent]:
        statement = (
            select(events)
            .where(events.c.revision > revision)
            .order_by(events.c.revision)
            .limit(limit)
        )
        return [event_from(row) for row in self._tx.rows(statement)]

    def compact(self, older_than: datetime, limit: int, keep_after: int | None = None) -> int:
        oldest = select(events.c.revision).order_by(events.c.revision).limit(limit).subquery()
        through = self._tx.run(
            select(func.max(events.c.revision)).where(
                events.c.revision.in_(select(oldest.c.revision)), events.c.at < older_than
            )
        ).scalar_one()
        if through is None:
            return 0
        # A prefix only: an event written late with an old timestamp waits for its turn.
        first_kept = self._tx.run(
            select(func.min(events.c.revision)).where(events.c.at >= older_than)
        ).scalar_one()
        if first_kept is not None:
            through = min(through, first_kept - 1)
        if keep_after is not None:
            through = min(through, keep_after)
        removed = self._tx.run(delete(events).where(events.c.revision <= through)).rowcount
        self._tx.run(
            update(event_revision)
            .where(COUNTER, event_revision.c.compacted_through < through)
            .values(compacted_through=through)
        )
        return int(removed)


def _bump(is_sqlite: bool, count: int):  # type: ignore[no-untyped-def]
    """Take `count` revisions: `UPDATE ... RETURNING` as an upsert, so an emptied table (the
    tests truncate) starts again at 1 instead of failing."""
    insert_ = sqlite_insert if is_sqlite else pg_insert
    statement = insert_(event_revision).values(id=1, revision=count, compacted_through=0)
    return statement.on_conflict_do_update(
        index_elements=["id"], set_={"revision": event_revision.c.revision + count}
    ).returning(event_revision.c.revision)


def _insert(event: BindingEvent, revision: int):  # type: ignore[no-untyped-def]
    """Stamp the event with its binding's account and status as this transaction leaves it."""
    source = select(
        literal(revision),
        bindings.c.id,
        bindings.c.account_id,
        bindings.c.status,
        literal(event.kind.value),
        literal(event.reason),
        literal(event.at, type_=events.c.at.type),
    ).where(bindings.c.id == event.binding_id)
    columns = ["revision", "binding_id", "account_id", "status", "kind", "reason", "at"]
    return insert(events).from_select(columns, source).returning(events.c.revision)
