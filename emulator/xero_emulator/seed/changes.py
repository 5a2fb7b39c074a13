"""Changes to the demo world after seeding: more organisations, edited accounts and items."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from xero_emulator.seed import PROFILES, build_org
from xero_emulator.seed.model import Record, SeedData

CHANGEABLE = {"accounts": ("Accounts", "AccountID"), "items": ("Items", "ItemID")}


def add_orgs(seed: SeedData, user_id: str, like: str, count: int) -> list[str]:
    """`count` organisations shaped like the seeded one keyed `like`, reachable by the user."""
    if user_id not in seed.users:
        raise KeyError(f"user {user_id!r}")
    user = seed.users[user_id]
    profile = next((p for p in PROFILES if p.key == like), None)
    if profile is None:
        raise KeyError(f"organisation profile {like!r}")
    start = len(seed.orgs)
    added = []
    for n in range(start, start + count):
        org = build_org(replace(profile, key=f"{like}-{n}", name=f"{profile.name} #{n}"))
        seed.orgs[org.tenant_id] = org
        added.append(org.tenant_id)
    seed.users[user.user_id] = replace(user, tenant_ids=user.tenant_ids + tuple(added))
    return added


def change(
    seed: SeedData, tenant_id: str, collection: str, key: str, fields: dict[str, Any]
) -> Record:
    """Set `fields` on the account or item whose id or code is `key`; returns the record."""
    org = seed.orgs.get(tenant_id)
    if org is None:
        raise KeyError(f"organisation {tenant_id!r}")
    if collection.lower() not in CHANGEABLE:
        raise KeyError(f"collection {collection!r} (accounts or items)")
    name, id_field = CHANGEABLE[collection.lower()]
    record = next((r for r in org.resources[name] if key in (r[id_field], r.get("Code"))), None)
    if record is None:
        raise KeyError(f"record {key!r}")
    record.update({k: v for k, v in fields.items() if k not in (id_field, "UpdatedDateUTC")})
    return record
