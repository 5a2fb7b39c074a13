"""invalid_grant across replicas (DESIGN §5 step 5): re-read first; NEEDS_RECONNECT only when
the grant really is dead.

The race, made deterministic with real processes: a replica refreshes with a refresh token
Xero no longer accepts (the test rotated it twice behind the service's back), and Xero holds
that request. Meanwhile the merchant reconnects Xero: our callback's grant
write queues behind the replica's row lock. Xero refuses the replica; its transaction ends,
the reconnect commits a new grant (version + 1), and the replica's re-read under the lock
sees the moved version and hands out the new token instead of condemning the binding.
The replica's request is held inside the emulator (cluster.Gate) until the reconnect waits
for the lock, so the order does not depend on timing.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import grpc
import pytest

from domain.usecases.settle import Connected
from domain.values import BindingStatus
from tests.integration.replicas.cluster import Answer, Cluster, refused_within, wait_until
from xero_emulator.seed import AVERY, NZ, SAM, UK

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TOKEN_PATH = "/connect/token"
# The reconnect's grant write waits for the row lock either in its upsert or, should it lock
# the row first, in a SELECT ... FOR UPDATE: any statement on grants.
GRANT_WRITE = "%grants%"


def test_the_loser_of_an_invalid_grant_race_re_reads_and_succeeds(cluster: Cluster) -> None:
    binding_id = cluster.connect(AVERY.user_id, UK.tenant_id)
    cluster.expire(binding_id)
    stored = cluster.grant(binding_id)
    token = stored.refresh_token
    for _ in range(2):  # rotated twice elsewhere: its grace ends with the second rotation
        used = cluster.emulator.token_call(grant_type="refresh_token", refresh_token=token)
        assert used.status_code == 200, used.text
        token = used.json()["refresh_token"]
    assert cluster.emulator.standing(stored.refresh_token) == "refused"
    refused_before = cluster.emulator.refreshes()["failure"]

    gate = cluster.emulator.gate
    gate.hold_next(TOKEN_PATH, queue_others=False)  # the reconnect's code exchange passes
    with ThreadPoolExecutor(2) as pool:
        doomed: Future[Answer] = pool.submit(cluster.replicas[0].fresh_token, binding_id)
        wait_until(
            lambda: gate.holding(TOKEN_PATH), 30, "the replica's refresh to reach Xero", 0.01
        )
        reconnect: Future[Connected] = pool.submit(
            cluster.reconnect, binding_id, AVERY.user_id, UK.tenant_id
        )
        wait_until(
            lambda: reconnect.done() or cluster.lock_waiters(GRANT_WRITE, ours=True),
            30,
            "the reconnect's grant write to queue behind the replica's row lock",
            interval=0.01,
        )
        assert not reconnect.done(), "the reconnect did not wait for the replica's lock"
        gate.release()  # now Xero refuses the replica's stale refresh token
        answer = doomed.result(timeout=60)
        reconnect.result(timeout=60)

    assert cluster.emulator.refreshes()["failure"] == refused_before + 1, "Xero refused once"
    assert answer.ok, answer.describe()
    after = cluster.grant(binding_id)
    assert after.version == stored.version + 1
    assert answer.response.access_token == after.access_token
    assert cluster.status(binding_id) is BindingStatus.CONNECTED
    assert "needs_reconnect" not in cluster.events(binding_id)
    for replica in cluster.replicas:
        again = replica.fresh_token(binding_id)
        assert again.ok and again.response.access_token == after.access_token


def test_a_revoked_grant_needs_reconnecting_only_once_xero_really_refuses_it(
    cluster: Cluster,
) -> None:
    revoked = cluster.connect(SAM.user_id, NZ.tenant_id)
    bystander = cluster.connect(AVERY.user_id, UK.tenant_id)
    cluster.emulator.revoke(cluster.grant(revoked).refresh_token)
    stored = cluster.grant(revoked)
    assert cluster.emulator.standing(stored.refresh_token) == "refused"

    # Before any refresh we know nothing: the unexpired token is handed out.
    first = cluster.replicas[0].fresh_token(revoked)
    assert first.ok, first.describe()
    assert cluster.status(revoked) is BindingStatus.CONNECTED

    # Xero down is not Xero saying no: DEGRADED, not NEEDS_RECONNECT.
    cluster.expire(revoked)
    cluster.emulator.faults(fail_next_token_calls=1, fail_mode="5xx")
    down = cluster.replicas[1].fresh_token(revoked)
    assert down.code is grpc.StatusCode.UNAVAILABLE, down.describe()
    assert cluster.status(revoked) is BindingStatus.DEGRADED

    # Xero answers invalid_grant and nothing moved meanwhile: that is final.
    no = cluster.replicas[2].fresh_token(revoked)
    assert no.code is grpc.StatusCode.FAILED_PRECONDITION, no.describe()
    assert no.reason == "BINDING_REAUTH_REQUIRED"
    assert cluster.status(revoked) is BindingStatus.NEEDS_RECONNECT
    assert cluster.grant(revoked).version == stored.version
    for replica in cluster.replicas:  # replica 0 may still have the token cached briefly
        refused_within(replica, revoked, "BINDING_REAUTH_REQUIRED")

    # Another Xero user's binding is untouched, even after a refresh.
    cluster.expire(bystander)
    fine = cluster.replicas[0].fresh_token(bystander)
    assert fine.ok, fine.describe()
    assert cluster.status(bystander) is BindingStatus.CONNECTED


def test_a_reconnect_right_after_a_rotation_still_moves_the_version(cluster: Cluster) -> None:
    """The re-read of step 5 tells a race from a dead grant by the version alone: two
    different token sets must never share one. Here a replica's rotation (held at Xero) and
    a reconnect (its grant write queued on the row lock) commit one after the other."""
    binding_id = cluster.connect(AVERY.user_id, UK.tenant_id)
    cluster.expire(binding_id)
    stored = cluster.grant(binding_id)
    gate = cluster.emulator.gate
    gate.hold_next(TOKEN_PATH, queue_others=False)
    with ThreadPoolExecutor(2) as pool:
        rotating: Future[Answer] = pool.submit(cluster.replicas[0].fresh_token, binding_id)
        wait_until(lambda: gate.holding(TOKEN_PATH), 30, "the rotation to reach Xero", 0.01)
        reconnect: Future[Connected] = pool.submit(
            cluster.reconnect, binding_id, AVERY.user_id, UK.tenant_id
        )
        wait_until(
            lambda: reconnect.done() or cluster.lock_waiters(GRANT_WRITE, ours=True),
            30,
            "the reconnect's grant write to queue behind the rotation's row lock",
            interval=0.01,
        )
        gate.release()
        rotated = rotating.result(timeout=60)
        reconnect.result(timeout=60)

    assert rotated.ok, rotated.describe()
    final = cluster.grant(binding_id)
    assert final.access_token != rotated.response.access_token, "the reconnect wrote last"
    assert final.version == stored.version + 2, "rotation and reconnect: one version each"
