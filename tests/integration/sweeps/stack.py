"""The real service for integration tests of the sweeps and of observability: the composition
root on SQLite or PostgreSQL, the Xero emulator over HTTP, and a clock that moves with the
emulator's, so a test can let days pass on both sides at once."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import socket
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import grpc
import httpx
from werkzeug.security import generate_password_hash

from adapters.grpc.callers import parse_callers
from adapters.grpc.server import build_server, stop
from adapters.observability.tracing import Tracing
from adapters.persistence.keyring import generate_entry
from app.bootstrap import Container, bootstrap
from app.demo import sample_profile
from app.settings import Settings
from domain.binding import Binding
from domain.grant import OAuthGrant
from domain.magento import MagentoProfile
from domain.ports import XeroProvider
from domain.usecases.settle import Connected
from domain.values import Environment
from xero_emulator import ClientRegistration, EmulatorSettings, RunningEmulator, start_in_thread
from xero_emulator.seed import AVERY, UK
from xero_emulator.settings import RateLimitSettings

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[3]
CLIENT_ID = "SWEEPTESTCLIENT00000000000000000"
CLIENT_SECRET = "sweep-test-client-secret-" + secrets.token_hex(8)
PUBLIC_URL = "http://127.0.0.1:8080"
REDIRECT = f"{PUBLIC_URL}/oauth/xero/callback"
SESSION_SECRET = "sweep-tests-" + secrets.token_urlsafe(32)
PASSWORD = "correct horse battery staple"
SCOPES = "offline_access openid profile email accounting.settings.read"
# Xero's own published limits are what the unit tests check; here they would only slow
# tests that connect several bindings to one organisation within a minute.
GENEROUS = RateLimitSettings(
    per_org_minute=1_000_000, per_org_day=10_000_000, concurrent=1_000, app_minute=10_000_000
)


def start_emulator(timeout_sleep_s: float = 2.0) -> RunningEmulator:
    client = ClientRegistration(CLIENT_ID, CLIENT_SECRET, (REDIRECT,))
    return start_in_thread(
        EmulatorSettings(clients=(client,), limits=GENEROUS, timeout_sleep_s=timeout_sleep_s)
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ledger_connect() -> list[str]:
    script = Path(sys.executable).with_name("ledger-connect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


def ledger_env(
    database_url: str, emulator_url: str, keys: str, var_dir: Path, **overrides: str
) -> dict[str, str]:
    """LEDGER_* settings for this service against the emulator (nothing from os.environ)."""
    return {
        "LEDGER_VAR_DIR": str(var_dir),
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_TOKEN_KEYS": keys,
        "LEDGER_DEMO": "0",
        "LEDGER_PUBLIC_URL": PUBLIC_URL,
        "LEDGER_SECRET_KEY": SESSION_SECRET,
        "LEDGER_XERO_SANDBOX_BASE_URL": emulator_url,
        "LEDGER_XERO_SANDBOX_CLIENT_ID": CLIENT_ID,
        "LEDGER_XERO_SANDBOX_CLIENT_SECRET": CLIENT_SECRET,
        **overrides,
    }


def process_env(ledger: dict[str, str]) -> dict[str, str]:
    """The environment of a child `ledger-connect`: ours without LEDGER_*, plus `ledger`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    return {**env, **ledger, "PYTHONUNBUFFERED": "1"}


