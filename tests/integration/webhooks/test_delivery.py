"""Webhooks end to end on loopback: the real httpx sender, a real receiver that checks the
Standard Webhooks signature itself, and a receiver that goes down and comes back."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
from prometheus_client import generate_latest

from app.bootstrap import Container
from app.webhooks import WebhookWorker
from domain.webhooks import DeliveryOutcome, DeliveryQuery
from tests.integration.webhooks.conftest import Build, account, pair
from tests.integration.webhooks.receiver import SECRET, Receiver

DEADLINE_S = 60.0


def wait_for(probe: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not probe():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def outbox(built: Container, after: int) -> list[int]:
    with built.ports.uow() as uow:
        return [e.revision for e in uow.events.after(after, 10_000) if e.revision is not None]


def started(built: Container) -> int:
    """Run the first pass by hand: the subscriber's cursor starts at the head."""
    assert built.webhooks is not None
    built.webhooks.deliver()
    with built.ports.uow() as uow:
        return uow.events.revision()


def test_events_arrive_in_order_signed_by_the_standard(build: Build, receiver: Receiver) -> None:
    built = build()
    owner = account(built)
    start = started(built)
    binding_ids = [pair(built, owner) for _ in range(3)]
    assert built.webhooks is not None
    worker = WebhookWorker(built.webhooks, built.metrics).start()
    try:
        wait_for(lambda: len(receiver.received) == 6, "six deliveries")
    finally:
        worker.stop()

    assert receiver.revisions() == outbox(built, start)
    now = time.time()
    for request in receiver.received:
        assert request.signed_by(), "the HMAC computed here matches"
        assert abs(int(request.headers["webhook-timestamp"]) - now) < 300
        assert request.webhook_id == f"evt_{request.revision}"
        assert request.headers["content-type"] == "application/json"
        assert request.document["data"]["binding_id"] in binding_ids
    kinds = [r.document["type"] for r in receiver.received]
    assert kinds == ["binding.created", "binding.paired"] * 3
    for request in receiver.received:
        assert b"secret" not in request.body.lower() and b"token" not in request.body.lower()
    metrics = generate_latest(built.metrics.registry).decode()
    assert 'ledger_webhook_deliveries_total{outcome="delivered",subscriber="sync"} 6.0' in metrics
    assert 'ledger_webhook_behind_events{subscriber="sync"} 0.0' in metrics
    assert 'ledger_webhook_disabled{subscriber="sync"} 0.0' in metrics


def test_a_receiver_that_is_down_loses_nothing_when_it_comes_back(
    build: Build, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    built = build()
    owner = account(built)
    start = started(built)
    receiver.down()
    assert built.webhooks is not None
    worker = WebhookWorker(built.webhooks, built.metrics).start()
    try:
        for _ in range(4):
            pair(built, owner)
        admin = built.webhooks.admin
        failed = DeliveryQuery.of(outcomes=[DeliveryOutcome.FAILED])
        wait_for(lambda: len(admin.deliveries(failed)) >= 3, "three failed attempts")
        assert receiver.received == []
        receiver.up()
        for _ in range(2):
            pair(built, owner)
        expected = outbox(built, start)
        wait_for(lambda: set(receiver.revisions()) >= set(expected), "every event")
    finally:
        worker.stop()

    assert receiver.revisions() == expected, "in order, each once after it came back"
    assert all(r.signed_by() for r in receiver.received)
    first_failures = admin.deliveries(failed)
    assert {r.error for r in first_failures} == {"could not connect"}
    assert {r.webhook_id for r in first_failures} == {f"evt_{expected[0]}"}, "one event retried"
    attempts = [r.attempt for r in reversed(first_failures)]
    assert attempts == list(range(1, len(attempts) + 1))
    [delivered_first] = [
        r
        for r in admin.deliveries(DeliveryQuery.of(outcomes=[DeliveryOutcome.DELIVERED]))
        if r.revision == expected[0]
    ]
    assert delivered_first.attempt == len(attempts) + 1
    assert delivered_first.http_status == 200
    assert "webhooks: {'sync:failed': 1}" in caplog.text, "failures are logged"
    assert SECRET not in caplog.text and SECRET.removeprefix("whsec_") not in caplog.text
    assert not any(r.body.decode() in caplog.text for r in receiver.received)
