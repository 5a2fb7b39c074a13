"""Reference caches, one per Xero organisation and environment."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Insert, case, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.persistence.mappers.reference import reference_from, reference_row
from adapters.persistence.tables import bindings
from adapters.persistence.tables import reference_caches as caches
from adapters.persistence.transaction import Tx
from domain.ports import ReferenceCacheStore
from domain.reference import ReferenceCache
from domain.schedule import Backlog
from domain.values import TOKEN_STATUSES, Environment

# Only a connected or degraded binding can fetch; a cache nobody can refresh is not due.
REFRESHABLE = sorted(status.value for status in TOKEN_STATUSES)
UPSERTED = ("payload", "fetched_at", "extended_fetched_at", "is_demo")


@cache
def _upsert(is_sqlite: bool) -> Insert:
    """The cache's upsert, built once per dialect; the row comes as the parameters."""
    statement = (sqlite_insert if is_sqlite else pg_insert)(caches)
    new = statement.excluded
    updates: dict[str, Any] = {name: new[name] for name in UPSERTED}
    changed = caches.c.payload["digest"].as_string() != new.payload["digest"].as_string()
    updates["revision"] = caches.c.revision + case((changed, 1), else_=0)
    return statement.on_conflict_do_update(
        index_elements=["tenant_id", "environment"], set_=updates
    )


class SqlReferenceCacheStore(ReferenceCacheStore):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def get(self, tenant_id: str, environment: Environment) -> ReferenceCache | None:
        row = self._tx.row(
            select(caches).where(
                caches.c.tenant_id == tenant_id, caches.c.environment == environment.value
            )
        )
        return reference_from(row) if row else None

    def save(self, cache: ReferenceCache) -> None:
        """Upsert; the revision moves on only when the content changed, decided in the
        statement against the committed row, so two racing saves never share a number."""
        self._tx.run(_upsert(self._tx.is_sqlite), {**reference_row(cache), "revision": 1})

    def stale(self, before: datetime, limit: int) -> list[ReferenceCache]:
        """Caches whose critical or extended wave is missing or older than `before`, of
        organisations a connected or degraded binding points at; never-fetched first, then
        oldest."""
        statement = (
            select(caches)
            .where(_stale(before))
            .order_by(caches.c.fetched_at.nulls_first(), caches.c.tenant_id)
            .limit(limit)
        )
        return [reference_from(row) for row in self._tx.rows(statement)]

    def backlog(self, now: datetime, before: datetime) -> Backlog:
        """A cache is due `now - before` after its older wave was fetched, or at once when a
        wave is missing (then since its other wave, the moment the missing one was wanted)."""
        statement = select(
            func.count().label("due"),
            func.min(caches.c.fetched_at).label("critical"),
            func.min(caches.c.extended_fetched_at).label("extended"),
        ).where(_stale(before))
        row = self._tx.row(statement)
        assert row is not None
        count, critical, extended = row["due"], row["critical"], row["extended"]
        fetched = [t for t in (critical, extended) if t is not None]
        if not count:
            return Backlog()
        since = min(fetched) + (now - before) if fetched else now
        return Backlog(int(count), min(since, now))


def _stale(before: datetime) -> ColumnElement[bool]:
    old = or_(
        caches.c.fetched_at.is_(None),
        caches.c.fetched_at < before,
        caches.c.extended_fetched_at.is_(None),
        caches.c.extended_fetched_at < before,
    )
    refreshable = exists().where(
        bindings.c.xero_tenant_id == caches.c.tenant_id,
        bindings.c.xero_environment == caches.c.environment,
        bindings.c.status.in_(REFRESHABLE),
    )
    return old & refreshable
