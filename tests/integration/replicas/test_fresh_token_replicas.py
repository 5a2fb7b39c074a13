"""DESIGN §5 across real processes: 150 callers on 3 replicas, one expired grant, one refresh.

How the grant is made expired: the emulator's clock moves 30 minutes on (so Xero, too,
considers the old access token dead) and the stored `access_expires_at` is set one minute in
the past with a plain UPDATE. That is exactly the state time would leave behind, without
touching the service's configuration: a huge LEDGER_TOKEN_SKEW_S would make *every* token
look stale, so each replica would refresh again after the first rotation and the test could
no longer tell coalescing from luck. No replica has served this binding before, so no
in-process cache holds the old token.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from tests.integration.replicas.cluster import Answer, Cluster, fresh_token

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CALLERS = 150


def test_150_callers_on_3_replicas_share_exactly_one_refresh(cluster: Cluster) -> None:
    binding_id = cluster.connect()
    before = cluster.grant(binding_id)
    cluster.expire(binding_id)
    refreshes_before = cluster.emulator.refreshes()
    # A few channels per replica, as a fleet of sync services would hold.
    channels = [
        grpc.insecure_channel(replica.target) for replica in cluster.replicas for _ in range(3)
    ]
    barrier = threading.Barrier(CALLERS)

    def call(number: int) -> Answer:
        # Caller n uses channel n % 9, so each replica gets 50 of the 150 callers.
        channel = channels[number % len(channels)]
        barrier.wait(timeout=60)
        return fresh_token(channel, binding_id)

    try:
        with ThreadPoolExecutor(CALLERS) as pool:
            answers = list(pool.map(call, range(CALLERS)))
    finally:
        for channel in channels:
            channel.close()

    failed = [a.describe() for a in answers if not a.ok]
    assert failed == [], f"{len(failed)} of {CALLERS} calls failed, e.g. {failed[:3]}"
    refreshes = cluster.emulator.refreshes() - refreshes_before
    assert refreshes == {"success": 1}, f"Xero saw {dict(refreshes)} refresh_token grants"
    after = cluster.grant(binding_id)
    assert after.version == before.version + 1
    assert after.refresh_token != before.refresh_token
    assert cluster.emulator.standing(after.refresh_token) == "head"
    tokens = {a.response.access_token for a in answers}
    assert tokens == {after.access_token}, "every caller gets the one new token"
    assert after.access_token != before.access_token
    assert {a.response.binding_status for a in answers} == {pb.BINDING_STATUS_CONNECTED}
    assert cluster.emulator.connections(after.access_token).status_code == 200
