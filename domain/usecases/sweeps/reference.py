"""Reference data older than `reference_max_age` is refetched (only the waves that are old)
through a connected or degraded binding on that organisation, asking Accounts and Items only
for what changed. A lease per organisation makes one sweeper do it and spaces out retries
after a failure by `reference_retry`. A refresh that does not fit our daily share of the
organisation's Xero calls (or what Xero says is left of its day) is postponed."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from domain.errors import (
    DayLimitReached,
    DomainError,
    LockTimeout,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    StorageUnavailable,
)
from domain.reference import CRITICAL, EVERY_KIND, EXTENDED, ReferenceCache, RefKind
from domain.usecases.reference import ReferenceService
from domain.usecases.sweeps.common import SweepContext

log = logging.getLogger(__name__)
# Caches whose retry a lease defers come first in `stale`; look past them.
LOOKAHEAD = 4
# Organisations refreshed at once. One at a time, a tick spends most of its time waiting on
# Xero's round trips: a daily sweep of thousands of organisations then finishes long after
# the last minute window it needs has opened. Xero's limits are per organisation (this
# sweep keeps one refresh per organisation, under its lease) and per app minute (the
# budget every call passes), so parallel organisations cost no extra 429s.
PARALLEL = 8


class ReferenceSweep:
    def __init__(self, context: SweepContext, reference: ReferenceService) -> None:
        self._s = context
        self._reference = reference

    def __call__(self) -> Counter[str]:
        now = self._s.now()
        before = now - self._s.tunables.reference_max_age
        with self._s.uow() as uow:
            backlog = uow.references.backlog(now, before)
            take = self._s.quota(backlog, now, self._s.schedule.reference_spread)
            caches = uow.references.stale(before, LOOKAHEAD * take + 20) if take else []
        return _Batch(self, caches, take, before).run()

    def _claim(self, stale: ReferenceCache, key: str) -> _Claimed | None:
        """Lease the organisation (committed at once: on SQLite the reads after it then hold
        no write lock), then read its cache as it is now and the binding to fetch through,
        in the same unit of work; None when another sweeper holds it."""
        s = self._s
        with s.uow() as uow:
            if not uow.leases.acquire(key, s.holder, s.now(), s.now() + s.schedule.reference_retry):
                return None
            uow.commit()
            cache = uow.references.get(stale.tenant_id, stale.environment)
            fetcher = uow.bindings.fetcher_for_tenant(stale.tenant_id, stale.environment)
        return _Claimed(cache or stale, cache, fetcher)

    def _refetch(self, claimed: _Claimed, before: datetime) -> str:
        cache, fetcher = claimed.cache, claimed.fetcher
        waves = _old_waves(cache, before)
        if not waves:
            return "fresh"
        if fetcher is None:
            return "orphaned"
        calls = sum(len(kinds) for kinds in waves)
        share = self._s.tunables.tier(cache.environment).reference_daily_share
        if not cache.day.fits(calls, share, self._s.now()):
            return "postponed"
        try:
            self._refresh(fetcher, waves, claimed.stored)
        except LockTimeout:
            return "busy"
        except StorageUnavailable:
            raise
        except DayLimitReached:
            return "postponed"
        except RateLimited:
            return "rate_limited"
        except DomainError as error:
            log.warning("reference refresh of tenant %s failed: %s", cache.tenant_id, error.code)
            return "failed"
        return "refreshed"

    def _refresh(
        self,
        binding_id: str,
        waves: tuple[tuple[RefKind, ...], ...],
        cache: ReferenceCache | None,
    ) -> None:
        """The waves, asking for what changed since `cache` (just read under the lease; None
        when there is no row, and the refresh then looks for watermarks itself); when
        both went as one and one kind's answer failed it (an error or a malformed answer from
        that endpoint), the critical set again on its own before the failure is raised: one
        failing extended kind must not keep the data settings are chosen from a day older
        each day. The retry then finds only the extended wave old."""
        try:
            self._reference.refresh(binding_id, waves, incremental=True, known=cache)
        except (ProviderUnavailable, ProviderRejected) as error:
            if waves != (EVERY_KIND,) or isinstance(error, RateLimited):
                raise
            self._reference.refresh(binding_id, (CRITICAL,), incremental=True, known=cache)
            raise


@dataclass(frozen=True, slots=True)
class _Claimed:
    """A leased organisation: its cache as the sweep decides on it (the stored row, else
    the copy the scan found), the stored row alone, and the binding to fetch through."""

    cache: ReferenceCache
    stored: ReferenceCache | None
    fetcher: str | None


def _old_waves(cache: ReferenceCache, before: datetime) -> tuple[tuple[RefKind, ...], ...]:
    """The waves to fetch again; both as one when both are old: nobody waits for the
    critical set here, and one wave is one store, one binding update and one event where
    two were twice each."""
    waves = ((CRITICAL, cache.fetched_at), (EXTENDED, cache.extended_fetched_at))
    old = tuple(kinds for kinds, at in waves if at is None or at < before)
    return (EVERY_KIND,) if len(old) == len(waves) else old


class _Batch:
    """One tick's refreshes: up to `take` organisations, PARALLEL at a time, each under its
    lease; the first answer that the minute budget is spent stops new ones from starting."""

    def __init__(
        self, sweep: ReferenceSweep, caches: list[ReferenceCache], take: int, before: datetime
    ) -> None:
        self._sweep, self._take, self._before = sweep, take, before
        self._pending: Iterator[ReferenceCache] = sweep._s.until_halted(caches)
        self._lock = threading.Lock()
        self._started = 0
        self._spent = False
        self.outcomes: Counter[str] = Counter()

    def run(self) -> Counter[str]:
        workers = min(PARALLEL, self._take)
        if workers <= 1:
            self._work()
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="reference-sweep") as pool:
                for future in [pool.submit(self._work) for _ in range(workers)]:
                    future.result()
        return self.outcomes

    def _next(self) -> ReferenceCache | None:
        with self._lock:
            if self._spent or self._started >= self._take:
                return None
            cache = next(self._pending, None)
            if cache is not None:
                self._started += 1
            return cache

    def _work(self) -> None:
        s = self._sweep._s
        while (cache := self._next()) is not None:
            key = f"reference:{cache.environment}:{cache.tenant_id}"
            claimed = self._sweep._claim(cache, key)
            if claimed is None:
                with self._lock:
                    self.outcomes["taken"] += 1
                    self._started -= 1
                continue
            outcome = self._sweep._refetch(claimed, self._before)
            with self._lock:
                self.outcomes[outcome] += 1
                if outcome == "rate_limited":
                    self._spent = True
            if outcome == "rate_limited":
                # The minute budget is spent, not this organisation's fault: give it back
                # at once and leave the rest of the batch for a tick that has budget.
                s.release(key)
