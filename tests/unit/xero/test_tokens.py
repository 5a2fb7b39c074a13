"""Reading the token endpoint's answer: the TokenSet and the access token's claims."""

from __future__ import annotations

from adapters.xero.claims import unverified_claims
from adapters.xero.identity import token_set
from tests.unit.xero.support import jwt, token_body


class TestUnverifiedClaims:
    def test_reads_the_payload_of_a_jwt(self) -> None:
        claims = {"authentication_event_id": "e-1", "xero_userid": "u-1", "scope": ["a"]}
        assert unverified_claims(jwt(claims)) == claims

    def test_a_token_that_is_not_a_jwt_has_no_claims(self) -> None:
        for token in ("opaque-token", "a.b", "a.!!!.c", "a.bm90IGpzb24.c", "a.WzFd.c", ""):
            assert unverified_claims(token) == {}


class TestTokenSet:
    def test_carries_tokens_lifetime_scopes_and_the_claims_we_need(self) -> None:
        tokens = token_set(token_body())
        assert tokens is not None
        assert tokens.refresh_token == "refresh-2"
        assert tokens.expires_in == 1800
        assert tokens.scopes == ("openid", "offline_access", "accounting.settings.read")
        assert (tokens.auth_event_id, tokens.xero_user_id) == ("event-1", "user-1")

    def test_an_opaque_access_token_gives_empty_claims_not_a_crash(self) -> None:
        tokens = token_set(token_body(access_token="opaque"))
        assert tokens is not None and (tokens.auth_event_id, tokens.xero_user_id) == ("", "")

    def test_tolerates_missing_optional_fields(self) -> None:
        tokens = token_set({"access_token": "opaque", "scope": ["a", "b", 3]})
        assert tokens is not None
        assert (tokens.refresh_token, tokens.expires_in, tokens.scopes) == ("", 1800, ("a", "b"))

    def test_a_body_without_an_access_token_is_not_a_token_set(self) -> None:
        assert token_set({"refresh_token": "r"}) is None
        assert token_set(["access_token"]) is None
