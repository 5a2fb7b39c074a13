"""Reference data older than `reference_max_age` is refetched (only the waves that are old)
through a connected or degraded binding on that organisation, asking Accounts and Items only
for what changed. A lease per organisation makes one sweeper do it and spaces out retries
after a failure by `reference_retry`. A refresh that does not fit our daily share of the
organisation's Xero calls (or what Xero says is left of its day) is postponed."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from domain.errors import (
    DayLimitReached,
    DomainError,
    LockTimeout,
    RateLimited,
    StorageUnavailable,
)
from domain.reference import CRITICAL, EXTENDED, ReferenceCache, RefKind
from domain.usecases.reference import ReferenceService
from domain.usecases.sweeps.common import REFRESHABLE, SweepContext

log = logging.getLogger(__name__)
# Caches whose retry a lease defers come first in `stale`; look past them.
LOOKAHEAD = 4


class ReferenceSweep:
    def __init__(self, context: SweepContext, reference: ReferenceService) -> None:
        self._s = context
        self._reference = reference

    def __call__(self) -> Counter[str]:
        now = self._s.now()
        before = now - self._s.deps.tunables.reference_max_age
        with self._s.deps.uow() as uow:
            backlog = uow.references.backlog(now, before)
            take = self._s.quota(backlog, now, self._s.schedule.reference_spread)
            caches = uow.references.stale(before, LOOKAHEAD * take + 20) if take else []
        outcomes: Counter[str] = Counter()
        done = 0
        for cache in self._s.until_halted(caches):
            if done >= take:
                break
            key = f"reference:{cache.environment}:{cache.tenant_id}"
            if not self._s.lease(key, now + self._s.schedule.reference_retry):
                outcomes["taken"] += 1
                continue
            outcome = self._refetch(cache, before)
            outcomes[outcome] += 1
            done += 1
            if outcome == "rate_limited":
                # The minute budget is spent, not this organisation's fault: give it back
                # at once and leave the rest of the batch for a tick that has budget.
                self._s.release(key)
                break
        return outcomes

    def _refetch(self, stale: ReferenceCache, before: datetime) -> str:
        with self._s.deps.uow() as uow:
            cache = uow.references.get(stale.tenant_id, stale.environment) or stale
            bindings = uow.bindings.live_for_tenant(stale.tenant_id, stale.environment)
        waves = _old_waves(cache, before)
        usable = [b for b in bindings if b.status in REFRESHABLE]
        if not waves:
            return "fresh"
        if not usable:
            return "orphaned"
        calls = sum(len(kinds) for kinds in waves)
        share = self._s.deps.tunables.tier(cache.environment).reference_daily_share
        if not cache.day.fits(calls, share, self._s.now()):
            return "postponed"
        try:
            self._reference.refresh(usable[0].id, waves, incremental=True)
        except LockTimeout:
            return "busy"
        except StorageUnavailable:
            raise
        except DayLimitReached:
            return "postponed"
        except RateLimited:
            return "rate_limited"
        except DomainError as error:
            log.warning("reference refresh of tenant %s failed: %s", stale.tenant_id, error.code)
            return "failed"
        return "refreshed"


def _old_waves(cache: ReferenceCache, before: datetime) -> tuple[tuple[RefKind, ...], ...]:
    waves = ((CRITICAL, cache.fetched_at), (EXTENDED, cache.extended_fetched_at))
    return tuple(kinds for kinds, at in waves if at is None or at < before)
