"""The merchant removes our app inside Xero (DESIGN §9, xero-facts §2): Xero sends no event and
token refreshes may keep working, so a sync service that got a 403 reports it. The replica
asks /connections, sees the organisation gone, and the binding needs reconnecting within
seconds; after that every caller on every replica is refused, allowing each replica the few
seconds its in-process token cache may lag (DESIGN §5 step 1).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from domain.values import BindingStatus
from tests.integration.replicas.cluster import Cluster, refused_within
from xero_emulator.seed import AU, AVERY

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPORT_BUDGET_S = 5.0
REASON = "BINDING_REAUTH_REQUIRED"


def test_a_reported_403_for_a_removed_organisation_stops_every_replica(
    cluster: Cluster,
) -> None:
    binding_id = cluster.connect(AVERY.user_id, AU.tenant_id)
    for replica in cluster.replicas:  # every replica has the token in its cache now
        warm = replica.fresh_token(binding_id)
        assert warm.ok, warm.describe()
    cluster.emulator.disconnect(AU.tenant_id, AVERY.user_id)

    started = time.monotonic()
    report = cluster.replicas[1].report_auth_failure(binding_id, 403)
    took = time.monotonic() - started

    assert report.ok, report.describe()
    assert report.response.binding_status == pb.BINDING_STATUS_NEEDS_RECONNECT
    assert took < REPORT_BUDGET_S, f"the report took {took:.2f} s"
    assert cluster.status(binding_id) is BindingStatus.NEEDS_RECONNECT
    assert "needs_reconnect" in cluster.events(binding_id)

    lags = {
        replica.name: refused_within(replica, binding_id, REASON) for replica in cluster.replicas
    }
    print(f"report {took:.2f} s; refused on each replica after {lags}")
    assert lags[cluster.replicas[1].name] < 1.0, "the reporting replica drops its cache at once"

    def everyone(number: int) -> grpc.StatusCode:
        answer = cluster.replicas[number % len(cluster.replicas)].fresh_token(binding_id)
        assert answer.code is grpc.StatusCode.FAILED_PRECONDITION, answer.describe()
        assert answer.reason == REASON
        return answer.code

    with ThreadPoolExecutor(30) as pool:
        assert set(pool.map(everyone, range(60))) == {grpc.StatusCode.FAILED_PRECONDITION}
    for replica in cluster.replicas:
        binding = replica.binding(binding_id)
        assert binding.ok and binding.response.binding.status == pb.BINDING_STATUS_NEEDS_RECONNECT
        again = replica.report_auth_failure(binding_id, 401)
        assert again.ok and again.response.binding_status == pb.BINDING_STATUS_NEEDS_RECONNECT
