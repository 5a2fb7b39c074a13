"""A fake Xero that models what matters: rotation with a 30-minute grace, consent, connections.

Modelled after xero-facts §2 and §5: access tokens live 30 minutes (401 after that); every
refresh rotates; after a lost answer the predecessor is accepted again for 30 minutes, but
once its successor has been used it is dead; an unused refresh token dies after 60 days;
revocation removes all of the user's connections; `/connections` lists every organisation
the user ever connected, filtered by `authEventId` on request; a tenant the user is no
longer connected to answers 403 AuthenticationUnsuccessful. Production and sandbox are two
separate Xero worlds: a token of one is unknown to the other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from domain.connect import XeroConnection
from domain.digests import pkce_challenge
from domain.errors import (
    AccessTokenRejected,
    DayLimitReached,
    EnvironmentNotConfigured,
    InvalidGrant,
    OrganisationDisconnected,
    ProviderError,
    ProviderUnavailable,
)
from domain.grant import TokenSet
from domain.ports import Clock, XeroProvider
from domain.reference import ReferenceBundle, RefKind
from domain.values import Environment
from tests.fakes.reference import bundle_for

# What the sync needs in the scopes of apps created before 2 March 2026 (broad ones).
LEGACY_SYNC_SCOPES = (
    "offline_access",
    "accounting.settings.read",
    "accounting.contacts",
    "accounting.transactions",
    "projects",
)
GRACE = timedelta(minutes=30)
ACCESS_LIFETIME = timedelta(minutes=30)
REFRESH_UNUSED_LIFETIME = timedelta(days=60)
PRODUCTION = Environment.PRODUCTION


@dataclass
class _Refresh:
    family: str
    user: str
    environment: Environment
    issued_at: datetime
    superseded_at: datetime | None = None
    successor: str | None = None
    used: bool = False
    dead: bool = False


@dataclass(frozen=True)
class _Access:
    user: str
    environment: Environment
    expires_at: datetime


@dataclass
class _Code:
    user: str
    challenge: str
    environment: Environment
    connections: list[XeroConnection]


@dataclass
class FakeXero(XeroProvider):
    clock: Clock
    configured: set[Environment] = field(default_factory=lambda: set(Environment))
    tenants: dict[str, str] = field(default_factory=dict)
    editions: dict[str, str] = field(default_factory=dict)
    tenant_types: dict[str, str] = field(default_factory=dict)
    refresh_calls: int = 0
    list_calls: int = 0
    presented: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    fetches: list[tuple[str, tuple[RefKind, ...]]] = field(default_factory=list)
    asked_since: list[dict[RefKind, datetime]] = field(default_factory=list)
    fail_next: list[ProviderError] = field(default_factory=list)
    fail_fetch: list[ProviderError] = field(default_factory=list)
    fail_connections: list[ProviderError] = field(default_factory=list)
    drop_next_answer: bool = False
    on_refresh: Callable[[str], None] | None = None
    disconnected: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set, repr=False)
    archived_accounts: set[str] = field(default_factory=set)
    deleted_accounts: set[str] = field(default_factory=set)
    # Organisations that are not demo companies (the others are, and Xero's cap skips them).
    real_companies: set[str] = field(default_factory=set)
    # What X-DayLimit-Remaining says with each fetch, and the day's 429 when it is spent.
    day_remaining: int | None = None
    _refresh: dict[str, _Refresh] = field(default_factory=dict)
    _access: dict[str, _Access] = field(default_factory=dict)
    _codes: dict[str, _Code] = field(default_factory=dict)
    authorize_requests: dict[str, tuple[str, Environment]] = field(default_factory=dict)
    _connections: dict[tuple[Environment, str], list[XeroConnection]] = field(default_factory=dict)
    _counter: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- what a test does at "Xero" ------------------------------------------------------
    def consent(self, state: str, user: str, tenant_ids: list[str]) -> str:
        """The user pressed Allow for these organisations; returns the code for the callback."""
        with self._lock:
            challenge, environment = self.authorize_requests[state]
            event = self._next("auth-event")
            made = [self._connect(environment, user, tenant, event) for tenant in tenant_ids]
            code = self._next("code")
            self._codes[code] = _Code(user, challenge, environment, made)
            return code

    def remove_app(self, user: str, tenant_id: str, environment: Environment = PRODUCTION) -> None:
        """The user removed the app inside Xero: connection gone, API 403, refresh still works."""
        with self._lock:
            key = (environment, user)
            self._connections[key] = [
                c for c in self._connections.get(key, []) if c.tenant_id != tenant_id
            ]

    def revoke_user(self, user: str, environment: Environment = PRODUCTION) -> None:
        """The user revoked the app at Xero: every token set dies, every connection goes."""
        with self._lock:
            self._kill(lambda r: r.user == user and r.environment is environment)
            self._connections[(environment, user)] = []

    def reject(self, access_token: str) -> None:
        """Xero stops accepting this access token before its expiry: 401 on every call."""
        with self._lock:
            self.rejected.add(access_token)

    def connections_of(
        self, user: str, environment: Environment = PRODUCTION
    ) -> list[XeroConnection]:
        return list(self._connections.get((environment, user), []))

    def grant_tokens(
        self, user: str, tenant_ids: list[str], environment: Environment = PRODUCTION
    ) -> TokenSet:
        """A token set as if a consent happened earlier (for tests that start connected)."""
        with self._lock:
            event = self._next("auth-event")
            for tenant in tenant_ids:
                self._connect(environment, user, tenant, event)
            return self._issue(user, self._next("family"), event, environment)

    def accepts(self, refresh_token: str) -> bool:
        """Whether Xero would rotate this refresh token now (a look, not a use)."""
        with self._lock:
            record = self._refresh.get(refresh_token)
            return record is not None and not record.dead and self._accepts(record)

    # -- the port ------------------------------------------------------------------------
    def is_configured(self, environment: Environment) -> bool:
        return environment in self.configured

    def authorization_url(
        self, environment: Environment, *, state: str, code_challenge: str
    ) -> str:
        self._require(environment)
        self.authorize_requests[state] = (code_challenge, environment)
        return f"https://xero.test/{environment}/authorize?state={state}"

    def exchange_code(self, environment: Environment, *, code: str, code_verifier: str) -> TokenSet:
        self._require(environment)
        with self._lock:
            pending = self._codes.pop(code, None)
            if (
                pending is None
                or pending.environment is not environment
                or pkce_challenge(code_verifier) != pending.challenge
            ):
                raise InvalidGrant("Xero refused the authorization code")
            event = pending.connections[0].auth_event_id if pending.connections else ""
            return self._issue(pending.user, self._next("family"), event, environment)

    def refresh(self, environment: Environment, refresh_token: str) -> TokenSet:
        with self._lock:
            self.refresh_calls += 1
            self.presented.append(refresh_token)
            if self.on_refresh is not None:
                self.on_refresh(refresh_token)
            if self.fail_next:
                raise self.fail_next.pop(0)
            record = self._refresh.get(refresh_token)
            if (
                record is None
                or record.dead
                or record.environment is not environment
                or not self._accepts(record)
            ):
                raise InvalidGrant("Xero refused the refresh token")
            record.used = True
            if record.successor is not None:
                self._refresh[record.successor].dead = True
            record.superseded_at = record.superseded_at or self.clock.now()
            tokens = self._issue(record.user, record.family, "", environment)
            record.successor = tokens.refresh_token
            if self.drop_next_answer:
                self.drop_next_answer = False
                raise ProviderUnavailable("Xero token endpoint answer lost")
            return tokens

    def revoke(self, environment: Environment, refresh_token: str) -> None:
        with self._lock:
            if self.fail_next:
                raise self.fail_next.pop(0)
            record = self._refresh.get(refresh_token)
            self.revoked.append(refresh_token)
            if record is not None and record.environment is environment:
                self._kill(lambda r: r.family == record.family)
                self._connections[(environment, record.user)] = []

    def list_connections(
        self, environment: Environment, access_token: str, auth_event_id: str | None = None
    ) -> list[XeroConnection]:
        with self._lock:
            self.list_calls += 1
            if self.fail_connections:
                raise self.fail_connections.pop(0)
            user = self._user_of(environment, access_token)
            found = self._connections.get((environment, user), [])
            return [c for c in found if auth_event_id is None or c.auth_event_id == auth_event_id]

    def delete_connection(
        self, environment: Environment, access_token: str, connection_id: str
    ) -> None:
        with self._lock:
            if self.fail_next:
                raise self.fail_next.pop(0)
            user = self._user_of(environment, access_token)
            self.deleted.append(connection_id)
            key = (environment, user)
            self._connections[key] = [
                c for c in self._connections.get(key, []) if c.id != connection_id
            ]

    def fetch_reference(
        self,
        environment: Environment,
        access_token: str,
        tenant_id: str,
        kinds: Collection[RefKind],
        since: Mapping[RefKind, datetime] | None = None,
    ) -> ReferenceBundle:
        with self._lock:
            user = self._user_of(environment, access_token)
            self.fetches.append((tenant_id, tuple(kinds)))
            self.asked_since.append(dict(since or {}))
            if self.fail_fetch:
                raise self.fail_fetch.pop(0)
            connected = any(
                c.tenant_id == tenant_id for c in self.connections_of(user, environment)
            )
            if tenant_id in self.disconnected or not connected:
                raise OrganisationDisconnected("Xero answered 403 AuthenticationUnsuccessful")
            name = self.tenants.get(tenant_id, tenant_id)
            edition = self.editions.get(tenant_id, "BUSINESS")
            bundle = bundle_for(
                name,
                edition,
                kinds,
                self.archived_accounts,
                self.deleted_accounts,
                is_demo=tenant_id not in self.real_companies,
            )
            if self.day_remaining is not None:
                if self.day_remaining < len(kinds):
                    raise DayLimitReached("Xero Accounts API answered 429 (day)", 3600.0)
                self.day_remaining -= len(kinds)
            return replace(bundle, day_remaining=self.day_remaining)

    def api_base_url(self, environment: Environment) -> str:
        return f"https://xero.test/{environment}/api.xro/2.0"

    # -- internals ------------------------------------------------------------------------
    def _accepts(self, record: _Refresh) -> bool:
        now = self.clock.now()
        if now - record.issued_at > REFRESH_UNUSED_LIFETIME:
            return False
        if record.successor is None:
            return True
        if self._refresh[record.successor].used:
            return False
        assert record.superseded_at is not None
        return now - record.superseded_at <= GRACE

    def _kill(self, which: Callable[[_Refresh], bool]) -> None:
        for record in self._refresh.values():
            if which(record):
                record.dead = True

    def _issue(self, user: str, family: str, event: str, environment: Environment) -> TokenSet:
        access, refresh = self._next("access"), self._next("refresh")
        now = self.clock.now()
        self._access[access] = _Access(user, environment, now + ACCESS_LIFETIME)
        self._refresh[refresh] = _Refresh(family, user, environment, now)
        lifetime = int(ACCESS_LIFETIME.total_seconds())
        return TokenSet(access, refresh, lifetime, ("offline_access",), event, user)

    def _user_of(self, environment: Environment, access_token: str) -> str:
        access = self._access.get(access_token)
        if access is None or access.environment is not environment:
            raise AccessTokenRejected("Xero answered 401 (unknown access token)")
        if access_token in self.rejected:
            raise AccessTokenRejected("Xero answered 401 (AuthenticationUnsuccessful)")
        if self.clock.now() >= access.expires_at:
            raise AccessTokenRejected("Xero answered 401 (TokenExpired)")
        return access.user

    def _connect(
        self, environment: Environment, user: str, tenant: str, event: str
    ) -> XeroConnection:
        key = (environment, user)
        existing = [c for c in self._connections.get(key, []) if c.tenant_id != tenant]
        connection = XeroConnection(
            f"conn-{environment}-{user}-{tenant}",
            tenant,
            self.tenants.get(tenant, tenant),
            self.tenant_types.get(tenant, "ORGANISATION"),
            event,
        )
        self._connections[key] = [*existing, connection]
        return connection

    def _next(self, kind: str) -> str:
        self._counter += 1
        return f"{kind}-{self._counter}"

    def _require(self, environment: Environment) -> None:
        if environment not in self.configured:
            raise EnvironmentNotConfigured(f"the {environment} Xero environment is not configured")
