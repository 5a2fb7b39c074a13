"""Fresh access tokens for many replicas without ever losing a rotating refresh token (DESIGN §5).

Fast path: a token with more than the skew left is handed out from a short in-process cache or
one read. Otherwise one flight per binding in this process takes the grant's row lock across
replicas, reads the grant once under it, decides, calls Xero if it still must, and records
Xero's answer in that same transaction; the successor pair is committed before anyone sees the
new access token. The flights of the other replicas meanwhile follow that writer: they read
what it committed all at once, and only lock the grant themselves if it still needs work.
A lost answer leaves the old refresh token stored, which Xero accepts again within its
30-minute grace.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.binding import Binding
from domain.digests import matches
from domain.errors import (
    BindingDisconnected,
    BindingNotConnected,
    InvalidGrant,
    NotFound,
    ProviderUnavailable,
    ReauthRequired,
    ValidationFailed,
)
from domain.events import BindingEvent
from domain.flight import ShortCache, SingleFlight
from domain.grant import OAuthGrant, TokenSet, TokenView
from domain.ports import (
    Clock,
    TokenViews,
    UnitOfWork,
    UnitOfWorkFactory,
    XeroProvider,
    record,
)
from domain.values import BindingStatus, EventKind

log = logging.getLogger(__name__)
# Whether a grant, read under its row lock at `now`, still needs Xero's token endpoint.
StillDue = Callable[[OAuthGrant, datetime], bool]
REAUTH_REASON = "Xero refused the stored refresh token (invalid_grant); reconnect Xero"
PENDING_RETRY_S = 30.0
# The longest `min_valid_for` a caller may ask for. Xero's access tokens live 30 minutes, so a
# token just refreshed serves such a caller for 5 minutes: at most one refresh per binding
# per 5 minutes however long the jobs asking are, and room for clock drift and slow answers.
MAX_MIN_VALID_FOR = timedelta(minutes=25)
_TOO_SHORT = "Xero cannot give a token that lives that long right now; retry shortly"


@dataclass(frozen=True, slots=True)
class FreshToken:
    binding_id: str
    access_token: str = field(repr=False)
    expires_at: datetime
    tenant_id: str
    api_base_url: str
    status: BindingStatus


class Rotation(enum.Enum):
    """What one flight's locked step did with the grant."""

    ROTATED = "rotated"  # Xero issued the successor pair; it is committed
    NOT_DUE = "not_due"  # read under the lock, the grant no longer needed Xero
    REFUSED = "refused"  # invalid_grant: the binding needs reconnecting (committed)
    FAILED = "failed"  # Xero did not answer: failure recorded, old refresh token kept


@dataclass(frozen=True, slots=True)
class Refresh:
    """The outcome of a flight: what it did, and the token stored after it, if that works."""

    rotation: Rotation
    status: BindingStatus
    token: FreshToken | None = None
    error: str = ""
    retry_at: datetime | None = None
    retry_after_s: float = PENDING_RETRY_S
    exhausted: bool = False

    def token_or_raise(self) -> FreshToken:
        """The caller's view: the token, or the refusal or retry advice to pass on."""
        if self.rotation is Rotation.REFUSED:
            raise ReauthRequired(REAUTH_REASON)
        if self.token is not None:
            return self.token
        if self.rotation is Rotation.FAILED:
            message = "Xero is not answering token refreshes; retry shortly"
        else:
            message = "a refresh of this grant is pending; retry shortly"
        raise ProviderUnavailable(message, self.retry_after_s)


@dataclass(frozen=True, slots=True)
class _XeroAnswer:
    """What the token endpoint said: a successor pair, silence (timeout, 5xx, a lost
    answer), or neither: invalid_grant."""

    tokens: TokenSet | None = None
    silence: ProviderUnavailable | None = None


class _ViewsInUnitOfWork(TokenViews):
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def view(self, binding_id: str) -> TokenView | None:
        with self._uow() as uow:
            return uow.grants.view(binding_id)


