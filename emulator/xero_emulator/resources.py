"""The reference-data endpoints the emulator serves and the fields Xero's schemas give them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Resource:
    """One GET endpoint under /api.xro/2.0."""

    collection: str
    type_name: str
    fields: tuple[str, ...]
    filterable: bool = True
    # Xero's OpenAPI description gives these GETs the If-Modified-Since header.
    modified_since: bool = False


def _fields(names: str) -> tuple[str, ...]:
    return tuple(names.split())


RESOURCES = {
    "organisation": Resource(
        "Organisations",
        "Organisation",
        _fields(
            "OrganisationID APIKey Name LegalName PaysTax Version OrganisationType BaseCurrency"
            " CountryCode IsDemoCompany OrganisationStatus RegistrationNumber TaxNumber"
            " EmployerIdentificationNumber FinancialYearEndDay FinancialYearEndMonth SalesTaxBasis"
            " SalesTaxPeriod DefaultSalesTax DefaultPurchasesTax PeriodLockDate EndOfYearLockDate"
            " CreatedDateUTC Timezone OrganisationEntityType ShortCode Class Edition LineOfBusiness"
        ),
        filterable=False,
    ),
    "accounts": Resource(
        "Accounts",
        "Account",
        _fields(
            "Code Name AccountID Type BankAccountNumber Status Description BankAccountType"
            " CurrencyCode TaxType EnablePaymentsToAccount ShowInExpenseClaims Class SystemAccount"
            " ReportingCode ReportingCodeName HasAttachments UpdatedDateUTC AddToWatchlist"
        ),
        modified_since=True,
    ),
    "taxrates": Resource(
        "TaxRates",
        "TaxRate",
        _fields(
            "Name TaxType Status ReportTaxType CanApplyToAssets CanApplyToEquity CanApplyToExpenses"
            " CanApplyToLiabilities CanApplyToRevenue DisplayTaxRate EffectiveRate"
        ),
    ),
    "trackingcategories": Resource(
        "TrackingCategories",
        "TrackingCategory",
        _fields("TrackingCategoryID TrackingOptionID Name Option Status"),
    ),
    "items": Resource(
        "Items",
        "Item",
        _fields(
            "ItemID Code Name Description PurchaseDescription IsSold IsPurchased"
            " IsTrackedAsInventory InventoryAssetAccountCode SalesDetails PurchaseDetails"
            " TotalCostPool QuantityOnHand UpdatedDateUTC"
        ),
        modified_since=True,
    ),
    "brandingthemes": Resource(
        "BrandingThemes",
        "BrandingTheme",
        _fields("BrandingThemeID Name LogoUrl Type SortOrder CreatedDateUTC"),
        filterable=False,
    ),
    "currencies": Resource("Currencies", "Currency", _fields("Code Description")),
}
