"""Browser authorisations in flight, one-time pairing codes, and Xero's connections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.grant import TokenSet
from domain.values import Environment

ATTEMPT_LIFETIME = timedelta(minutes=10)
PAIRING_CODE_LIFETIME = timedelta(minutes=15)
# Redemptions of one valid code that may be refused (install already paired, plan limit)
# before the code is spent: a code is not an oracle for which shops are paired.
MAX_REFUSALS = 3


@dataclass(frozen=True, slots=True)
class XeroConnection:
    """One entry of Xero's GET /connections."""

    id: str
    tenant_id: str
    tenant_name: str
    tenant_type: str = "ORGANISATION"
    auth_event_id: str = ""

    @property
    def is_organisation(self) -> bool:
        return self.tenant_type == "ORGANISATION"


@dataclass(frozen=True, slots=True)
class PendingConsent:
    """Tokens held while the merchant picks one of several organisations."""

    tokens: TokenSet = field(repr=False)
    organisations: tuple[XeroConnection, ...]
    obtained_at: datetime


@dataclass(slots=True)
class ConnectAttempt:
    id: str
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)
    binding_id: str
    account_id: str
    session_id: str = field(repr=False)
    environment: Environment
    created_at: datetime
    used_at: datetime | None = None
    pending: PendingConsent | None = None

    def expired(self, now: datetime) -> bool:
        return now - self.created_at > ATTEMPT_LIFETIME


@dataclass(slots=True)
class PairingCode:
    code_hash: str = field(repr=False)
    binding_id: str
    account_id: str
    created_at: datetime
    used_at: datetime | None = None
    refusals: int = 0

    @property
    def expires_at(self) -> datetime:
        return self.created_at + PAIRING_CODE_LIFETIME

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and now <= self.expires_at and self.refusals < MAX_REFUSALS
