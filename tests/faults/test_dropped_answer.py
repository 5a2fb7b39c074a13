"""Xero rotates the refresh token and its answer is lost on the way (the emulator's
`drop_answer_after_rotation`: it rotates, then answers 502). The replica keeps the old refresh
token, reports UNAVAILABLE with a RetryInfo, and the next call gets through with the old token
inside Xero's 30-minute grace (DESIGN §5 step 6; xero-facts §2)."""

from __future__ import annotations

import grpc
import pytest

from domain.values import BindingStatus
from tests.faults.conftest import FaultWorld

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.slow]


def test_a_lost_rotation_answer_is_recovered_through_the_grace_window(world: FaultWorld) -> None:
    cluster, replica = world.cluster, world.steady
    binding_id = cluster.connect()
    cluster.expire(binding_id)
    stored = cluster.grant(binding_id)
    refreshes = cluster.emulator.refreshes()
    cluster.emulator.faults(drop_answer_after_rotation=1)

    lost = replica.fresh_token(binding_id)

    assert lost.code is grpc.StatusCode.UNAVAILABLE, lost.describe()
    assert lost.reason == "XERO_UNAVAILABLE"
    assert lost.retry_delay_s is not None and 0 < lost.retry_delay_s <= 300
    assert cluster.emulator.refreshes() - refreshes == {"success": 1}, "Xero did rotate"
    kept = cluster.grant(binding_id)
    assert (kept.refresh_token, kept.version) == (stored.refresh_token, stored.version)
    assert cluster.emulator.standing(stored.refresh_token) == "grace"
    assert cluster.status(binding_id) is BindingStatus.DEGRADED

    recovered = replica.fresh_token(binding_id)

    assert recovered.ok, recovered.describe()
    final = cluster.grant(binding_id)
    assert recovered.response.access_token == final.access_token
    assert final.version == stored.version + 1
    assert cluster.emulator.standing(final.refresh_token) == "head"
    assert cluster.emulator.refreshes() - refreshes == {"success": 2}
    assert cluster.emulator.connections(final.access_token).status_code == 200
    assert cluster.status(binding_id) is BindingStatus.CONNECTED
