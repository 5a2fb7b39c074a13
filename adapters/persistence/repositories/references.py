"""Reference caches, one per Xero organisation and environment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from adapters.persistence.mappers.reference import reference_from, reference_row
from adapters.persistence.tables import reference_caches as caches
from adapters.persistence.transaction import Tx
from domain.ports import ReferenceCacheStore
from domain.reference import ReferenceCache
from domain.values import Environment


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
        self._tx.upsert(caches, reference_row(cache), keys=["tenant_id", "environment"])

    def stale(self, before: datetime, limit: int) -> list[ReferenceCache]:
        """Caches whose critical or extended wave is missing or older than `before`,
        never-fetched first, then oldest."""
        stale = or_(
            caches.c.fetched_at.is_(None),
            caches.c.fetched_at < before,
            caches.c.extended_fetched_at.is_(None),
            caches.c.extended_fetched_at < before,
        )
        statement = (
            select(caches)
            .where(stale)
            .order_by(caches.c.fetched_at.nulls_first(), caches.c.tenant_id)
            .limit(limit)
        )
        return [reference_from(row) for row in self._tx.rows(statement)]
