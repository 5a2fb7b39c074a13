"""The four demo organisations and their Organisation records."""

from __future__ import annotations

from dataclasses import dataclass

from xero_emulator.clock import ms_date
from xero_emulator.seed.model import Record, seed_uuid

_VERSION = {"GB": "UK", "NZ": "NZ", "AU": "AU"}


@dataclass(frozen=True, slots=True)
class OrgProfile:
    """What distinguishes one demo organisation from another."""

    key: str
    name: str
    country: str
    currencies: tuple[str, ...]
    timezone: str
    city: str
    tax_number: str
    sales_tax: tuple[str, str]
    org_class: str = "STANDARD"
    edition: str = "BUSINESS"
    is_demo: bool = False
    year_end: tuple[int, int] = (31, 3)
    created: float = 1455827393.0

    @property
    def tenant_id(self) -> str:
        """Deterministic tenant (organisation) id."""
        return seed_uuid("org", self.key)


UK = OrgProfile(
    key="uk",
    name="Demo Company (UK)",
    country="GB",
    currencies=("GBP", "EUR", "USD"),
    timezone="GMTSTANDARDTIME",
    city="London",
    tax_number="GB 123456789",
    sales_tax=("ACCRUAL", "QUARTERLY1"),
    org_class="DEMO",
    is_demo=True,
)
NZ = OrgProfile(
    key="nz",
    name="Kiwi Kitchenware Ltd",
    country="NZ",
    currencies=("NZD", "AUD"),
    timezone="NEWZEALANDSTANDARDTIME",
    city="Wellington",
    tax_number="071-138-054",
    sales_tax=("PAYMENTS", "TWOMONTHS"),
    org_class="PREMIUM",
)
AU = OrgProfile(
    key="au",
    name="Wattle Web Supplies Pty Ltd",
    country="AU",
    currencies=("AUD",),
    timezone="AUSEASTERNSTANDARDTIME",
    city="Sydney",
    tax_number="53 004 085 616",
    sales_tax=("ACCRUALS", "QUARTERLY"),
    year_end=(30, 6),
)
PARTNER = OrgProfile(
    key="partner",
    name="Partner Practice Ltd",
    country="GB",
    currencies=("GBP",),
    timezone="GMTSTANDARDTIME",
    city="Manchester",
    tax_number="GB 987654321",
    sales_tax=("CASH", "QUARTERLY2"),
    org_class="LEDGER",
    edition="PARTNER",
)
PROFILES = (UK, NZ, AU, PARTNER)


def _address(profile: OrgProfile) -> Record:
    return {
        "AddressType": "STREET",
        "AddressLine1": "23 Main Street",
        "City": profile.city,
        "PostalCode": "1001",
        "Country": profile.country,
    }


def organisation_record(profile: OrgProfile) -> Record:
    """The Organisation exactly as GET /Organisation returns it."""
    sales_basis, sales_period = profile.sales_tax
    day, month = profile.year_end
    return {
        "OrganisationID": profile.tenant_id,
        "APIKey": seed_uuid("apikey", profile.key).replace("-", "").upper()[:30],
        "Name": profile.name,
        "LegalName": profile.name,
        "PaysTax": True,
        "Version": _VERSION[profile.country],
        "OrganisationType": "COMPANY",
        "OrganisationEntityType": "COMPANY",
        "BaseCurrency": profile.currencies[0],
        "CountryCode": profile.country,
        "IsDemoCompany": profile.is_demo,
        "OrganisationStatus": "ACTIVE",
        "TaxNumber": profile.tax_number,
        "FinancialYearEndDay": day,
        "FinancialYearEndMonth": month,
        "SalesTaxBasis": sales_basis,
        "SalesTaxPeriod": sales_period,
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Inclusive",
        "CreatedDateUTC": ms_date(profile.created, with_offset=False),
        "Timezone": profile.timezone,
        "ShortCode": "!" + seed_uuid("short", profile.key)[:5],
        "Edition": profile.edition,
        "Class": profile.org_class,
        "LineOfBusiness": "Retail and online sales",
        "Addresses": [_address(profile)],
        "Phones": [{"PhoneType": "OFFICE", "PhoneNumber": "5550100", "PhoneAreaCode": "020"}],
        "ExternalLinks": [],
        "PaymentTerms": {
            "Bills": {"Day": 20, "Type": "OFFOLLOWINGMONTH"},
            "Sales": {"Day": 14, "Type": "DAYSAFTERBILLDATE"},
        },
    }
