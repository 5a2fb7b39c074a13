"""Fixtures for the emulator suite: one real HTTP emulator per session, reset before each test."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from xero_emulator import ClientRegistration, EmulatorSettings, RunningEmulator, start_in_thread
from xero_emulator.seed import AVERY, UK

CLIENT_ID = "LEDGERDEMOCLIENT00000000000000000"
SECRET = "emulator-demo-secret"
REDIRECT = "http://127.0.0.1:8080/oauth/xero/callback"
OTHER_REDIRECT = "http://localhost:8080/oauth/xero/callback"
OTHER_CLIENT_ID = "OTHERAPPCLIENT0000000000000000000"
SCOPE = "openid profile email offline_access accounting.settings.read"


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    settings = EmulatorSettings(
        clients=(
            ClientRegistration(CLIENT_ID, SECRET, (REDIRECT, OTHER_REDIRECT)),
            ClientRegistration(OTHER_CLIENT_ID, "other-secret", (REDIRECT,)),
        ),
        timeout_sleep_s=0.3,
    )
    running = start_in_thread(settings)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def session_http(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    # One client for the whole run: building an httpx.Client (its TLS context) is slow.
    with httpx.Client(base_url=emulator.base_url, timeout=5) as client:
        yield client


@pytest.fixture
def http(session_http: httpx.Client) -> httpx.Client:
    session_http.cookies.clear()
    assert session_http.post("/_emulator/reset", json={}).status_code == 200
    return session_http


@dataclass
class Xero:
    """Drives the emulator the way the service will: consent, exchange, refresh, call."""

    http: httpx.Client
    client_id = CLIENT_ID
    secret = SECRET
    redirect = REDIRECT
    other_redirect = OTHER_REDIRECT
    other_client_id = OTHER_CLIENT_ID
    scope = SCOPE

    @staticmethod
    def pkce() -> tuple[str, str]:
        """A PKCE verifier and its S256 challenge."""
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    @staticmethod
    def claims(token: str) -> dict[str, Any]:
        """The (unverified) payload of a JWT."""
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    def control(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        response = self.http.post(f"/_emulator/{path}", json=body or {})
        assert response.status_code == 200, response.text
        return response

    def advance(self, seconds: float) -> None:
        self.control("clock", {"advance_seconds": seconds})

    def consent(
        self,
        user: str = AVERY.user_id,
        tenants: tuple[str, ...] = (UK.tenant_id,),
        challenge: str | None = None,
        scope: str = SCOPE,
    ) -> str:
        body = {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT,
            "user_id": user,
            "tenant_ids": list(tenants),
            "state": "st",
            "scope": scope,
        }
        if challenge:
            body["code_challenge"] = challenge
        return self.control("consent", body).json()["code"]

    def token(self, **form: str) -> httpx.Response:
        form.setdefault("client_id", CLIENT_ID)
        form.setdefault("client_secret", SECRET)
        return self.http.post("/connect/token", data=form)

    def exchange(self, code: str, verifier: str, redirect_uri: str = REDIRECT) -> httpx.Response:
        return self.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=verifier,
        )

    def connect(
        self,
        user: str = AVERY.user_id,
        tenants: tuple[str, ...] = (UK.tenant_id,),
        scope: str = SCOPE,
    ) -> dict[str, Any]:
        verifier, challenge = self.pkce()
        response = self.exchange(self.consent(user, tenants, challenge, scope), verifier)
        assert response.status_code == 200, response.text
        return response.json()

    def refresh(self, refresh_token: str) -> httpx.Response:
        return self.token(grant_type="refresh_token", refresh_token=refresh_token)

    def api(
        self, resource: str, access_token: str, tenant: str = UK.tenant_id, **params: str
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {access_token}", "xero-tenant-id": tenant}
        return self.http.get(f"/api.xro/2.0/{resource}", headers=headers, params=params)

    def connections(self, access_token: str, **params: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {access_token}"}
        return self.http.get("/connections", headers=headers, params=params)


@pytest.fixture
def xero(http: httpx.Client) -> Xero:
    return Xero(http)
