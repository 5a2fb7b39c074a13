"""Mutable records the emulator keeps: codes, refresh-token chains and connections."""

from __future__ import annotations

from dataclasses import dataclass, field

from xero_emulator.clock import xero_utc


@dataclass(slots=True)
class AuthorizeRequest:
    """A validated /identity/connect/authorize request awaiting the user's decision."""

    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    nonce: str | None = None


@dataclass(slots=True)
class AuthCode:
    """An issued authorization code: what the user consented to, usable once."""

    request: AuthorizeRequest = field(repr=False)
    user_id: str
    tenant_ids: tuple[str, ...]
    auth_event_id: str
    session_id: str
    issued_at: float


@dataclass(slots=True)
class Chain:
    """One refresh-token family, born from one code exchange."""

    chain_id: str
    client_id: str
    user_id: str
    scope: tuple[str, ...]
    auth_event_id: str
    session_id: str
    auth_time: float
    nonce: str | None = None
    head: str | None = field(default=None, repr=False)
    head_issued_at: float = 0.0
    prev: str | None = field(default=None, repr=False)
    grace_until: float = 0.0


@dataclass(slots=True)
class Connection:
    """A tenant a user has authorised for an app; inactive once disconnected."""

    id: str
    tenant_id: str
    tenant_name: str
    user_id: str
    client_id: str
    auth_event_id: str
    created: float
    updated: float
    active: bool = True

    def to_json(self) -> dict[str, str]:
        """The connection as GET /connections lists it."""
        return {
            "id": self.id,
            "authEventId": self.auth_event_id,
            "tenantId": self.tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": self.tenant_name,
            "createdDateUtc": xero_utc(self.created),
            "updatedDateUtc": xero_utc(self.updated),
        }
