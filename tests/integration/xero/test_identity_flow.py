"""The OAuth dance and token lifecycle against the emulator's identity endpoints."""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.provider import HttpXeroProvider
from domain.errors import InvalidGrant, ProviderRejected, ProviderUnavailable
from tests.integration.xero.conftest import CLIENT_ID, REDIRECT, SANDBOX, Emulator, challenge
from xero_emulator.seed import AVERY, NZ


def refresh_counts(xero: Emulator) -> dict[str, int]:
    counts: dict[str, int] = xero.stats()["token_requests"].get("refresh_token", {})
    return counts


class TestConsent:
    def test_the_authorization_url_opens_the_consent_page(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        url = provider.authorization_url(SANDBOX, state="s-1", code_challenge=challenge("v" * 43))
        page = xero.http.get(url)
        assert page.status_code == 200
        assert "Organisation" in page.text

    def test_the_whole_dance_through_the_consent_page(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        verifier = secrets.token_urlsafe(48)
        url = provider.authorization_url(SANDBOX, state="s-2", code_challenge=challenge(verifier))
        page = xero.http.get(url).text
        answer = xero.http.post(
            url.split("?")[0],
            data={
                "pending": _hidden(page, "pending"),
                "csrf_token": _hidden(page, "csrf_token"),
                "xero_user": AVERY.user_id,
                "tenant_id": NZ.tenant_id,
                "action": "allow",
            },
        )
        assert answer.status_code in (302, 303)
        callback = urlsplit(answer.headers["Location"])
        assert f"{callback.scheme}://{callback.netloc}{callback.path}" == REDIRECT
        query = {k: v[0] for k, v in parse_qs(callback.query).items()}
        assert query["state"] == "s-2"
        tokens = provider.exchange_code(SANDBOX, code=query["code"], code_verifier=verifier)
        found = provider.list_connections(SANDBOX, tokens.access_token, tokens.auth_event_id)
        assert [c.tenant_name for c in found] == [NZ.name]

    def test_exchange_reads_the_claims_the_domain_needs(self, xero: Emulator) -> None:
        tokens = xero.connect()
        assert tokens.xero_user_id == AVERY.user_id
        assert re.fullmatch(r"[0-9a-f-]{36}", tokens.auth_event_id)
        assert tokens.refresh_token and tokens.expires_in == 1800
        assert "offline_access" in tokens.scopes

    def test_a_code_works_once(self, xero: Emulator, provider: HttpXeroProvider) -> None:
        verifier = secrets.token_urlsafe(48)
        code = xero.control(
            "consent",
            {
                "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT,
                "scope": "openid",
                "code_challenge": challenge(verifier),
                "user_id": AVERY.user_id,
                "tenant_ids": [NZ.tenant_id],
            },
        )["code"]
        provider.exchange_code(SANDBOX, code=code, code_verifier=verifier)
        with pytest.raises(InvalidGrant):
            provider.exchange_code(SANDBOX, code=code, code_verifier=verifier)


class TestClientCredentials:
    def test_a_wrong_client_secret_is_rejected_without_echoing_it(
        self, xero: Emulator, config: XeroEnvironmentConfig
    ) -> None:
        tokens = xero.connect()
        wrong = replace(config, client_secret="not-the-secret-42")
        with (
            HttpXeroProvider({SANDBOX: wrong}) as impostor,
            pytest.raises(ProviderRejected, match=r"answered 401 \(invalid_client\)") as raised,
        ):
            impostor.refresh(SANDBOX, tokens.refresh_token)
        assert "not-the-secret-42" not in repr(raised.value)


class TestRefresh:
    def test_rotation_kills_the_old_token_once_its_successor_is_used(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        first = xero.connect()
        second = provider.refresh(SANDBOX, first.refresh_token)
        assert second.refresh_token != first.refresh_token
        assert second.auth_event_id == first.auth_event_id
        provider.refresh(SANDBOX, second.refresh_token)
        with pytest.raises(InvalidGrant):
            provider.refresh(SANDBOX, first.refresh_token)

    def test_a_lost_answer_is_recovered_with_the_old_token(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        tokens = xero.connect()
        xero.control("faults", {"drop_answer_after_rotation": 1})
        with pytest.raises(ProviderUnavailable):
            provider.refresh(SANDBOX, tokens.refresh_token)
        recovered = provider.refresh(SANDBOX, tokens.refresh_token)
        assert recovered.refresh_token not in ("", tokens.refresh_token)
        assert refresh_counts(xero) == {"success": 2, "failure": 0}

    def test_a_5xx_on_refresh_is_not_retried(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        tokens = xero.connect()
        xero.control("faults", {"fail_next_token_calls": 1, "fail_mode": "5xx"})
        with pytest.raises(ProviderUnavailable, match="token endpoint answered 503"):
            provider.refresh(SANDBOX, tokens.refresh_token)
        assert refresh_counts(xero) == {"success": 0, "failure": 1}
        provider.refresh(SANDBOX, tokens.refresh_token)

    def test_a_token_endpoint_that_hangs_times_out_once(
        self, xero: Emulator, config: XeroEnvironmentConfig
    ) -> None:
        tokens = xero.connect()
        xero.control("faults", {"fail_next_token_calls": 1, "fail_mode": "timeout"})
        with (
            HttpXeroProvider({SANDBOX: config}, timeout_s=0.3) as impatient,
            pytest.raises(ProviderUnavailable, match="timed out"),
        ):
            impatient.refresh(SANDBOX, tokens.refresh_token)
        assert refresh_counts(xero)["failure"] == 1


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, name
    return match.group(1)
