"""Refresh-token rotation with Xero's 30-minute grace for the predecessor, and expiry."""

from __future__ import annotations

from xero_emulator.seed import NZ, UK

INVALID = {"error": "invalid_grant"}
DAY = 86400


def rotate(xero, token: str) -> str:
    answer = xero.refresh(token)
    assert answer.status_code == 200, answer.text
    return answer.json()["refresh_token"]


class TestRotation:
    def test_each_refresh_returns_a_new_refresh_and_access_token(self, xero):
        a = xero.connect()
        answer = xero.refresh(a["refresh_token"]).json()
        assert answer["refresh_token"] != a["refresh_token"]
        assert answer["access_token"] != a["access_token"]
        assert answer["expires_in"] == 1800 and answer["scope"] == xero.scope

    def test_predecessor_within_grace_yields_a_fresh_successor_and_kills_the_unused_one(self, xero):
        a = xero.connect()["refresh_token"]
        b = rotate(xero, a)
        xero.advance(29 * 60)
        c = rotate(xero, a)
        assert c not in (a, b)
        assert xero.refresh(b).json() == INVALID
        assert rotate(xero, c)

    def test_predecessor_can_be_reused_many_times_within_grace(self, xero):
        a = xero.connect()["refresh_token"]
        rotate(xero, a)
        for _ in range(3):
            last = rotate(xero, a)
        assert rotate(xero, last)

    def test_using_the_successor_kills_the_predecessor(self, xero):
        a = xero.connect()["refresh_token"]
        b = rotate(xero, a)
        rotate(xero, b)
        assert xero.refresh(a).json() == INVALID

    def test_predecessor_dies_after_thirty_minutes(self, xero):
        a = xero.connect()["refresh_token"]
        b = rotate(xero, a)
        xero.advance(30 * 60 + 1)
        assert xero.refresh(a).json() == INVALID
        assert rotate(xero, b)

    def test_unused_refresh_token_dies_after_sixty_days(self, xero):
        token = xero.connect()["refresh_token"]
        xero.advance(60 * DAY + 1)
        answer = xero.refresh(token)
        assert (answer.status_code, answer.json()) == (400, INVALID)

    def test_refresh_token_used_within_sixty_days_lives_on(self, xero):
        token = xero.connect()["refresh_token"]
        for _ in range(3):
            xero.advance(59 * DAY)
            token = rotate(xero, token)

    def test_refresh_token_of_another_client_is_invalid_grant(self, xero):
        token = xero.connect()["refresh_token"]
        answer = xero.token(
            grant_type="refresh_token",
            refresh_token=token,
            client_id=xero.other_client_id,
            client_secret="other-secret",
        )
        assert answer.json() == INVALID

    def test_unknown_refresh_token_is_invalid_grant(self, xero):
        assert xero.refresh("not-a-token").json() == INVALID

    def test_refreshed_access_token_keeps_the_auth_event_and_connections(self, xero):
        tokens = xero.connect()
        event = xero.claims(tokens["access_token"])["authentication_event_id"]
        fresh = xero.refresh(tokens["refresh_token"]).json()["access_token"]
        assert xero.claims(fresh)["authentication_event_id"] == event
        assert xero.api("Organisation", fresh, UK.tenant_id).status_code == 200


class TestRevocation:
    def test_revocation_kills_the_grant_and_removes_every_connection(self, xero):
        tokens = xero.connect(tenants=(UK.tenant_id,))
        other = xero.connect(tenants=(NZ.tenant_id,))
        assert len(xero.connections(other["access_token"]).json()) == 2
        answer = xero.http.post(
            "/connect/revocation",
            data={
                "token": tokens["refresh_token"],
                "client_id": xero.client_id,
                "client_secret": xero.secret,
            },
        )
        assert answer.status_code == 200
        assert xero.refresh(tokens["refresh_token"]).json() == INVALID
        assert xero.refresh(other["refresh_token"]).json() == INVALID
        assert xero.connections(other["access_token"]).json() == []
        assert xero.api("Organisation", other["access_token"], UK.tenant_id).status_code == 403

    def test_revoking_an_unknown_token_is_still_200(self, xero):
        answer = xero.http.post(
            "/connect/revocation",
            data={"token": "unknown", "client_id": xero.client_id, "client_secret": xero.secret},
        )
        assert answer.status_code == 200

    def test_revocation_needs_client_authentication(self, xero):
        tokens = xero.connect()
        answer = xero.http.post("/connect/revocation", data={"token": tokens["refresh_token"]})
        assert answer.json() == {"error": "invalid_client"}
        assert xero.refresh(tokens["refresh_token"]).status_code == 200
