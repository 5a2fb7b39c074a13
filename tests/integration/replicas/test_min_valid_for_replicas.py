"""GetFreshToken(min_valid_for) across 3 real replicas (issue 15 item 6): callers that need a
token for 20 minutes while the stored one has 15 left cause one refresh in all, and each
gets a token that lives 20 minutes; above the 25-minute cap the answer is INVALID_ARGUMENT."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from tests.integration.replicas.cluster import Answer, Cluster, invoke
from xero_emulator.seed import AVERY, UK

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CALLS = 12


def ask(cluster: Cluster, number: int, binding_id: str, seconds: int) -> Answer:
    replica = cluster.replicas[number % len(cluster.replicas)]
    request = pb.GetFreshTokenRequest(
        binding_id=binding_id, min_valid_for=Duration(seconds=seconds)
    )
    return invoke(replica.stub.GetFreshToken, request)


def test_callers_needing_twenty_minutes_share_one_refresh(cluster: Cluster) -> None:
    binding_id = cluster.connect(AVERY.user_id, UK.tenant_id)
    cluster.set_expiry(binding_id, datetime.now(UTC) + timedelta(minutes=15))
    before = sum(cluster.emulator.refreshes().values())
    barrier = threading.Barrier(CALLS)

    def one(number: int) -> Answer:
        barrier.wait()
        return ask(cluster, number, binding_id, 20 * 60)

    with ThreadPoolExecutor(CALLS) as pool:
        answers = list(pool.map(one, range(CALLS)))
    assert all(a.ok for a in answers), [a.describe() for a in answers if not a.ok]
    assert sum(cluster.emulator.refreshes().values()) == before + 1
    assert len({a.response.access_token for a in answers}) == 1
    for answer in answers:
        left = answer.response.expires_at.ToDatetime(tzinfo=UTC) - datetime.now(UTC)
        assert left >= timedelta(minutes=19), left


def test_above_the_cap_is_invalid_on_every_replica(cluster: Cluster) -> None:
    binding_id = cluster.connect(AVERY.user_id, UK.tenant_id)
    for number in range(len(cluster.replicas)):
        answer = ask(cluster, number, binding_id, 26 * 60)
        assert answer.code is grpc.StatusCode.INVALID_ARGUMENT, answer.describe()
