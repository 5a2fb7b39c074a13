"""Many connected bindings at once, for the scale benchmark.

Rows are made by the real mappers and sealed by the real keyring code, then written with one
multi-row INSERT per chunk instead of one use case per binding. Every grant holds a copy of
one real consent's tokens: one emulated Xero user who reaches all the organisations, so the
tokens work against the emulator for every binding (nothing refreshes them while the
benchmark runs; each binding consenting for itself would take a browser dance per binding).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import Table, insert

from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.mappers.binding import binding_row
from adapters.persistence.mappers.grant import grant_row
from adapters.persistence.mappers.records import account_row
from adapters.persistence.mappers.reference import reference_row
from adapters.persistence.tables import accounts, bindings, grants, reference_caches
from adapters.xero.provider import HttpXeroProvider
from app.demo import sample_profile
from bench.emulator import Emulator
from domain.account import Account
from domain.binding import Binding, XeroLink
from domain.connect import XeroConnection
from domain.digests import pkce_challenge
from domain.grant import OAuthGrant, TokenSet
from domain.magento import MagentoProfile
from domain.reference import ReferenceCache
from domain.values import BindingStatus, Environment

BINDINGS_PER_ACCOUNT = 10
CHUNK = 1000
SANDBOX = Environment.SANDBOX


@dataclass(frozen=True, slots=True)
class Consent:
    """One Xero user's consent to many organisations: its tokens and its connections."""

    tokens: TokenSet
    connections: tuple[XeroConnection, ...]


def consent_to_all(xero: HttpXeroProvider, emulator: Emulator, user_id: str) -> Consent:
    """The user presses Allow for every organisation it reaches; code exchange; connections."""
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url = xero.authorization_url(SANDBOX, state=state, code_challenge=pkce_challenge(verifier))
    params = dict(parse_qsl(urlsplit(url).query))
    emulator.bulk_connections(True)
    code = emulator.consent(params, user_id, *emulator.tenants_of(user_id))
    emulator.bulk_connections(False)
    tokens = xero.exchange_code(SANDBOX, code=code, code_verifier=verifier)
    found = xero.list_connections(SANDBOX, tokens.access_token, tokens.auth_event_id)
    return Consent(tokens, tuple(c for c in found if c.is_organisation))


def insert_connected(database: Database, sealer: Sealer, count: int, consent: Consent) -> list[str]:
    """`count` CONNECTED bindings spread evenly over the consent's organisations, each with a
    grant (30 minutes left on the access token). Returns the binding ids."""
    now = datetime.now(UTC)
    owners = [_account(n) for n in range(max(1, count // BINDINGS_PER_ACCOUNT))]
    links = consent.connections
    made = [
        _binding(n, owners[n % len(owners)].id, links[n % len(links)], consent, now)
        for n in range(count)
    ]
    _write(database, accounts, [account_row(a) for a in owners])
    _write(database, bindings, [binding_row(b) for b in made])
    _write(database, grants, [grant_row(_grant(b.id, consent.tokens, now), sealer) for b in made])
    return [b.id for b in made]


def insert_stale_caches(database: Database, consent: Consent, age: timedelta) -> None:
    """A reference cache per organisation, both waves fetched `age` ago."""
    at = datetime.now(UTC) - age
    rows = [
        reference_row(ReferenceCache(c.tenant_id, SANDBOX, fetched_at=at, extended_fetched_at=at))
        for c in consent.connections
    ]
    _write(database, reference_caches, rows)


def _write(database: Database, table: Table, rows: list[dict[str, Any]]) -> None:
    with database.engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            conn.execute(insert(table), rows[start : start + CHUNK])


def _account(n: int) -> Account:
    return Account(f"bench-account-{n}", f"merchant{n}@bench.test", "scale", "-", SANDBOX)


def _binding(
    n: int, account_id: str, link: XeroConnection, consent: Consent, now: datetime
) -> Binding:
    profile = MagentoProfile.from_dict(sample_profile(f"https://shop{n}.bench.test"))
    user = consent.tokens.xero_user_id
    return Binding(
        id=str(uuid.uuid4()),
        account_id=account_id,
        created_at=now,
        status=BindingStatus.CONNECTED,
        magento=profile,
        connector_secret_hash=secrets.token_hex(32),
        xero=XeroLink(SANDBOX, link.tenant_id, link.tenant_name, link.id, user),
    )


def _grant(binding_id: str, tokens: TokenSet, now: datetime) -> OAuthGrant:
    return OAuthGrant.issue(binding_id, SANDBOX, tokens, now)
