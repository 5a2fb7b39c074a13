"""POST /connect/token with grant_type=authorization_code: client auth, PKCE, claims."""

from __future__ import annotations

import base64

import pytest

from xero_emulator.seed import AVERY, NZ, SAM, UK


class TestCodeExchange:
    def test_valid_code_and_verifier_yield_a_full_token_set(self, xero):
        verifier, challenge = xero.pkce()
        answer = xero.exchange(xero.consent(challenge=challenge), verifier)
        assert answer.status_code == 200
        body = answer.json()
        assert list(body) == [
            "id_token",
            "access_token",
            "expires_in",
            "token_type",
            "refresh_token",
            "scope",
        ]
        assert body["expires_in"] == 1800 and body["token_type"] == "Bearer"
        assert body["scope"] == xero.scope
        assert answer.headers["cache-control"] == "no-store"

    def test_wrong_verifier_is_invalid_grant(self, xero):
        _, challenge = xero.pkce()
        answer = xero.exchange(xero.consent(challenge=challenge), "x" * 43)
        assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant"})

    def test_code_is_single_use(self, xero):
        verifier, challenge = xero.pkce()
        code = xero.consent(challenge=challenge)
        assert xero.exchange(code, verifier).status_code == 200
        assert xero.exchange(code, verifier).json() == {"error": "invalid_grant"}

    def test_redirect_uri_must_match_the_authorize_request(self, xero):
        verifier, challenge = xero.pkce()
        answer = xero.exchange(xero.consent(challenge=challenge), verifier, xero.other_redirect)
        assert answer.json() == {"error": "invalid_grant"}

    def test_code_expires_after_five_minutes(self, xero):
        verifier, challenge = xero.pkce()
        code = xero.consent(challenge=challenge)
        xero.advance(301)
        assert xero.exchange(code, verifier).json() == {"error": "invalid_grant"}

    def test_code_issued_to_another_client_is_invalid_grant(self, xero):
        verifier, challenge = xero.pkce()
        answer = xero.token(
            grant_type="authorization_code",
            code=xero.consent(challenge=challenge),
            redirect_uri=xero.redirect,
            code_verifier=verifier,
            client_id=xero.other_client_id,
            client_secret="other-secret",
        )
        assert answer.json() == {"error": "invalid_grant"}

    def test_no_refresh_token_without_offline_access(self, xero):
        tokens = xero.connect(scope="openid accounting.settings.read")
        assert "refresh_token" not in tokens

    def test_unsupported_grant_type(self, xero):
        answer = xero.token(grant_type="password", username="a", password="b")
        assert (answer.status_code, answer.json()) == (400, {"error": "unsupported_grant_type"})


class TestClientAuthentication:
    def _exchange(self, xero, **auth):
        verifier, challenge = xero.pkce()
        form = {
            "grant_type": "authorization_code",
            "code": xero.consent(challenge=challenge),
            "redirect_uri": xero.redirect,
            "code_verifier": verifier,
        }
        return xero.http.post(
            "/connect/token", data=form | auth.get("form", {}), headers=auth.get("headers", {})
        )

    def test_http_basic_header(self, xero):
        basic = base64.b64encode(f"{xero.client_id}:{xero.secret}".encode()).decode()
        answer = self._exchange(xero, headers={"Authorization": f"Basic {basic}"})
        assert answer.status_code == 200

    def test_credentials_in_the_body(self, xero):
        answer = self._exchange(
            xero, form={"client_id": xero.client_id, "client_secret": xero.secret}
        )
        assert answer.status_code == 200

    def test_bad_secret_in_basic_header_is_401_invalid_client(self, xero):
        basic = base64.b64encode(f"{xero.client_id}:wrong".encode()).decode()
        answer = self._exchange(xero, headers={"Authorization": f"Basic {basic}"})
        assert (answer.status_code, answer.json()) == (401, {"error": "invalid_client"})

    @pytest.mark.parametrize(
        "form",
        [
            {"client_id": "LEDGERDEMOCLIENT00000000000000000", "client_secret": "wrong"},
            {"client_id": "UNKNOWN", "client_secret": "emulator-demo-secret"},
            {},
        ],
    )
    def test_bad_body_credentials_are_400_invalid_client(self, xero, form):
        answer = self._exchange(xero, form=form)
        assert (answer.status_code, answer.json()) == (400, {"error": "invalid_client"})

    def test_secrets_never_appear_in_error_answers(self, xero):
        answer = self._exchange(xero, form={"client_id": xero.client_id, "client_secret": "s3cr3t"})
        assert "s3cr3t" not in answer.text


class TestClaims:
    def test_access_token_is_a_jwt_with_xero_claims(self, xero):
        tokens = xero.connect(tenants=(NZ.tenant_id,))
        header, _, signature = tokens["access_token"].split(".")
        claims = xero.claims(tokens["access_token"])
        assert signature and xero.claims(header + "." + header)["alg"] == "HS256"
        assert claims["iss"] == "https://identity.xero.com"
        assert claims["aud"] == "https://identity.xero.com/resources"
        assert claims["client_id"] == xero.client_id
        assert claims["xero_userid"] == AVERY.user_id
        assert claims["scope"] == xero.scope.split()
        assert claims["exp"] - claims["nbf"] == 1800
        for name in ("authentication_event_id", "global_session_id", "sub"):
            assert claims[name]

    def test_auth_event_id_matches_the_consents_connections(self, xero):
        tokens = xero.connect()
        event = xero.claims(tokens["access_token"])["authentication_event_id"]
        assert [c["authEventId"] for c in xero.connections(tokens["access_token"]).json()] == [
            event
        ]

    def test_id_token_names_the_user_without_auth_event(self, xero):
        claims = xero.claims(xero.connect(user=SAM.user_id, tenants=(NZ.tenant_id,))["id_token"])
        assert claims["xero_userid"] == SAM.user_id
        assert claims["email"] == "sam.single@example.com"
        assert (claims["given_name"], claims["family_name"]) == ("Sam", "Single")
        assert claims["aud"] == xero.client_id
        assert "authentication_event_id" not in claims

    def test_scopes_are_additive_across_consents(self, xero):
        xero.connect(scope="openid offline_access accounting.settings.read")
        tokens = xero.connect(
            tenants=(UK.tenant_id,), scope="openid offline_access accounting.contacts"
        )
        assert "accounting.settings.read" in xero.claims(tokens["access_token"])["scope"]
