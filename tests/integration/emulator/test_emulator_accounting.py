"""GET /api.xro/2.0/*: envelope, seeded data, where/order filters, 401 and 403."""

from __future__ import annotations

import re

import pytest

from xero_emulator.seed import AU, AVERY, NZ, PARTNER, UK

MS_DATE = re.compile(r"^/Date\(\d+(\+0000)?\)/$")
COLLECTIONS = {
    "Organisation": "Organisations",
    "Accounts": "Accounts",
    "TaxRates": "TaxRates",
    "TrackingCategories": "TrackingCategories",
    "Items": "Items",
    "BrandingThemes": "BrandingThemes",
    "Currencies": "Currencies",
}


@pytest.fixture
def token(xero) -> str:
    xero.control("bulk", {"enabled": True})
    return xero.connect(tenants=AVERY.tenant_ids)["access_token"]


def records(xero, token: str, resource: str, tenant: str = UK.tenant_id, **params) -> list:
    answer = xero.api(resource, token, tenant, **params)
    assert answer.status_code == 200, answer.text
    return answer.json()[COLLECTIONS[resource]]


class TestEnvelope:
    @pytest.mark.parametrize("resource", COLLECTIONS)
    def test_every_endpoint_answers_in_xeros_envelope(self, xero, token, resource):
        answer = xero.api(resource, token)
        body = answer.json()
        assert list(body)[:4] == ["Id", "Status", "ProviderName", "DateTimeUTC"]
        assert body["Status"] == "OK" and MS_DATE.match(body["DateTimeUTC"])
        assert body[COLLECTIONS[resource]]
        for header in ("X-DayLimit-Remaining", "X-MinLimit-Remaining", "X-AppMinLimit-Remaining"):
            assert answer.headers[header].isdigit()

    def test_tenant_header_is_case_insensitive(self, xero, token):
        headers = {"Authorization": f"Bearer {token}", "XERO-TENANT-ID": NZ.tenant_id.upper()}
        answer = xero.http.get("/api.xro/2.0/Organisation", headers=headers)
        assert answer.json()["Organisations"][0]["Name"] == "Kiwi Kitchenware Ltd"


class TestSeededData:
    def test_organisations(self, xero, token):
        [uk] = records(xero, token, "Organisation", UK.tenant_id)
        assert (uk["Name"], uk["BaseCurrency"], uk["CountryCode"]) == (
            "Demo Company (UK)",
            "GBP",
            "GB",
        )
        assert uk["Edition"] == "BUSINESS" and uk["IsDemoCompany"] is True
        [nz] = records(xero, token, "Organisation", NZ.tenant_id)
        assert (nz["BaseCurrency"], nz["CountryCode"]) == ("NZD", "NZ")
        [partner] = records(xero, token, "Organisation", PARTNER.tenant_id)
        assert (partner["Name"], partner["Edition"]) == ("Partner Practice Ltd", "PARTNER")
        assert records(xero, token, "Organisation", AU.tenant_id)[0]["CountryCode"] == "AU"

    def test_chart_of_accounts(self, xero, token):
        accounts = {a["Code"]: a for a in records(xero, token, "Accounts")}
        assert {k: accounts["200"][k] for k in ("Name", "Type", "Class")} == {
            "Name": "Sales",
            "Type": "REVENUE",
            "Class": "REVENUE",
        }
        assert accounts["270"]["Type"] == "OTHERINCOME"
        assert accounts["090"]["Name"] == "Business Bank Account"
        assert accounts["092"]["BankAccountType"] == "CREDITCARD"
        assert accounts["970"]["EnablePaymentsToAccount"] is True
        assert accounts["610"]["SystemAccount"] == "DEBTORS"
        assert any(a["Status"] == "ARCHIVED" and a["Class"] == "REVENUE" for a in accounts.values())

    def test_ids_are_deterministic(self, xero, token):
        first = records(xero, token, "Accounts")[0]["AccountID"]
        xero.control("reset")
        xero.control("bulk", {"enabled": True})
        again = xero.connect(tenants=(UK.tenant_id,))["access_token"]
        assert records(xero, again, "Accounts")[0]["AccountID"] == first

    def test_tax_rates_include_non_revenue_and_deleted(self, xero, token):
        rates = records(xero, token, "TaxRates")
        assert any(r["Status"] == "DELETED" and not r["CanApplyToRevenue"] for r in rates)
        assert any(r["Status"] == "ACTIVE" and not r["CanApplyToRevenue"] for r in rates)
        assert {r["TaxType"] for r in records(xero, token, "TaxRates", NZ.tenant_id)} >= {"OUTPUT2"}

    def test_tracking_hides_archived_unless_asked(self, xero, token):
        [region] = records(xero, token, "TrackingCategories")
        assert region["Name"] == "Region"
        assert all(o["Status"] == "ACTIVE" for o in region["Options"])
        everything = records(xero, token, "TrackingCategories", includeArchived="true")
        assert {c["Status"] for c in everything} == {"ACTIVE", "ARCHIVED"}

    def test_items_themes_and_currencies(self, xero, token):
        sold = [i for i in records(xero, token, "Items") if i["IsSold"]]
        assert sold and all(i["SalesDetails"]["AccountCode"] == "200" for i in sold)
        themes = records(xero, token, "BrandingThemes")
        assert [(t["Name"], t["SortOrder"]) for t in themes][0] == ("Standard", 0)
        assert [c["Code"] for c in records(xero, token, "Currencies")] == ["GBP", "EUR", "USD"]
        assert [c["Code"] for c in records(xero, token, "Currencies", AU.tenant_id)] == ["AUD"]


class TestWhereAndOrder:
    @pytest.mark.parametrize(
        ("where", "codes"),
        [
            ('Status=="ACTIVE" AND Type=="BANK"', {"090", "091", "092", "093", "094"}),
            (
                'Status == "ACTIVE" and Type == "BANK" and CurrencyCode == "GBP"',
                {"090", "091", "092"},
            ),
            ('Type=="BANK" && BankAccountType=="CREDITCARD"', {"092"}),
            ("EnablePaymentsToAccount==true", {"970"}),
            ('Code=="200" OR Code=="260"', {"200", "260"}),
            ('Code=="200" || Code=="270"', {"200", "270"}),
            ('Class=="REVENUE" AND Status!="ACTIVE"', {"250"}),
            ('(Type=="BANK" OR EnablePaymentsToAccount==true) AND CurrencyCode=="EUR"', {"093"}),
            ('Name.Contains("Owner")', {"970", "980"}),
            ('Name.StartsWith("Sales")', {"200"}),
        ],
    )
    def test_where_filters_accounts(self, xero, token, where, codes):
        assert {a["Code"] for a in records(xero, token, "Accounts", where=where)} == codes

    def test_where_on_tax_rates(self, xero, token):
        found = records(
            xero, token, "TaxRates", where='Status=="ACTIVE" AND CanApplyToRevenue==true'
        )
        assert found and all(r["CanApplyToRevenue"] for r in found)

    @pytest.mark.parametrize("where", ['Status=="ACTIVE" AND', 'Nope=="x"', "Status=ACTIVE", "(("])
    def test_malformed_where_is_a_400_validation_error(self, xero, token, where):
        answer = xero.api("Accounts", token, where=where)
        assert answer.status_code == 400
        assert set(answer.json()) == {"ErrorNumber", "Type", "Message"}

    def test_order(self, xero, token):
        names = [a["Name"] for a in records(xero, token, "Accounts", order="Name DESC")]
        assert names == sorted(names, key=str.lower, reverse=True)
