"""The demo Xero users and which organisations each can reach."""

from __future__ import annotations

from xero_emulator.seed.model import SeedUser, seed_uuid
from xero_emulator.seed.orgs import AU, NZ, PARTNER, UK

AVERY = SeedUser(
    seed_uuid("user", "avery"),
    "avery.admin@example.com",
    "Avery",
    "Admin",
    (UK.tenant_id, NZ.tenant_id, AU.tenant_id, PARTNER.tenant_id),
)
SAM = SeedUser(seed_uuid("user", "sam"), "sam.single@example.com", "Sam", "Single", (NZ.tenant_id,))
USERS = (AVERY, SAM)
