"""Compare-and-refresh reports across 3 real `serve` replicas on PostgreSQL (issue 15 item 5,
DESIGN §5 step 7): twenty sync workers that got the same 401 report it with the token's
SHA-256 at once, spread over the replicas; the grant's row lock lets the first refresh and
the rest see that the stored token has moved on, so Xero sees one refresh and one
connections check. A revoked grant reported once is NEEDS_RECONNECT, and every replica
refuses tokens within a second of the report's answer (each replica may serve a token from
memory for Tunables.token_cache_ttl, half a second)."""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from domain.values import BindingStatus
from tests.integration.replicas.cluster import Answer, Cluster, Replica, invoke
from xero_emulator.seed import AVERY, NZ, SAM, UK

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPORTERS = 20
REFUSED_WITHIN_S = 1.0
REASON = "BINDING_REAUTH_REQUIRED"


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def report(replica: Replica, binding_id: str, fingerprint: str) -> Answer:
    request = pb.ReportXeroAuthFailureRequest(
        binding_id=binding_id, http_status=401, token_sha256=fingerprint
    )
    return invoke(replica.stub.ReportXeroAuthFailure, request)


def xero_calls(cluster: Cluster) -> tuple[int, int]:
    stats = cluster.emulator.http.get("/_emulator/stats").json()
    refreshes = stats["token_requests"].get("refresh_token", {})
    return sum(refreshes.values()), stats["connection_lists"]


def test_twenty_reports_of_one_401_make_one_refresh_and_one_connections_check(
    cluster: Cluster,
) -> None:
    binding_id = cluster.connect(AVERY.user_id, UK.tenant_id)
    first = cluster.replicas[0].fresh_token(binding_id)
    assert first.ok, first.describe()
    failing = first.response.access_token
    cluster.emulator.control("reject_access_token", {"access_token_sha256": sha256(failing)})
    assert cluster.emulator.connections(failing).status_code == 401
    before = xero_calls(cluster)
    barrier = threading.Barrier(REPORTERS)

    def one(number: int) -> Answer:
        barrier.wait()
        return report(cluster.replicas[number % 3], binding_id, sha256(failing))

    with ThreadPoolExecutor(REPORTERS) as pool:
        answers = list(pool.map(one, range(REPORTERS)))

    refreshes, checks = (a - b for a, b in zip(xero_calls(cluster), before, strict=True))
    print(f"{REPORTERS} reports -> {refreshes} refresh(es), {checks} connections check(s)")
    assert all(a.ok for a in answers), [a.describe() for a in answers if not a.ok]
    assert {a.response.binding_status for a in answers} == {pb.BINDING_STATUS_CONNECTED}
    assert all(a.response.newer_token_available for a in answers)
    assert (refreshes, checks) == (1, 1)
    stored = cluster.grant(binding_id).access_token
    assert stored != failing and cluster.emulator.connections(stored).status_code == 200
    time.sleep(REFUSED_WITHIN_S)
    for replica in cluster.replicas:
        fresh = replica.fresh_token(binding_id)
        assert fresh.ok and fresh.response.access_token == stored, replica.name


def test_a_revoked_grant_reported_once_is_refused_everywhere_within_a_second(
    cluster: Cluster,
) -> None:
    binding_id = cluster.connect(SAM.user_id, NZ.tenant_id)
    stop = threading.Event()
    calls: list[tuple[str, float, grpc.StatusCode, str]] = []

    def sync_worker(replica: Replica) -> None:
        """A sync service asking its replica for tokens all along, as they do."""
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            answer = replica.fresh_token(binding_id, timeout=10)
            calls.append((replica.name, started, answer.code, answer.reason))
            time.sleep(0.01)

    workers = [threading.Thread(target=sync_worker, args=(r,)) for r in cluster.replicas]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.5)  # every replica has the token in memory now
        failing = cluster.grant(binding_id).access_token
        cluster.emulator.revoke(cluster.grant(binding_id).refresh_token)
        answer = report(cluster.replicas[1], binding_id, sha256(failing))
        answered = time.monotonic()
        time.sleep(REFUSED_WITHIN_S + 0.5)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)

    assert answer.ok, answer.describe()
    assert answer.response.binding_status == pb.BINDING_STATUS_NEEDS_RECONNECT
    assert not answer.response.newer_token_available
    assert cluster.status(binding_id) is BindingStatus.NEEDS_RECONNECT
    for replica in cluster.replicas:
        mine = [c for c in calls if c[0] == replica.name]
        served = [started for _, started, code, _ in mine if code is grpc.StatusCode.OK]
        late = [c for c in mine if c[1] >= answered + REFUSED_WITHIN_S]
        lag = max(served, default=answered) - answered
        print(f"{replica.name}: last token handed out {lag:+.3f} s after the report's answer")
        assert late, f"{replica.name} made no call a second after the report"
        assert all(c[2] is grpc.StatusCode.FAILED_PRECONDITION and c[3] == REASON for c in late)
        again = replica.fresh_token(binding_id)
        assert again.code is grpc.StatusCode.FAILED_PRECONDITION and again.reason == REASON
