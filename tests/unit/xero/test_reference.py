"""fetch_reference: one concurrent wave of Accounting API GETs mapped to domain value types."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.errors import AccessTokenRejected, OrganisationDisconnected, ProviderUnavailable
from domain.reference import (
    CRITICAL,
    BrandingTheme,
    Currency,
    Item,
    LedgerAccount,
    OrganisationSummary,
    RefKind,
    TaxRate,
    TrackingCategory,
    TrackingOption,
)
from domain.values import Environment
from tests.unit.xero.conftest import MakeProvider
from tests.unit.xero.support import CONFIG, TENANT, Recorder, envelope

SANDBOX = Environment.SANDBOX
RECORDS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "Organisation": (
        "Organisations",
        [
            {
                "OrganisationID": "org-1",
                "Name": "Demo Company (UK)",
                "LegalName": "Demo Company Ltd",
                "BaseCurrency": "GBP",
                "CountryCode": "GB",
                "ShortCode": "!mBdtL",
                "IsDemoCompany": True,
                "Edition": "BUSINESS",
                "Version": "UK",
                "CreatedDateUTC": "/Date(1455827393000)/",
            }
        ],
    ),
    "Accounts": (
        "Accounts",
        [
            {
                "AccountID": "a-200",
                "Code": "200",
                "Name": "Sales",
                "Type": "REVENUE",
                "Class": "REVENUE",
                "Status": "ACTIVE",
                "TaxType": "OUTPUT2",
                "EnablePaymentsToAccount": False,
                "SystemAccount": None,
                "UpdatedDateUTC": "/Date(1552404447003+0000)/",
            },
            {
                "AccountID": "a-090",
                "Code": "090",
                "Name": "Business Bank",
                "Type": "BANK",
                "Class": "ASSET",
                "Status": "ACTIVE",
                "BankAccountType": "BANK",
                "CurrencyCode": "GBP",
                "BankAccountNumber": "12345678",
            },
            {
                "AccountID": "a-610",
                "Code": "610",
                "Name": "Accounts Receivable",
                "Type": "CURRENT",
                "Class": "ASSET",
                "SystemAccount": "DEBTORS",
            },
            {"Code": "999", "Name": "no id, so skipped"},
        ],
    ),
    "TaxRates": (
        "TaxRates",
        [
            {
                "TaxType": "OUTPUT2",
                "Name": "20% (VAT on Income)",
                "Status": "ACTIVE",
                "CanApplyToRevenue": True,
                "EffectiveRate": 20.0000,
                "DisplayTaxRate": 20.0,
            },
            {"TaxType": "NONE", "Name": "No VAT"},
        ],
    ),
    "TrackingCategories": (
        "TrackingCategories",
        [
            {
                "TrackingCategoryID": "tc-1",
                "Name": "Region",
                "Status": "ACTIVE",
                "Options": [
                    {"TrackingOptionID": "to-1", "Name": "North", "Status": "ACTIVE"},
                    {"TrackingOptionID": "to-2", "Name": "South", "Status": "ARCHIVED"},
                    "not an option",
                ],
            },
        ],
    ),
    "Items": (
        "Items",
        [
            {
                "ItemID": "i-1",
                "Code": "T-SHIRT",
                "Name": "T-Shirt",
                "IsSold": True,
                "SalesDetails": {"UnitPrice": 20.0, "AccountCode": "200", "TaxType": "OUTPUT2"},
            },
            {"ItemID": "i-2", "Code": "SERVICE"},
        ],
    ),
    "BrandingThemes": (
        "BrandingThemes",
        [
            {"BrandingThemeID": "bt-1", "Name": "Standard", "SortOrder": 0, "Type": "INVOICE"},
            {"BrandingThemeID": "bt-2", "Name": "Special", "SortOrder": "1"},
        ],
    ),
    "Currencies": (
        "Currencies",
        [{"Code": "GBP", "Description": "British Pound"}, {"Code": "EUR"}],
    ),
}


def xero_api(request: httpx.Request) -> httpx.Response:
    key, records = RECORDS[request.url.path.rsplit("/", 1)[-1]]
    return httpx.Response(200, json=envelope(key, records))


class TestMapping:
    def test_every_kind_maps_to_domain_values(self, make_provider: MakeProvider) -> None:
        bundle = make_provider(xero_api).fetch_reference(SANDBOX, "access", TENANT, list(RefKind))
        assert bundle.organisation == OrganisationSummary(
            name="Demo Company (UK)",
            base_currency="GBP",
            country_code="GB",
            short_code="!mBdtL",
            is_demo=True,
            edition="BUSINESS",
            organisation_id="org-1",
            legal_name="Demo Company Ltd",
        )
        assert bundle.accounts == (
            LedgerAccount(
                "a-200", "200", "Sales", "REVENUE", "REVENUE", "ACTIVE", tax_type="OUTPUT2"
            ),
            LedgerAccount(
                "a-090",
                "090",
                "Business Bank",
                "BANK",
                "ASSET",
                "ACTIVE",
                bank_account_type="BANK",
                currency_code="GBP",
            ),
            LedgerAccount(
                "a-610", "610", "Accounts Receivable", "CURRENT", "ASSET", system_account="DEBTORS"
            ),
        )
        assert bundle.tax_rates == (
            TaxRate("OUTPUT2", "20% (VAT on Income)", "ACTIVE", True, "20.0"),
            TaxRate("NONE", "No VAT"),
        )
        assert bundle.tracking_categories == (
            TrackingCategory(
                "tc-1",
                "Region",
                "ACTIVE",
                (
                    TrackingOption("to-1", "North"),
                    TrackingOption("to-2", "South", "ARCHIVED"),
                ),
            ),
        )
        assert bundle.items == (
            Item("i-1", "T-SHIRT", "T-Shirt", True, "200", "OUTPUT2"),
            Item("i-2", "SERVICE"),
        )
        assert bundle.branding_themes == (
            BrandingTheme("bt-1", "Standard", 0),
            BrandingTheme("bt-2", "Special", 1),
        )
        assert bundle.currencies == (Currency("GBP", "British Pound"), Currency("EUR"))

    def test_the_classification_the_domain_relies_on(self, make_provider: MakeProvider) -> None:
        bundle = make_provider(xero_api).fetch_reference(SANDBOX, "a", TENANT, [RefKind.ACCOUNTS])
        assert bundle.accounts is not None
        assert [a.code for a in bundle.accounts if a.is_income] == ["200"]
        assert [a.code for a in bundle.accounts if a.is_bank] == ["090"]

    def test_rates_keep_the_digits_xero_wrote(self, make_provider: MakeProvider) -> None:
        raw = b'{"TaxRates": [{"TaxType": "OUTPUT", "Name": "GST", "EffectiveRate": 15.0000}]}'
        provider = make_provider(lambda r: httpx.Response(200, content=raw))
        bundle = provider.fetch_reference(SANDBOX, "a", TENANT, [RefKind.TAX_RATES])
        assert bundle.tax_rates == (TaxRate("OUTPUT", "GST", effective_rate="15.0000"),)

    def test_only_the_requested_kinds_are_fetched_and_set(
        self, make_provider: MakeProvider
    ) -> None:
        recorder = Recorder(xero_api)
        bundle = make_provider(recorder).fetch_reference(SANDBOX, "a", TENANT, CRITICAL)
        assert sorted(recorder.paths()) == sorted(
            f"/api.xro/2.0/{p}" for p in ("Organisation", "Accounts", "Items", "TaxRates")
        )
        assert bundle.organisation and bundle.accounts and bundle.items and bundle.tax_rates
        assert (bundle.tracking_categories, bundle.branding_themes, bundle.currencies) == (
            None,
            None,
            None,
        )

    def test_no_kinds_means_no_calls(self, make_provider: MakeProvider) -> None:
        recorder = Recorder(xero_api)
        make_provider(recorder).fetch_reference(SANDBOX, "a", TENANT, [])
        assert recorder.requests == []

    def test_sends_bearer_tenant_and_accept_headers(self, make_provider: MakeProvider) -> None:
        recorder = Recorder(xero_api)
        make_provider(recorder).fetch_reference(SANDBOX, "access-1", TENANT, [RefKind.ITEMS])
        request = recorder.requests[0]
        assert str(request.url) == f"{CONFIG.api_url}/Items"
        assert request.headers["Authorization"] == "Bearer access-1"
        assert request.headers["xero-tenant-id"] == TENANT
        assert request.headers["Accept"] == "application/json"

    def test_an_organisation_answer_without_one_is_unavailable(
        self, make_provider: MakeProvider
    ) -> None:
        provider = make_provider(lambda r: httpx.Response(200, json=envelope("Organisations", [])))
        with pytest.raises(ProviderUnavailable):
            provider.fetch_reference(SANDBOX, "a", TENANT, [RefKind.ORGANISATION])


class TestOneWave:
    def test_the_kinds_of_a_wave_are_fetched_concurrently(
        self, make_provider: MakeProvider
    ) -> None:
        recorder = Recorder(xero_api, delay_s=0.05)
        make_provider(recorder).fetch_reference(SANDBOX, "a", TENANT, list(RefKind))
        assert len(recorder.requests) == 7
        assert 1 < recorder.max_in_flight <= 5

    def test_a_failing_kind_fails_the_wave(self, make_provider: MakeProvider) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/Items"):
                return httpx.Response(403, json={"Detail": "AuthenticationUnsuccessful"})
            return xero_api(request)

        with pytest.raises(OrganisationDisconnected):
            make_provider(handler).fetch_reference(SANDBOX, "a", TENANT, CRITICAL)

    def test_the_first_failure_in_kind_order_is_raised(self, make_provider: MakeProvider) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/Accounts"):
                return httpx.Response(401, json={"Detail": "TokenExpired"})
            return httpx.Response(403, json={"Detail": "AuthenticationUnsuccessful"})

        kinds = [RefKind.ACCOUNTS, RefKind.ITEMS]
        with pytest.raises(AccessTokenRejected):
            make_provider(handler).fetch_reference(SANDBOX, "a", TENANT, kinds)
