"""Reference cache rows: every kind in one JSON payload, stamps as columns for the sweep.

Payload entries are read field by field with defaults, so adding a field to a reference
dataclass needs no migration, and a field dropped from one is ignored in older rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any, TypeVar

from domain.day_budget import DayBudget
from domain.reference import (
    BrandingTheme,
    Currency,
    Item,
    LedgerAccount,
    OrganisationSummary,
    ReferenceCache,
    RefKind,
    TaxRate,
    TrackingCategory,
    TrackingOption,
)
from domain.values import Environment

Row = Mapping[Any, Any]
T = TypeVar("T")
LISTS: dict[str, type[Any]] = {
    "accounts": LedgerAccount,
    "items": Item,
    "tax_rates": TaxRate,
    "branding_themes": BrandingTheme,
    "currencies": Currency,
}


def reference_row(cache: ReferenceCache) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "organisation": _plain(cache.organisation) if cache.organisation else None,
        "tracking_categories": [_plain(c) for c in cache.tracking_categories],
    }
    payload.update({name: [_plain(item) for item in getattr(cache, name)] for name in LISTS})
    payload["watermarks"] = {kind.value: at.isoformat() for kind, at in cache.watermarks}
    payload["digest"] = cache.content_digest()
    payload["day"] = {
        k: v.isoformat() if isinstance(v, datetime) else v for k, v in _plain(cache.day).items()
    }
    return {
        "tenant_id": cache.tenant_id,
        "environment": cache.environment.value,
        "payload": payload,
        "fetched_at": cache.fetched_at,
        "extended_fetched_at": cache.extended_fetched_at,
        "is_demo": cache.organisation is not None and cache.organisation.is_demo,
    }


def _plain(entry: Any) -> dict[str, Any]:
    """A reference dataclass as a JSON object: what `asdict` gives for these flat, immutable
    values (strings, numbers, booleans, dates, tuples of options), without its deep copy of
    every value, which cost a tenth of a daily refresh's CPU."""
    names = _FIELDS.get(type(entry))
    if names is None:
        names = _FIELDS[type(entry)] = tuple(f.name for f in fields(entry))
    return {name: _value(getattr(entry, name)) for name in names}


def _value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_value(v) for v in value]
    if type(value) in _FIELDS or is_dataclass(value):
        return _plain(value)
    return value


def reference_from(row: Row) -> ReferenceCache:
    payload = row["payload"]
    organisation = payload.get("organisation")
    lists = {name: _many(kind, payload.get(name)) for name, kind in LISTS.items()}
    return ReferenceCache(
        tenant_id=row["tenant_id"],
        environment=Environment(row["environment"]),
        organisation=_known(OrganisationSummary, organisation) if organisation else None,
        tracking_categories=tuple(_category(c) for c in payload.get("tracking_categories", ())),
        fetched_at=row["fetched_at"],
        extended_fetched_at=row["extended_fetched_at"],
        watermarks=_watermarks(payload.get("watermarks")),
        day=_day(payload.get("day")),
        revision=row["revision"],
        **lists,
    )


def _watermarks(data: Mapping[str, str] | None) -> tuple[tuple[RefKind, datetime], ...]:
    known = {k.value for k in RefKind}
    marks = ((RefKind(k), datetime.fromisoformat(v)) for k, v in (data or {}).items() if k in known)
    return tuple(sorted(marks))


_DAY_STAMPS = ("started_at", "reported_at", "resets_at")


def _day(data: Mapping[str, Any] | None) -> DayBudget:
    if not data:
        return DayBudget()
    values = {
        k: datetime.fromisoformat(v) if k in _DAY_STAMPS and v else v for k, v in data.items()
    }
    return _known(DayBudget, values)


def _category(data: Mapping[str, Any]) -> TrackingCategory:
    options = _many(TrackingOption, data.get("options"))
    return _known(TrackingCategory, {**data, "options": options})


def _many(kind: type[T], items: list[Mapping[str, Any]] | None) -> tuple[T, ...]:
    return tuple(_known(kind, item) for item in items or ())


def _known(kind: type[T], data: Mapping[str, Any]) -> T:
    names = _FIELDS.get(kind)
    if names is None:  # once per class: a cache holds thousands of entries
        names = _FIELDS[kind] = tuple(f.name for f in fields(kind))  # type: ignore[arg-type]
    return kind(**{key: value for key, value in data.items() if key in names})


# Each reference dataclass's field names, in order.
_FIELDS: dict[type[Any], tuple[str, ...]] = {}
