"""Three `ledger-connect serve` replicas on one PostgreSQL database and one Xero emulator.

The cluster is built once for this package (see cluster.py); every test connects its own binding,
so tests never share a grant, a refresh-token chain or an in-process token cache. Emulator
faults are switched off and held requests let go after each test, whatever it did; a failed
test prints the replicas' logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.replicas.cluster import (
    Cluster,
    failed,
    keep_reports,
    print_logs,
    running_cluster,
)

REPLICAS = 3
pytest_runtest_makereport = keep_reports


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir: Path = tmp_path_factory.mktemp("replicas")
    with running_cluster(workdir, REPLICAS, "ledger_replicas") as running:
        yield running


@pytest.fixture(autouse=True)
def after_each(request: pytest.FixtureRequest, cluster: Cluster) -> Iterator[None]:
    yield
    cluster.emulator.gate.release()
    cluster.emulator.clear_faults()
    if failed(request):
        print_logs(cluster.replicas + cluster.extra)
