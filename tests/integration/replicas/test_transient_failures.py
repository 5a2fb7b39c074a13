"""Xero answering 5xx or not at all (DESIGN §5 step 6), through real replicas.

The emulator fails the next token call (`fail_next_token_calls`): a 503, or a hang longer
than the service's Xero timeout (10 s), which the replica gives up on. The stored refresh
token must stay exactly as it was (read back decrypted), the binding turns DEGRADED, callers
get UNAVAILABLE with a RetryInfo (or, while the current access token is still valid, that
token, and no further call to Xero until the retry is due), and the next refresh succeeds
and the binding recovers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from domain.values import BindingStatus
from tests.integration.replicas.cluster import Cluster

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.mark.parametrize(
    ("fail_mode", "expired"),
    [
        pytest.param("5xx", True, id="503-expired"),
        pytest.param("5xx", False, id="503-still-valid"),
        pytest.param("timeout", True, id="timeout-expired"),
    ],
)
def test_xero_trouble_keeps_the_refresh_token_and_the_next_call_recovers(
    cluster: Cluster, fail_mode: str, expired: bool
) -> None:
    binding_id = cluster.connect()
    if expired:
        cluster.expire(binding_id)
    else:  # valid for one more minute: inside the 120 s skew, so a refresh is due
        cluster.set_expiry(binding_id, datetime.now(UTC) + timedelta(minutes=1))
    before = cluster.grant(binding_id)
    refreshes = cluster.emulator.refreshes()
    cluster.emulator.faults(fail_next_token_calls=1, fail_mode=fail_mode)
    first, second, third = cluster.replicas

    answer = first.fresh_token(binding_id)

    assert cluster.emulator.refreshes() - refreshes == {"failure": 1}
    if expired:
        assert answer.code is grpc.StatusCode.UNAVAILABLE, answer.describe()
        assert answer.reason == "XERO_UNAVAILABLE"
        assert answer.retry_delay_s is not None and 0 < answer.retry_delay_s <= 300
    else:
        assert answer.ok, answer.describe()
        assert answer.response.access_token == before.access_token
        assert answer.response.binding_status == pb.BINDING_STATUS_DEGRADED
    stored = cluster.grant(binding_id)
    assert stored.refresh_token == before.refresh_token, "the refresh token must not change"
    assert stored.access_token == before.access_token
    assert stored.version == before.version
    assert cluster.emulator.standing(stored.refresh_token) == "head"
    assert stored.failure_count == 1 and stored.next_retry_at is not None
    assert cluster.status(binding_id) is BindingStatus.DEGRADED
    assert "needs_reconnect" not in cluster.events(binding_id)

    if not expired:
        # While its retry is scheduled (30 s) and the token works, the service hands that token
        # out without asking Xero again; the retry's time comes, as if 30 s had passed.
        waiting = second.fresh_token(binding_id)
        assert waiting.ok and waiting.response.access_token == before.access_token
        assert cluster.emulator.refreshes() - refreshes == {"failure": 1}
        cluster.sql_write(
            "UPDATE grants SET next_retry_at = now() - interval '1 second' WHERE binding_id = :id",
            id=binding_id,
        )
    recovered = second.fresh_token(binding_id)
    assert recovered.ok, recovered.describe()
    after = cluster.grant(binding_id)
    assert after.version == before.version + 1
    assert recovered.response.access_token == after.access_token != before.access_token
    assert recovered.response.binding_status == pb.BINDING_STATUS_CONNECTED
    assert (after.failure_count, after.next_retry_at) == (0, None)
    assert cluster.status(binding_id) is BindingStatus.CONNECTED
    assert "recovered" in cluster.events(binding_id)
    same = third.fresh_token(binding_id)
    assert same.ok and same.response.access_token == after.access_token
