"""A fake Xero that models what matters: rotation with a 30-minute grace, consent, connections."""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.connect import XeroConnection
from domain.digests import pkce_challenge
from domain.errors import (
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

GRACE = timedelta(minutes=30)


@dataclass
class _Refresh:
    family: str
    user: str
    superseded_at: datetime | None = None
    successor: str | None = None
    used: bool = False
    dead: bool = False


@dataclass
class _Code:
    user: str
    challenge: str
    connections: list[XeroConnection]


@dataclass
class FakeXero(XeroProvider):
    clock: Clock
    configured: set[Environment] = field(default_factory=lambda: set(Environment))
    tenants: dict[str, str] = field(default_factory=dict)
    editions: dict[str, str] = field(default_factory=dict)
    refresh_calls: int = 0
    revoked: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    fetches: list[tuple[str, tuple[RefKind, ...]]] = field(default_factory=list)
    fail_next: list[ProviderError] = field(default_factory=list)
    fail_fetch: list[ProviderError] = field(default_factory=list)
    drop_next_answer: bool = False
    disconnected: set[str] = field(default_factory=set)
    _refresh: dict[str, _Refresh] = field(default_factory=dict)
    _access: dict[str, str] = field(default_factory=dict)
    _codes: dict[str, _Code] = field(default_factory=dict)
    _challenges: dict[str, str] = field(default_factory=dict)
    _connections: dict[str, list[XeroConnection]] = field(default_factory=dict)
    _counter: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- what a test does at "Xero" ------------------------------------------------------
    def consent(self, state: str, user: str, tenant_ids: list[str]) -> str:
        """The user pressed Allow for these organisations; returns the code for the callback."""
        with self._lock:
            event = self._next("auth-event")
            made = [self._connect(user, tenant, event) for tenant in tenant_ids]
            code = self._next("code")
            self._codes[code] = _Code(user, self._challenges[state], made)
            return code

    def remove_app(self, user: str, tenant_id: str) -> None:
        """The user removed the app inside Xero: connection gone, API 403, refresh still works."""
        with self._lock:
            self._connections[user] = [
                c for c in self._connections.get(user, []) if c.tenant_id != tenant_id
            ]
            self.disconnected.add(tenant_id)

    def connections_of(self, user: str) -> list[XeroConnection]:
        return list(self._connections.get(user, []))

    def grant_tokens(self, user: str, tenant_ids: list[str]) -> TokenSet:
        """A token set as if a consent happened earlier (for tests that start connected)."""
        with self._lock:
            event = self._next("auth-event")
            for tenant in tenant_ids:
                self._connect(user, tenant, event)
            return self._issue(user, self._next("family"), event)

    # -- the port ------------------------------------------------------------------------
    def is_configured(self, environment: Environment) -> bool:
        return environment in self.configured

    def authorization_url(
        self, environment: Environment, *, state: str, code_challenge: str
    ) -> str:
        self._require(environment)
        self._challenges[state] = code_challenge
        return f"https://xero.test/{environment}/authorize?state={state}"

    def exchange_code(self, environment: Environment, *, code: str, code_verifier: str) -> TokenSet:
        self._require(environment)
        with self._lock:
            pending = self._codes.pop(code, None)
            if pending is None or pkce_challenge(code_verifier) != pending.challenge:
                raise InvalidGrant("Xero refused the authorization code")
            event = pending.connections[0].auth_event_id if pending.connections else ""
            return self._issue(pending.user, self._next("family"), event)

    def refresh(self, environment: Environment, refresh_token: str) -> TokenSet:
        with self._lock:
            self.refresh_calls += 1
            if self.fail_next:
                raise self.fail_next.pop(0)
            record = self._refresh.get(refresh_token)
            if record is None or record.dead or not self._accepts(record):
                raise InvalidGrant("Xero refused the refresh token")
            record.used = True
            if record.successor is not None:
                self._refresh[record.successor].dead = True
            record.superseded_at = record.superseded_at or self.clock.now()
            tokens = self._issue(record.user, record.family, "")
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
            if record is not None:
                for other in self._refresh.values():
                    if other.family == record.family:
                        other.dead = True
                self._connections[record.user] = []

    def list_connections(
        self, environment: Environment, access_token: str, auth_event_id: str | None = None
    ) -> list[XeroConnection]:
        user = self._user_of(access_token)
        found = self._connections.get(user, [])
        return [c for c in found if auth_event_id is None or c.auth_event_id == auth_event_id]

    def delete_connection(
        self, environment: Environment, access_token: str, connection_id: str
    ) -> None:
        with self._lock:
            if self.fail_next:
                raise self.fail_next.pop(0)
            user = self._user_of(access_token)
            self.deleted.append(connection_id)
            self._connections[user] = [
                c for c in self._connections.get(user, []) if c.id != connection_id
            ]

    def fetch_reference(
        self,
        environment: Environment,
        access_token: str,
        tenant_id: str,
        kinds: Collection[RefKind],
    ) -> ReferenceBundle:
        self._user_of(access_token)
        self.fetches.append((tenant_id, tuple(kinds)))
        if self.fail_fetch:
            raise self.fail_fetch.pop(0)
        if tenant_id in self.disconnected:
            raise OrganisationDisconnected("Xero answered 403 AuthenticationUnsuccessful")
        name = self.tenants.get(tenant_id, tenant_id)
        return bundle_for(name, self.editions.get(tenant_id, "BUSINESS"), kinds)

    def api_base_url(self, environment: Environment) -> str:
        return f"https://xero.test/{environment}/api.xro/2.0"

    # -- internals ------------------------------------------------------------------------
    def _accepts(self, record: _Refresh) -> bool:
        if record.successor is None:
            return True
        successor = self._refresh[record.successor]
        if successor.used:
            return False
        assert record.superseded_at is not None
        return self.clock.now() - record.superseded_at <= GRACE

    def _issue(self, user: str, family: str, event: str) -> TokenSet:
        access, refresh = self._next("access"), self._next("refresh")
        self._access[access] = user
        self._refresh[refresh] = _Refresh(family, user)
        return TokenSet(access, refresh, 1800, ("offline_access",), event, user)

    def _user_of(self, access_token: str) -> str:
        user = self._access.get(access_token)
        if user is None:
            raise InvalidGrant("unknown access token")
        return user

    def _connect(self, user: str, tenant: str, event: str) -> XeroConnection:
        existing = [c for c in self._connections.get(user, []) if c.tenant_id != tenant]
        connection = XeroConnection(
            f"conn-{user}-{tenant}", tenant, self.tenants.get(tenant, tenant), "ORGANISATION", event
        )
        self._connections[user] = [*existing, connection]
        return connection

    def _next(self, kind: str) -> str:
        self._counter += 1
        return f"{kind}-{self._counter}"

    def _require(self, environment: Environment) -> None:
        if environment not in self.configured:
            raise EnvironmentNotConfigured(f"the {environment} Xero environment is not configured")
