"""The credential read audit across `serve` processes on PostgreSQL: nothing written per call,
every replica's reads written when it stops (SIGTERM), rows merged across replicas, and the
per-caller metric fed by the periodic flush."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.replicas.cluster import Cluster, Replica, free_port, wait_until

CALLER_NAME = "replica-tests"  # the cluster's LEDGER_GRPC_CALLERS

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def audited_replica(cluster: Cluster, **env: str) -> Replica:
    replica = Replica(f"audit-{uuid.uuid4().hex[:6]}", cluster.env(**env), cluster.workdir)
    cluster.extra.append(replica)
    return replica.start()


def reads_of(cluster: Cluster, binding_id: str) -> list[Any]:
    return cluster.sql(
        "SELECT caller, count, first_at, last_at FROM credential_reads WHERE binding_id = :b",
        b=binding_id,
    )


def test_each_replica_writes_its_reads_when_it_stops_and_the_rows_merge(cluster: Cluster) -> None:
    binding_id = cluster.connect()
    # A flush an hour apart: only the one at shutdown can write within this test.
    replicas = [audited_replica(cluster, LEDGER_READ_AUDIT_FLUSH_S="3600") for _ in range(2)]
    for replica, calls in zip(replicas, (5, 7), strict=True):
        for _ in range(calls):
            assert replica.fresh_token(binding_id).ok
    assert reads_of(cluster, binding_id) == [], "no write per call"

    for replica in replicas:
        replica.stop()

    ((caller, count, first_at, last_at),) = reads_of(cluster, binding_id)
    assert (caller, count) == (CALLER_NAME, 12)
    assert first_at <= last_at


def test_the_periodic_flush_feeds_the_per_caller_metric(cluster: Cluster) -> None:
    binding_id = cluster.connect()
    port = free_port()
    replica = audited_replica(
        cluster, LEDGER_READ_AUDIT_FLUSH_S="0.2", LEDGER_METRICS_PORT=str(port)
    )
    for _ in range(3):
        assert replica.fresh_token(binding_id).ok

    def metric() -> list[str]:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        return [line for line in text.splitlines() if line.startswith("ledger_credential_reads_t")]

    wait_until(lambda: [r[1] for r in reads_of(cluster, binding_id)] == [3], 30, "a flush")
    wait_until(lambda: any(line.endswith(" 3.0") for line in metric()), 30, "the metric")
    assert metric() == [f'ledger_credential_reads_total{{caller="{CALLER_NAME}"}} 3.0']
    replica.stop()
