"""The /_emulator control API: stats, clock, reset, discovery, consent and validation."""

from __future__ import annotations

from xero_emulator.seed import AVERY, NZ, SAM, UK


class TestDiscovery:
    def test_users_and_organisations(self, xero):
        users = {u["name"]: u for u in xero.http.get("/_emulator/users").json()}
        assert users["Avery Admin"]["user_id"] == AVERY.user_id
        assert users["Sam Single"]["tenant_ids"] == [NZ.tenant_id]
        orgs = {o["name"]: o for o in xero.http.get("/_emulator/organisations").json()}
        assert orgs["Demo Company (UK)"]["tenant_id"] == UK.tenant_id
        assert len(orgs) == 4


class TestStatsAndReset:
    def test_stats_count_tokens_calls_and_connections(self, xero):
        tokens = xero.connect()
        xero.refresh("bogus")
        xero.api("Accounts", tokens["access_token"])
        stats = xero.http.get("/_emulator/stats").json()
        assert stats["token_requests"]["authorization_code"] == {"success": 1, "failure": 0}
        assert stats["token_requests"]["refresh_token"] == {"success": 0, "failure": 1}
        assert stats["api_calls"] == {UK.tenant_id: 1}
        assert stats["connections"] == 1

    def test_reset_forgets_tokens_connections_faults_and_stats(self, xero):
        tokens = xero.connect()
        xero.control("faults", {"latency_ms": 5})
        xero.control("limits", {"per_org_minute": 1})
        xero.control("reset")
        assert xero.refresh(tokens["refresh_token"]).json() == {"error": "invalid_grant"}
        assert xero.connections(tokens["access_token"]).status_code == 401
        assert xero.http.get("/_emulator/faults").json()["latency_ms"] == 0
        assert xero.http.get("/_emulator/limits").json()["per_org_minute"] == 60
        assert xero.http.get("/_emulator/stats").json()["connections"] == 0


class TestClock:
    def test_advance_moves_now(self, xero):
        before = xero.http.get("/_emulator/clock").json()["now"]
        after = xero.control("clock", {"advance_seconds": 3600}).json()["now"]
        assert 3600 <= after - before < 3610

    def test_clock_never_goes_back(self, xero):
        answer = xero.http.post("/_emulator/clock", json={"advance_seconds": -1})
        assert answer.status_code == 400


class TestConsentShortcut:
    def test_consent_refuses_tenants_the_user_cannot_reach(self, xero):
        answer = xero.http.post(
            "/_emulator/consent",
            json={
                "client_id": xero.client_id,
                "redirect_uri": xero.redirect,
                "user_id": SAM.user_id,
                "tenant_ids": [UK.tenant_id],
                "scope": xero.scope,
            },
        )
        assert answer.status_code == 400

    def test_consent_validates_the_client_and_redirect(self, xero):
        answer = xero.http.post(
            "/_emulator/consent",
            json={
                "client_id": xero.client_id,
                "redirect_uri": "http://evil.example/cb",
                "user_id": AVERY.user_id,
                "tenant_ids": [UK.tenant_id],
                "scope": xero.scope,
            },
        )
        assert answer.status_code == 400

    def test_limits_reject_unknown_names(self, xero):
        assert xero.http.post("/_emulator/limits", json={"per_hour": 5}).status_code == 400
        assert xero.http.post("/_emulator/limits", json={"concurrent": 0}).status_code == 400

    def test_payload_must_be_a_json_object(self, xero):
        as_json = {"Content-Type": "application/json"}
        assert xero.http.post("/_emulator/bulk", content=b"[]", headers=as_json).status_code == 400
