"""The seeded demo world: deterministic users, organisations and reference data."""

from __future__ import annotations

from xero_emulator.seed.accounts import accounts, foreign_bank
from xero_emulator.seed.catalogue import branding_themes, currencies, items, tracking_categories
from xero_emulator.seed.model import SeedData, SeedOrg, SeedUser, seed_uuid
from xero_emulator.seed.orgs import AU, NZ, PARTNER, PROFILES, UK, OrgProfile, organisation_record
from xero_emulator.seed.taxes import tax_rates
from xero_emulator.seed.users import AVERY, SAM, USERS

__all__ = [
    "AU",
    "AVERY",
    "NZ",
    "PARTNER",
    "PROFILES",
    "SAM",
    "UK",
    "USERS",
    "SeedData",
    "SeedOrg",
    "SeedUser",
    "build_seed",
    "seed_uuid",
]


def build_org(profile: OrgProfile) -> SeedOrg:
    """One organisation with all its reference data."""
    foreign = tuple(foreign_bank(f"09{i + 3}", c) for i, c in enumerate(profile.currencies[1:]))
    resources = {
        "Organisations": [organisation_record(profile)],
        "Accounts": accounts(profile.key, profile.country, profile.currencies[0], foreign),
        "TaxRates": tax_rates(profile.country),
        "TrackingCategories": tracking_categories(profile.key),
        "Items": items(profile.key, profile.country),
        "BrandingThemes": branding_themes(profile.key),
        "Currencies": currencies(profile.currencies),
    }
    return SeedOrg(profile.tenant_id, profile.name, resources)


def build_seed() -> SeedData:
    """A fresh copy of the demo world."""
    orgs = {p.tenant_id: build_org(p) for p in PROFILES}
    return SeedData(users={u.user_id: u for u in USERS}, orgs=orgs)
