"""Fresh access tokens for many replicas without ever losing a rotating refresh token (DESIGN §5).

Fast path: a token with more than the skew left is handed out from a short in-process cache or
one read. Otherwise one flight per binding in this process, the grant's row lock across
replicas, a re-read under the lock, then Xero; the successor pair is committed before anyone
sees the new access token. A lost answer leaves the old refresh token stored, which Xero
accepts again within its 30-minute grace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from domain.binding import Binding
from domain.errors import (
    BindingDisconnected,
    BindingNotConnected,
    InvalidGrant,
    NotFound,
    ProviderUnavailable,
    ReauthRequired,
)
from domain.events import BindingEvent
from domain.flight import ShortCache, SingleFlight
from domain.grant import OAuthGrant, TokenView
from domain.ports import UnitOfWork, record
from domain.usecases.deps import Deps
from domain.values import BindingStatus, EventKind

log = logging.getLogger(__name__)
StillDue = Callable[[OAuthGrant, datetime], bool]
# Statuses whose fresh token the one-read fast path hands out; any other status takes the
# full path, which raises the precise refusal.
HANDED_OUT = (BindingStatus.CONNECTED, BindingStatus.DEGRADED)
REAUTH_REASON = "Xero refused the stored refresh token (invalid_grant); reconnect Xero"


@dataclass(frozen=True, slots=True)
class FreshToken:
    binding_id: str
    access_token: str = field(repr=False)
    expires_at: datetime
    tenant_id: str
    api_base_url: str
    status: BindingStatus


class _Refused(Exception):
    """Xero said invalid_grant to the refresh token of grant `version`."""

    def __init__(self, version: int) -> None:
        self.version = version


class _Unavailable(Exception):
    """Xero did not answer the refresh of grant `version` (timeout, 5xx, lost answer)."""

    def __init__(self, version: int, error: ProviderUnavailable) -> None:
        self.version = version
        self.error = error


class TokenService:
    def __init__(self, deps: Deps) -> None:
        self._d = deps
        self._flights: SingleFlight[FreshToken] = SingleFlight()
        self._cache: ShortCache[FreshToken] = ShortCache(deps.tunables.token_cache_ttl)

    def cached_token(self, binding_id: str) -> FreshToken | None:
        """The in-process cached token if it has more than the skew left; memory only."""
        now = self._d.clock.now()
        cached = self._cache.get(binding_id, now)
        if cached is not None and cached.expires_at - now > self._d.tunables.token_skew:
            return cached
        return None

    def fresh_token(self, binding_id: str, timeout_s: float | None = None) -> FreshToken:
        cached = self.cached_token(binding_id)
        if cached is not None:
            return cached
        now = self._d.clock.now()
        with self._d.uow() as uow:
            view = uow.grants.view(binding_id)
        if view and view.status in HANDED_OUT and view.is_fresh(now, self._d.tunables.token_skew):
            return self._hand_out_view(view)
        with self._d.uow() as uow:
            binding, grant = _usable(uow, binding_id)
        if grant.is_fresh(now, self._d.tunables.token_skew) or _backing_off(grant, now):
            return self._hand_out(
                binding, grant, cache=grant.is_fresh(now, self._d.tunables.token_skew)
            )
        lock_timeout = self._lock_timeout(timeout_s)
        return self._flights.run(binding_id, lambda: self._refresh(binding_id, lock_timeout))

    def refresh_now(
        self,
        binding_id: str,
        if_version: int | None = None,
        still_due: StillDue | None = None,
    ) -> FreshToken:
        """Refresh even a fresh token (keep-alive, retries), unless the grant has moved past
        `if_version` meanwhile or, read under the row lock, `still_due(grant, now)` is false
        (another sweeper has just refreshed it or recorded a failure); shares the flight with
        callers."""
        timeout = self._d.tunables.lock_timeout_s
        return self._flights.run(
            binding_id, lambda: self._refresh(binding_id, timeout, True, if_version, still_due)
        )

    def forget(self, binding_id: str) -> None:
        self._cache.drop(binding_id)

    def _lock_timeout(self, timeout_s: float | None) -> float:
        budget = self._d.tunables.lock_timeout_s
        return budget if timeout_s is None else max(0.05, min(budget, timeout_s * 0.8))

    def _refresh(
        self,
        binding_id: str,
        lock_timeout: float,
        force: bool = False,
        if_version: int | None = None,
        still_due: StillDue | None = None,
    ) -> FreshToken:
        self._cache.drop(binding_id)
        try:
            return self._rotate(binding_id, lock_timeout, force, if_version, still_due)
        except _Refused as refused:
            return self._after_refusal(binding_id, refused.version, lock_timeout)
        except _Unavailable as failed:
            return self._after_transient(binding_id, failed.version, failed.error, lock_timeout)

    def _rotate(
        self,
        binding_id: str,
        lock_timeout: float,
        force: bool,
        if_version: int | None,
        still_due: StillDue | None,
    ) -> FreshToken:
        with self._d.uow() as uow:
            binding, grant = _usable(uow, binding_id, lock_timeout)
            now = self._d.clock.now()
            moved = (if_version is not None and grant.version != if_version) or (
                still_due is not None and not still_due(grant, now)
            )
            if not force and grant.is_fresh(now, self._d.tunables.token_skew):
                return self._hand_out(binding, grant)
            if moved:
                return self._skip(binding, grant, now)
            try:
                tokens = self._d.xero.refresh(grant.environment, grant.refresh_token)
            except InvalidGrant:
                raise _Refused(grant.version) from None
            except ProviderUnavailable as error:
                raise _Unavailable(grant.version, error) from error
            grant.rotate(tokens, now)
            uow.grants.save(grant)
            events = [binding.recover(now), _refreshed(binding, now)]
            _save_binding(uow, binding, events)
            uow.commit()
        return self._hand_out(binding, grant)

    def _skip(self, binding: Binding, grant: OAuthGrant, now: datetime) -> FreshToken:
        """The sweep's refresh is no longer due; a caller sharing its flight still needs a
        token that works, or a clear answer to retry."""
        if grant.valid_for(now).total_seconds() > 0:
            return self._hand_out(binding, grant, cache=False)
        raise ProviderUnavailable("a refresh of this grant is pending; retry shortly", 30.0)

    def _after_refusal(self, binding_id: str, version: int, lock_timeout: float) -> FreshToken:
        with self._d.uow() as uow:
            binding, grant = _usable(uow, binding_id, lock_timeout)
            if grant.version != version:
                return self._hand_out(binding, grant)
            now = self._d.clock.now()
            grant.last_error = "invalid_grant"
            uow.grants.save(grant)
            _save_binding(uow, binding, [binding.require_reconnect(REAUTH_REASON, now)])
            uow.commit()
        raise ReauthRequired(REAUTH_REASON)

    def _after_transient(
        self, binding_id: str, version: int, error: ProviderUnavailable, lock_timeout: float
    ) -> FreshToken:
        with self._d.uow() as uow:
            binding, grant = _usable(uow, binding_id, lock_timeout)
            if grant.version != version:
                return self._hand_out(binding, grant)
            now = self._d.clock.now()
            was_exhausted = grant.exhausted
            grant.record_failure(error.message, now)
            uow.grants.save(grant)
            events = [binding.degrade(f"token refresh failed: {error.message}", now)]
            newly_exhausted = grant.exhausted and not was_exhausted
            if newly_exhausted:
                events.append(_exhausted(binding, grant, now))
            _save_binding(uow, binding, events)
            uow.commit()
        if newly_exhausted:
            log.error(
                "binding %s: token refresh has failed on %d days; flagged refresh exhausted, "
                "still DEGRADED and retried",
                binding.id,
                grant.failure_days,
            )
        if grant.valid_for(now).total_seconds() > 0:
            return self._hand_out(binding, grant, cache=False)
        wait = (grant.next_retry_at - now).total_seconds() if grant.next_retry_at else 30.0
        raise ProviderUnavailable(
            "Xero is not answering token refreshes; retry shortly",
            retry_after=max(error.retry_after or 0.0, wait),
        )

    def _hand_out(self, binding: Binding, grant: OAuthGrant, cache: bool = True) -> FreshToken:
        assert binding.xero is not None
        view = TokenView(
            binding_id=binding.id,
            status=binding.status,
            tenant_id=binding.xero.tenant_id,
            environment=grant.environment,
            access_token=grant.access_token,
            access_expires_at=grant.access_expires_at,
        )
        return self._hand_out_view(view, cache)

    def _hand_out_view(self, view: TokenView, cache: bool = True) -> FreshToken:
        token = FreshToken(
            binding_id=view.binding_id,
            access_token=view.access_token,
            expires_at=view.access_expires_at,
            tenant_id=view.tenant_id,
            api_base_url=self._d.xero.api_base_url(view.environment),
            status=view.status,
        )
        if cache:
            self._cache.put(view.binding_id, token, self._d.clock.now())
        return token


def _usable(
    uow: UnitOfWork, binding_id: str, lock_timeout: float | None = None
) -> tuple[Binding, OAuthGrant]:
    """The binding and its grant, if tokens may be handed out for it at all. With a lock
    timeout the grant is locked first, so the binding is read after every earlier writer."""
    grant = (
        uow.grants.get(binding_id)
        if lock_timeout is None
        else uow.grants.lock(binding_id, lock_timeout)
    )
    binding = uow.bindings.get(binding_id)
    if binding is None:
        raise NotFound("no such binding")
    require_tokens_allowed(binding)
    if grant is None or binding.xero is None:
        raise BindingNotConnected("the binding has no Xero tokens; connect Xero first")
    return binding, grant


def _backing_off(grant: OAuthGrant, now: datetime) -> bool:
    """A failed refresh scheduled its retry and the current token still works: use it."""
    return (
        grant.next_retry_at is not None
        and grant.next_retry_at > now
        and grant.valid_for(now).total_seconds() > 0
    )


def require_tokens_allowed(binding: Binding) -> None:
    if not binding.is_live:
        raise BindingDisconnected("the binding is disconnected; pair the install again")
    if binding.status is BindingStatus.NEEDS_RECONNECT:
        raise ReauthRequired(binding.status_reason or "the binding needs Xero reconnected")
    if binding.status not in (BindingStatus.CONNECTED, BindingStatus.DEGRADED):
        raise BindingNotConnected(f"the binding is {binding.status.value}, not connected to Xero")


def _save_binding(uow: UnitOfWork, binding: Binding, events: list[BindingEvent | None]) -> None:
    if any(e is not None and e.kind is not EventKind.TOKEN_REFRESHED for e in events):
        uow.bindings.update(binding)
    record(uow, events)


def _refreshed(binding: Binding, now: datetime) -> BindingEvent:
    return BindingEvent(binding.id, EventKind.TOKEN_REFRESHED, "access token refreshed", now)


def _exhausted(binding: Binding, grant: OAuthGrant, now: datetime) -> BindingEvent:
    reason = f"token refresh has failed on {grant.failure_days} days; still retrying"
    return BindingEvent(binding.id, EventKind.REFRESH_EXHAUSTED, reason, now)
