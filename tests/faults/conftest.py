"""The fault-injection suite's world: a scratch PostgreSQL database, one Xero emulator, one
`serve` replica straight on the database ("steady") and one behind a TCP proxy the tests can
break ("proxied"). Built once for this package with the helpers of the replica suite
(tests/integration/replicas/cluster.py) and torn down whatever happened.

The keyring of every replica is `k1,k2`: k1 primary, k2 known. That is the state of a key
rotation after step one (every replica knows the new key), so the rotation test can promote
k2 in this process and re-seal rows while the replicas keep reading them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from adapters.persistence.keyring import generate_entry
from tests.faults.proxy import TcpProxy
from tests.integration.replicas.cluster import (
    Cluster,
    Replica,
    failed,
    keep_reports,
    print_logs,
    running_cluster,
    via_port,
)

OLD_KEY = generate_entry("k1")
NEW_KEY = generate_entry("k2")
KEYS = f"{OLD_KEY},{NEW_KEY}"
ROTATED_KEYS = f"{NEW_KEY},{OLD_KEY}"
pytest_runtest_makereport = keep_reports


@dataclass
class FaultWorld:
    cluster: Cluster
    steady: Replica
    proxied: Replica
    proxy: TcpProxy


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultWorld]:
    workdir = tmp_path_factory.mktemp("faults")
    with running_cluster(workdir, 1, "ledger_faults", keys=KEYS) as cluster:
        proxy = TcpProxy()
        try:
            proxied = cluster.spawn(via_port(cluster.database_url, proxy.port))
            yield FaultWorld(cluster, cluster.replicas[0], proxied, proxy)
        finally:
            for replica in cluster.extra:
                replica.stop()
            proxy.close()


@pytest.fixture
def cluster(world: FaultWorld) -> Cluster:
    return world.cluster


@pytest.fixture(autouse=True)
def after_each(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "world" not in request.fixturenames:
        return
    world: FaultWorld = request.getfixturevalue("world")
    world.proxy.refuse(False)
    world.proxy.disarm()
    world.cluster.emulator.gate.release()
    world.cluster.emulator.clear_faults()
    if failed(request):
        print_logs(world.cluster.replicas + world.cluster.extra)
