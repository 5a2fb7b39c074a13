"""A replica dies (SIGKILL) after Xero rotated the refresh token but before our commit.

The victim is an extra replica started for the test. Its refresh request is held inside the
emulator (tests/integration/replicas/cluster.py, Gate); the victim is killed, then the
emulator goes on and rotates for a client that is gone: Xero has a new
refresh token, our database still has the old one (DESIGN §5: "a crash between Xero's answer
and our commit loses nothing"). PostgreSQL ends the dead backend's transaction, so its row
lock goes with it.

Within Xero's 30-minute grace the old token is accepted once more and the next call on a
surviving replica succeeds. Past the grace it is refused: the binding needs reconnecting,
callers get FAILED_PRECONDITION / BINDING_REAUTH_REQUIRED, and the replicas carry on serving.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import grpc
import pytest

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from domain.values import BindingStatus
from tests.integration.replicas.cluster import Answer, Cluster, Replica, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TOKEN_PATH = "/connect/token"
GRACE_S = 30 * 60


def kill_after_xero_rotated(cluster: Cluster, binding_id: str) -> None:
    """Start a refresh on a fresh victim replica, SIGKILL it while Xero holds the request, then
    let Xero rotate: its answer goes nowhere."""
    victim = cluster.spawn()
    rotated_before = cluster.emulator.refreshes()["success"]
    cluster.emulator.gate.hold_next(TOKEN_PATH)
    with ThreadPoolExecutor(1) as pool:
        doomed: Future[Answer] = pool.submit(victim.fresh_token, binding_id)
        wait_until(
            lambda: cluster.emulator.gate.holding(TOKEN_PATH),
            30,
            "the victim's refresh to reach Xero",
            interval=0.01,
        )
        victim.kill()
        assert not doomed.result(timeout=30).ok, "the victim died mid-call"
    cluster.emulator.gate.release()
    cluster.emulator.gate.wait_done(30)
    assert cluster.emulator.refreshes()["success"] == rotated_before + 1, "Xero rotated"


def test_the_next_call_on_another_replica_succeeds_within_the_grace(cluster: Cluster) -> None:
    binding_id = cluster.connect()
    cluster.expire(binding_id)
    stored = cluster.grant(binding_id)

    kill_after_xero_rotated(cluster, binding_id)

    assert cluster.grant(binding_id).refresh_token == stored.refresh_token, "nothing committed"
    assert cluster.emulator.standing(stored.refresh_token) == "grace"
    answer = cluster.replicas[0].fresh_token(binding_id)
    assert answer.ok, answer.describe()
    after = cluster.grant(binding_id)
    assert after.version == stored.version + 1
    assert answer.response.access_token == after.access_token
    assert cluster.emulator.standing(after.refresh_token) == "head"
    assert cluster.emulator.connections(after.access_token).status_code == 200
    assert cluster.status(binding_id) is BindingStatus.CONNECTED
    for replica in cluster.replicas[1:]:
        again = replica.fresh_token(binding_id)
        assert again.ok and again.response.access_token == after.access_token


def test_past_the_grace_the_binding_needs_reconnecting_and_replicas_keep_serving(
    cluster: Cluster,
) -> None:
    healthy_binding = cluster.connect()
    binding_id = cluster.connect()
    cluster.expire(binding_id)
    stored = cluster.grant(binding_id)
    pids = [replica.pid for replica in cluster.replicas]

    kill_after_xero_rotated(cluster, binding_id)
    cluster.emulator.advance(GRACE_S + 60)
    assert cluster.emulator.standing(stored.refresh_token) == "refused"

    answer = cluster.replicas[0].fresh_token(binding_id)
    assert answer.code is grpc.StatusCode.FAILED_PRECONDITION, answer.describe()
    assert answer.reason == "BINDING_REAUTH_REQUIRED"
    assert "reconnect" in answer.message.lower()
    assert cluster.status(binding_id) is BindingStatus.NEEDS_RECONNECT
    assert "needs_reconnect" in cluster.events(binding_id)
    assert cluster.grant(binding_id).refresh_token == stored.refresh_token

    for replica in cluster.replicas:
        refused(replica, binding_id)
        binding = replica.binding(binding_id)
        assert binding.ok and binding.response.binding.status == pb.BINDING_STATUS_NEEDS_RECONNECT
    refreshes = cluster.emulator.refreshes()
    for replica in cluster.replicas:  # asking again does not ask Xero again
        refused(replica, binding_id)
    assert cluster.emulator.refreshes() == refreshes

    # No crash, no restart: the same processes serve other bindings as before.
    assert [replica.pid for replica in cluster.replicas] == pids
    for replica in cluster.replicas:
        assert replica.alive and replica.health() == "SERVING"
        fine = replica.fresh_token(healthy_binding)
        assert fine.ok, fine.describe()


def refused(replica: Replica, binding_id: str) -> None:
    answer = replica.fresh_token(binding_id)
    assert answer.code is grpc.StatusCode.FAILED_PRECONDITION, (replica.name, answer.describe())
    assert answer.reason == "BINDING_REAUTH_REQUIRED"
