"""Tax regimes per country: the TaxRates each organisation has and the codes accounts use."""

from __future__ import annotations

from dataclasses import dataclass

from xero_emulator.seed.model import Record

OUT, IN, ALL, NO = "RAQL", "EAQL", "REAQL", ""


@dataclass(frozen=True, slots=True)
class TaxRow:
    """One tax rate; applies lists R(evenue) E(xpenses) A(ssets) (e)Q(uity) L(iabilities)."""

    name: str
    tax_type: str
    rate: float
    report_type: str
    applies: str
    status: str = "ACTIVE"


@dataclass(frozen=True, slots=True)
class TaxRegime:
    """The tax codes a country's chart of accounts uses by default."""

    component: str
    sales: str
    purchases: str
    rows: tuple[TaxRow, ...]


UK = TaxRegime(
    "VAT",
    "OUTPUT2",
    "INPUT2",
    (
        TaxRow("20% (VAT on Income)", "OUTPUT2", 20, "OUTPUT", OUT),
        TaxRow("20% (VAT on Expenses)", "INPUT2", 20, "INPUT", IN),
        TaxRow("5% (VAT on Income)", "RROUTPUT", 5, "OUTPUT", OUT),
        TaxRow("5% (VAT on Expenses)", "RRINPUT", 5, "INPUT", IN),
        TaxRow("Zero Rated Income", "ZERORATEDOUTPUT", 0, "OUTPUT", OUT),
        TaxRow("Zero Rated Expenses", "ZERORATEDINPUT", 0, "INPUT", IN),
        TaxRow("Exempt Income", "EXEMPTOUTPUT", 0, "EXEMPTOUTPUT", OUT),
        TaxRow("Exempt Expenses", "EXEMPTINPUT", 0, "EXEMPTINPUT", IN),
        TaxRow("No VAT", "NONE", 0, "NONE", ALL),
        TaxRow("17.5% (VAT on Income)", "TAX001", 17.5, "OUTPUT", NO, "DELETED"),
    ),
)

NZ = TaxRegime(
    "GST",
    "OUTPUT2",
    "INPUT2",
    (
        TaxRow("15% GST on Income", "OUTPUT2", 15, "OUTPUT", OUT),
        TaxRow("15% GST on Expenses", "INPUT2", 15, "INPUT", IN),
        TaxRow("GST on Imports", "GSTONIMPORTS", 0, "GSTONIMPORTS", "EL"),
        TaxRow("Zero Rated", "ZERORATED", 0, "NONE", OUT),
        TaxRow("No GST", "NONE", 0, "NONE", ALL),
        TaxRow("12.5% GST on Income", "TAX001", 12.5, "OUTPUT", NO, "DELETED"),
    ),
)

AU = TaxRegime(
    "GST",
    "OUTPUT",
    "INPUT",
    (
        TaxRow("GST on Income", "OUTPUT", 10, "OUTPUT", OUT),
        TaxRow("GST on Expenses", "INPUT", 10, "INPUT", IN),
        TaxRow("GST Free Income", "EXEMPTOUTPUT", 0, "EXEMPTOUTPUT", OUT),
        TaxRow("GST Free Expenses", "EXEMPTEXPENSES", 0, "EXEMPTEXPENSES", IN),
        TaxRow("GST on Capital", "CAPEXINPUT", 10, "CAPEXINPUT", "A"),
        TaxRow("Input Taxed", "INPUTTAXED", 0, "INPUTTAXED", "REAQL"),
        TaxRow("BAS Excluded", "BASEXCLUDED", 0, "BASEXCLUDED", ALL),
        TaxRow("GST on Imports", "GSTONIMPORTS", 0, "GSTONIMPORTS", "EL"),
        TaxRow("Wine Equalisation Tax", "TAX001", 29, "OUTPUT", NO, "DELETED"),
    ),
)

REGIMES = {"GB": UK, "NZ": NZ, "AU": AU}
_APPLIES = {
    "R": "CanApplyToRevenue",
    "E": "CanApplyToExpenses",
    "A": "CanApplyToAssets",
    "Q": "CanApplyToEquity",
    "L": "CanApplyToLiabilities",
}


def tax_rate_record(regime: TaxRegime, row: TaxRow) -> Record:
    """A TaxRate exactly as GET /TaxRates returns it."""
    component = {"Name": regime.component, "Rate": row.rate, "IsCompound": False}
    record: Record = {
        "Name": row.name,
        "TaxType": row.tax_type,
        "ReportTaxType": row.report_type,
        "Status": row.status,
        "TaxComponents": [component | {"IsNonRecoverable": False}],
        "DisplayTaxRate": row.rate,
        "EffectiveRate": row.rate,
    }
    return record | {field: letter in row.applies for letter, field in _APPLIES.items()}


def tax_rates(country: str) -> list[Record]:
    """All tax rates of an organisation in country."""
    regime = REGIMES[country]
    return [tax_rate_record(regime, row) for row in regime.rows]
