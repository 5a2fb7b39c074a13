"""Webhook cursors and the delivery log on the fake, SQLite and PostgreSQL: one holder per
lease, fenced writes, the compaction hold, and the log's filters."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

from domain.events import BindingEvent
from domain.ports import UnitOfWorkFactory
from domain.values import EventKind
from domain.webhooks import DeliveryOutcome, DeliveryQuery, DeliveryRecord, WebhookCursor
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0

LEASE = timedelta(seconds=30)


def started(uow: UnitOfWorkFactory, *names: str, at: int = 0) -> None:
    with uow() as u:
        for name in names:
            u.webhooks.start(name, at)
        u.commit()


def claim(uow: UnitOfWorkFactory, holder: str, now=T0):  # type: ignore[no-untyped-def]
    with uow() as u:
        cursor = u.webhooks.claim("sync", holder, now, now + LEASE)
        u.commit()
    return cursor


class TestCursors:
    def test_a_cursor_starts_once_and_round_trips(self, uow: UnitOfWorkFactory) -> None:
        started(uow, "sync", at=7)
        started(uow, "sync", at=99)
        failing = WebhookCursor("sync", 9, 2, T0, T0 + timedelta(seconds=5), T0, "gone")
        assert claim(uow, "r1") == WebhookCursor("sync", 7)
        with uow() as u:
            assert u.webhooks.save(failing, "r1", T0 + LEASE)
            u.commit()
        with uow() as u:
            assert u.webhooks.cursors() == [failing]

    def test_one_holder_at_a_time_until_the_lease_ends_or_is_released(
        self, uow: UnitOfWorkFactory
    ) -> None:
        started(uow, "sync")
        assert claim(uow, "r1") is not None
        assert claim(uow, "r2") is None
        assert claim(uow, "r1") is not None, "the holder renews"
        assert claim(uow, "r2", T0 + LEASE) is not None, "an ended lease is free"
        with uow() as u:
            u.webhooks.release("sync", "r1")  # not r1's any more: nothing happens
            u.commit()
        assert claim(uow, "r3", T0 + timedelta(seconds=31)) is None
        with uow() as u:
            u.webhooks.release("sync", "r2")
            u.commit()
        assert claim(uow, "r3", T0 + timedelta(seconds=31)) is not None

    def test_concurrent_claims_have_one_winner(self, uow: UnitOfWorkFactory) -> None:
        started(uow, "sync")
        barrier, won = threading.Barrier(6), []

        def contend(holder: str) -> None:
            barrier.wait()
            if claim(uow, holder) is not None:
                won.append(holder)

        threads = [threading.Thread(target=contend, args=(f"r{i}",)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1

    def test_a_holder_that_lost_its_lease_writes_nothing(self, uow: UnitOfWorkFactory) -> None:
        started(uow, "sync")
        claim(uow, "r1")
        claim(uow, "r2", T0 + LEASE)
        with uow() as u:
            assert not u.webhooks.save(WebhookCursor("sync", 5), "r1", T0 + 2 * LEASE)
            assert u.webhooks.save(WebhookCursor("sync", 3), "r2", T0 + 2 * LEASE)
            u.commit()
        with uow() as u:
            assert u.webhooks.cursors()[0].delivered_through == 3

    def test_enable_clears_failures_and_forget_drops_one(self, uow: UnitOfWorkFactory) -> None:
        started(uow, "sync", "old")
        claim(uow, "r1")
        with uow() as u:
            u.webhooks.save(WebhookCursor("sync", 4, 9, T0, None, T0, "gone"), "r1", T0 + LEASE)
            assert u.webhooks.enable("sync") == WebhookCursor("sync", 4)
            assert u.webhooks.enable("nobody") is None
            assert u.webhooks.forget("old") == WebhookCursor("old", 0)
            assert u.webhooks.forget("old") is None
            u.commit()
        with uow() as u:
            assert u.webhooks.cursors() == [WebhookCursor("sync", 4)]


class TestCompactionHold:
    def test_enabled_cursors_hold_compaction_at_the_lowest(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, b.binding("b-1"), grants=False)
        with uow() as u:
            for _ in range(10):
                u.events.add(BindingEvent("b-1", EventKind.SETTINGS_CHANGED, "x", T0))
            u.webhooks.start("slow", 3)
            u.webhooks.start("fast", 8)
            u.webhooks.start("off", 1)
            u.commit()
        claim_off = WebhookCursor("off", 1, disabled_at=T0, disabled_reason="gone")
        with uow() as u:
            u.webhooks.claim("off", "r1", T0, T0 + LEASE)
            u.webhooks.save(claim_off, "r1", T0 + LEASE)
            assert u.webhooks.held_through() == 3
            assert u.events.compact(T0 + timedelta(days=1), 100, u.webhooks.held_through()) == 3
            u.commit()
        with uow() as u:
            assert u.events.compacted_through() == 3
            assert [e.revision for e in u.events.after(0, 100)][0] == 4
            u.webhooks.forget("slow")
            assert u.webhooks.held_through() == 8
            u.webhooks.forget("fast")
            assert u.webhooks.held_through() is None
            u.commit()


class TestDeliveryLog:
    def test_filters_newest_first_and_purge(self, uow: UnitOfWorkFactory) -> None:
        def line(n: int, subscriber: str, outcome: DeliveryOutcome) -> DeliveryRecord:
            return DeliveryRecord(
                subscriber,
                outcome,
                T0 + timedelta(minutes=n),
                n,
                webhook_id=f"evt_{n}",
                binding_id=f"b-{n % 2}",
                kind="connected",
                attempt=1,
                http_status=500 if outcome is DeliveryOutcome.FAILED else 200,
                error="HTTP 500" if outcome is DeliveryOutcome.FAILED else "",
                seconds=0.25,
            )

        lines = [
            line(n, "sync" if n < 4 else "audit", DeliveryOutcome(["delivered", "failed"][n % 2]))
            for n in range(6)
        ]
        with uow() as u:
            for record in lines:
                u.webhooks.log(record)
            u.commit()
        with uow() as u:
            everything = u.webhooks.deliveries(DeliveryQuery.of())
            assert [r.revision for r in everything] == [5, 4, 3, 2, 1, 0]
            assert everything[-1] == replace(lines[0], id=everything[-1].id)
            sync = u.webhooks.deliveries(DeliveryQuery.of(subscriber="sync"))
            assert [r.revision for r in sync] == [3, 2, 1, 0]
            failed = u.webhooks.deliveries(
                DeliveryQuery.of(outcomes=[DeliveryOutcome.FAILED], binding_id="b-1")
            )
            assert [r.revision for r in failed] == [5, 3, 1]
            recent = u.webhooks.deliveries(DeliveryQuery.of(since=T0 + timedelta(minutes=4)))
            assert [r.revision for r in recent] == [5, 4]
            assert len(u.webhooks.deliveries(DeliveryQuery.of(limit=2))) == 2
            assert u.webhooks.purge_log(T0 + timedelta(minutes=2)) == 2
            u.commit()
        with uow() as u:
            kept = u.webhooks.deliveries(DeliveryQuery.of())
            assert [r.revision for r in kept] == [5, 4, 3, 2]
            assert kept[-1] == replace(lines[2], id=kept[-1].id)
