"""Xero's `order` query parameter, e.g. `Name ASC` or `Type, Code DESC`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xero_emulator.where import WhereError


def sort_records(
    records: list[dict[str, Any]], order: str, fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Apply order=, e.g. 'Name ASC' or 'Type, Code DESC'."""
    known = {f.lower(): f for f in fields}
    for clause in reversed([c.strip() for c in order.split(",") if c.strip()]):
        name, _, direction = clause.partition(" ")
        if name.lower() not in known or direction.strip().upper() not in ("", "ASC", "DESC"):
            raise WhereError(f"Invalid order clause '{clause}'")
        records = sorted(
            records,
            key=_key_of(known[name.lower()]),
            reverse=direction.strip().upper() == "DESC",
        )
    return records


def _key_of(field: str) -> Callable[[dict[str, Any]], tuple[bool, float, str]]:
    return lambda record: _sort_key(record.get(field))


def _sort_key(value: Any) -> tuple[bool, float, str]:
    number = float(value) if isinstance(value, int | float) else 0.0
    return value is None, number, str(value).lower()
