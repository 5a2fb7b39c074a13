"""Tokens, codes and secrets never show in a repr or str (DESIGN §8)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.account import Account
from domain.binding import Binding
from domain.connect import ConnectAttempt, PairingCode, PendingConsent, XeroConnection
from domain.grant import OAuthGrant, TokenSet
from domain.usecases.pairing import NewBinding, Pairing
from domain.usecases.tokens import FreshToken
from domain.values import BindingStatus, Environment
from tests.fakes.world import World

NOW = datetime(2026, 11, 2, tzinfo=UTC)
ACCESS, REFRESH = "SECRET-ACCESS-TOKEN", "SECRET-REFRESH-TOKEN"
TOKENS = TokenSet(ACCESS, REFRESH, 1800, ("offline_access",), "event-1", "user-1")
ORG = XeroConnection("conn-1", "tenant-1", "Demo Co")

HOLDERS = {
    "TokenSet": TOKENS,
    "OAuthGrant": OAuthGrant.issue("b-1", Environment.PRODUCTION, TOKENS, NOW),
    "PendingConsent": PendingConsent(TOKENS, (ORG,), NOW),
    "ConnectAttempt": ConnectAttempt(
        "att-1",
        "SECRET-STATE",
        "SECRET-VERIFIER",
        "b-1",
        "a-1",
        "SECRET-SESSION",
        Environment.PRODUCTION,
        NOW,
        pending=PendingConsent(TOKENS, (ORG,), NOW),
    ),
    "FreshToken": FreshToken("b-1", ACCESS, NOW, "tenant-1", "https://x", BindingStatus.CONNECTED),
    "Pairing": Pairing("b-1", "SECRET-CONNECTOR"),
    "NewBinding": NewBinding("b-1", "SECRET-PAIRING-CODE"),
    "PairingCode": PairingCode("SECRET-CODE-HASH", "b-1", "a-1", NOW),
    "Binding": Binding("b-1", "a-1", NOW, connector_secret_hash="SECRET-HASH"),
    "Account": Account("a-1", "m@example.com", "growth", password_hash="SECRET-PASSWORD"),
}


@pytest.mark.parametrize("holder", HOLDERS.values(), ids=HOLDERS.keys())
def test_no_secret_in_repr_or_str(holder: object) -> None:
    for text in (repr(holder), str(holder)):
        assert "SECRET" not in text


@pytest.mark.parametrize("holder", HOLDERS.values(), ids=HOLDERS.keys())
def test_the_repr_still_says_what_it_is(holder: object) -> None:
    assert repr(holder).startswith(type(holder).__name__)


def test_nothing_the_service_returns_or_stores_shows_a_token(world: World) -> None:
    binding_id = world.connected()
    grant = world.grant(binding_id)
    assert grant is not None
    secrets = (grant.access_token, grant.refresh_token)
    shown = [repr(world.service.tokens.fresh_token(binding_id)), repr(world.binding(binding_id))]
    shown += [repr(row) for table in world.store.tables for row in world.store.rows(table)]
    shown += [repr(e) for e in world.store.events]
    assert not any(secret in text for secret in secrets for text in shown)
