"""Tolerant readers for fields of Xero's JSON objects: a missing or odd value gets a default."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

Json = Mapping[str, Any]


def text(obj: Json, key: str) -> str:
    """A string field ("" if missing); numbers are written out, since codes may come as numbers."""
    value = obj.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return ""


def flag(obj: Json, key: str) -> bool:
    """A boolean field; only a real JSON true counts."""
    return obj.get(key) is True


def integer(obj: Json, key: str) -> int:
    """An integer field, also from a numeric string (0 if missing or not a number)."""
    value = obj.get(key)
    if not isinstance(value, int | str | Decimal) or isinstance(value, bool):
        return 0
    try:
        return int(value)
    except (ValueError, ArithmeticError):
        return 0


def child(obj: Json, key: str) -> Json:
    """A nested object, or {} so lookups into it stay tolerant."""
    value = obj.get(key)
    return value if isinstance(value, Mapping) else {}


def children(obj: Json, key: str) -> list[Json]:
    """The objects of a nested list, skipping anything that is not an object."""
    value = obj.get(key)
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
