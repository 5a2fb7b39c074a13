"""Reference data as a small Xero organisation would answer it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from domain.reference import (
    BrandingTheme,
    Currency,
    Item,
    LedgerAccount,
    OrganisationSummary,
    ReferenceBundle,
    RefKind,
    TaxRate,
    TrackingCategory,
    TrackingOption,
)

ACCOUNTS = (
    LedgerAccount("acc-sales", "200", "Sales", "REVENUE", "REVENUE"),
    LedgerAccount("acc-other", "260", "Other Revenue", "REVENUE", "REVENUE"),
    LedgerAccount("acc-interest", "270", "Interest Income", "OTHERINCOME", "REVENUE"),
    LedgerAccount("acc-old", "280", "Old Sales", "SALES", "REVENUE", status="ARCHIVED"),
    LedgerAccount(
        "acc-bank", "090", "Business Bank Account", "BANK", "ASSET", bank_account_type="BANK"
    ),
    LedgerAccount(
        "acc-savings", "091", "Business Savings", "BANK", "ASSET", bank_account_type="BANK"
    ),
    LedgerAccount(
        "acc-owner", "970", "Owner A Funds Introduced", "EQUITY", "EQUITY", enable_payments=True
    ),
    LedgerAccount(
        "acc-debtors", "610", "Accounts Receivable", "CURRENT", "ASSET", system_account="DEBTORS"
    ),
    LedgerAccount("acc-rent", "469", "Rent", "OVERHEADS", "EXPENSE"),
)
TAX_RATES = (
    TaxRate("OUTPUT2", "20% (VAT on Income)", "ACTIVE", True, "20.0"),
    TaxRate("INPUT2", "20% (VAT on Expenses)", "ACTIVE", False, "20.0"),
    TaxRate("ZERORATEDOUTPUT", "Zero Rated Income", "DELETED", True, "0.0"),
)


def bundle_for(
    name: str,
    edition: str,
    kinds: Collection[RefKind],
    archived: Collection[str] = (),
    deleted: Collection[str] = (),
    is_demo: bool = True,
) -> ReferenceBundle:
    """`archived` and `deleted` name account ids the merchant has archived or deleted in Xero."""
    accounts = tuple(
        replace(a, status="ARCHIVED") if a.account_id in archived else a
        for a in ACCOUNTS
        if a.account_id not in deleted
    )
    every: dict[RefKind, Any] = {
        RefKind.ORGANISATION: OrganisationSummary(name, "GBP", "GB", "!abc", is_demo, edition),
        RefKind.ACCOUNTS: accounts,
        RefKind.ITEMS: (Item("item-1", "TSHIRT", "T-shirt", True, "200", "OUTPUT2"),),
        RefKind.TAX_RATES: TAX_RATES,
        RefKind.TRACKING_CATEGORIES: (
            TrackingCategory("tc-1", "Region", "ACTIVE", (TrackingOption("to-1", "North"),)),
        ),
        RefKind.BRANDING_THEMES: (BrandingTheme("bt-1", "Standard", 0),),
        RefKind.CURRENCIES: (Currency("GBP", "British Pound"),),
    }
    return ReferenceBundle(**{kind.value: every[kind] for kind in kinds})
