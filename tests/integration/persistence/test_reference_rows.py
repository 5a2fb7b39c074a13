"""A reference cache's row: the JSON stored is what earlier releases stored (rows written by
either read the same), and a row reads back as the cache that was saved."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from adapters.persistence.mappers.reference import reference_from, reference_row
from domain.day_budget import DayBudget
from domain.reference import RefKind
from tests.integration.persistence.builders import T0, reference_cache


def cache() -> Any:
    day = DayBudget(started_at=T0, calls=7, xero_remaining=4_993, reported_at=T0, resets_at=None)
    return replace(reference_cache(), day=day, watermarks=((RefKind.ACCOUNTS, T0),), revision=3)


def former_payload(cached: Any) -> dict[str, Any]:
    """The payload as `dataclasses.asdict` encoded it before."""
    lists = ("accounts", "items", "tax_rates", "branding_themes", "currencies")
    payload: dict[str, Any] = {
        "organisation": asdict(cached.organisation),
        "tracking_categories": [asdict(c) for c in cached.tracking_categories],
    }
    payload.update({name: [asdict(entry) for entry in getattr(cached, name)] for name in lists})
    payload["watermarks"] = {kind.value: at.isoformat() for kind, at in cached.watermarks}
    payload["digest"] = cached.content_digest()
    payload["day"] = {
        k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(cached.day).items()
    }
    return payload


def as_json(value: Any) -> Any:
    """Tuples and lists alike, as the JSON column stores them."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value


def test_the_payload_is_the_one_earlier_releases_wrote() -> None:
    cached = cache()
    payload = reference_row(cached)["payload"]
    assert as_json(payload) == as_json(former_payload(cached))
    assert list(payload["accounts"][0]) == list(asdict(cached.accounts[0]))  # key order too
    assert payload["tracking_categories"][0]["options"] == [
        {"option_id": "o-1", "name": "North", "status": "ACTIVE"}
    ]


def test_a_row_reads_back_as_the_cache_saved() -> None:
    cached = cache()
    assert reference_from(as_json({**reference_row(cached), "revision": 3})) == cached
