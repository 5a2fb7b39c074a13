"""The Xero adapter against the emulator over real HTTP: one emulator, reset before each test."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.provider import HttpXeroProvider
from domain.grant import TokenSet
from domain.values import Environment
from xero_emulator import ClientRegistration, EmulatorSettings, RunningEmulator, start_in_thread
from xero_emulator.seed import AVERY, UK

CLIENT_ID = "LEDGERADAPTERTEST000000000000000"
SECRET = "adapter-test-secret"
REDIRECT = "http://127.0.0.1:8080/oauth/xero/callback"
SCOPES = ("offline_access", "openid", "profile", "email", "accounting.settings.read")
SANDBOX = Environment.SANDBOX
TOKEN_TIMEOUT_SLEEP_S = 1.0


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    client = ClientRegistration(CLIENT_ID, SECRET, (REDIRECT,))
    settings = EmulatorSettings(clients=(client,), timeout_sleep_s=TOKEN_TIMEOUT_SLEEP_S)
    running = start_in_thread(settings)
    yield running
    running.stop()


@pytest.fixture
def config(emulator: RunningEmulator) -> XeroEnvironmentConfig:
    base = XeroEnvironmentConfig.on_one_host(
        "sandbox", emulator.base_url, CLIENT_ID, SECRET, REDIRECT
    )
    return replace(base, scopes=SCOPES)


@pytest.fixture
def provider(config: XeroEnvironmentConfig) -> Iterator[HttpXeroProvider]:
    with HttpXeroProvider({SANDBOX: config}, timeout_s=5.0) as made:
        yield made


@dataclass
class Emulator:
    """The control API, and consent the way the merchant's browser would give it."""

    http: httpx.Client
    provider: HttpXeroProvider

    def control(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post(f"/_emulator/{path}", json=body or {})
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.http.get("/_emulator/stats").json()
        return result

    def connect(self, tenant_id: str = UK.tenant_id, user_id: str = AVERY.user_id) -> TokenSet:
        """Consent through the control API, then the adapter's code exchange."""
        verifier = secrets.token_urlsafe(48)
        consent = {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT,
            "scope": " ".join(SCOPES),
            "state": "state-1",
            "code_challenge": challenge(verifier),
            "user_id": user_id,
            "tenant_ids": [tenant_id],
        }
        code = self.control("consent", consent)["code"]
        return self.provider.exchange_code(SANDBOX, code=code, code_verifier=verifier)


@pytest.fixture
def xero(emulator: RunningEmulator, provider: HttpXeroProvider) -> Iterator[Emulator]:
    with httpx.Client(base_url=emulator.base_url, timeout=5) as http:
        assert http.post("/_emulator/reset", json={}).status_code == 200
        yield Emulator(http, provider)


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
