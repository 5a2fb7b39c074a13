"""/_emulator/reject_access_token: Xero refusing one access token before its expiry."""

from __future__ import annotations

import hashlib

from xero_emulator.seed import UK


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TestRejectedAccessToken:
    def test_the_rejected_token_gets_401_everywhere_and_its_successor_works(self, xero):
        tokens = xero.connect(tenants=(UK.tenant_id,))
        access = tokens["access_token"]
        assert xero.connections(access).status_code == 200
        xero.control("reject_access_token", {"access_token_sha256": sha256(access).upper()})
        for answer in (xero.connections(access), xero.api("Accounts", access)):
            assert answer.status_code == 401
            assert answer.json()["Detail"] == "AuthenticationUnsuccessful"
        successor = xero.refresh(tokens["refresh_token"]).json()["access_token"]
        assert xero.connections(successor).status_code == 200
        assert xero.api("Accounts", successor).status_code == 200

    def test_every_list_of_connections_is_counted(self, xero):
        access = xero.connect(tenants=(UK.tenant_id,))["access_token"]
        before = xero.http.get("/_emulator/stats").json()["connection_lists"]
        xero.connections(access)
        xero.connections("not-a-token")
        assert xero.http.get("/_emulator/stats").json()["connection_lists"] == before + 2

    def test_a_malformed_fingerprint_is_refused_clearly(self, xero):
        answer = xero.http.post(
            "/_emulator/reject_access_token", json={"access_token_sha256": "abc"}
        )
        assert answer.status_code == 400
        assert "64 hex characters" in answer.json()["error"]
