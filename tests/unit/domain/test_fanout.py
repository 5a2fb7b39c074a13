"""The fan-out of one process's watchers: exactly once, in order, filtered, bounded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from domain.events import BindingEvent, EventFilter
from domain.fanout import FanOut, Watcher
from domain.values import BindingStatus, EventKind

AT = datetime(2026, 12, 1, tzinfo=UTC)
EVERYTHING = EventFilter()


def event(
    revision: int,
    binding_id: str = "b1",
    kind: EventKind = EventKind.SETTINGS_CHANGED,
    status: BindingStatus = BindingStatus.CONNECTED,
    account_id: str = "acct-1",
) -> BindingEvent:
    return BindingEvent(binding_id, kind, "why", AT, revision, revision, account_id, status)


def events(first: int, last: int, **fields: object) -> list[BindingEvent]:
    return [event(r, **fields) for r in range(first, last + 1)]  # type: ignore[arg-type]


class Inbox:
    def __init__(self, capacity: int = 1_000_000) -> None:
        self.batches: list[list[BindingEvent]] = []
        self.capacity = capacity
        self.was_dropped = False

    def deliver(self, batch: Sequence[BindingEvent]) -> bool:
        if len(self.batches) >= self.capacity:
            return False
        self.batches.append(list(batch))
        return True

    def dropped(self) -> None:
        self.was_dropped = True

    @property
    def revisions(self) -> list[int]:
        return [e.revision or 0 for batch in self.batches for e in batch]


def watcher(cursor: int, scope: EventFilter = EVERYTHING) -> tuple[Watcher, Inbox]:
    inbox = Inbox()
    return Watcher(scope, cursor, inbox), inbox


def started(head: int = 0) -> FanOut:
    fanout = FanOut(keep=100)
    fanout.publish((), head)
    return fanout


class TestJoining:
    def test_nobody_joins_before_the_pump_said_where_the_log_is(self) -> None:
        fanout = FanOut()
        w, _ = watcher(0)
        assert fanout.head is None
        assert not fanout.join(w)

    def test_a_watcher_at_the_head_gets_every_later_event_once_in_order(self) -> None:
        fanout = started(head=5)
        w, inbox = watcher(5)
        assert fanout.join(w)
        fanout.publish(events(6, 7), 7)
        fanout.publish(events(8, 8), 8)
        assert inbox.revisions == [6, 7, 8]
        assert w.cursor == 8

    def test_a_watcher_a_little_behind_gets_the_held_events_at_once(self) -> None:
        fanout = started()
        fanout.publish(events(1, 10), 10)
        w, inbox = watcher(7)
        assert fanout.join(w)
        assert inbox.revisions == [8, 9, 10]
        fanout.publish(events(11, 11), 11)
        assert inbox.revisions == [8, 9, 10, 11]

    def test_a_watcher_behind_what_is_held_reads_the_outbox_itself(self) -> None:
        fanout = started(head=50)
        fanout.publish(events(51, 250), 250)  # keeps the newest 100: 151-250
        assert fanout.covers(150) and not fanout.covers(149)
        w, inbox = watcher(149)
        assert not fanout.join(w)
        assert fanout.watchers == 0 and inbox.batches == []

    def test_a_cursor_beyond_the_head_waits_for_it_once_the_outbox_confirmed_it(self) -> None:
        fanout = started(head=10)
        w, inbox = watcher(12)
        assert not fanout.join(w)
        assert fanout.join(w, checked=True)
        fanout.publish(events(11, 13), 13)
        assert inbox.revisions == [13]

    def test_a_watcher_that_left_gets_nothing_more(self) -> None:
        fanout = started()
        w, inbox = watcher(0)
        fanout.join(w)
        fanout.leave(w)
        fanout.publish(events(1, 1), 1)
        assert inbox.batches == [] and fanout.watchers == 0


class TestFilters:
    def test_each_field_narrows_and_the_cursor_moves_past_what_is_filtered_out(self) -> None:
        fanout = started()
        scopes = {
            "ids": EventFilter.of(binding_ids=["b2"]),
            "account": EventFilter.of(account_id="acct-2"),
            "status": EventFilter.of(statuses=[BindingStatus.NEEDS_RECONNECT]),
            "kind": EventFilter.of(kinds=[EventKind.DISCONNECTED]),
        }
        inboxes = {}
        for name, scope in scopes.items():
            w, inboxes[name] = watcher(0, scope)
            fanout.join(w)
        fanout.publish(
            [
                event(1, binding_id="b2"),
                event(2, account_id="acct-2"),
                event(3, status=BindingStatus.NEEDS_RECONNECT),
                event(4, kind=EventKind.DISCONNECTED),
                event(5),
            ],
            5,
        )
        assert {name: inbox.revisions for name, inbox in inboxes.items()} == {
            "ids": [1],
            "account": [2],
            "status": [3],
            "kind": [4],
        }


class TestSlowReaders:
    def test_a_full_mailbox_is_dropped_without_moving_past_what_it_missed(self) -> None:
        fanout = started()
        inbox = Inbox(capacity=1)
        w = Watcher(EventFilter(), 0, inbox)
        fanout.join(w)
        fanout.publish(events(1, 1), 1)
        fanout.publish(events(2, 2), 2)
        assert inbox.was_dropped and fanout.watchers == 0
        assert w.cursor == 1, "resumes after the last event it took"
        fanout.publish(events(3, 3), 3)
        assert inbox.revisions == [1]

    def test_a_gap_in_what_the_pump_hands_on_drops_every_watcher(self) -> None:
        fanout = started(head=5)
        w, inbox = watcher(5)
        fanout.join(w)
        fanout.publish(events(8, 9), 9)
        assert inbox.was_dropped and inbox.batches == []
        assert fanout.head == 9 and not fanout.covers(5)


class TestManyWatchers:
    def test_a_thousand_watchers_each_get_the_event_from_one_batch(self) -> None:
        fanout = started()
        inboxes = []
        for _ in range(1000):
            w, inbox = watcher(0)
            fanout.join(w)
            inboxes.append(inbox)
        fanout.publish(events(1, 1), 1)
        assert all(inbox.revisions == [1] for inbox in inboxes)
