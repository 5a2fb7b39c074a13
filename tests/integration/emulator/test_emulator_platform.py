"""Xero's 2026 platform in the emulator, over HTTP: the tier's connection cap ending on a
page that never goes back to the app, the daily limit and its header, and If-Modified-Since
with UpdatedDateUTC as Xero's OpenAPI description gives them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from tests.integration.emulator.conftest import Xero
from tests.integration.emulator.test_emulator_consent_page import decide, open_page
from xero_emulator.seed import AU, AVERY, NZ, UK


def cap(xero: Xero, n: int | None) -> None:
    xero.control("tier", {"connection_cap": n})


class TestConnectionCap:
    def test_at_the_cap_consent_for_a_new_organisation_ends_on_xeros_own_page(
        self, xero: Xero
    ) -> None:
        cap(xero, 1)
        xero.connect(tenants=(NZ.tenant_id,))
        page = open_page(xero)
        answer = decide(xero, page, action="allow", xero_user=AVERY.user_id, tenant_id=AU.tenant_id)
        assert answer.status_code == 302
        location = answer.headers["location"]
        assert location.startswith("/connectionLimit") and xero.redirect not in location
        limit = xero.http.get(location)
        assert limit.status_code == 200 and "location" not in limit.headers
        assert "has reached their Xero connection limit" in limit.text
        # Nothing on the page leads back to the app: no code, no error, no refresh.
        assert xero.redirect not in limit.text and "refresh" not in limit.text.lower()
        assert not re.search(r"code=|state=", limit.text)
        assert xero.http.get("/_emulator/stats").json()["consents"]["connection_limit"] == 1

    def test_reconnecting_a_connected_organisation_and_demo_companies_still_work(
        self, xero: Xero
    ) -> None:
        cap(xero, 1)
        xero.connect(tenants=(NZ.tenant_id,))
        xero.connect(tenants=(NZ.tenant_id,))  # the same organisation again
        xero.connect(tenants=(UK.tenant_id,))  # a demo company does not count

    def test_the_consent_api_says_so_without_a_code(self, xero: Xero) -> None:
        cap(xero, 0)
        body = {
            "client_id": xero.client_id,
            "redirect_uri": xero.redirect,
            "user_id": AVERY.user_id,
            "tenant_ids": [AU.tenant_id],
            "scope": xero.scope,
        }
        answer = xero.http.post("/_emulator/consent", json=body)
        assert answer.status_code == 403
        assert answer.json() == {"error": "connection_limit", "redirected": False}

    def test_a_disconnected_organisation_frees_its_slot(self, xero: Xero) -> None:
        cap(xero, 1)
        xero.connect(tenants=(NZ.tenant_id,))
        xero.control("disconnect", {"tenant_id": NZ.tenant_id})
        xero.connect(tenants=(AU.tenant_id,))


class TestDailyLimit:
    def test_every_answer_says_what_is_left_and_the_limit_is_enforced(self, xero: Xero) -> None:
        xero.control("limits", {"per_org_day": 3})
        token = xero.connect(tenants=(NZ.tenant_id,))["access_token"]
        left = [xero.api("Accounts", token, NZ.tenant_id) for _ in range(3)]
        assert [r.headers["X-DayLimit-Remaining"] for r in left] == ["2", "1", "0"]
        refused = xero.api("Accounts", token, NZ.tenant_id)
        assert refused.status_code == 429
        assert refused.headers["X-Rate-Limit-Problem"] == "day"
        assert 0 < int(refused.headers["Retry-After"]) <= 86400


class TestIfModifiedSince:
    def token(self, xero: Xero) -> str:
        token: str = xero.connect(tenants=(NZ.tenant_id,))["access_token"]
        return token

    def newest(self, xero: Xero, token: str, resource: str) -> str:
        rows = xero.api(resource, token, NZ.tenant_id).json()[resource]
        stamps = [int(re.search(r"\d+", r["UpdatedDateUTC"]).group(0)) for r in rows]
        return f"{max(stamps) / 1000:.3f}"

    def since(self, xero: Xero, token: str, resource: str, stamp: str) -> httpx.Response:
        when = datetime.fromtimestamp(float(stamp), UTC).isoformat(timespec="milliseconds")
        headers = {
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": NZ.tenant_id,
            "If-Modified-Since": when,
        }
        return xero.http.get(f"/api.xro/2.0/{resource}", headers=headers)

    def test_unchanged_is_a_304_without_a_body(self, xero: Xero) -> None:
        token = self.token(xero)
        for resource in ("Accounts", "Items"):
            answer = self.since(xero, token, resource, self.newest(xero, token, resource))
            assert answer.status_code == 304 and answer.content == b""

    def test_or_an_empty_list_when_xero_answers_that_way(self, xero: Xero) -> None:
        xero.control("tier", {"unchanged_answer": "empty"})
        token = self.token(xero)
        answer = self.since(xero, token, "Accounts", self.newest(xero, token, "Accounts"))
        assert answer.status_code == 200 and answer.json()["Accounts"] == []

    def test_a_changed_and_an_archived_account_come_back_alone(self, xero: Xero) -> None:
        token = self.token(xero)
        mark = self.newest(xero, token, "Accounts")
        xero.advance(5)
        xero.control(f"organisations/{NZ.tenant_id}/accounts/200", {"Name": "Sales (web)"})
        xero.control(f"organisations/{NZ.tenant_id}/accounts/091", {"Status": "ARCHIVED"})
        rows = self.since(xero, token, "Accounts", mark).json()["Accounts"]
        assert sorted((r["Code"], r["Name"], r["Status"]) for r in rows) == [
            ("091", "Business Savings Account", "ARCHIVED"),
            ("200", "Sales (web)", "ACTIVE"),
        ]
        assert (
            self.since(xero, token, "Accounts", self.newest(xero, token, "Accounts")).status_code
            == 304
        )

    def test_endpoints_without_the_header_in_the_spec_ignore_it(self, xero: Xero) -> None:
        token = self.token(xero)
        answer = self.since(xero, token, "TaxRates", "4102444800")  # the year 2100
        assert answer.status_code == 200 and answer.json()["TaxRates"]

    def test_a_malformed_date_is_a_clear_400(self, xero: Xero) -> None:
        token = self.token(xero)
        headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": NZ.tenant_id,
                   "If-Modified-Since": "yesterday"}  # fmt: skip
        answer = xero.http.get("/api.xro/2.0/Accounts", headers=headers)
        assert answer.status_code == 400 and "not a date-time" in answer.json()["Message"]