class TokenService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        xero: XeroProvider,
        clock: Clock,
        *,
        skew: timedelta,
        lock_timeout_s: float,
        cache_ttl: timedelta,
        views: TokenViews | None = None,
    ) -> None:
        """`views` serves the cache miss's one read; without it, a unit of work does."""
        self._uow = uow
        self._views = views or _ViewsInUnitOfWork(uow)
        self._xero = xero
        self._clock = clock
        self._skew = skew
        self._lock_timeout_s = lock_timeout_s
        self._flights: SingleFlight[Refresh] = SingleFlight()
        self._cache: ShortCache[FreshToken] = ShortCache(cache_ttl)

    def cached_token(
        self, binding_id: str, min_valid_for: timedelta | None = None
    ) -> FreshToken | None:
        """The in-process cached token if it has more than the skew (and `min_valid_for`)
        left; memory only."""
        now = self._clock.now()
        cached = self._cache.get(binding_id, now)
        if cached is not None and cached.expires_at - now > self._need(min_valid_for):
            return cached
        return None

    def fresh_token(
        self,
        binding_id: str,
        timeout_s: float | None = None,
        min_valid_for: timedelta | None = None,
    ) -> FreshToken:
        """A token with more than the skew left; with `min_valid_for` (at most
        MAX_MIN_VALID_FOR), one that lives at least that long, or none at all."""
        self._need(min_valid_for)  # a minimum out of range is refused before anything else
        cached = self.cached_token(binding_id, min_valid_for)
        if cached is not None:
            return cached
        view = self._views.view(binding_id)
        token = self.from_view(view, min_valid_for)
        if token is not None:
            return token
        now = self._clock.now()
        # Any other status takes the full path, which raises the precise refusal.
        if view is None or not view.status.hands_out_tokens:
            self._refuse(binding_id)
        elif view.backing_off(now):
            # A failed refresh scheduled its retry (a sweep makes it): hand out the token
            # that still works rather than ask Xero again before the backoff is over.
            if min_valid_for is None:
                return self._hand_out_view(view, cache=False)
            assert view.next_retry_at is not None
            wait = (view.next_retry_at - now).total_seconds()
            raise ProviderUnavailable(_TOO_SHORT, retry_after=max(wait, 0.0))
        return self._refreshed_for(binding_id, self._lock_timeout(timeout_s), min_valid_for)

    def from_view(
        self, view: TokenView | None, min_valid_for: timedelta | None = None
    ) -> FreshToken | None:
        """The token of `view` (read by `TokenViews`, or by `LoopTokenViews` on an event
        loop), cached and handed out, if it may be as it is: its binding hands out tokens and
        it has more than the skew (and `min_valid_for`) left. None for anything else, which
        only `fresh_token` settles (a refusal, a backoff, a refresh)."""
        if view is None or not view.status.hands_out_tokens:
            return None
        if not view.is_fresh(self._clock.now(), self._need(min_valid_for)):
            return None
        return self._hand_out_view(view)

    def _refreshed_for(
        self, binding_id: str, lock_timeout: float, min_valid_for: timedelta | None
    ) -> FreshToken:
        """One flight per binding; a caller that joined a flight led by one who needed less
        (whose token may not last long enough for this one) leads the next."""
        need = self._need(min_valid_for)

        def expiring(grant: OAuthGrant, now: datetime) -> bool:
            return not grant.is_fresh(now, need)

        for _ in range(2):
            refresh = self._flights.run(
                binding_id, lambda: self._refresh(binding_id, lock_timeout, expiring)
            )
            token = refresh.token_or_raise()
            if min_valid_for is None or token.expires_at - self._clock.now() >= min_valid_for:
                return token
            if refresh.rotation is not Rotation.NOT_DUE:
                break  # Xero was just asked: its failure or short token is the answer
        raise ProviderUnavailable(_TOO_SHORT, retry_after=refresh.retry_after_s)

    def refresh_if_current(self, binding_id: str, token_sha256: str) -> Refresh:
        """Refresh-if-current (DESIGN §5 step 7): Xero refused an access token (its hex
        SHA-256 given) before its expiry. Refresh once, if, under the row lock, it is still
        the stored token; if the stored token has moved on, the outcome is NOT_DUE with the
        newer token and Xero is not called. Concurrent reports share one flight."""

        def current(grant: OAuthGrant, now: datetime) -> bool:
            return matches(grant.access_token, token_sha256)

        for _ in range(2):
            refresh = self._flights.run(
                binding_id, lambda: self._refresh(binding_id, self._lock_timeout_s, current)
            )
            # A flight led by a caller who found the token fresh did not look at ours.
            still_failing = refresh.token is not None and matches(
                refresh.token.access_token, token_sha256
            )
            if refresh.rotation is not Rotation.NOT_DUE or not still_failing:
                return refresh
        return refresh

    def refresh_now(self, binding_id: str, still_due: StillDue | None = None) -> FreshToken:
        """Refresh even a fresh token (keep-alive, tests), unless `still_due`, asked about the
        grant read under the row lock, says no; shares the flight with callers."""
        return self.refresh(binding_id, still_due).token_or_raise()

    def refresh(self, binding_id: str, still_due: StillDue | None = None) -> Refresh:
        """Like `refresh_now`, but the outcome is returned, Xero's refusals and silences
        included (the sweeps count them); only storage trouble and refusals to hand out
        tokens for this binding at all are raised."""

        def due(grant: OAuthGrant, now: datetime) -> bool:
            return still_due is None or still_due(grant, now)

        timeout = self._lock_timeout_s
        return self._flights.run(binding_id, lambda: self._refresh(binding_id, timeout, due))

    def forget(self, binding_id: str) -> None:
        self._cache.drop(binding_id)

    def _need(self, min_valid_for: timedelta | None) -> timedelta:
        """How long a token handed out must still live: the skew, or more if asked."""
        if min_valid_for is None:
            return self._skew
        if min_valid_for < timedelta(0) or min_valid_for > MAX_MIN_VALID_FOR:
            raise ValidationFailed(
                f"min_valid_for must be between 0 and {MAX_MIN_VALID_FOR.total_seconds():.0f} s "
                "(Xero access tokens live 30 minutes)"
            )
        return max(self._skew, min_valid_for)

    def _lock_timeout(self, timeout_s: float | None) -> float:
        budget = self._lock_timeout_s
        return budget if timeout_s is None else max(0.05, min(budget, timeout_s * 0.8))

    def _refuse(self, binding_id: str) -> None:
        """The fast read found no token to hand out: raise why, from the binding. Returns
        only if the binding became usable meanwhile; the locked step then decides."""
        with self._uow() as uow:
            binding = uow.bindings.get(binding_id)
        _require_usable(binding)

    def _refresh(self, binding_id: str, lock_timeout: float, still_due: StillDue) -> Refresh:
        """Lock, read once, decide, call Xero; a new pair is committed in that transaction.

        The order of the checks matters:
        1. The grant is locked before the binding is read, so both are what the last writer
           committed (every binding write takes this lock first, `domain.usecases.locking`).
        2. The status comes before any token: a binding that needs reconnecting or was
           disconnected never gets one, however fresh the stored token is.
        3. Then `still_due`, on the grant read under the lock: another replica that rotated
           while we waited has made the refresh unnecessary, and refreshing again would only
           spend Xero's budget. Only now is the refresh token read, and only from this
           locked row: one read before the lock could be a token Xero has already rotated.
        4. A successor pair is committed before the lock is released, so no replica ever
           presents the old refresh token once its successor exists.
        5. Bad news (invalid_grant, no answer) is not written under this lock: the
           transaction rolls back, keeping the old refresh token, and `_after_no` re-reads
           under a new lock, behind any writer that queued meanwhile (DESIGN §5 step 5).

        A replica that finds another's refresh holding the lock follows it: it waits for
        that writer and reads what it committed alongside every other follower, instead of
        taking the lock in turn (`TokenStore.lock_or_follow`). A follower never calls Xero
        or writes: if the grant still needs work it locks it as above."""
        self._cache.drop(binding_id)
        followed = self._locked_step(binding_id, lock_timeout, still_due, follow=True)
        if followed is not None:
            return followed
        locked = self._locked_step(binding_id, lock_timeout, still_due, follow=False)
        assert locked is not None  # under the lock the step always ends in an outcome
        return locked

    def _locked_step(
        self, binding_id: str, lock_timeout: float, still_due: StillDue, *, follow: bool
    ) -> Refresh | None:
        """One locked read and its decision; None when it only followed another writer and
        the grant still needs work."""
        with self._uow() as uow:
            if follow:
                found, held = uow.grants.lock_or_follow(binding_id, lock_timeout)
            else:
                found, held = uow.grants.lock(binding_id, lock_timeout), True
            binding, grant = _usable_with(uow, binding_id, found)
            now = self._clock.now()
            if not still_due(grant, now):
                return self._refresh_outcome(Rotation.NOT_DUE, binding, grant, now)
            if not held:
                return None
            answer = self._ask_xero(grant)
            if answer.tokens is not None:
                grant.rotate(answer.tokens, now)
                uow.grants.save(grant)
                _save_binding(uow, binding, [binding.recover(now), _refreshed(binding, now)])
                uow.commit()
                return self._refresh_outcome(Rotation.ROTATED, binding, grant, now)
        return self._after_no(binding_id, grant.version, answer, lock_timeout)

    def _ask_xero(self, grant: OAuthGrant) -> _XeroAnswer:
        try:
            return _XeroAnswer(tokens=self._xero.refresh(grant.environment, grant.refresh_token))
        except InvalidGrant:
            return _XeroAnswer()
        except ProviderUnavailable as error:
            return _XeroAnswer(silence=error)

    def _after_no(
        self, binding_id: str, version: int, answer: _XeroAnswer, lock_timeout: float
    ) -> Refresh:
        """Record Xero's refusal or silence, unless the version moved while the lock was
        free: a reconnect or another replica's rotation queued behind ours has landed, so
        its grant stands and the bad news was about a token nobody holds any more."""
        with self._uow() as uow:
            binding, grant = _locked(uow, binding_id, lock_timeout)
            now = self._clock.now()
            if grant.version != version:
                return self._refresh_outcome(Rotation.NOT_DUE, binding, grant, now)
            if answer.silence is not None:
                rotation = self._unanswered(uow, binding, grant, answer.silence, now)
            else:
                rotation = self._refused(uow, binding, grant, now)
            uow.commit()
        # A fast read that began before this commit may have cached the old state meanwhile.
        self._cache.drop(binding_id)
        retry_after = answer.silence.retry_after if answer.silence else None
        return self._refresh_outcome(rotation, binding, grant, now, retry_after)

    def _refused(
        self, uow: UnitOfWork, binding: Binding, grant: OAuthGrant, now: datetime
    ) -> Rotation:
        grant.last_error = "invalid_grant"
        uow.grants.save(grant)
        _save_binding(uow, binding, [binding.require_reconnect(REAUTH_REASON, now)])
        return Rotation.REFUSED

    def _unanswered(
        self,
        uow: UnitOfWork,
        binding: Binding,
        grant: OAuthGrant,
        error: ProviderUnavailable,
        now: datetime,
    ) -> Rotation:
        was_exhausted = grant.exhausted
        grant.record_failure(error.message, now)
        uow.grants.save(grant)
        events = [binding.degrade(f"token refresh failed: {error.message}", now)]
        if grant.exhausted and not was_exhausted:
            events.append(_exhausted(binding, grant, now))
            log.error(
                "binding %s: token refresh has failed on %d days; flagged refresh exhausted, "
                "still DEGRADED and retried",
                binding.id,
                grant.failure_days,
            )
        _save_binding(uow, binding, events)
        return Rotation.FAILED

    def _refresh_outcome(
        self,
        rotation: Rotation,
        binding: Binding,
        grant: OAuthGrant,
        now: datetime,
        xero_retry_after: float | None = None,
    ) -> Refresh:
        """Only a token that is fresh goes into the cache; one that merely still works is
        handed to this flight's callers, and none at all after a refusal."""
        token: FreshToken | None = None
        if rotation is not Rotation.REFUSED and grant.valid_for(now) > timedelta(0):
            token = self._hand_out(binding, grant, cache=grant.is_fresh(now, self._skew))
        if rotation is not Rotation.FAILED:
            return Refresh(rotation, binding.status, token)
        wait = (
            (grant.next_retry_at - now).total_seconds() if grant.next_retry_at else PENDING_RETRY_S
        )
        return Refresh(
            rotation,
            binding.status,
            token,
            error=grant.last_error,
            retry_at=grant.next_retry_at,
            retry_after_s=max(xero_retry_after or 0.0, wait),
            exhausted=grant.exhausted,
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
            api_base_url=self._xero.api_base_url(view.environment),
            status=view.status,
        )
        if cache:
            self._cache.put(view.binding_id, token, self._clock.now())
        return token


