"""Grants with their tokens sealed, the row lock of DESIGN §5, and the sweep's claim."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime

from opentelemetry.trace import NoOpTracer, Tracer
from sqlalchemy import ColumnElement, and_, delete, func, or_, select

from adapters.persistence.crypto import Sealer
from adapters.persistence.mappers.grant import TABLE, grant_from, grant_row
from adapters.persistence.tables import bindings, grants
from adapters.persistence.transaction import Tx
from domain.grant import OAuthGrant, TokenView
from domain.ports import TokenStore
from domain.schedule import Backlog
from domain.values import TOKEN_STATUSES, BindingStatus, Environment

# A grant whose binding needs reconnecting or is gone cannot be refreshed; claiming it again
# on every sweep would only crowd out the grants that can.
REFRESHABLE = sorted(status.value for status in TOKEN_STATUSES)


class SqlTokenStore(TokenStore):
    def __init__(self, tx: Tx, sealer: Sealer, tracer: Tracer | None = None) -> None:
        self._tx = tx
        self._sealer = sealer
        self._tracer = tracer or NoOpTracer()

    def get(self, binding_id: str) -> OAuthGrant | None:
        row = self._tx.row(select(grants).where(grants.c.binding_id == binding_id))
        return grant_from(row, self._sealer) if row else None

    def view(self, binding_id: str) -> TokenView | None:
        """One read by primary keys; only the access token is opened."""
        statement = (
            select(
                bindings.c.status,
                bindings.c.xero_tenant_id,
                grants.c.environment,
                grants.c.access_token,
                grants.c.access_expires_at,
                grants.c.next_retry_at,
            )
            .join(grants, grants.c.binding_id == bindings.c.id)
            .where(bindings.c.id == binding_id, bindings.c.xero_tenant_id.is_not(None))
        )
        row = self._tx.row(statement)
        if row is None:
            return None
        return TokenView(
            binding_id=binding_id,
            status=BindingStatus(row["status"]),
            tenant_id=row["xero_tenant_id"],
            environment=Environment(row["environment"]),
            access_token=self._sealer.open(row["access_token"], TABLE, "access_token", binding_id),
            access_expires_at=row["access_expires_at"],
            next_retry_at=row["next_retry_at"],
        )

    def lock(self, binding_id: str, timeout_s: float) -> OAuthGrant | None:
        """PostgreSQL: `FOR UPDATE` under `lock_timeout`; SQLite: the write lock (BEGIN
        IMMEDIATE) within the same budget. Either way held until the unit of work ends."""
        statement = select(grants).where(grants.c.binding_id == binding_id).with_for_update()
        with self._lock_wait(binding_id, timeout_s):
            rows = self._tx.locked_rows(statement, timeout_s)
        return grant_from(rows[0], self._sealer) if rows else None

    def lock_or_follow(self, binding_id: str, timeout_s: float) -> tuple[OAuthGrant | None, bool]:
        """PostgreSQL: `FOR UPDATE SKIP LOCKED` (no wait); if that finds the row taken,
        `FOR KEY SHARE` under `lock_timeout`, which waits for the writer's transaction and
        then admits every follower at once (they conflict with writers, not each other).
        Plain `FOR UPDATE` would hand the row lock from one waiting replica to the next,
        each holding it for its own re-read. SQLite has one writer anyway: `lock`."""
        if self._tx.is_sqlite:
            return self.lock(binding_id, timeout_s), True
        row = select(grants).where(grants.c.binding_id == binding_id)
        with self._lock_wait(binding_id, timeout_s):
            # SKIP LOCKED never waits for the row, but it could for a table lock (a migration):
            # the budget applies from here on, to it and to the follow (one SET for both).
            rows = self._tx.locked_rows(row.with_for_update(skip_locked=True), timeout_s)
            held = bool(rows)
            if not held:
                follow = row.with_for_update(read=True, key_share=True)
                rows = self._tx.locked_rows(follow, None)
        return (grant_from(rows[0], self._sealer) if rows else None), held

    def _lock_wait(self, binding_id: str, timeout_s: float) -> AbstractContextManager[object]:
        """The wait is a span of its own: where a refresh spends its time when replicas queue."""
        attributes: dict[str, str | int] = {
            "ledger.binding_id": binding_id,
            "ledger.lock_timeout_ms": int(timeout_s * 1000),
            "db.system.name": "sqlite" if self._tx.is_sqlite else "postgresql",
        }
        return self._tracer.start_as_current_span("ledger.grant.lock_wait", attributes=attributes)

    def save(self, grant: OAuthGrant) -> None:
        self._tx.upsert(grants, grant_row(grant, self._sealer), keys=["binding_id"])

    def delete(self, binding_id: str) -> None:
        self._tx.run(delete(grants).where(grants.c.binding_id == binding_id))

    def claim_due(self, now: datetime, stale_before: datetime, limit: int) -> list[OAuthGrant]:
        """Refreshable grants due for a retry or a keep-alive, locked (`FOR UPDATE SKIP LOCKED`
        on PostgreSQL, the write lock on SQLite). Retries come first: they must land inside
        Xero's 30-minute grace for the old refresh token; then the longest unused. A grant
        with a retry scheduled is due at that time only, even when it is also unused for long
        (its keep-alive failed), so the backoff holds."""
        due = _due(now, stale_before)
        statement = (
            select(grants)
            .join(bindings, bindings.c.id == grants.c.binding_id)
            .where(due, bindings.c.status.in_(REFRESHABLE))
            .order_by(
                grants.c.next_retry_at.asc().nulls_last(),
                grants.c.refresh_issued_at,
                grants.c.binding_id,
            )
            .limit(limit)
            .with_for_update(of=grants, skip_locked=True)
        )
        return [grant_from(row, self._sealer) for row in self._tx.locked_rows(statement, None)]

    def backlog(self, now: datetime, stale_before: datetime) -> Backlog:
        """Retries are due since `next_retry_at`; keep-alives since the grant went stale."""
        retries, oldest_retry = self._due(grants.c.next_retry_at <= now, grants.c.next_retry_at)
        keepalive = _keepalive_due(stale_before)
        keepalives, oldest_use = self._due(keepalive, grants.c.refresh_issued_at)
        since = [t for t in (oldest_retry, oldest_use and oldest_use + (now - stale_before)) if t]
        return Backlog(retries + keepalives, min(since) if since else None)

    def count_exhausted(self, failure_days: int) -> int:
        count, _ = self._due(grants.c.failure_days >= failure_days, grants.c.refresh_issued_at)
        return count

    def _due(
        self, condition: ColumnElement[bool], column: ColumnElement[datetime]
    ) -> tuple[int, datetime | None]:
        statement = (
            select(func.count().label("due"), func.min(column).label("oldest"))
            .select_from(grants.join(bindings, bindings.c.id == grants.c.binding_id))
            .where(condition, bindings.c.status.in_(REFRESHABLE))
        )
        row = self._tx.row(statement)
        assert row is not None
        return int(row["due"]), row["oldest"]


def _keepalive_due(stale_before: datetime) -> ColumnElement[bool]:
    return and_(grants.c.next_retry_at.is_(None), grants.c.refresh_issued_at <= stale_before)


def _due(now: datetime, stale_before: datetime) -> ColumnElement[bool]:
    return or_(grants.c.next_retry_at <= now, _keepalive_due(stale_before))
