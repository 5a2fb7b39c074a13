"""Delivering the outbox to webhook subscribers, and what operators do about it (DESIGN §12).

One pass visits every configured subscriber with work to do (events past its cursor, no
retry pending, not disabled). It claims the subscriber's cursor row with a lease, so one
replica at a time delivers it, and sends its events one by one in revision order; each
outcome is written with the cursor, in one transaction, only while the lease is still this
replica's. A crash after a receiver answered but before that commit means the event goes out
again, with the same `webhook-id`: delivery is at least once. Events of kinds the subscriber
does not want move its cursor on without a request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from domain.errors import ValidationFailed
from domain.events import BindingEvent
from domain.ports import Clock, UnitOfWorkFactory, WebhookSender
from domain.webhooks import (
    DeliveryOutcome,
    DeliveryQuery,
    DeliveryRecord,
    SendResult,
    Subscriber,
    SubscriberStatus,
    WebhookCursor,
    WebhookPolicy,
    message,
    webhook_id,
)

# (subscriber, outcome) -> how many, for the metrics.
Outcomes = Counter[tuple[str, str]]
# The lease went to another replica mid-pass (this one was too slow): it stops, the other goes on.
LOST = "lost"


class DeliverWebhooks:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        sender: WebhookSender,
        clock: Clock,
        subscribers: Sequence[Subscriber],
        policy: WebhookPolicy,
        holder: str,
        jitter: Callable[[], float],
    ) -> None:
        """`holder` names this replica in the leases; `jitter` is uniform in [0, 1)."""
        self._uow = uow
        self._sender = sender
        self._clock = clock
        self._subscribers = tuple(subscribers)
        self._policy = policy
        self._holder = holder
        self._jitter = jitter
        self.halted = False

    def __call__(self) -> Outcomes:
        """One pass over every subscriber."""
        outcomes: Outcomes = Counter()
        head, cursors = self.reconcile()
        now = self._clock.now()
        for subscriber in self._subscribers:
            cursor = cursors.get(subscriber.name)
            if not self.halted and cursor is not None and cursor.has_work(head, now):
                outcomes += self._deliver(subscriber)
        return outcomes

    def reconcile(self) -> tuple[int, dict[str, WebhookCursor]]:
        """A subscriber without a cursor starts at the outbox's head (it gets the events
        committed from now on). A cursor whose subscriber this replica does not configure is
        left alone: another replica may have it (a rolling deploy adding or removing one),
        and it goes on from there; only `webhooks forget` deletes a cursor."""
        names = {s.name for s in self._subscribers}
        with self._uow() as uow:
            head = uow.events.revision()
            cursors = {c.subscriber: c for c in uow.webhooks.cursors()}
            added = sorted(names - set(cursors))
            for name in added:
                uow.webhooks.start(name, head)
                cursors[name] = WebhookCursor(name, head)
            if added:
                uow.commit()
        return head, {name: cursors[name] for name in names}

    def _deliver(self, subscriber: Subscriber) -> Outcomes:
        now = self._clock.now()
        with self._uow() as uow:
            cursor = uow.webhooks.claim(
                subscriber.name, self._holder, now, now + self._policy.lease
            )
            uow.commit()
        if cursor is None:
            return Counter({(subscriber.name, "taken"): 1})
        try:
            return self._run(subscriber, cursor)
        finally:
            with self._uow() as uow:
                uow.webhooks.release(subscriber.name, self._holder)
                uow.commit()

    def _run(self, subscriber: Subscriber, cursor: WebhookCursor) -> Outcomes:
        outcomes: Outcomes = Counter()
        if not cursor.due(self._clock.now()):
            return outcomes  # disabled or rescheduled by another replica meanwhile
        passed = self._pass_compacted(cursor)
        if passed is None:
            return Counter({(subscriber.name, LOST): 1})
        cursor = passed
        while not self.halted:
            with self._uow() as uow:
                events = uow.events.after(cursor.delivered_through, self._policy.batch)
            if not events:
                return outcomes
            for event in events:
                assert event.revision is not None
                if not subscriber.wants(event.kind):
                    cursor = cursor.passed(event.revision)
                    continue
                cursor, outcome = self._attempt(subscriber, cursor, event)
                outcomes[(subscriber.name, outcome)] += 1
                if outcome != DeliveryOutcome.DELIVERED or self.halted:
                    return outcomes
            if not self._save(cursor):
                return outcomes + Counter({(subscriber.name, LOST): 1})
        return outcomes

    def _attempt(
        self, subscriber: Subscriber, cursor: WebhookCursor, event: BindingEvent
    ) -> tuple[WebhookCursor, str]:
        """Send one event; the outcome, or LOST when another replica took the lease over."""
        result = self._sender.send(message(subscriber, event, self._clock.now()))
        now = self._clock.now()
        if result.ok:
            after, outcome = cursor.passed(_revision(event)), DeliveryOutcome.DELIVERED
        else:
            after = cursor.failed(result, now, self._policy, self._jitter())
            outcome = DeliveryOutcome.DISABLED if after.disabled else DeliveryOutcome.FAILED
        record = _attempt_record(subscriber, event, cursor.failures + 1, now, outcome, result)
        if after.disabled:
            record = replace(record, error=_joined(record.error, after.disabled_reason))
        kept = self._save(after, record)
        return after, outcome.value if kept else LOST

    def _pass_compacted(self, cursor: WebhookCursor) -> WebhookCursor | None:
        """A subscriber that was disabled while compaction went past its cursor resumes after
        the compacted events, and the log says how many it never got; None when the lease
        went to another replica meanwhile (it does this itself)."""
        with self._uow() as uow:
            compacted = uow.events.compacted_through()
        if compacted <= cursor.delivered_through:
            return cursor
        missed = compacted - cursor.delivered_through
        skipped = cursor.passed(compacted)
        note = DeliveryRecord(
            cursor.subscriber,
            DeliveryOutcome.SKIPPED,
            self._clock.now(),
            compacted,
            error=f"{missed} compacted events were never delivered",
        )
        with self._uow() as uow:
            kept = uow.webhooks.save(skipped, self._holder, self._clock.now() + self._policy.lease)
            if kept:
                uow.webhooks.log(note)
            uow.commit()
        return skipped if kept else None

    def _save(self, cursor: WebhookCursor, record: DeliveryRecord | None = None) -> bool:
        """The cursor and its log line in one transaction; False once the lease is lost (the
        log line is kept: the attempt happened)."""
        now = self._clock.now()
        with self._uow() as uow:
            kept = uow.webhooks.save(cursor, self._holder, now + self._policy.lease)
            if record is not None:
                uow.webhooks.log(record)
            uow.commit()
        return kept


def _attempt_record(
    subscriber: Subscriber,
    event: BindingEvent,
    attempt: int,
    at: datetime,
    outcome: DeliveryOutcome,
    result: SendResult,
) -> DeliveryRecord:
    return DeliveryRecord(
        subscriber.name,
        outcome,
        at,
        _revision(event),
        webhook_id=webhook_id(event),
        binding_id=event.binding_id,
        kind=event.kind.value,
        attempt=attempt,
        http_status=result.status,
        error=result.error,
        seconds=result.seconds,
    )


def _revision(event: BindingEvent) -> int:
    assert event.revision is not None, "only committed events are delivered"
    return event.revision


def _joined(error: str, disabled_reason: str) -> str:
    return f"{error}; disabled: {disabled_reason}" if error else f"disabled: {disabled_reason}"


class WebhookAdmin:
    """What `ledger-connect webhooks ...` shows and does."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, subscribers: Sequence[Subscriber]
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.subscribers = tuple(subscribers)
        self._names = tuple(s.name for s in subscribers)

    def status(self) -> list[SubscriberStatus]:
        """Every configured subscriber, and any cursor left by one no longer configured."""
        with self._uow() as uow:
            head = uow.events.revision()
            cursors = {c.subscriber: c for c in uow.webhooks.cursors()}
        names = [*self._names, *sorted(set(cursors) - set(self._names))]
        return [SubscriberStatus(n, n in self._names, cursors.get(n), head) for n in names]

    def deliveries(self, query: DeliveryQuery) -> list[DeliveryRecord]:
        with self._uow() as uow:
            return uow.webhooks.deliveries(query)

    def enable(self, subscriber: str) -> WebhookCursor | None:
        """Deliveries resume from the subscriber's cursor at the next pass."""
        with self._uow() as uow:
            cursor = uow.webhooks.enable(subscriber)
            if cursor is not None:
                uow.webhooks.log(
                    DeliveryRecord(
                        subscriber,
                        DeliveryOutcome.ENABLED,
                        self._clock.now(),
                        cursor.delivered_through,
                    )
                )
                uow.commit()
        return cursor

    def forget(self, subscriber: str) -> WebhookCursor | None:
        """Delete the cursor of a subscriber no replica configures any more, so it holds back
        no compaction; None without such a cursor. Refused for a subscriber this replica
        configures: it would start again at the head, skipping what it had not received."""
        if subscriber in self._names:
            raise ValidationFailed(
                f"{subscriber!r} is in LEDGER_WEBHOOKS here: remove it from every replica first"
            )
        with self._uow() as uow:
            cursor = uow.webhooks.forget(subscriber)
            if cursor is not None:
                uow.webhooks.log(
                    DeliveryRecord(
                        subscriber,
                        DeliveryOutcome.FORGOTTEN,
                        self._clock.now(),
                        cursor.delivered_through,
                        error=f"{uow.events.revision() - cursor.delivered_through} events "
                        "were never delivered",
                    )
                )
                uow.commit()
        return cursor
