"""List-then-watch on real databases: pages and their revision, the outbox read after a
revision, the pump feeding a sink; and on PostgreSQL the LISTEN that hears another
connection's commit, and hears again after its connection was killed."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import text

from adapters.persistence.database import Database
from adapters.persistence.listener import PgEventListener
from adapters.persistence.uow import SqlUnitOfWorkFactory
from domain.errors import RevisionCompacted
from domain.events import BindingEvent, EventFilter
from domain.usecases.watch import EventPump, EventReader, ListBindings
from domain.values import EventKind
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0
from tests.integration.persistence.markers import postgres_only

HEARD_WITHIN_S = 30.0  # a deadline for a loaded machine, not a latency claim


def change(uow: SqlUnitOfWorkFactory, binding_id: str = "b-1", n: int = 0) -> None:
    with uow() as u:
        u.events.add(
            BindingEvent(binding_id, EventKind.SETTINGS_CHANGED, f"change {n}", T0 + timedelta(n))
        )
        u.commit()


class TestListAndRead:
    def test_a_page_reflects_the_revision_it_reports(self, uow: SqlUnitOfWorkFactory) -> None:
        b.store(uow, *(b.binding(f"b-{n}", url=f"https://s{n}.example.com") for n in range(3)))
        change(uow, "b-0")
        page = ListBindings(uow)("", 2, EventFilter())
        assert [x.id for x in page.bindings] == ["b-0", "b-1"] and page.last_id == "b-1"
        assert page.revision == 1
        rest = ListBindings(uow)(page.last_id, 2, EventFilter())
        assert [x.id for x in rest.bindings] == ["b-2"] and rest.last_id == ""

    def test_reads_after_a_revision_and_refuses_a_compacted_one(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        b.store(uow, grants=False)
        for n in range(4):
            change(uow, n=n)
        reader = EventReader(uow)
        assert [e.revision for e in reader.after(1).events] == [2, 3, 4]
        with uow() as u:
            u.events.compact(T0 + timedelta(2), 10)
            u.commit()
        with pytest.raises(RevisionCompacted) as refused:
            reader.after(1)
        assert refused.value.current_revision == 4
        assert [e.revision for e in reader.after(2).events] == [3, 4]


class Sink:
    def __init__(self) -> None:
        self.revisions: list[int] = []
        self.heads: list[int] = []
        self.arrived = threading.Condition()

    def publish(self, events: Sequence[BindingEvent], through: int) -> None:
        with self.arrived:
            self.revisions += [e.revision or 0 for e in events]
            self.heads.append(through)
            self.arrived.notify_all()

    def restart(self, head: int) -> None:
        raise AssertionError("the pump never lost its place here")

    def wait_for_head(self) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: bool(self.heads), HEARD_WITHIN_S)

    def wait_for(self, count: int) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.revisions) >= count, HEARD_WITHIN_S)


def test_the_pump_hands_on_every_commit_once_in_order(uow: SqlUnitOfWorkFactory) -> None:
    b.store(uow, grants=False)
    change(uow)
    sink = Sink()
    pump = EventPump(EventReader(uow), sink, poll_s=0.02)
    pump.start()
    try:
        sink.wait_for_head()  # the pump knows where the log is before anything new comes
        for n in range(1, 21):
            change(uow, n=n)
        sink.wait_for(20)
    finally:
        pump.stop()
    assert sink.heads[0] == 1
    assert sink.revisions == list(range(2, 22))


@pytest.fixture
def listener(database: Database) -> Iterator[PgEventListener]:
    listening = PgEventListener(database.url)
    yield listening
    listening.close()


@postgres_only
class TestListenNotify:
    def test_hears_a_commit_of_another_connection_and_nothing_otherwise(
        self, uow: SqlUnitOfWorkFactory, listener: PgEventListener
    ) -> None:
        b.store(uow, grants=False)
        assert not listener.wait(0.05), "LISTEN is on; nothing committed since"
        change(uow)
        assert listener.wait(HEARD_WITHIN_S)
        assert not listener.wait(0.05), "one commit, one wake-up"

    def test_a_rollback_notifies_nobody(
        self, uow: SqlUnitOfWorkFactory, listener: PgEventListener
    ) -> None:
        b.store(uow, grants=False)
        listener.wait(0.01)
        with uow() as u:
            u.events.add(BindingEvent("b-1", EventKind.SETTINGS_CHANGED, "no", T0))
        assert not listener.wait(0.2)

    def test_a_killed_connection_is_reported_as_a_wake_up_and_opened_again(
        self, uow: SqlUnitOfWorkFactory, listener: PgEventListener, database: Database
    ) -> None:
        b.store(uow, grants=False)
        listener.wait(0.01)
        with database.engine.begin() as conn:
            killed = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'ledger-connect-listen' "
                    "AND datname = current_database()"
                )
            ).scalars()
            assert list(killed) == [True]
        assert listener.wait(HEARD_WITHIN_S), "whatever was missed meanwhile gets read"
        listener.wait(0.01)  # listening again
        change(uow)
        assert listener.wait(HEARD_WITHIN_S)
