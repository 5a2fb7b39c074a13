"""Webhooks from several `serve` replicas on PostgreSQL: one replica is SIGKILLed while its
request sits unanswered at the receiver; the lease runs out, a survivor delivers the same
event again with the same `webhook-id`, and nothing committed is lost.

Two extra replicas get LEDGER_WEBHOOKS (the package's three have none and deliver nothing);
the receiver is a real HTTP server on loopback in this process (tests/integration/webhooks),
and the events come from connecting bindings through the in-process service.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator

import pytest

from tests.integration.replicas.cluster import START_TIMEOUT_S, Cluster, Replica, wait_until
from tests.integration.webhooks.receiver import SECRET, Receiver

# Starting two more serve processes on a loaded 2-core machine takes a while.
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(420)]

TIMEOUT_S = 3  # the lease is 2 x this + 10 s
WEBHOOKS = {
    "LEDGER_WEBHOOK_TIMEOUT_S": str(TIMEOUT_S),
    "LEDGER_WEBHOOK_RETRY_S": "0.2",
    "LEDGER_WEBHOOK_MAX_BACKOFF_S": "1",
    "LEDGER_WEBHOOK_POLL_S": "0.1",
}
WAIT_S = 90.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


def delivering(cluster: Cluster, receiver: Receiver, count: int) -> list[Replica]:
    subscriber = {"name": f"sync-{uuid.uuid4().hex[:6]}", "url": receiver.url, "secret": SECRET}
    env = cluster.env(LEDGER_WEBHOOKS=json.dumps([subscriber]), **WEBHOOKS)
    started = [
        Replica(f"webhooks-{uuid.uuid4().hex[:6]}", env, cluster.workdir) for _ in range(count)
    ]
    cluster.extra.extend(started)
    for replica in started:
        replica._launch()  # in parallel, as Cluster.start_replicas does
    for replica in started:
        replica.wait_for_health("SERVING", START_TIMEOUT_S)
    wait_until(lambda: cursor(cluster) is not None, WAIT_S, "the subscriber's cursor")
    return started


def cursor(cluster: Cluster) -> tuple[int, str | None] | None:
    rows = cluster.sql("SELECT delivered_through, leased_by FROM webhook_cursors")
    return (int(rows[0][0]), rows[0][1]) if rows else None


def outbox(cluster: Cluster, after: int) -> list[int]:
    rows = cluster.sql(
        "SELECT revision FROM binding_events WHERE revision > :r ORDER BY 1", r=after
    )
    return [int(row[0]) for row in rows]


def test_a_replica_killed_mid_delivery_loses_nothing_and_the_retry_keeps_its_id(
    cluster: Cluster, receiver: Receiver
) -> None:
    replicas = delivering(cluster, receiver, 2)
    start = cursor(cluster)
    assert start is not None
    cluster.connect()
    first = outbox(cluster, start[0])
    wait_until(lambda: set(receiver.revisions()) >= set(first), WAIT_S, "the first binding")

    receiver.hold()
    cluster.connect()
    wait_until(lambda: receiver.held() == 1, WAIT_S, "a request held at the receiver")
    [held] = [r for r in receiver.received if r.revision not in first]
    holder = cursor(cluster)
    assert holder is not None and holder[1] is not None
    [victim] = [r for r in replicas if holder[1].endswith(f":{r.pid}")]
    victim.kill()
    receiver.let_go()

    expected = outbox(cluster, start[0])
    wait_until(
        lambda: set(receiver.revisions()) >= set(expected), WAIT_S, "every event after the kill"
    )
    [survivor] = [r for r in replicas if r is not victim]
    assert survivor.alive

    copies: dict[int, list[object]] = defaultdict(list)
    for request in receiver.received:
        assert request.signed_by()
        copies[request.revision].append((request.webhook_id, request.body))
    assert sorted(copies) == expected, "nothing lost, nothing extra"
    assert len(copies[held.revision]) >= 2, "the event in flight at the kill came again"
    for revision, seen in copies.items():
        assert {webhook_id for webhook_id, _ in seen} == {f"evt_{revision}"}
        assert len({body for _, body in seen}) == 1, "a duplicate is the same message"
    firsts = list(dict.fromkeys(receiver.revisions()))
    assert firsts == expected, "first arrivals in revision order"
    # The receiver has answered the last one; the cursor moves when the survivor commits.
    wait_until(lambda: cursor(cluster) == (expected[-1], None), WAIT_S, "the cursor at the end")
