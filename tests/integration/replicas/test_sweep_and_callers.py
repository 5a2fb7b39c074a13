"""A sweep and callers never refresh one grant twice (DESIGN §5 step 3, §7).

A grant whose refresh failed (503) is DEGRADED with a retry scheduled; the test makes that
retry due and its access token expired. A fourth replica sweeps every 0.2 s, so its token
sweep usually claims the due grant (FOR UPDATE SKIP LOCKED) and refreshes it under the
grant's row lock; but the three cluster replicas sweep too (every 15 s, as `serve` ships),
and one of their ticks can land first. Whichever sweep claims it, its request is held inside
the emulator (Gate) while 30 callers spread over the three cluster replicas ask for the
token. Callers on a replica other than the refreshing one queue on the row lock; callers on
the refreshing replica join its in-process flight instead, which the database cannot see,
so the lock waiters expected are one per replica that is not refreshing. Released, the sweep
commits; the callers re-read under the lock (or share the flight) and all get the sweep's
token: Xero sees exactly one refresh.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from domain.values import BindingStatus
from tests.integration.replicas.cluster import Cluster, Replica, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CALLERS = 30
TOKEN_PATH = "/connect/token"
# The token sweep's outcomes in a tick's log line (the reference sweep says "refreshed" too).
REFRESHED = re.compile(r"'tokens': \{[^}]*'refreshed': 1\b")


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
    sweepers = [*cluster.replicas, sweeper]
    logged = {r.name: len(r.log()) for r in sweepers}

    gate.hold_next(TOKEN_PATH)
    cluster.sql_write(  # the retry is due now: a sweep takes it within its tick
        "UPDATE grants SET next_retry_at = now() WHERE binding_id = :id", id=binding_id
    )
    wait_until(lambda: gate.holding(TOKEN_PATH), 30, "the sweep's refresh to reach Xero")
    with ThreadPoolExecutor(CALLERS) as pool:
        calls = [
            pool.submit(cluster.replicas[n % len(cluster.replicas)].fresh_token, binding_id)
            for n in range(CALLERS)
        ]
        wait_until(
            lambda: cluster.lock_waiters() >= len(cluster.replicas) - 1,
            30,
            "a caller on each replica but one to wait for the grant's row lock",
        )
        # If the fourth replica refreshes, a caller on every cluster replica waits.
        waiting = most_lock_waiters(cluster, len(cluster.replicas), within_s=2)
        gate.release()
        answers = [call.result(timeout=60) for call in calls]

    assert [a.describe() for a in answers if not a.ok] == []
    assert cluster.emulator.refreshes() - refreshes == {"success": 1}
    after = cluster.grant(binding_id)
    assert after.version == before.version + 1
    assert {a.response.access_token for a in answers} == {after.access_token}
    assert (after.failure_count, after.next_retry_at) == (0, None)
    assert cluster.status(binding_id) is BindingStatus.CONNECTED
    refresher = wait_until(
        lambda: next((r for r in sweepers if REFRESHED.search(r.log()[logged[r.name] :])), None),
        30,
        "a replica's sweep to log its refresh",
    )
    others = sum(1 for r in cluster.replicas if r is not refresher)
    assert waiting >= others, f"{waiting} lock waiters while {refresher.name} refreshed"


def most_lock_waiters(cluster: Cluster, enough: int, within_s: float) -> int:
    """The most row-lock waiters seen until there are `enough` or `within_s` has passed."""
    most, deadline = 0, time.monotonic() + within_s
    while most < enough and time.monotonic() < deadline:
        most = max(most, cluster.lock_waiters())
        time.sleep(0.05)
    return most