class ShiftedClock:
    """Wall-clock UTC plus whatever the test advanced, like the emulator's clock."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class InlineTasks:
    """Background work (the second prefetch wave) runs at once, so tests see its result."""

    def submit(self, name: str, task: Callable[[], None]) -> None:
        try:
            task()
        except Exception:
            log.exception("background task %s failed", name)


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Stack:
    emulator: RunningEmulator
    built: Container
    clock: ShiftedClock
    env: dict[str, str]
    http: httpx.Client = field(repr=False)
    account_id: str = ""
    email: str = ""
    _shops: Iterator[int] = field(default_factory=lambda: iter(range(1, 100_000)))

    @property
    def service(self) -> Any:
        return self.built.service

    # -- the emulator ------------------------------------------------------------------------
    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(f"/_emulator/{path}", json=body or {})
        assert response.status_code == 200, f"/_emulator/{path}: {response.text}"
        return response.json()

    def advance(self, **delta: float) -> None:
        """Let time pass here and at Xero."""
        step = timedelta(**delta)
        self.control("clock", {"advance_seconds": step.total_seconds()})
        self.clock.offset += step

    def refreshes(self) -> Counter[str]:
        stats = self.http.get("/_emulator/stats").json()
        return +Counter(stats["token_requests"].get("refresh_token", {}))

    def consent(self, authorize_url: str, user_id: str, tenant_id: str) -> str:
        params = dict(parse_qsl(urlsplit(authorize_url).query))
        body = {**params, "user_id": user_id, "tenant_ids": [tenant_id]}
        code: str = self.control("consent", body)["code"]
        return code

    def new_tokens(self, user_id: str = AVERY.user_id, tenant_id: str = UK.tenant_id) -> Any:
        """A token set as our callback would get it, without the rest of the connect flow."""
        verifier = secrets.token_urlsafe(48)
        url = (
            f"{self.emulator.base_url}/identity/connect/authorize?response_type=code"
            f"&client_id={CLIENT_ID}&redirect_uri={REDIRECT}&scope={SCOPES}"
            f"&state=s&code_challenge={challenge(verifier)}&code_challenge_method=S256"
        )
        code = self.consent(url, user_id, tenant_id)
        xero = self.built.ports.xero
        return xero.exchange_code(Environment.SANDBOX, code=code, code_verifier=verifier)

    # -- the service -------------------------------------------------------------------------
    def seed_account(self) -> None:
        self.email = f"merchant-{secrets.token_hex(4)}@ledger.test"
        hashed = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
        account = self.service.accounts.create(self.email, "scale", hashed)
        self.service.set_environment(account.id, Environment.SANDBOX)
        self.account_id = account.id

    def connect(self, user_id: str = AVERY.user_id, tenant_id: str = UK.tenant_id) -> str:
        """A binding paired and connected through the real flow (both waves fetched)."""
        created = self.service.create_binding(self.account_id)
        shop = f"https://shop-{next(self._shops)}.ledger.test"
        self.service.redeem_pairing(
            created.pairing_code, MagentoProfile.from_dict(sample_profile(shop))
        )
        session = secrets.token_urlsafe(16)
        url = self.service.start_connect(self.account_id, created.binding_id, session)
        code = self.consent(url, user_id, tenant_id)
        state = dict(parse_qsl(urlsplit(url).query))["state"]
        outcome = self.service.complete_connect(session, state, code)
        assert isinstance(outcome, Connected), outcome
        binding_id: str = created.binding_id
        return binding_id

    def grant(self, binding_id: str) -> OAuthGrant:
        with self.built.ports.uow() as uow:
            grant: OAuthGrant | None = uow.grants.get(binding_id)
        assert grant is not None
        return grant

    def binding(self, binding_id: str) -> Binding:
        with self.built.ports.uow() as uow:
            binding: Binding | None = uow.bindings.get(binding_id)
        assert binding is not None
        return binding

    def events(self, binding_id: str) -> list[str]:
        with self.built.ports.uow() as uow:
            return [e.kind.value for e in uow.events.for_binding(binding_id)]


@contextmanager
def running_stack(
    emulator: RunningEmulator,
    database_url: str,
    var_dir: Path,
    tracing: Tracing | None = None,
    xero: XeroProvider | None = None,
    **overrides: str,
) -> Iterator[Stack]:
    """The service in this process on `database_url` (migrated), an account to use."""
    keys = generate_entry("k1")
    env = ledger_env(database_url, emulator.base_url, keys, var_dir, **overrides)
    clock = ShiftedClock()
    built = bootstrap(
        Settings.from_env(env),
        migrate=True,
        clock=clock,
        tasks=InlineTasks(),
        tracing=tracing,
        xero=xero,
    )
    http = httpx.Client(base_url=emulator.base_url, timeout=30)
    stack = Stack(emulator, built, clock, env, http)
    stack.control("reset")
    stack.control("limits", _asdict(GENEROUS))
    try:
        stack.seed_account()
        yield stack
    finally:
        http.close()
        built.close()


def _asdict(limits: RateLimitSettings) -> dict[str, int]:
    return {
        "per_org_minute": limits.per_org_minute,
        "per_org_day": limits.per_org_day,
        "concurrent": limits.concurrent,
        "app_minute": limits.app_minute,
    }


@contextmanager
def grpc_channel(stack: Stack, caller_token: str, methods: str = "*") -> Iterator[grpc.Channel]:
    """A real gRPC server over the stack's service on a free port, and a channel to it."""
    server, port = build_server(
        stack.service,
        callers=parse_callers(f"sync={caller_token}:{methods}"),
        health_check=lambda: True,
        tracing=stack.built.tracing.grpc_aio_interceptors(),
    )
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield channel
    finally:
        stop(server, grace=1)
