"""List, then watch, on fakes: pages with their revision, the outbox read after a revision,
and the pump that reads it once for every watcher of a process."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta

import pytest

from domain.errors import RevisionCompacted, ValidationFailed
from domain.events import BindingEvent, EventFilter
from domain.usecases.watch import EventPump, EventReader, ListBindings
from domain.values import BindingStatus
from tests.fakes.world import World


def shops(world: World, count: int) -> list[str]:
    """`count` paired bindings of a new account."""
    number = len(world.store.tables["accounts"])
    account = world.account(f"merchant-{number}@example.com", plan="growth")
    return [world.paired(account, f"https://shop-{number}-{n}.example.com") for n in range(count)]


class TestListBindings:
    def test_pages_cover_every_binding_once_and_each_says_its_revision(self) -> None:
        world = World()
        ids = shops(world, 5)
        listing = ListBindings(world.container.ports.uow)
        first = listing("", 2, EventFilter())
        assert first.revision == world.uow().events.revision()
        seen = [b.id for b in first.bindings]
        after = first.last_id
        while after:
            page = listing(after, 2, EventFilter())
            seen += [b.id for b in page.bindings]
            after = page.last_id
        assert seen == sorted(ids)

    def test_the_filter_narrows_by_id_account_and_status(self) -> None:
        world = World()
        ids = shops(world, 3)
        connected = world.connected(world.account("other@example.com"))
        listing = ListBindings(world.container.ports.uow)
        by_id = listing("", 0, EventFilter.of(binding_ids=[ids[1]]))
        by_status = listing("", 0, EventFilter.of(statuses=[BindingStatus.CONNECTED]))
        by_account = listing("", 0, EventFilter.of(account_id=world.binding(ids[0]).account_id))
        assert [b.id for b in by_id.bindings] == [ids[1]]
        assert [b.id for b in by_status.bindings] == [connected]
        assert sorted(b.id for b in by_account.bindings) == sorted(ids)

    def test_a_negative_page_size_is_refused_and_a_huge_one_is_capped(self) -> None:
        listing = ListBindings(World().container.ports.uow)
        with pytest.raises(ValidationFailed):
            listing("", -1, EventFilter())
        assert listing("", 10_000, EventFilter()).bindings == ()


class TestEventReader:
    def test_reads_after_a_revision_in_order(self) -> None:
        world = World()
        shops(world, 2)
        reader = EventReader(world.container.ports.uow)
        everything = reader.after(0)
        revisions = [e.revision for e in everything.events]
        assert revisions == list(range(1, reader.current() + 1))
        assert reader.after(2, limit=2).events == everything.events[2:4]
        assert reader.after(reader.current()).through == reader.current()

    def test_a_compacted_revision_is_refused_with_the_current_one(self) -> None:
        world = World()
        shops(world, 2)
        world.clock.advance(days=40)
        with world.uow() as uow:
            uow.events.compact(world.clock.now() - timedelta(days=30), 2)
        reader = EventReader(world.container.ports.uow)
        with pytest.raises(RevisionCompacted) as refused:
            reader.after(1)
        assert refused.value.current_revision == reader.current()
        assert refused.value.metadata == {"current_revision": str(reader.current())}
        assert reader.after(2).events[0].revision == 3

    def test_a_revision_beyond_the_newest_is_refused(self) -> None:
        world = World()
        shops(world, 1)
        reader = EventReader(world.container.ports.uow)
        with pytest.raises(ValidationFailed):
            reader.after(reader.current() + 1)


class Sink:
    def __init__(self) -> None:
        self.batches: list[tuple[list[int], int]] = []
        self.restarts: list[int] = []

    def publish(self, events: Sequence[BindingEvent], through: int) -> None:
        self.batches.append(([e.revision or 0 for e in events], through))

    def restart(self, head: int) -> None:
        self.restarts.append(head)


class TestEventPump:
    def test_starts_at_the_head_then_hands_on_each_new_event_once(self) -> None:
        world = World()
        shops(world, 1)
        head = world.uow().events.revision()
        sink = Sink()
        pump = EventPump(EventReader(world.container.ports.uow), sink)
        pump.pump_once()
        assert sink.batches == [([], head)]
        shops(world, 1)
        pump.pump_once()
        pump.pump_once()
        new = list(range(head + 1, world.uow().events.revision() + 1))
        assert new and sink.batches[1:] == [(new, new[-1])]

    def test_a_pump_overtaken_by_compaction_restarts_at_the_current_revision(self) -> None:
        world = World()
        shops(world, 1)
        sink = Sink()
        pump = EventPump(EventReader(world.container.ports.uow), sink)
        pump.pump_once()
        shops(world, 1)
        world.clock.advance(days=40)
        with world.uow() as uow:
            uow.events.compact(world.clock.now() - timedelta(days=30), 1000)
        pump.pump_once()
        assert sink.restarts == [world.uow().events.revision()]

    def test_the_thread_reads_on_every_wake_up_until_stopped(self) -> None:
        world = World()
        shops(world, 1)
        head = world.uow().events.revision()
        sink, wakeups = Sink(), Wakeups()
        pump = EventPump(EventReader(world.container.ports.uow), sink, wakeups, poll_s=60)
        pump.start()
        try:
            wakeups.woken.wait_for_calls(1)
            shops(world, 1)
            wakeups.wake()
            wakeups.woken.wait_for_calls(2)
        finally:
            wakeups.stop_soon()
            pump.stop()
        handed_on = [r for revisions, _ in sink.batches for r in revisions]
        assert sink.batches[0] == ([], head)
        assert handed_on == list(range(head + 1, world.uow().events.revision() + 1))


class Calls:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.count = 0

    def add(self) -> None:
        with self._cond:
            self.count += 1
            self._cond.notify_all()

    def wait_for_calls(self, count: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.count >= count, 5), "the pump never waited"


class Wakeups:
    """A NOTIFY the test sends by hand; the pump's waits are counted."""

    def __init__(self) -> None:
        self.woken = Calls()
        self._signal = threading.Event()

    def wait(self, timeout_s: float) -> bool:
        self.woken.add()
        heard = self._signal.wait(timeout_s)
        self._signal.clear()
        return heard

    def wake(self) -> None:
        self._signal.set()

    def stop_soon(self) -> None:
        self._signal.set()

    def close(self) -> None:
        pass
