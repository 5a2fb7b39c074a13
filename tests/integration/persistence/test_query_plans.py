"""The sweeps' per-organisation reads find an organisation's bindings by index, on both
backends: without one, each reference refresh and each stale cache the sweep's scan looks at
reads every binding (at 100,000 bindings, the worker's reference sweep spent most of its
time there). The statements are the repositories' own, captured as they run, then explained
(PostgreSQL with sequential scans priced out, so an index it has is an index it uses)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring
from adapters.persistence.uow import SqlUnitOfWorkFactory
from domain.ports import UnitOfWork
from domain.values import Environment
from tests.integration.persistence.builders import T0

BY_TENANT = "ix_bindings_xero_tenant"


@contextmanager
def captured(database: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "bindings" in statement:
            seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", keep)


def plan_of(database: Database, read: Callable[[UnitOfWork], object], uow: Any) -> str:
    with captured(database) as seen, uow() as work:
        read(work)
    assert len(seen) == 1, seen
    statement, parameters = seen[0]
    with database.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        if database.is_sqlite:
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        conn.execute(text("SET enable_seqscan = off"))
        cursor.execute(f"EXPLAIN {statement}", parameters)
        return "\n".join(str(row[0]) for row in cursor.fetchall())


STALE_BEFORE = datetime(2026, 1, 1, tzinfo=T0.tzinfo)
READS: dict[str, Callable[[UnitOfWork], object]] = {
    "fetcher_for_tenant": lambda w: w.bindings.fetcher_for_tenant("t-1", Environment.SANDBOX),
    "stale": lambda w: w.references.stale(STALE_BEFORE, 10),
    "backlog": lambda w: w.references.backlog(T0, STALE_BEFORE),
}


def test_an_organisations_bindings_are_read_by_index(
    database: Database, uow: SqlUnitOfWorkFactory
) -> None:
    plan = plan_of(database, READS["fetcher_for_tenant"], uow)

    assert BY_TENANT in plan, plan


@pytest.mark.parametrize("read", ["stale", "backlog"])
def test_the_stale_scan_asks_each_cache_for_a_binding_by_index(
    tmp_path: Path, keyring: Keyring, read: str
) -> None:
    """SQLite's plan, which keeps to the caches as the outer loop whatever the rows; a
    PostgreSQL plan depends on the statistics of the day and may as well drive from the
    bindings, by status."""
    database = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    database.migrate()
    try:
        plan = plan_of(database, READS[read], SqlUnitOfWorkFactory(database, keyring))
    finally:
        database.dispose()

    assert f"USING INDEX {BY_TENANT}" in plan or f"USING COVERING INDEX {BY_TENANT}" in plan, plan
