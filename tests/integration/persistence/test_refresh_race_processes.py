"""Two replica processes refreshing one expired grant on PostgreSQL: one refresh at Xero."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.persistence.uow import SqlUnitOfWorkFactory
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0
from tests.integration.persistence.conftest import KEYS
from tests.integration.persistence.markers import postgres_only
from tests.integration.persistence.race_worker import fetch_token


@pytest.mark.slow
@postgres_only
def test_two_processes_refresh_an_expired_grant_exactly_once(
    database_url: str, uow: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    b.store(uow)
    with uow() as u:
        u.grants.save(b.grant(expires=T0 - timedelta(minutes=1)))
        u.commit()
    counter = tmp_path / "refreshes"
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    processes = [
        spawn.Process(target=fetch_token, args=(database_url, KEYS, str(counter), barrier, results))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    tokens = sorted(results.get(timeout=60) for _ in processes)
    for process in processes:
        process.join(timeout=10)
    assert tokens == ["access-1", "access-1"]
    assert len(counter.read_text().split()) == 1
    with uow() as u:
        stored = u.grants.get("b-1")
        assert stored is not None and stored.refresh_token == "refresh-1"
