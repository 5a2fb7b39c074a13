"""Reference data: two waves against Xero (critical set, then the rest); one cache per org."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from domain.binding import Binding, XeroLink
from domain.digests import digest
from domain.egress import EgressTally, month_of
from domain.errors import (
    AccessTokenRejected,
    DayLimitReached,
    DomainError,
    NotFound,
    OrganisationDisconnected,
)
from domain.events import BindingEvent
from domain.flight import SingleFlight
from domain.ports import Clock, TaskRunner, UnitOfWorkFactory, XeroProvider
from domain.reference import (
    CRITICAL,
    EVERY_KIND,
    EXTENDED,
    ReferenceBundle,
    ReferenceCache,
    RefKind,
)
from domain.usecases.access import owned_binding
from domain.usecases.journal import record
from domain.usecases.lifecycle import ConnectionChecker
from domain.usecases.locking import lock_binding
from domain.usecases.tokens import FreshToken, TokenService, require_tokens_allowed
from domain.usecases.wave import store_wave
from domain.values import EventKind

log = logging.getLogger(__name__)
PARTNER_REASON = (
    "the organisation is a Xero Partner edition, which cannot raise invoices; "
    "connect a business organisation"
)


class ReferenceService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        xero: XeroProvider,
        clock: Clock,
        tasks: TaskRunner,
        tokens: TokenService,
        checker: ConnectionChecker,
        *,
        lock_timeout_s: float,
        forced_interval: timedelta,
    ) -> None:
        """`checker` confirms a 403 with /connections and is refresh-if-current on a 401."""
        self._uow, self._xero, self._clock, self._tasks = uow, xero, clock, tasks
        self._tokens, self._checker = tokens, checker
        self._timeout, self._forced_interval = lock_timeout_s, forced_interval
        self._forced: SingleFlight[ReferenceCache] = SingleFlight()
        self._asked: SingleFlight[ReferenceCache] = SingleFlight()

    def refresh(
        self,
        binding_id: str,
        waves: tuple[tuple[RefKind, ...], ...] = (CRITICAL, EXTENDED),
        *,
        incremental: bool = False,
        known: ReferenceCache | None = None,
    ) -> ReferenceCache:
        """Fetch the waves; `incremental` asks Accounts and Items only for what changed since
        the newest UpdatedDateUTC already cached (the daily refresh: far less egress), in
        `known` when the caller has just read the cache (else it is read here). An older
        `known` only makes an answer bigger: what changed since is still in it."""
        cache = known
        for kinds in waves:
            cache = self._wave(binding_id, kinds, incremental, cache)
        assert cache is not None
        return cache

    def refresh_in_background(self, binding_id: str, critical_ready: bool) -> None:
        waves = (EXTENDED,) if critical_ready else (CRITICAL, EXTENDED)
        self._tasks.submit(f"reference:{binding_id}", lambda: self._quietly(binding_id, waves))

    def refresh_owned(self, account_id: str, binding_id: str) -> ReferenceCache:
        """The merchant's Refresh button, for a binding this account owns: both waves from
        Xero, always (an account just archived in Xero must show), but a second press for
        the same organisation while one is in flight in this process (a double submit, two
        tabs) joins it instead of fetching again."""
        with self._uow() as uow:
            owned_binding(uow, account_id, binding_id)
        link = self._binding(binding_id).xero
        assert link is not None
        key = f"{link.environment.value}:{link.tenant_id}"
        return self._asked.run(key, lambda: self.refresh(binding_id))

    def cached(self, binding_id: str, force_refresh: bool = False) -> ReferenceCache:
        """The organisation's cache. `force_refresh` fetches both waves from Xero, unless a
        full fetch finished within `forced_reference_interval`: then the cache is that fresh
        already and Xero is spared (a forced refresh costs 7 of the organisation's 60 calls
        a minute). Concurrent forced calls for one organisation share one fetch."""
        binding = self._binding(binding_id)
        assert binding.xero is not None
        link = binding.xero
        with self._uow() as uow:
            cache = uow.references.get(link.tenant_id, link.environment)
        if force_refresh and not self._fresh_enough(cache):
            key = f"{link.environment.value}:{link.tenant_id}"
            return self._forced.run(key, lambda: self._refresh_unless_fresh(binding_id))
        return cache or ReferenceCache(link.tenant_id, link.environment)

    def _refresh_unless_fresh(self, binding_id: str) -> ReferenceCache:
        """Re-read first: a flight that just landed may have made the fetch unnecessary."""
        link = self._binding(binding_id).xero
        assert link is not None
        with self._uow() as uow:
            cache = uow.references.get(link.tenant_id, link.environment)
        if cache is not None and self._fresh_enough(cache):
            return cache
        return self.refresh(binding_id)

    def _fresh_enough(self, cache: ReferenceCache | None) -> bool:
        if cache is None or cache.fetched_at is None or cache.extended_fetched_at is None:
            return False
        oldest = min(cache.fetched_at, cache.extended_fetched_at)
        return self._clock.now() - oldest < self._forced_interval

    def _wave(
        self,
        binding_id: str,
        kinds: tuple[RefKind, ...],
        incremental: bool,
        stored: ReferenceCache | None,
    ) -> ReferenceCache:
        """`stored`: the cache as the wave before this one left it (its watermarks are
        this wave's If-Modified-Since; a change since then only makes the answer bigger)."""
        binding = self._binding(binding_id)
        assert binding.xero is not None
        link = binding.xero
        since = (stored.since(kinds) if stored else self._since(link, kinds)) if incremental else {}
        try:
            bundle = self._fetch(binding_id, link, kinds, since)
        except DayLimitReached as limited:
            self._day_spent(link, limited.retry_after)
            raise
        now = self._clock.now()
        with self._uow() as uow:
            current, cache = store_wave(uow, link.environment, link.tenant_id, kinds, bundle, now)
            fresh = lock_binding(uow, binding_id, self._timeout)
            if fresh is not None and fresh.is_live:
                uow.events.add(_refreshed(fresh, kinds, now))
                record(uow, fresh.adopt_reference(current, cache, now))
                if cache.organisation is not None and not cache.organisation.can_invoice:
                    record(uow, [fresh.require_reconnect(PARTNER_REASON, now)])
                uow.bindings.update(fresh)
            uow.commit()
        if cache.organisation is not None and not cache.organisation.can_invoice:
            self._tokens.forget(binding_id)
        return cache

    def _fetch(
        self,
        binding_id: str,
        link: XeroLink,
        kinds: tuple[RefKind, ...],
        since: dict[RefKind, datetime],
    ) -> ReferenceBundle:
        """One wave; a 401 on a token that has not expired is refresh-if-current (DESIGN §5
        step 7), then one more try with the new token, or the binding's true state."""
        token = self._tokens.fresh_token(binding_id)
        try:
            return self._fetch_with(token, binding_id, link, kinds, since)
        except AccessTokenRejected:
            if token.expires_at <= self._clock.now():
                raise
            self._checker.report_token_failure(binding_id, digest(token.access_token))
        self._binding(binding_id)  # raises the refusal if it needs reconnecting now
        fresh = self._tokens.fresh_token(binding_id)
        return self._fetch_with(fresh, binding_id, link, kinds, since)

    def _fetch_with(
        self,
        token: FreshToken,
        binding_id: str,
        link: XeroLink,
        kinds: tuple[RefKind, ...],
        since: dict[RefKind, datetime],
    ) -> ReferenceBundle:
        try:
            return self._xero.fetch_reference(
                link.environment, token.access_token, link.tenant_id, kinds, since
            )
        except OrganisationDisconnected:
            self._checker.check(binding_id)
            raise

    def _since(self, link: XeroLink, kinds: tuple[RefKind, ...]) -> dict[RefKind, datetime]:
        with self._uow() as uow:
            cache = uow.references.get(link.tenant_id, link.environment)
        return cache.since(kinds) if cache else {}

    def _day_spent(self, link: XeroLink, retry_after: float | None) -> None:
        now = self._clock.now()
        with self._uow() as uow:
            cache = uow.references.get(link.tenant_id, link.environment)
            if cache is not None:
                uow.references.save(replace(cache, day=cache.day.exhausted(now, retry_after)))
                uow.commit()

    def _binding(self, binding_id: str) -> Binding:
        with self._uow() as uow:
            binding = uow.bindings.get(binding_id)
        if binding is None:
            raise NotFound("no such binding")
        require_tokens_allowed(binding)
        return binding

    def _quietly(self, binding_id: str, waves: tuple[tuple[RefKind, ...], ...]) -> None:
        """Xero trouble, or a binding disconnected meanwhile: expected, so a warning only."""
        try:
            self.refresh(binding_id, waves)
        except DomainError as error:
            log.warning("reference refresh for %s failed: %s", binding_id, error.code)


def _refreshed(binding: Binding, kinds: tuple[RefKind, ...], now: datetime) -> BindingEvent:
    labels = {CRITICAL: "critical reference data", EVERY_KIND: "reference data"}
    label = labels.get(kinds, "extended reference data")
    return BindingEvent(binding.id, EventKind.REFERENCE_REFRESHED, f"{label} refreshed", now)


class EgressReport:
    """What Xero sent us this calendar month, for `ledger-connect status`."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    def this_month(self) -> EgressTally:
        month = month_of(self._clock.now())
        with self._uow() as uow:
            return EgressTally(month, tuple(uow.egress.month(month)))
