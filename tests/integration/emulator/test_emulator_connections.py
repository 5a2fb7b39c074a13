"""GET and DELETE /connections: per-user, per-app tenants and the authEventId filter."""

from __future__ import annotations

import re

from xero_emulator.seed import AU, NZ, SAM, UK

XERO_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$")


class TestListing:
    def test_lists_the_connection_in_xeros_shape(self, xero):
        tokens = xero.connect(tenants=(NZ.tenant_id,))
        [connection] = xero.connections(tokens["access_token"]).json()
        assert set(connection) == {
            "id",
            "authEventId",
            "tenantId",
            "tenantType",
            "tenantName",
            "createdDateUtc",
            "updatedDateUtc",
        }
        assert connection["tenantId"] == NZ.tenant_id
        assert connection["tenantName"] == "Kiwi Kitchenware Ltd"
        assert connection["tenantType"] == "ORGANISATION"
        assert XERO_DATE.match(connection["createdDateUtc"])

    def test_token_sees_every_tenant_the_user_connected_to_the_app(self, xero):
        xero.connect(tenants=(UK.tenant_id,))
        latest = xero.connect(tenants=(AU.tenant_id,))
        tenants = [c["tenantId"] for c in xero.connections(latest["access_token"]).json()]
        assert tenants == [UK.tenant_id, AU.tenant_id]

    def test_auth_event_filter_keeps_only_this_consents_tenants(self, xero):
        xero.connect(tenants=(UK.tenant_id,))
        latest = xero.connect(tenants=(AU.tenant_id,))
        event = xero.claims(latest["access_token"])["authentication_event_id"]
        found = xero.connections(latest["access_token"], authEventId=event).json()
        assert [c["tenantId"] for c in found] == [AU.tenant_id]

    def test_capitalised_path_works_too(self, xero):
        tokens = xero.connect()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert len(xero.http.get("/Connections", headers=headers).json()) == 1

    def test_other_users_connections_are_invisible(self, xero):
        xero.connect(tenants=(UK.tenant_id,))
        sams = xero.connect(user=SAM.user_id, tenants=(NZ.tenant_id,))
        assert [c["tenantId"] for c in xero.connections(sams["access_token"]).json()] == [
            NZ.tenant_id
        ]

    def test_reconsent_keeps_the_connection_id_and_updates_event_and_date(self, xero):
        first = xero.connections(xero.connect()["access_token"]).json()[0]
        xero.advance(60)
        again = xero.connect()
        second = xero.connections(again["access_token"]).json()[0]
        assert second["id"] == first["id"]
        assert second["createdDateUtc"] == first["createdDateUtc"]
        assert second["updatedDateUtc"] > first["updatedDateUtc"]
        assert (
            second["authEventId"] == xero.claims(again["access_token"])["authentication_event_id"]
        )

    def test_only_the_app_minute_limit_header_is_sent(self, xero):
        answer = xero.connections(xero.connect()["access_token"])
        assert "x-appminlimit-remaining" in answer.headers
        assert "x-minlimit-remaining" not in answer.headers

    def test_needs_a_valid_bearer_token(self, xero):
        assert xero.connections("garbage").status_code == 401
        assert xero.http.get("/connections").status_code == 401


class TestDelete:
    def test_delete_disconnects_one_tenant(self, xero):
        xero.connect(tenants=(UK.tenant_id,))
        tokens = xero.connect(tenants=(NZ.tenant_id,))
        uk = next(
            c
            for c in xero.connections(tokens["access_token"]).json()
            if c["tenantId"] == UK.tenant_id
        )
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert xero.http.delete(f"/connections/{uk['id']}", headers=headers).status_code == 204
        remaining = [c["tenantId"] for c in xero.connections(tokens["access_token"]).json()]
        assert remaining == [NZ.tenant_id]
        assert xero.api("Organisation", tokens["access_token"], UK.tenant_id).status_code == 403
        assert xero.refresh(tokens["refresh_token"]).status_code == 200

    def test_unknown_or_foreign_connection_is_404(self, xero):
        avery = xero.connect(tenants=(NZ.tenant_id,))
        sam = xero.connect(user=SAM.user_id, tenants=(NZ.tenant_id,))
        averys = xero.connections(avery["access_token"]).json()[0]["id"]
        headers = {"Authorization": f"Bearer {sam['access_token']}"}
        assert xero.http.delete(f"/Connections/{averys}", headers=headers).status_code == 404
        assert xero.http.delete("/connections/nope", headers=headers).status_code == 404
