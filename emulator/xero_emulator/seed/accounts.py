"""A realistic chart of accounts, modelled on Xero's demo company, per organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xero_emulator.clock import ms_date
from xero_emulator.seed.model import SEEDED_AT, Record, seed_uuid
from xero_emulator.seed.taxes import REGIMES

_CLASS_OF_TYPE = {
    "ASSET": ("BANK", "CURRENT", "FIXED", "INVENTORY", "NONCURRENT", "PREPAYMENT"),
    "LIABILITY": ("CURRLIAB", "LIABILITY", "TERMLIAB", "PAYG"),
    "EQUITY": ("EQUITY",),
    "EXPENSE": ("DEPRECIATN", "DIRECTCOSTS", "EXPENSE", "OVERHEADS"),
    "REVENUE": ("REVENUE", "SALES", "OTHERINCOME"),
}
ACCOUNT_CLASS = {t: cls for cls, types in _CLASS_OF_TYPE.items() for t in types}
_REPORTING = {
    "ASSET": "ASS",
    "LIABILITY": "LIA",
    "EQUITY": "EQU",
    "EXPENSE": "EXP",
    "REVENUE": "REV",
}


@dataclass(frozen=True, slots=True)
class Row:
    """One account of the template; tax is 'sales', 'purchases' or a literal TaxType."""

    code: str
    name: str
    type: str
    tax: str = "NONE"
    extra: dict[str, Any] = field(default_factory=dict)


def _bank(code: str, name: str, number: str, kind: str = "BANK", currency: str = "") -> Row:
    extra = {"BankAccountNumber": number, "BankAccountType": kind, "CurrencyCode": currency}
    return Row(code, name, "BANK", extra=extra)


def chart(gst_name: str) -> tuple[Row, ...]:
    """The shared template; only the sales-tax liability's name varies by country."""
    return (
        _bank("090", "Business Bank Account", "0908007006543"),
        _bank("091", "Business Savings Account", "0209087654321050"),
        _bank("092", "Company Credit Card", "4111111111111111", "CREDITCARD"),
        Row(
            "200",
            "Sales",
            "REVENUE",
            "sales",
            {"Description": "Income from any normal business activity"},
        ),
        Row("250", "Consulting Fees (legacy)", "REVENUE", "sales", {"Status": "ARCHIVED"}),
        Row("260", "Other Revenue", "REVENUE", "sales", {"Description": "Any other income"}),
        Row("270", "Interest Income", "OTHERINCOME", "NONE", {"Description": "Interest earned"}),
        Row("310", "Cost of Goods Sold", "DIRECTCOSTS", "purchases"),
        Row("400", "Advertising", "OVERHEADS", "purchases", {"ShowInExpenseClaims": True}),
        Row("404", "Bank Fees", "OVERHEADS", "NONE"),
        Row("429", "General Expenses", "OVERHEADS", "purchases", {"ShowInExpenseClaims": True}),
        Row("493", "Travel - National", "OVERHEADS", "purchases", {"ShowInExpenseClaims": True}),
        Row("610", "Accounts Receivable", "CURRENT", extra={"SystemAccount": "DEBTORS"}),
        Row("620", "Prepayments", "PREPAYMENT"),
        Row("630", "Inventory", "INVENTORY"),
        Row("710", "Office Equipment", "FIXED", "purchases"),
        Row("800", "Accounts Payable", "CURRLIAB", extra={"SystemAccount": "CREDITORS"}),
        Row("820", gst_name, "CURRLIAB", extra={"SystemAccount": "GST"}),
        Row("840", "Historical Adjustment", "CURRLIAB", extra={"SystemAccount": "HISTORICAL"}),
        Row("860", "Rounding", "CURRLIAB", extra={"SystemAccount": "ROUNDING"}),
        Row("877", "Tracking Transfers", "CURRLIAB", extra={"SystemAccount": "TRACKINGTRANSFERS"}),
        Row("900", "Loan", "TERMLIAB"),
        Row("960", "Retained Earnings", "EQUITY", extra={"SystemAccount": "RETAINEDEARNINGS"}),
        Row("970", "Owner A Funds Introduced", "EQUITY", extra={"EnablePaymentsToAccount": True}),
        Row("980", "Owner A Drawings", "EQUITY"),
    )


def account_record(org_key: str, country: str, currency: str, row: Row) -> Record:
    """An Account exactly as GET /Accounts returns it."""
    regime = REGIMES[country]
    tax = {"sales": regime.sales, "purchases": regime.purchases}.get(row.tax, row.tax)
    cls = ACCOUNT_CLASS[row.type]
    record: Record = {
        "AccountID": seed_uuid(org_key, "account", row.code),
        "Code": row.code,
        "Name": row.name,
        "Status": "ACTIVE",
        "Type": row.type,
        "TaxType": tax,
        "Class": cls,
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": False,
        "BankAccountType": "",
        "ReportingCode": _REPORTING[cls],
        "ReportingCodeName": cls.title(),
        "HasAttachments": False,
        "UpdatedDateUTC": ms_date(SEEDED_AT),
        "AddToWatchlist": False,
    }
    record.update(row.extra)
    if row.type == "BANK":
        record["CurrencyCode"] = record["CurrencyCode"] or currency
    return record


def accounts(
    org_key: str, country: str, currency: str, extra: tuple[Row, ...] = ()
) -> list[Record]:
    """The chart of accounts of one organisation."""
    gst_name = "VAT" if country == "GB" else "GST"
    rows = chart(gst_name) + extra
    return [account_record(org_key, country, currency, row) for row in rows]


def foreign_bank(code: str, currency: str) -> Row:
    """A bank account held in a foreign currency (multicurrency organisations)."""
    return _bank(code, f"{currency} Account", f"{code}-{currency}-001", currency=currency)
