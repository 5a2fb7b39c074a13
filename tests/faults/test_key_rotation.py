"""Key rotation while tokens keep rotating (DESIGN §8): nothing lost, every value decrypts.

Every replica's keyring is `k1,k2` (k1 primary). The test promotes k2 (`k2,k1`) and runs the
rotation (`KeyRotation`, what `ledger-connect keys rotate` runs, one row per batch so that
it interleaves as much as possible) over and over while three writers refresh the same grants:
the service in this process with the old primary, one with the new primary, and the "steady"
serve replica through gRPC. The rotation's compare-and-swap must never write back a token
that a refresh replaced meanwhile; free-running threads rarely hit that window, so one such
interleaving is first set up step by step. Afterwards every grant's stored refresh token is
the newest one Xero issued for it, and a final pass leaves every value under k2, readable
with k2 alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.persistence.crypto import Sealer
from adapters.persistence.keyring import Keyring
from adapters.persistence.rotation import KeyRotation, RotationReport
from adapters.persistence.tables import SEALED
from adapters.persistence.uow import SqlUnitOfWorkFactory
from tests.faults.conftest import NEW_KEY, ROTATED_KEYS, FaultWorld
from tests.integration.replicas.cluster import CACHE_LAG_S, LAG_SLACK_S, Cluster

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.slow]

BINDINGS = 6
ROUNDS = 4


def test_rotation_concurrent_with_refreshes_loses_nothing(world: FaultWorld) -> None:
    cluster = world.cluster
    database = cluster.container.database
    assert database is not None
    bindings = [cluster.connect() for _ in range(BINDINGS)]
    versions_before = {b: cluster.grant(b).version for b in bindings}
    old_primary = cluster.container.service.tokens
    new_primary_service = cluster.build(cluster.database_url, ROTATED_KEYS)
    new_primary = new_primary_service.service.tokens
    rotation = KeyRotation(database, Keyring.parse(ROTATED_KEYS), batch_size=1)
    writers_done = threading.Event()

    # First one interleaving made certain: the rotation reads a row, a refresh commits new
    # tokens, the rotation writes: its compare-and-swap leaves the refresh's row alone.
    grants_table = next(sealed for sealed in SEALED if sealed.table.name == "grants")
    every_row = KeyRotation(database, Keyring.parse(ROTATED_KEYS), batch_size=10_000)
    read = [r for r in every_row.next_batch(grants_table) if r["binding_id"] == bindings[0]]
    assert len(read) == 1
    old_primary.refresh_now(bindings[0])
    assert rotation.apply(grants_table, read) == RotationReport(changed_meanwhile=1)
    assert cluster.emulator.standing(cluster.grant(bindings[0]).refresh_token) == "head"

    def refreshing(refresh: Callable[[str], object]) -> Callable[[], int]:
        def run() -> int:
            for _ in range(ROUNDS):
                for binding_id in bindings:
                    refresh(binding_id)
            return ROUNDS * len(bindings)

        return run

    def through_grpc(binding_id: str) -> None:
        cluster.set_expiry(binding_id, datetime.now(UTC) - timedelta(minutes=1))
        answer = world.steady.fresh_token(binding_id)
        assert answer.ok, answer.describe()

    def rotating() -> RotationReport:
        report = RotationReport()
        while not writers_done.is_set():
            report += rotation.run()
        return report

    try:
        with ThreadPoolExecutor(4) as pool:
            rotator = pool.submit(rotating)
            writers = [
                pool.submit(refreshing(old_primary.refresh_now)),
                pool.submit(refreshing(new_primary.refresh_now)),
                pool.submit(refreshing(through_grpc)),
            ]
            try:
                done = sum(writer.result(timeout=120) for writer in writers)
            finally:
                writers_done.set()
            during = rotator.result(timeout=120)
    finally:
        new_primary_service.close()
    final = rotation.run()

    print(
        f"\n{done} refresh calls; rotation while they ran: {during.rewritten} rows re-sealed, "
        f"{during.changed_meanwhile} left to their concurrent writer; final pass: {final}"
    )
    assert during.rewritten > 0 and during.unreadable == 0
    assert final.remaining == 0 and final.unreadable == 0
    assert stored_key_ids(cluster) == {"k2"}
    for binding_id in bindings:
        grant = cluster.grant(binding_id)
        assert grant.version > versions_before[binding_id]
        assert cluster.emulator.standing(grant.refresh_token) == "head", (
            f"{binding_id}: the stored refresh token is not the newest Xero issued"
        )
    assert_everything_opens_with(cluster, NEW_KEY)
    # A replica keyed k1,k2 reads the k2 rows (after its 3 s token cache, which may still
    # hold a token it refreshed itself during the test).
    cluster.set_expiry(bindings[0], datetime.now(UTC) - timedelta(minutes=1))
    answer = served_after_cache(world, bindings[0])
    assert answer == cluster.grant(bindings[0]).access_token


def stored_key_ids(cluster: Cluster) -> set[str]:
    return {
        row[0]
        for sealed in SEALED
        for row in cluster.sql(f"SELECT DISTINCT key_id FROM {sealed.table.name}")  # noqa: S608
    }


def assert_everything_opens_with(cluster: Cluster, keys: str) -> None:
    """Every sealed value of every table opens with `keys` alone (no CorruptSecret)."""
    database = cluster.container.database
    assert database is not None
    sealer = Sealer(Keyring.parse(keys))
    opened = 0
    with database.engine.connect() as conn:
        for sealed in SEALED:
            for row in conn.execute(select(sealed.table)).mappings():
                for column in sealed.columns:
                    if row[column] is not None:
                        row_id = str(row[sealed.id_column])
                        sealer.open(row[column], sealed.table.name, column, row_id)
                        opened += 1
    assert opened > 0
    with SqlUnitOfWorkFactory(database, Keyring.parse(keys))() as uow:
        for binding_id in [row[0] for row in cluster.sql("SELECT binding_id FROM grants")]:
            assert uow.grants.get(binding_id) is not None


def served_after_cache(world: FaultWorld, binding_id: str) -> str:
    """The token the steady replica hands out once its cache cannot answer any more."""
    deadline = time.monotonic() + CACHE_LAG_S + LAG_SLACK_S
    while True:
        answer = world.steady.fresh_token(binding_id)
        assert answer.ok, answer.describe()
        token: str = answer.response.access_token
        if token == world.cluster.grant(binding_id).access_token or time.monotonic() > deadline:
            return token
        time.sleep(0.1)
