"""Xero's reference objects mapped to the domain's value types; None when one lacks its id."""

from __future__ import annotations

from adapters.xero.fields import Json, child, children, flag, integer, text
from domain.reference import (
    BrandingTheme,
    Currency,
    Item,
    LedgerAccount,
    OrganisationSummary,
    TaxRate,
    TrackingCategory,
    TrackingOption,
)


def organisation(obj: Json) -> OrganisationSummary | None:
    if not text(obj, "Name"):
        return None
    return OrganisationSummary(
        name=text(obj, "Name"),
        base_currency=text(obj, "BaseCurrency"),
        country_code=text(obj, "CountryCode"),
        short_code=text(obj, "ShortCode"),
        is_demo=flag(obj, "IsDemoCompany"),
        edition=text(obj, "Edition") or "BUSINESS",
        organisation_id=text(obj, "OrganisationID"),
        legal_name=text(obj, "LegalName"),
    )


def account(obj: Json) -> LedgerAccount | None:
    if not text(obj, "AccountID"):
        return None
    return LedgerAccount(
        account_id=text(obj, "AccountID"),
        code=text(obj, "Code"),
        name=text(obj, "Name"),
        type=text(obj, "Type"),
        class_=text(obj, "Class"),
        status=text(obj, "Status") or "ACTIVE",
        bank_account_type=text(obj, "BankAccountType"),
        enable_payments=flag(obj, "EnablePaymentsToAccount"),
        system_account=text(obj, "SystemAccount"),
        tax_type=text(obj, "TaxType"),
        currency_code=text(obj, "CurrencyCode"),
    )


def tax_rate(obj: Json) -> TaxRate | None:
    if not text(obj, "TaxType"):
        return None
    return TaxRate(
        tax_type=text(obj, "TaxType"),
        name=text(obj, "Name"),
        status=text(obj, "Status") or "ACTIVE",
        can_apply_to_revenue=flag(obj, "CanApplyToRevenue"),
        effective_rate=text(obj, "EffectiveRate"),
    )


def tracking_category(obj: Json) -> TrackingCategory | None:
    if not text(obj, "TrackingCategoryID"):
        return None
    options = (_tracking_option(o) for o in children(obj, "Options"))
    return TrackingCategory(
        category_id=text(obj, "TrackingCategoryID"),
        name=text(obj, "Name"),
        status=text(obj, "Status") or "ACTIVE",
        options=tuple(o for o in options if o is not None),
    )


def _tracking_option(obj: Json) -> TrackingOption | None:
    if not text(obj, "TrackingOptionID"):
        return None
    return TrackingOption(
        option_id=text(obj, "TrackingOptionID"),
        name=text(obj, "Name"),
        status=text(obj, "Status") or "ACTIVE",
    )


def item(obj: Json) -> Item | None:
    if not text(obj, "ItemID"):
        return None
    sales = child(obj, "SalesDetails")
    return Item(
        item_id=text(obj, "ItemID"),
        code=text(obj, "Code"),
        name=text(obj, "Name"),
        is_sold=flag(obj, "IsSold"),
        sales_account_code=text(sales, "AccountCode"),
        sales_tax_type=text(sales, "TaxType"),
    )


def branding_theme(obj: Json) -> BrandingTheme | None:
    if not text(obj, "BrandingThemeID"):
        return None
    return BrandingTheme(
        theme_id=text(obj, "BrandingThemeID"),
        name=text(obj, "Name"),
        sort_order=integer(obj, "SortOrder"),
    )


def currency(obj: Json) -> Currency | None:
    if not text(obj, "Code"):
        return None
    return Currency(code=text(obj, "Code"), description=text(obj, "Description"))
