"""SIGKILL of a replica in the middle of a refresh: another replica, whose caller is already
waiting for the grant's row lock, completes the refresh (DESIGN §5).

The victim's refresh request is held inside the emulator (Gate) while it holds the row lock;
the survivor's call queues on that lock. The victim is killed, PostgreSQL ends its
transaction, and the emulator then handles the dead victim's request (Xero rotates; nobody
hears the answer) before the survivor's, which presents the same old refresh token inside
Xero's grace. The time from the SIGKILL to the survivor's token is printed; it is only
bounded generously.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from domain.values import BindingStatus
from tests.faults.conftest import FaultWorld
from tests.integration.replicas.cluster import Answer, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.slow]

TOKEN_PATH = "/connect/token"
RECOVERY_BOUND_S = 20.0


def test_another_replica_completes_a_refresh_its_killed_peer_began(world: FaultWorld) -> None:
    cluster = world.cluster
    binding_id = cluster.connect()
    cluster.expire(binding_id)
    stored = cluster.grant(binding_id)
    victim = cluster.spawn()
    gate = cluster.emulator.gate
    gate.hold_next(TOKEN_PATH)  # requests arriving later queue behind it, in order

    with ThreadPoolExecutor(2) as pool:
        doomed: Future[Answer] = pool.submit(victim.fresh_token, binding_id)
        wait_until(lambda: gate.holding(TOKEN_PATH), 30, "the victim's refresh to reach Xero")
        survivor: Future[Answer] = pool.submit(world.steady.fresh_token, binding_id)
        wait_until(
            lambda: cluster.lock_waiters() >= 1, 30, "the survivor to wait for the grant's lock"
        )
        killed_at = time.monotonic()
        victim.kill()
        gate.release()
        answer = survivor.result(timeout=60)
        recovery = time.monotonic() - killed_at
        assert not doomed.result(timeout=30).ok, "the victim died mid-call"

    print(f"\nrecovered {recovery:.3f} s after the SIGKILL of the replica mid-refresh")
    assert answer.ok, answer.describe()
    assert recovery < RECOVERY_BOUND_S
    final = cluster.grant(binding_id)
    assert answer.response.access_token == final.access_token
    assert final.version == stored.version + 1
    assert cluster.emulator.standing(final.refresh_token) == "head"
    assert cluster.status(binding_id) is BindingStatus.CONNECTED
    assert world.steady.alive and world.steady.health() == "SERVING"
