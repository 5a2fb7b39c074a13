"""Reference data of one Xero organisation (per environment), shared by every binding on it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from domain.values import Environment


class RefKind(enum.StrEnum):
    ORGANISATION = "organisation"
    ACCOUNTS = "accounts"
    ITEMS = "items"
    TAX_RATES = "tax_rates"
    TRACKING_CATEGORIES = "tracking_categories"
    BRANDING_THEMES = "branding_themes"
    CURRENCIES = "currencies"


CRITICAL: tuple[RefKind, ...] = (
    RefKind.ORGANISATION,
    RefKind.ACCOUNTS,
    RefKind.ITEMS,
    RefKind.TAX_RATES,
)
EXTENDED: tuple[RefKind, ...] = (
    RefKind.TRACKING_CATEGORIES,
    RefKind.BRANDING_THEMES,
    RefKind.CURRENCIES,
)


@dataclass(frozen=True, slots=True)
class OrganisationSummary:
    name: str
    base_currency: str = ""
    country_code: str = ""
    short_code: str = ""
    is_demo: bool = False
    edition: str = "BUSINESS"
    organisation_id: str = ""
    legal_name: str = ""

    @property
    def can_invoice(self) -> bool:
        return self.edition.upper() != "PARTNER"


@dataclass(frozen=True, slots=True)
class LedgerAccount:
    account_id: str
    code: str
    name: str
    type: str
    class_: str = ""
    status: str = "ACTIVE"
    bank_account_type: str = ""
    enable_payments: bool = False
    system_account: str = ""
    tax_type: str = ""
    currency_code: str = ""

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"

    @property
    def is_income(self) -> bool:
        return self.active and self.class_ == "REVENUE" and not self.system_account

    @property
    def is_bank(self) -> bool:
        return self.active and self.type == "BANK"

    @property
    def is_payment_target(self) -> bool:
        return self.active and (self.type == "BANK" or self.enable_payments)


@dataclass(frozen=True, slots=True)
class TaxRate:
    tax_type: str
    name: str
    status: str = "ACTIVE"
    can_apply_to_revenue: bool = False
    effective_rate: str = ""


@dataclass(frozen=True, slots=True)
class TrackingOption:
    option_id: str
    name: str
    status: str = "ACTIVE"


@dataclass(frozen=True, slots=True)
class TrackingCategory:
    category_id: str
    name: str
    status: str = "ACTIVE"
    options: tuple[TrackingOption, ...] = ()


@dataclass(frozen=True, slots=True)
class Item:
    item_id: str
    code: str
    name: str = ""
    is_sold: bool = False
    sales_account_code: str = ""
    sales_tax_type: str = ""


@dataclass(frozen=True, slots=True)
class BrandingTheme:
    theme_id: str
    name: str
    sort_order: int = 0


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class ReferenceBundle:
    """What one fetch wave returned; kinds not asked for stay None."""

    organisation: OrganisationSummary | None = None
    accounts: tuple[LedgerAccount, ...] | None = None
    items: tuple[Item, ...] | None = None
    tax_rates: tuple[TaxRate, ...] | None = None
    tracking_categories: tuple[TrackingCategory, ...] | None = None
    branding_themes: tuple[BrandingTheme, ...] | None = None
    currencies: tuple[Currency, ...] | None = None


@dataclass(frozen=True, slots=True)
class ReferenceCache:
    tenant_id: str
    environment: Environment
    organisation: OrganisationSummary | None = None
    accounts: tuple[LedgerAccount, ...] = ()
    items: tuple[Item, ...] = ()
    tax_rates: tuple[TaxRate, ...] = ()
    tracking_categories: tuple[TrackingCategory, ...] = ()
    branding_themes: tuple[BrandingTheme, ...] = ()
    currencies: tuple[Currency, ...] = ()
    fetched_at: datetime | None = None
    extended_fetched_at: datetime | None = None

    @property
    def income_accounts(self) -> tuple[LedgerAccount, ...]:
        return tuple(a for a in self.accounts if a.is_income)

    @property
    def bank_accounts(self) -> tuple[LedgerAccount, ...]:
        return tuple(a for a in self.accounts if a.is_bank)

    @property
    def payment_targets(self) -> tuple[LedgerAccount, ...]:
        return tuple(a for a in self.accounts if a.is_payment_target)

    @property
    def revenue_tax_rates(self) -> tuple[TaxRate, ...]:
        return tuple(t for t in self.tax_rates if t.status == "ACTIVE" and t.can_apply_to_revenue)

    @property
    def critical_ready(self) -> bool:
        return self.fetched_at is not None

    def merged(self, bundle: ReferenceBundle, now: datetime, *, extended: bool) -> ReferenceCache:
        """This cache with every kind the bundle carries replaced, stamped `now`."""
        changes: dict[str, Any] = {
            f.name: getattr(bundle, f.name)
            for f in fields(ReferenceBundle)
            if getattr(bundle, f.name) is not None
        }
        changes["extended_fetched_at" if extended else "fetched_at"] = now
        return replace(self, **changes)

    def has_account(self, account_id: str) -> bool:
        return any(a.account_id == account_id for a in self.accounts)
