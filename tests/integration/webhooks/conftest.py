"""The service in this process on a SQLite file, delivering to a real receiver on loopback
with the real httpx sender; events come from pairing Magento installs (no Xero needed)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters.persistence.keyring import generate_entry
from app.bootstrap import Container, bootstrap
from app.demo import sample_profile
from app.settings import Settings
from domain.magento import MagentoProfile
from tests.integration.webhooks.receiver import SECRET, Receiver

KEYS = generate_entry("k1")
FAST_RETRIES = {
    "LEDGER_WEBHOOK_RETRY_S": "0.1",
    "LEDGER_WEBHOOK_MAX_BACKOFF_S": "0.4",
    "LEDGER_WEBHOOK_TIMEOUT_S": "2",
    "LEDGER_WEBHOOK_POLL_S": "0.05",
}
Build = Callable[..., Container]


def ledger_env(tmp_path: Path, receiver: Receiver, **extra: str) -> dict[str, str]:
    subscriber = {"name": "sync", "url": receiver.url, "secret": SECRET}
    return {
        "LEDGER_VAR_DIR": str(tmp_path / "var"),
        "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'ledger.db'}",
        "LEDGER_TOKEN_KEYS": KEYS,
        "LEDGER_WEBHOOKS": json.dumps([subscriber]),
        **FAST_RETRIES,
        **extra,
    }


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def build(tmp_path: Path, receiver: Receiver) -> Iterator[Build]:
    built: list[Container] = []

    def make(**extra: str) -> Container:
        (tmp_path / "var").mkdir(exist_ok=True)
        container = bootstrap(
            Settings.from_env(ledger_env(tmp_path, receiver, **extra)), migrate=True
        )
        built.append(container)
        return container

    yield make
    for container in built:
        container.close()


def pair(built: Container, account_id: str) -> str:
    """A new binding paired with a Magento install: two events (created, paired)."""
    service = built.service
    created = service.create_binding(account_id)
    shop = f"https://shop-{uuid.uuid4().hex[:8]}.example.com"
    service.redeem_pairing(created.pairing_code, MagentoProfile.from_dict(sample_profile(shop)))
    return created.binding_id


def account(built: Container) -> str:
    return built.service.accounts.create(f"{uuid.uuid4().hex[:8]}@example.com", "scale", "x").id
