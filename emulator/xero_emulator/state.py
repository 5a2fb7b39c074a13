"""The emulator's in-memory world, guarded by one lock and reachable via app.extensions."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from flask import current_app

from xero_emulator.clock import EmulatorClock
from xero_emulator.faults import Faults
from xero_emulator.limits import RateLimiter
from xero_emulator.records import AuthCode, AuthorizeRequest, Chain, Connection
from xero_emulator.seed import SeedData, build_seed
from xero_emulator.settings import EmulatorSettings
from xero_emulator.stats import Stats

EXTENSION_KEY = "xero_emulator"


@dataclass(slots=True)
class Store:
    """Everything a reset throws away."""

    seed: SeedData
    faults: Faults
    limiter: RateLimiter
    bulk: bool
    connection_cap: int | None = None
    unchanged_answer: str = "304"
    stats: Stats = field(default_factory=Stats)
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    pending: dict[str, tuple[AuthorizeRequest, float]] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict, repr=False)
    chains: dict[str, Chain] = field(default_factory=dict)
    refresh_index: dict[str, str] = field(default_factory=dict, repr=False)
    connections: dict[tuple[str, str, str], Connection] = field(default_factory=dict)
    scopes: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    # SHA-256 (hex) of access tokens refused with 401 before their expiry.
    rejected_access: set[str] = field(default_factory=set, repr=False)

    def active_connections(self, user_id: str, client_id: str) -> list[Connection]:
        """The user's live connections to the app, oldest first."""
        found = [
            c
            for (user, client, _), c in self.connections.items()
            if user == user_id and client == client_id and c.active
        ]
        return sorted(found, key=lambda c: c.created)

    def is_connected(self, user_id: str, client_id: str, tenant_id: str) -> bool:
        """Whether the user has the tenant connected to the app right now."""
        connection = self.connections.get((user_id, client_id, tenant_id))
        return connection is not None and connection.active

    def is_demo(self, tenant_id: str) -> bool:
        org = self.seed.orgs.get(tenant_id)
        return bool(org and org.resources["Organisations"][0].get("IsDemoCompany"))

    def connected_tenants(self, client_id: str) -> set[str]:
        """Organisations connected to the app by anyone, as the tier's cap counts them."""
        return {
            c.tenant_id
            for c in self.connections.values()
            if c.client_id == client_id and c.active and not self.is_demo(c.tenant_id)
        }


class EmulatorState:
    """Settings, clock, lock and the resettable store of one emulator app."""

    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self.clock = EmulatorClock()
        self.lock = threading.RLock()
        self.store = self.fresh_store()

    def fresh_store(self) -> Store:
        return Store(
            seed=build_seed(),
            faults=Faults(timeout_sleep_s=self.settings.timeout_sleep_s),
            limiter=RateLimiter(self.settings.limits),
            bulk=self.settings.bulk_connections,
            connection_cap=self.settings.connection_cap,
            unchanged_answer=self.settings.unchanged_answer,
        )

    def reset(self) -> None:
        """Back to the seeded world: no codes, tokens, connections, faults or stats."""
        with self.lock:
            self.store = self.fresh_store()


def get_state() -> EmulatorState:
    """The state of the emulator app handling the current request."""
    state: EmulatorState = current_app.extensions[EXTENSION_KEY]
    return state
