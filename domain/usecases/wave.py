"""One rule for storing a wave of reference data, whoever fetched it (the connect's prefetch,
a refresh, the sweep): merged into the organisation's cache, the calls counted against our
daily share with what Xero said is left, and the bytes received added to the month's egress."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.egress import EgressRow, month_of
from domain.ports import UnitOfWork
from domain.reference import CRITICAL, EVERY_KIND, ReferenceBundle, ReferenceCache, RefKind
from domain.values import Environment


def store_wave(
    uow: UnitOfWork,
    environment: Environment,
    tenant_id: str,
    kinds: tuple[RefKind, ...],
    bundle: ReferenceBundle,
    now: datetime,
) -> tuple[ReferenceCache | None, ReferenceCache]:
    """The cache before and after; written, not committed."""
    before = uow.references.get(tenant_id, environment)
    cache = (before or ReferenceCache(tenant_id, environment)).merged(
        bundle, now, extended=kinds != CRITICAL, critical=kinds == EVERY_KIND
    )
    cache = replace(cache, day=cache.day.spent(len(kinds), bundle.day_remaining, now))
    uow.references.save(cache)
    rows = [
        EgressRow(environment, tenant_id, r.kind.value, r.received_bytes) for r in bundle.receipts
    ]
    uow.egress.add(month_of(now), rows)
    return before, cache
