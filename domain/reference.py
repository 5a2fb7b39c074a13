"""Reference data of one Xero organisation (per environment), shared by every binding on it."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Collection
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, TypeVar

from domain.day_budget import DayBudget
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
# Both waves as one: where nobody waits for the critical set first (the daily refresh).
EVERY_KIND: tuple[RefKind, ...] = CRITICAL + EXTENDED


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


# Xero answers these with only what changed since an If-Modified-Since date (xero-facts §11).
INCREMENTAL: frozenset[RefKind] = frozenset({RefKind.ACCOUNTS, RefKind.ITEMS})


@dataclass(frozen=True, slots=True)
class Receipt:
    """One kind's answer: bytes received, the If-Modified-Since sent (None: a full list came
    back) and the newest `UpdatedDateUTC` among the rows received."""

    kind: RefKind
    received_bytes: int
    modified_since: datetime | None = None
    newest_update: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReferenceBundle:
    """What one fetch wave returned; kinds not asked for stay None. A kind asked with
    If-Modified-Since carries only the rows changed since (none: unchanged)."""

    organisation: OrganisationSummary | None = None
    accounts: tuple[LedgerAccount, ...] | None = None
    items: tuple[Item, ...] | None = None
    tax_rates: tuple[TaxRate, ...] | None = None
    tracking_categories: tuple[TrackingCategory, ...] | None = None
    branding_themes: tuple[BrandingTheme, ...] | None = None
    currencies: tuple[Currency, ...] | None = None
    receipts: tuple[Receipt, ...] = ()
    # The lowest X-DayLimit-Remaining Xero sent with this wave, when it sent one.
    day_remaining: int | None = None

    @property
    def received_bytes(self) -> int:
        return sum(r.received_bytes for r in self.receipts)

    def is_delta(self, kind: RefKind) -> bool:
        return any(r.kind is kind and r.modified_since is not None for r in self.receipts)


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
    # Per incremental kind, the newest UpdatedDateUTC seen: Xero's clock, never ours.
    watermarks: tuple[tuple[RefKind, datetime], ...] = ()
    day: DayBudget = DayBudget()
    # Bumped by the store whenever `content_digest` changes: GetRefData(if_revision).
    revision: int = 0

    def content_digest(self) -> str:
        """What a sync service copies (organisation and lists), never our own bookkeeping
        (fetch times, watermarks, the day's budget): an unchanged refetch keeps it."""
        content = (
            self.organisation,
            self.accounts,
            self.items,
            self.tax_rates,
            self.tracking_categories,
            self.branding_themes,
            self.currencies,
        )
        return hashlib.sha256(repr(content).encode()).hexdigest()

    def since(self, kinds: Collection[RefKind]) -> dict[RefKind, datetime]:
        """If-Modified-Since per kind that can be asked for changes only."""
        marks = dict(self.watermarks)
        return {k: marks[k] for k in kinds if k in INCREMENTAL and k in marks}

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
    def critical_ready(self) -> bool:
        return self.fetched_at is not None

    def merged(
        self, bundle: ReferenceBundle, now: datetime, *, extended: bool, critical: bool = False
    ) -> ReferenceCache:
        """This cache with every kind the bundle carries replaced, stamped `now` as the
        extended wave or the critical one, or as both (`critical` too: every kind at once)."""
        changes: dict[str, Any] = {
            f.name: getattr(bundle, f.name)
            for f in fields(ReferenceBundle)
            if f.name in _KINDS and getattr(bundle, f.name) is not None
        }
        if bundle.is_delta(RefKind.ACCOUNTS) and bundle.accounts is not None:
            changes["accounts"] = _upsert(self.accounts, bundle.accounts, "account_id")
        if bundle.is_delta(RefKind.ITEMS) and bundle.items is not None:
            changes["items"] = _upsert(self.items, bundle.items, "item_id")
        changes["watermarks"] = self._advanced(bundle.receipts)
        if extended:
            changes["extended_fetched_at"] = now
        if critical or not extended:
            changes["fetched_at"] = now
        return replace(self, **changes)

    def _advanced(self, receipts: tuple[Receipt, ...]) -> tuple[tuple[RefKind, datetime], ...]:
        marks = dict(self.watermarks)
        for receipt in receipts:
            newest = receipt.newest_update
            if receipt.kind in INCREMENTAL and newest is not None:
                old = marks.get(receipt.kind)
                marks[receipt.kind] = newest if old is None else max(old, newest)
        return tuple(sorted(marks.items()))


# The bundle fields that carry a kind (each RefKind's value names its field).
_KINDS = frozenset(kind.value for kind in RefKind)
R = TypeVar("R")


def _upsert(old: tuple[R, ...], changed: tuple[R, ...], key: str) -> tuple[R, ...]:
    """`old` with each changed row replacing the one of the same id (archived rows too), and
    rows new to us appended."""
    by_id = {getattr(row, key): row for row in changed}
    kept = tuple(by_id.pop(getattr(row, key), row) for row in old)
    return kept + tuple(by_id.values())
