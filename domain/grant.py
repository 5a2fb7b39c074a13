"""The token set one binding's own consent produced, and its failure bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from domain.values import BindingStatus, Environment

RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(minutes=5)
EXHAUSTED_AFTER_DAYS = 3


@dataclass(frozen=True, slots=True)
class TokenSet:
    """What Xero's token endpoint answered, already decoded by the Xero adapter."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    scopes: tuple[str, ...] = ()
    auth_event_id: str = ""
    xero_user_id: str = ""


@dataclass(frozen=True, slots=True)
class TokenView:
    """What the token fast path reads in one indexed query: the binding's status and tenant,
    and the access token alone (the refresh token stays sealed)."""

    binding_id: str
    status: BindingStatus
    tenant_id: str
    environment: Environment
    access_token: str = field(repr=False)
    access_expires_at: datetime
    next_retry_at: datetime | None = None

    def is_fresh(self, now: datetime, skew: timedelta) -> bool:
        return self.access_expires_at - now > skew

    def backing_off(self, now: datetime) -> bool:
        """A failed refresh scheduled its retry and the current token still works."""
        return (
            self.next_retry_at is not None
            and self.next_retry_at > now
            and self.access_expires_at > now
        )


@dataclass(slots=True)
class OAuthGrant:
    binding_id: str
    environment: Environment
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_issued_at: datetime
    scopes: tuple[str, ...] = ()
    auth_event_id: str = ""
    xero_user_id: str = ""
    version: int = 1
    last_error: str = ""
    failure_count: int = 0
    failure_days: int = 0
    last_failure_on: date | None = None
    next_retry_at: datetime | None = None

    @classmethod
    def issue(
        cls, binding_id: str, environment: Environment, tokens: TokenSet, now: datetime
    ) -> OAuthGrant:
        return cls(
            binding_id=binding_id,
            environment=environment,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            access_expires_at=now + timedelta(seconds=tokens.expires_in),
            refresh_issued_at=now,
            scopes=tokens.scopes,
            auth_event_id=tokens.auth_event_id,
            xero_user_id=tokens.xero_user_id,
        )

    def valid_for(self, now: datetime) -> timedelta:
        return self.access_expires_at - now

    def is_fresh(self, now: datetime, skew: timedelta) -> bool:
        return self.valid_for(now) > skew

    @property
    def exhausted(self) -> bool:
        return self.failure_days >= EXHAUSTED_AFTER_DAYS

    def rotate(self, tokens: TokenSet, now: datetime) -> None:
        """Adopt the successor pair; the caller commits before anyone uses it."""
        self.access_token = tokens.access_token
        self.refresh_token = tokens.refresh_token or self.refresh_token
        self.access_expires_at = now + timedelta(seconds=tokens.expires_in)
        self.refresh_issued_at = now
        self.scopes = tokens.scopes or self.scopes
        self.version += 1
        self.clear_failures()

    def record_failure(self, reason: str, now: datetime) -> None:
        """Transient failure: back off 30 s doubling to 5 min; count at most one per day."""
        self.last_error = reason
        delay = min(RETRY_BASE * 2 ** min(self.failure_count, 8), RETRY_CAP)
        self.failure_count += 1
        self.next_retry_at = now + delay
        if self.last_failure_on != now.date():
            self.failure_days += 1
            self.last_failure_on = now.date()

    def clear_failures(self) -> None:
        self.last_error, self.failure_count, self.failure_days = "", 0, 0
        self.last_failure_on, self.next_retry_at = None, None