def _locked(uow: UnitOfWork, binding_id: str, lock_timeout: float) -> tuple[Binding, OAuthGrant]:
    """The grant under its row lock, and the binding read after it, if tokens may be handed
    out for it at all."""
    return _usable_with(uow, binding_id, uow.grants.lock(binding_id, lock_timeout))


def _usable_with(
    uow: UnitOfWork, binding_id: str, grant: OAuthGrant | None
) -> tuple[Binding, OAuthGrant]:
    """The binding, read after its grant was locked (or followed), if it may have tokens."""
    binding = uow.bindings.get(binding_id)
    _require_usable(binding)
    assert binding is not None
    if grant is None or binding.xero is None:
        raise BindingNotConnected("the binding has no Xero tokens; connect Xero first")
    return binding, grant


def _require_usable(binding: Binding | None) -> None:
    if binding is None:
        raise NotFound("no such binding")
    require_tokens_allowed(binding)


def require_tokens_allowed(binding: Binding) -> None:
    if not binding.is_live:
        raise BindingDisconnected("the binding is disconnected; pair the install again")
    if binding.status is BindingStatus.NEEDS_RECONNECT:
        raise ReauthRequired(binding.status_reason or "the binding needs Xero reconnected")
    if not binding.status.hands_out_tokens:
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
