"""Access to /api.xro/2.0: 401 for bad or expired tokens, 403 for unconnected tenants."""

from __future__ import annotations

import pytest

from xero_emulator.seed import AVERY, NZ, UK


@pytest.fixture
def token(xero) -> str:
    xero.control("bulk", {"enabled": True})
    return xero.connect(tenants=AVERY.tenant_ids)["access_token"]


class TestAuthorisation:
    def test_expired_access_token_is_401_token_expired(self, xero, token):
        xero.advance(31 * 60)
        answer = xero.api("Accounts", token)
        body = answer.json()
        assert answer.status_code == 401
        assert (body["Title"], body["Status"], body["Type"]) == ("Unauthorized", 401, None)
        assert body["Detail"].startswith("TokenExpired: token expired at ")

    def test_garbage_token_is_401(self, xero):
        assert xero.api("Accounts", "a.b.c").status_code == 401

    def test_disconnected_tenant_is_403_and_refresh_still_works(self, xero):
        xero.control("bulk", {"enabled": True})
        tokens = xero.connect(tenants=(UK.tenant_id, NZ.tenant_id))
        xero.control("disconnect", {"tenant_id": UK.tenant_id})
        token = xero.refresh(tokens["refresh_token"]).json()["access_token"]
        answer = xero.api("Accounts", token, UK.tenant_id)
        body = answer.json()
        assert answer.status_code == 403
        assert {k: body[k] for k in ("Type", "Title", "Status", "Detail", "Extensions")} == {
            "Type": None,
            "Title": "Forbidden",
            "Status": 403,
            "Detail": "AuthenticationUnsuccessful",
            "Extensions": {},
        }
        assert body["Instance"]
        assert xero.api("Accounts", token, NZ.tenant_id).status_code == 200
        assert [c["tenantId"] for c in xero.connections(token).json()] == [NZ.tenant_id]

    def test_missing_or_unconnected_tenant_is_403(self, xero):
        token = xero.connect(tenants=(NZ.tenant_id,))["access_token"]
        assert xero.api("Accounts", token, UK.tenant_id).status_code == 403
        assert xero.api("Accounts", token, "").status_code == 403

    def test_unknown_endpoint_is_404(self, xero, token):
        assert xero.api("Nonsense", token).status_code == 404
