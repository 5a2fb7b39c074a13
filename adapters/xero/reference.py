"""One wave of reference data: each kind its own Accounting API GET, all sent concurrently."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.xero import mapping
from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.dates import parse_ms_date
from adapters.xero.errors import malformed
from adapters.xero.fields import Json, children
from adapters.xero.wire import ApiCall, Wire, json_body
from domain.reference import INCREMENTAL, Receipt, ReferenceBundle, RefKind

log = logging.getLogger(__name__)
# Threads for the GETs of every organisation's waves at once in one process (the sweep's
# organisations in parallel, connects' prefetches): Xero's 5 in flight per organisation is
# the limiter's to enforce. Kept across waves, so no wave starts and joins threads of its own.
POOL_THREADS = 64


@dataclass(frozen=True, slots=True)
class _Endpoint:
    path: str
    key: str
    field: str
    build: Callable[[Json], Any]


ENDPOINTS: dict[RefKind, _Endpoint] = {
    RefKind.ORGANISATION: _Endpoint(
        "Organisation", "Organisations", "organisation", mapping.organisation
    ),
    RefKind.ACCOUNTS: _Endpoint("Accounts", "Accounts", "accounts", mapping.account),
    RefKind.TAX_RATES: _Endpoint("TaxRates", "TaxRates", "tax_rates", mapping.tax_rate),
    RefKind.TRACKING_CATEGORIES: _Endpoint(
        "TrackingCategories", "TrackingCategories", "tracking_categories", mapping.tracking_category
    ),
    RefKind.ITEMS: _Endpoint("Items", "Items", "items", mapping.item),
    RefKind.BRANDING_THEMES: _Endpoint(
        "BrandingThemes", "BrandingThemes", "branding_themes", mapping.branding_theme
    ),
    RefKind.CURRENCIES: _Endpoint("Currencies", "Currencies", "currencies", mapping.currency),
}


def fetch_reference(
    pool: Executor,
    wire: Wire,
    config: XeroEnvironmentConfig,
    access_token: str,
    tenant_id: str,
    kinds: Collection[RefKind],
    since: Mapping[RefKind, datetime],
) -> ReferenceBundle:
    """The requested kinds, fetched in parallel; the first failure (in kind order) is raised.

    Kinds in `since` are asked with If-Modified-Since (Accounts and Items only, where Xero's
    OpenAPI description has the header); 304 and an empty list both mean "unchanged".
    """
    wanted = list(dict.fromkeys(kinds))
    if not wanted:
        return ReferenceBundle()
    # Each request runs in a copy of the caller's context: its request id and trace go along.
    futures = {
        kind: pool.submit(
            contextvars.copy_context().run,
            _fetch_one,
            wire,
            config,
            access_token,
            tenant_id,
            kind,
            since.get(kind),
        )
        for kind in wanted
    }
    # result() re-raises a kind's failure; walking in request order makes it deterministic.
    answers = {kind: future.result() for kind, future in futures.items()}
    remaining = [a.day_remaining for a in answers.values() if a.day_remaining is not None]
    return ReferenceBundle(
        **{ENDPOINTS[k].field: a.values for k, a in answers.items()},
        receipts=tuple(a.receipt for a in answers.values()),
        day_remaining=min(remaining) if remaining else None,
    )


@dataclass(frozen=True, slots=True)
class _Answer:
    values: Any
    receipt: Receipt
    day_remaining: int | None


def _fetch_one(
    wire: Wire,
    config: XeroEnvironmentConfig,
    access_token: str,
    tenant_id: str,
    kind: RefKind,
    since: datetime | None,
) -> _Answer:
    endpoint = ENDPOINTS[kind]
    name = f"{endpoint.path} API"
    url = f"{config.api_url.rstrip('/')}/{endpoint.path}"
    asked = since if kind in INCREMENTAL else None
    headers = {"If-Modified-Since": _http_date(asked)} if asked else None
    call = ApiCall(
        "GET", url, name, access_token, tenant_id=tenant_id, headers=headers, also_ok=_NOT_MODIFIED
    )
    response = wire.api(call)
    received = response.num_bytes_downloaded
    day_remaining = _int(response.headers.get("X-DayLimit-Remaining"))
    if response.status_code == 304:
        return _Answer((), Receipt(kind, received, asked, None), day_remaining)
    body = json_body(response, name)
    if not isinstance(body, dict) or not isinstance(body.get(endpoint.key), list):
        raise malformed(name, response.status_code)
    raw = children(body, endpoint.key)
    log.debug(
        "Xero %s: %d entries as of %s", name, len(raw), parse_ms_date(body.get("DateTimeUTC"))
    )
    built = [endpoint.build(obj) for obj in raw]
    values = tuple(v for v in built if v is not None)
    receipt = Receipt(kind, received, asked, _newest_update(raw))
    if kind is RefKind.ORGANISATION:
        if not values:
            raise malformed(name, response.status_code)
        return _Answer(values[0], receipt, day_remaining)
    return _Answer(values, receipt, day_remaining)


_NOT_MODIFIED = frozenset({304})


def _newest_update(rows: list[Json]) -> datetime | None:
    stamps = [parse_ms_date(row.get("UpdatedDateUTC")) for row in rows]
    known = [s for s in stamps if s is not None]
    return max(known) if known else None


def _http_date(at: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, the form Xero's OpenAPI description shows."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
