"""The identity side of the provider: authorization URL, code exchange, refresh, revocation."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.provider import HttpXeroProvider
from domain.errors import EnvironmentNotConfigured, InvalidGrant, ProviderUnavailable
from domain.values import Environment
from tests.unit.xero.conftest import MakeProvider
from tests.unit.xero.support import CONFIG, Recorder, form, token_body

SANDBOX = Environment.SANDBOX


def ok_tokens(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=token_body())


class TestAuthorizationUrl:
    def test_carries_the_code_flow_with_pkce_s256(self, make_provider: MakeProvider) -> None:
        url = make_provider(ok_tokens).authorization_url(
            SANDBOX, state="state-1", code_challenge="challenge-1"
        )
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CONFIG.authorize_url
        assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
            "response_type": "code",
            "client_id": CONFIG.client_id,
            "redirect_uri": CONFIG.redirect_uri,
            "scope": " ".join(CONFIG.scopes),
            "state": "state-1",
            "code_challenge": "challenge-1",
            "code_challenge_method": "S256",
        }

    def test_never_carries_the_client_secret(self, make_provider: MakeProvider) -> None:
        url = make_provider(ok_tokens).authorization_url(SANDBOX, state="s", code_challenge="c")
        assert CONFIG.client_secret not in url


class TestTokenCalls:
    def test_exchange_posts_the_code_and_verifier_with_basic_auth(
        self, make_provider: MakeProvider
    ) -> None:
        recorder = Recorder(ok_tokens)
        tokens = make_provider(recorder).exchange_code(SANDBOX, code="c-1", code_verifier="v-1")
        request = recorder.requests[0]
        assert (request.method, str(request.url)) == ("POST", CONFIG.token_url)
        assert form(request) == {
            "grant_type": "authorization_code",
            "code": "c-1",
            "redirect_uri": CONFIG.redirect_uri,
            "code_verifier": "v-1",
        }
        assert request.headers["Authorization"] == _basic(CONFIG)
        assert tokens.auth_event_id == "event-1"

    def test_refresh_posts_the_refresh_token(self, make_provider: MakeProvider) -> None:
        recorder = Recorder(ok_tokens)
        tokens = make_provider(recorder).refresh(SANDBOX, "refresh-1")
        assert form(recorder.requests[0]) == {
            "grant_type": "refresh_token",
            "refresh_token": "refresh-1",
        }
        assert tokens.refresh_token == "refresh-2"

    def test_revoke_posts_the_refresh_token_with_client_auth(
        self, make_provider: MakeProvider
    ) -> None:
        recorder = Recorder(lambda r: httpx.Response(200))
        make_provider(recorder).revoke(SANDBOX, "refresh-1")
        request = recorder.requests[0]
        assert str(request.url) == CONFIG.revocation_url
        assert form(request)["token"] == "refresh-1"
        assert request.headers["Authorization"] == _basic(CONFIG)

    def test_invalid_grant_is_not_retried(self, make_provider: MakeProvider) -> None:
        recorder = Recorder(lambda r: httpx.Response(400, json={"error": "invalid_grant"}))
        with pytest.raises(InvalidGrant):
            make_provider(recorder).refresh(SANDBOX, "refresh-1")
        assert len(recorder.requests) == 1

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_a_5xx_on_refresh_is_not_retried(
        self, make_provider: MakeProvider, sleeps: list[float], status: int
    ) -> None:
        recorder = Recorder(lambda r: httpx.Response(status))
        with pytest.raises(ProviderUnavailable):
            make_provider(recorder).refresh(SANDBOX, "refresh-1")
        assert (len(recorder.requests), sleeps) == (1, [])

    def test_a_timeout_on_refresh_is_not_retried(self, make_provider: MakeProvider) -> None:
        def slow(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("timed out", request=request)

        recorder = Recorder(slow)
        with pytest.raises(ProviderUnavailable, match="timed out"):
            make_provider(recorder).refresh(SANDBOX, "refresh-1")
        assert len(recorder.requests) == 1

    def test_a_200_that_is_not_a_token_set_is_unavailable(
        self, make_provider: MakeProvider
    ) -> None:
        provider = make_provider(lambda r: httpx.Response(200, json={"unexpected": True}))
        with pytest.raises(ProviderUnavailable, match="unreadable body"):
            provider.exchange_code(SANDBOX, code="c", code_verifier="v")


class TestEnvironments:
    def test_an_unconfigured_environment_is_refused_clearly(self) -> None:
        unconfigured = XeroEnvironmentConfig.production("", "", CONFIG.redirect_uri)
        with HttpXeroProvider({Environment.PRODUCTION: unconfigured}) as provider:
            assert not provider.is_configured(Environment.PRODUCTION)
            assert not provider.is_configured(SANDBOX)
            for environment in (Environment.PRODUCTION, SANDBOX):
                with pytest.raises(EnvironmentNotConfigured, match=f"'{environment}'"):
                    provider.authorization_url(environment, state="s", code_challenge="c")
                with pytest.raises(EnvironmentNotConfigured):
                    provider.refresh(environment, "r")

    def test_every_url_comes_from_the_environment(self, make_provider: MakeProvider) -> None:
        provider = make_provider(ok_tokens)
        assert provider.is_configured(SANDBOX)
        assert provider.api_base_url(SANDBOX) == CONFIG.api_url

    def test_each_call_has_the_configured_timeout(self, make_provider: MakeProvider) -> None:
        recorder = Recorder(ok_tokens)
        make_provider(recorder, timeout_s=2.5).refresh(SANDBOX, "r")
        timeout = recorder.requests[0].extensions["timeout"]
        assert set(timeout.values()) == {2.5}


def _basic(config: XeroEnvironmentConfig) -> str:
    pair = f"{config.client_id}:{config.client_secret}".encode()
    return "Basic " + base64.b64encode(pair).decode()
