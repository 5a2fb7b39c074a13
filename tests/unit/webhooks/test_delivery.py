"""Webhook delivery on fakes: order, signatures, kinds, retries with backoff, disabling,
leases between replicas, and what compaction may take."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from domain.errors import ValidationFailed
from domain.schedule import SweepSchedule
from domain.usecases.sweeps import Sweeps
from domain.usecases.webhooks import DeliverWebhooks, WebhookAdmin
from domain.values import EventKind
from domain.webhooks import DeliveryOutcome, DeliveryQuery, SendResult, WebhookMessage
from tests.fakes.store import FakeUnitOfWork
from tests.fakes.webhooks import ScriptedSender
from tests.fakes.world import World
from tests.unit.webhooks.conftest import POLICY, MakeDeliverer, Shops, subscriber, verify


def body(message: WebhookMessage) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(message.body)
    return decoded


def revisions(sender: ScriptedSender) -> list[int]:
    return [body(m)["data"]["revision"] for m in sender.sent]  # type: ignore[index]


def head(world: World) -> int:
    return world.uow().events.revision()


def cursor(world: World, name: str = "sync"):  # type: ignore[no-untyped-def]
    return next(c for c in world.uow().webhooks.cursors() if c.subscriber == name)


class TestDelivery:
    def test_every_event_after_the_start_goes_out_once_in_order_signed(
        self, shops: Shops, world: World, sender: ScriptedSender, make_deliverer: MakeDeliverer
    ) -> None:
        deliver = make_deliverer()
        before = shops.connect()
        world.tasks.run_all()
        assert deliver() == {}, "a new subscriber starts at the head: nothing old is sent"
        binding_id = shops.connect()
        world.tasks.run_all()
        outcomes = deliver()

        kinds = [body(m)["type"] for m in sender.sent]
        assert kinds == [
            "binding.created",
            "binding.paired",
            "binding.connected",
            "binding.settings_changed",
            "binding.reference_refreshed",
        ]
        assert outcomes == {("sync", "delivered"): 5}
        assert revisions(sender) == sorted(revisions(sender))
        assert all(verify(m) for m in sender.sent)
        assert all(body(m)["data"]["binding_id"] == binding_id for m in sender.sent)  # type: ignore[index]
        assert before not in {body(m)["data"]["binding_id"] for m in sender.sent}  # type: ignore[index]
        assert cursor(world).delivered_through == head(world)
        assert deliver() == {} and len(sender.sent) == 5, "nothing twice"

    def test_the_headers_follow_the_standard(
        self, shops: Shops, world: World, sender: ScriptedSender, make_deliverer: MakeDeliverer
    ) -> None:
        deliver = make_deliverer()
        deliver()
        shops.connect()
        deliver()
        message = sender.sent[0]
        headers = dict(message.headers)
        revision = body(message)["data"]["revision"]  # type: ignore[index]
        assert headers["webhook-id"] == f"evt_{revision}" == message.webhook_id
        assert headers["webhook-timestamp"] == str(int(world.clock.now().timestamp()))
        assert headers["webhook-signature"].startswith("v1,")
        assert headers["content-type"] == "application/json"
        assert message.url == "https://sync.example.com/hooks"
        tampered = WebhookMessage(message.url, message.webhook_id, message.headers, b"{}")
        assert not verify(tampered)

    def test_payloads_carry_no_token_or_secret(
        self, shops: Shops, world: World, sender: ScriptedSender, make_deliverer: MakeDeliverer
    ) -> None:
        deliver = make_deliverer()
        deliver()
        binding_id = shops.connect()
        world.tasks.run_all()
        deliver()
        grant = world.grant(binding_id)
        assert grant is not None
        sent = b"".join(m.body for m in sender.sent)
        for secret in (grant.access_token, grant.refresh_token):
            assert secret.encode() not in sent
        assert world.binding(binding_id).connector_secret_hash.encode() not in sent
        assert set(body(sender.sent[0])["data"]) == {  # type: ignore[arg-type]
            "revision",
            "binding_id",
            "account_id",
            "kind",
            "status",
            "reason",
        }

    def test_kinds_not_wanted_move_the_cursor_without_a_request(
        self, shops: Shops, world: World, sender: ScriptedSender, make_deliverer: MakeDeliverer
    ) -> None:
        wanted = (EventKind.CONNECTED, EventKind.NEEDS_RECONNECT)
        deliver = make_deliverer(subscriber(kinds=wanted))
        deliver()
        binding_id = shops.connect()
        world.tasks.run_all()
        world.needs_reconnect(binding_id)
        deliver()
        assert [body(m)["type"] for m in sender.sent] == [
            "binding.connected",
            "binding.needs_reconnect",
        ]
        assert cursor(world).delivered_through == head(world)

    def test_each_subscriber_has_its_own_cursor_and_signature(
        self, shops: Shops, world: World, sender: ScriptedSender, make_deliverer: MakeDeliverer
    ) -> None:
        other_secret = "whsec_" + "QUJD" * 10
        other = subscriber("audit")
        other = type(other)(other.name, other.url, other_secret)
        deliver = make_deliverer(subscriber(), other)
        deliver()
        shops.connect()
        sender.fail(1)  # the first subscriber's first attempt
        outcomes = deliver()
        assert outcomes == {("sync", "failed"): 1, ("audit", "delivered"): 4}
        audit = [m for m in sender.sent if m.url.startswith("https://audit.")]
        assert all(verify(m, other_secret) and not verify(m) for m in audit)
        assert cursor(world, "audit").delivered_through == head(world)
        assert cursor(world, "sync").delivered_through == head(world) - 4


class TestRetries:
    def test_a_failure_keeps_the_cursor_and_retries_with_backoff_and_the_same_id(
        self, shops: Shops, world: World, sender: ScriptedSender, make_deliverer: MakeDeliverer
    ) -> None:
        deliver = make_deliverer()
        deliver()
        shops.connect()
        start = cursor(world).delivered_through
        sender.fail(3)
        assert deliver() == {("sync", "failed"): 1}
        # 5 s for the first retry, times the jitter factor (0.5 + 0.5 / 2).
        assert cursor(world).next_attempt_at == world.clock.now() + timedelta(seconds=3.75)
        world.clock.advance(seconds=3)
        assert deliver() == {} and len(sender.sent) == 1, "not before the backoff"
        world.clock.advance(seconds=1)
        assert deliver() == {("sync", "failed"): 1}
        assert cursor(world).next_attempt_at == world.clock.now() + timedelta(seconds=7.5)
        world.clock.advance(seconds=8)
        deliver()
        assert cursor(world).next_attempt_at == world.clock.now() + timedelta(seconds=15)
        world.clock.advance(seconds=15)
        assert deliver() == {("sync", "delivered"): 4}
        ids = [m.webhook_id for m in sender.sent]
        assert ids[:4] == [f"evt_{start + 1}"] * 4, "every attempt of one event, one id"
        assert len(set(m.headers for m in sender.sent[:4])) == 4, "each attempt signed anew"
        assert cursor(world).failures == 0 and cursor(world).failing_since is None

    def test_the_backoff_is_capped_and_a_longer_retry_after_is_honoured(self) -> None:
        assert POLICY.backoff(1, 0.0, None) == timedelta(seconds=2.5)
        assert POLICY.backoff(30, 0.999999, None) <= POLICY.max_backoff
        assert POLICY.backoff(30, 0.0, None) == POLICY.max_backoff / 2
        assert POLICY.backoff(1, 0.0, 120) == timedelta(seconds=120)
        assert POLICY.backoff(1, 0.0, 86_400) == POLICY.max_backoff
        delays = [POLICY.backoff(n, 0.5, None) for n in range(1, 12)]
        assert delays == sorted(delays)

    def test_failing_for_the_configured_time_disables_the_subscriber(
        self,
        shops: Shops,
        world: World,
        sender: ScriptedSender,
        make_deliverer: MakeDeliverer,
        admin: WebhookAdmin,
    ) -> None:
        deliver = make_deliverer()
        deliver()
        shops.connect()
        sender.fail(1000)
        outcomes: list[str] = []
        for _ in range(100):
            outcomes += [o for (_, o), n in deliver().items() for _ in range(n)]
            world.clock.advance(minutes=5)
            if cursor(world).disabled:
                break
        assert outcomes[-1] == "disabled" and set(outcomes[:-1]) == {"failed"}
        disabled = cursor(world)
        assert disabled.disabled_at is not None and disabled.failing_since is not None
        assert disabled.disabled_at - disabled.failing_since >= POLICY.disable_after
        assert "failing since" in disabled.disabled_reason
        sent = len(sender.sent)
        world.clock.advance(hours=5)
        assert deliver() == {} and len(sender.sent) == sent, "a disabled subscriber gets nothing"
        [last] = admin.deliveries(DeliveryQuery.of(outcomes=[DeliveryOutcome.DISABLED]))
        assert "disabled: failing since" in last.error and last.http_status == 503
        [status] = admin.status()
        assert status.cursor is not None and status.cursor.disabled and status.behind == 4

        sender.script.clear()
        assert admin.enable("sync") is not None
        assert deliver() == {("sync", "delivered"): 4}
        assert cursor(world).delivered_through == head(world)
        log = admin.deliveries(DeliveryQuery.of(limit=6))
        assert [r.outcome for r in log][-2:] == [DeliveryOutcome.ENABLED, DeliveryOutcome.DISABLED]

    def test_410_gone_disables_at_once(
        self, shops: Shops, world: World, sender: ScriptedSender, make_deliverer: MakeDeliverer
    ) -> None:
        deliver = make_deliverer()
        deliver()
        shops.connect()
        sender.fail(1, status=410)
        assert deliver() == {("sync", "disabled"): 1}
        assert cursor(world).disabled_reason == "the receiver answered 410 Gone"


class TestReplicas:
    def test_one_replica_at_a_time_delivers_a_subscriber(
        self, shops: Shops, world: World, make_deliverer: MakeDeliverer
    ) -> None:
        first, second = make_deliverer(holder="replica-1"), None
        first()
        shops.connect()
        seen: list[object] = []

        class Meanwhile(ScriptedSender):
            def send(self, message: WebhookMessage) -> SendResult:
                if not seen:
                    seen.append(second())  # type: ignore[misc]
                return super().send(message)

        sender = Meanwhile()
        first = make_deliverer(holder="replica-1", send=sender)
        second = make_deliverer(holder="replica-2", send=sender)
        assert first() == {("sync", "delivered"): 4}
        assert seen == [{("sync", "taken"): 1}]
        assert len(sender.sent) == 4

    def test_a_replica_that_hung_past_its_lease_writes_nothing_once_another_took_over(
        self, shops: Shops, world: World, make_deliverer: MakeDeliverer
    ) -> None:
        make_deliverer()()
        shops.connect()
        taken_over: list[object] = []
        survivor_sender = ScriptedSender()
        survivor = make_deliverer(holder="replica-2", send=survivor_sender)

        class Hangs(ScriptedSender):
            def send(self, message: WebhookMessage) -> SendResult:
                if not taken_over:
                    world.clock.advance(seconds=POLICY.lease.total_seconds() + 1)
                    taken_over.append(survivor())
                return super().send(message)

        hung = make_deliverer(holder="replica-1", send=Hangs())
        assert hung() == {("sync", "lost"): 1}
        assert taken_over == [{("sync", "delivered"): 4}]
        assert cursor(world).delivered_through == head(world), "not moved back"
        ids = [m.webhook_id for m in survivor_sender.sent]
        assert len(ids) == 4

    def test_a_replica_without_a_subscriber_keeps_its_cursor_for_the_others(
        self, shops: Shops, world: World, sender: ScriptedSender, make_deliverer: MakeDeliverer
    ) -> None:
        both = make_deliverer(subscriber("sync"), subscriber("audit"))
        both()
        start = head(world)
        shops.connect()
        audit_only = make_deliverer(subscriber("audit"), holder="replica-2")
        assert audit_only() == {("audit", "delivered"): 4}
        assert {c.subscriber for c in world.uow().webhooks.cursors()} == {"sync", "audit"}
        assert cursor(world, "sync").delivered_through == start, "left where it was"
        shops.connect()
        assert both() == {("sync", "delivered"): 8, ("audit", "delivered"): 4}


class TestForget:
    def test_only_an_unconfigured_subscriber_is_forgotten_and_the_log_says_so(
        self, shops: Shops, world: World, make_deliverer: MakeDeliverer, admin: WebhookAdmin
    ) -> None:
        make_deliverer(subscriber("sync"), subscriber("audit"))()
        shops.connect()
        with pytest.raises(ValidationFailed, match="remove it from every replica first"):
            admin.forget("sync")
        forgotten = admin.forget("audit")
        assert forgotten is not None and forgotten.subscriber == "audit"
        assert admin.forget("audit") is None
        assert [c.subscriber for c in world.uow().webhooks.cursors()] == ["sync"]
        [line] = admin.deliveries(DeliveryQuery.of(outcomes=[DeliveryOutcome.FORGOTTEN]))
        assert line.subscriber == "audit" and line.error == "4 events were never delivered"


class TestCompaction:
    def housekeeping(self, world: World) -> Sweeps:
        return world.container.sweeps(SweepSchedule(), "s1")

    def test_an_unconfigured_cursor_holds_compaction_until_forgotten(
        self, shops: Shops, world: World, make_deliverer: MakeDeliverer, admin: WebhookAdmin
    ) -> None:
        make_deliverer(subscriber("gone"))()
        shops.connect()
        world.clock.advance(days=31)
        self.housekeeping(world).housekeeping()
        assert world.uow().events.compacted_through() == 0, "held by a cursor no one delivers"
        admin.forget("gone")
        world.clock.advance(days=1)
        self.housekeeping(world).housekeeping()
        assert world.uow().events.compacted_through() == head(world)

    def test_compaction_keeps_what_an_enabled_subscriber_has_not_received(
        self, shops: Shops, world: World, sender: ScriptedSender, make_deliverer: MakeDeliverer
    ) -> None:
        deliver = make_deliverer()
        deliver()
        shops.connect()
        world.tasks.run_all()
        sender.fail(1)
        deliver()
        held = cursor(world).delivered_through
        world.clock.advance(days=31)
        self.housekeeping(world).housekeeping()
        assert world.uow().events.compacted_through() == held
        world.clock.advance(minutes=1)
        assert deliver() == {("sync", "delivered"): 5}, "nothing lost to compaction"

    def test_a_disabled_subscriber_holds_nothing_back_and_resumes_after_the_gap(
        self,
        shops: Shops,
        world: World,
        sender: ScriptedSender,
        make_deliverer: MakeDeliverer,
        admin: WebhookAdmin,
    ) -> None:
        deliver = make_deliverer()
        deliver()
        shops.connect()
        sender.fail(1, status=410)
        deliver()
        world.clock.advance(days=31)
        shops.connect()
        world.clock.advance(days=30, seconds=-1)
        self.housekeeping(world).housekeeping()
        compacted = world.uow().events.compacted_through()
        assert compacted == 4, "the first binding's events went, the later ones stay"
        admin.enable("sync")
        assert deliver() == {("sync", "delivered"): 4}
        [skipped] = admin.deliveries(DeliveryQuery.of(outcomes=[DeliveryOutcome.SKIPPED]))
        assert skipped.revision == compacted and "4 compacted events" in skipped.error
        assert revisions(sender)[-4:] == [5, 6, 7, 8]

    def test_a_replica_that_loses_its_lease_while_passing_compacted_events_sends_nothing(
        self,
        shops: Shops,
        world: World,
        sender: ScriptedSender,
        make_deliverer: MakeDeliverer,
        admin: WebhookAdmin,
    ) -> None:
        deliver = make_deliverer()
        deliver()
        shops.connect()
        sender.fail(1, status=410)
        deliver()
        world.clock.advance(days=31)
        shops.connect()
        world.clock.advance(days=30, seconds=-1)
        self.housekeeping(world).housekeeping()
        admin.enable("sync")
        survivor = make_deliverer(holder="replica-2")
        taken_over: list[object] = []

        def hooked_uow() -> FakeUnitOfWork:
            uow = world.uow()
            read = uow.events.compacted_through

            def compacted_through() -> int:
                if not taken_over:
                    world.clock.advance(seconds=POLICY.lease.total_seconds() + 1)
                    taken_over.append(survivor())
                return read()

            uow.events.compacted_through = compacted_through  # type: ignore[method-assign]
            return uow

        slow_sender = ScriptedSender()
        slow = DeliverWebhooks(
            hooked_uow, slow_sender, world.clock, (subscriber(),), POLICY, "replica-1", lambda: 0.5
        )
        assert slow() == {("sync", "lost"): 1}
        assert taken_over == [{("sync", "delivered"): 4}]
        assert slow_sender.sent == [], "no duplicate from a replica without the lease"
        skipped = admin.deliveries(DeliveryQuery.of(outcomes=[DeliveryOutcome.SKIPPED]))
        assert len(skipped) == 1, "the gap is logged once"
