"""A sweep and callers never refresh one grant twice (DESIGN §5 step 3, §7).

A grant whose refresh failed (503) is DEGRADED with a retry scheduled; the test makes that
retry due and its access token expired. A fourth replica sweeps every 0.2 s: its token sweep
claims the due grant (FOR UPDATE SKIP LOCKED) and refreshes it under the grant's row lock.
Its request is held inside the emulator (Gate) while 30 callers spread over the three other
replicas ask for the token and queue on that lock. Released, the sweep commits; the callers
re-read under the lock and all get the sweep's token: Xero sees exactly one refresh.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from domain.values import BindingStatus
from tests.integration.replicas.cluster import Cluster, Replica, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CALLERS = 30
TOKEN_PATH = "/connect/token"


def test_callers_wait_for_the_sweeps_refresh_instead_of_refreshing_again(
    cluster: Cluster,
) -> None:
    binding_id = cluster.connect()
    cluster.expire(binding_id)
    cluster.emulator.faults(fail_next_token_calls=1, fail_mode="5xx")
    failed = cluster.replicas[0].fresh_token(binding_id)
    assert failed.code is grpc.StatusCode.UNAVAILABLE, failed.describe()
    assert cluster.status(binding_id) is BindingStatus.DEGRADED
    sweeper = Replica("sweeper", cluster.env(LEDGER_SWEEP_TICK_S="0.2"), cluster.workdir)
    cluster.extra.append(sweeper)
    sweeper.start()
    before = cluster.grant(binding_id)
    refreshes = cluster.emulator.refreshes()
    gate = cluster.emulator.gate

    gate.hold_next(TOKEN_PATH)
    cluster.sql_write(  # the retry is due now: the sweeper takes it within a tick
        "UPDATE grants SET next_retry_at = now() WHERE binding_id = :id", id=binding_id
    )
    wait_until(lambda: gate.holding(TOKEN_PATH), 30, "the sweep's refresh to reach Xero")
    with ThreadPoolExecutor(CALLERS) as pool:
        calls = [
            pool.submit(cluster.replicas[n % len(cluster.replicas)].fresh_token, binding_id)
            for n in range(CALLERS)
        ]
        wait_until(
            lambda: cluster.lock_waiters() >= len(cluster.replicas),
            30,
            "a caller on every replica to wait for the grant's row lock",
        )
        gate.release()
        answers = [call.result(timeout=60) for call in calls]

    assert [a.describe() for a in answers if not a.ok] == []
    assert cluster.emulator.refreshes() - refreshes == {"success": 1}
    after = cluster.grant(binding_id)
    assert after.version == before.version + 1
    assert {a.response.access_token for a in answers} == {after.access_token}
    assert (after.failure_count, after.next_retry_at) == (0, None)
    assert cluster.status(binding_id) is BindingStatus.CONNECTED
    wait_until(lambda: "'refreshed': 1" in sweeper.log(), 30, "the sweeper to log its refresh")
