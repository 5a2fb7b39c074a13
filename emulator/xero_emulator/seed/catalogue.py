"""Items, tracking categories, branding themes and currencies of a demo organisation."""

from __future__ import annotations

from xero_emulator.clock import ms_date
from xero_emulator.seed.model import SEEDED_AT, Record, seed_uuid
from xero_emulator.seed.taxes import REGIMES

CURRENCY_NAMES = {
    "GBP": "British Pound",
    "EUR": "Euro",
    "USD": "United States Dollar",
    "NZD": "New Zealand Dollar",
    "AUD": "Australian Dollar",
}

# code, name, sale price, purchase price, tracked as inventory
ItemRow = tuple[str, str, float | None, float | None, bool]
_ITEMS: tuple[ItemRow, ...] = (
    ("DevD", "Development work - developer onsite per day", 650.0, None, False),
    ("BOOK", "Fish out of Water: Finding Your Brand", 19.95, 12.0, False),
    ("GB1-White", "Golf balls - white single", 5.0, 2.5, True),
    ("Travel", "Travel - reimbursable costs", None, 1.0, False),
)


def _details(price: float | None, account: str, tax: str) -> Record:
    return {} if price is None else {"UnitPrice": price, "AccountCode": account, "TaxType": tax}


def item_record(org_key: str, country: str, row: ItemRow) -> Record:
    """An Item exactly as GET /Items returns it."""
    code, name, sale, cost, tracked = row
    regime = REGIMES[country]
    purchase_account = "310" if tracked else "429"
    purchase = _details(cost, purchase_account, regime.purchases)
    if tracked:
        purchase = {"UnitPrice": cost, "COGSAccountCode": "310", "TaxType": regime.purchases}
    record: Record = {
        "ItemID": seed_uuid(org_key, "item", code),
        "Code": code,
        "Name": name[:50],
        "Description": name if sale is not None else "",
        "PurchaseDescription": name if cost is not None else "",
        "IsSold": sale is not None,
        "IsPurchased": cost is not None,
        "IsTrackedAsInventory": tracked,
        "SalesDetails": _details(sale, "200", regime.sales),
        "PurchaseDetails": purchase,
        "UpdatedDateUTC": ms_date(SEEDED_AT),
    }
    if tracked:
        record |= {
            "InventoryAssetAccountCode": "630",
            "TotalCostPool": 250.0,
            "QuantityOnHand": 100.0,
        }
    return record


def items(org_key: str, country: str) -> list[Record]:
    """The organisation's inventory and service items."""
    return [item_record(org_key, country, row) for row in _ITEMS]


def _option(org_key: str, category: str, name: str, status: str = "ACTIVE") -> Record:
    option_id = seed_uuid(org_key, "tracking", category, name)
    return {"TrackingOptionID": option_id, "Name": name, "Status": status}


def tracking_categories(org_key: str) -> list[Record]:
    """An active Region category (one option archived) and an archived category."""
    region = [_option(org_key, "Region", n) for n in ("North", "South", "Eastside")]
    region.append(_option(org_key, "Region", "West Coast", "ARCHIVED"))
    campaign = [_option(org_key, "Campaign 2019", n) for n in ("Spring", "Autumn")]
    return [
        _category(org_key, "Region", "ACTIVE", region),
        _category(org_key, "Campaign 2019", "ARCHIVED", campaign),
    ]


def _category(org_key: str, name: str, status: str, options: list[Record]) -> Record:
    category_id = seed_uuid(org_key, "tracking", name)
    return {"TrackingCategoryID": category_id, "Name": name, "Status": status, "Options": options}


def branding_themes(org_key: str) -> list[Record]:
    """The default Standard theme (SortOrder 0) and one more."""
    names = ("Standard", "Special Projects")
    return [
        {
            "BrandingThemeID": seed_uuid(org_key, "theme", name),
            "Name": name,
            "Type": "INVOICE",
            "SortOrder": order,
            "CreatedDateUTC": ms_date(SEEDED_AT),
        }
        for order, name in enumerate(names)
    ]


def currencies(codes: tuple[str, ...]) -> list[Record]:
    """The organisation's currencies, base currency first."""
    return [{"Code": code, "Description": CURRENCY_NAMES[code]} for code in codes]
