"""Shapes of the seeded demo world: users, organisations and their reference data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

SEED_NAMESPACE = uuid.UUID("6f1c1f0e-7c1a-4f55-9a3e-2f1f7f3e0b8a")
SEEDED_AT = 1552404447.003
Record = dict[str, Any]


def seed_uuid(*parts: str) -> str:
    """A deterministic UUID for a seeded object, so tests can rely on it."""
    return str(uuid.uuid5(SEED_NAMESPACE, "/".join(parts)))


@dataclass(frozen=True, slots=True)
class SeedUser:
    """A person who can sign in to the emulated Xero."""

    user_id: str
    email: str
    given_name: str
    family_name: str
    tenant_ids: tuple[str, ...]

    @property
    def name(self) -> str:
        """Display name."""
        return f"{self.given_name} {self.family_name}"

    @property
    def sub(self) -> str:
        """OIDC subject, a stable hex id distinct from xero_userid as on real Xero."""
        return uuid.uuid5(SEED_NAMESPACE, f"sub/{self.user_id}").hex


@dataclass(slots=True)
class SeedOrg:
    """One Xero organisation (tenant) with the reference data the API serves."""

    tenant_id: str
    name: str
    resources: dict[str, list[Record]] = field(default_factory=dict)

    def public(self) -> Record:
        """Summary for the control API."""
        org = self.resources["Organisations"][0]
        return {
            "tenant_id": self.tenant_id,
            "name": self.name,
            "country": org["CountryCode"],
            "base_currency": org["BaseCurrency"],
            "edition": org["Edition"],
        }


@dataclass(slots=True)
class SeedData:
    """The whole demo world, rebuilt from scratch on every reset."""

    users: dict[str, SeedUser]
    orgs: dict[str, SeedOrg]
