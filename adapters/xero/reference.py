"""One wave of reference data: each kind its own Accounting API GET, all sent concurrently."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from adapters.xero import mapping
from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.dates import parse_ms_date
from adapters.xero.errors import malformed
from adapters.xero.fields import Json, children
from adapters.xero.wire import ApiCall, Wire, json_body
from domain.reference import ReferenceBundle, RefKind

log = logging.getLogger(__name__)
# Xero's per-organisation concurrency; the limiter enforces it, this only spares idle threads.
MAX_PARALLEL = 5


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
    wire: Wire,
    config: XeroEnvironmentConfig,
    access_token: str,
    tenant_id: str,
    kinds: Collection[RefKind],
) -> ReferenceBundle:
    """The requested kinds, fetched in parallel; the first failure (in kind order) is raised."""
    wanted = list(dict.fromkeys(kinds))
    if not wanted:
        return ReferenceBundle()
    workers = min(len(wanted), MAX_PARALLEL)
    # Each request runs in a copy of the caller's context: its request id and trace go along.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="xero-ref") as pool:
        futures = {
            kind: pool.submit(
                contextvars.copy_context().run,
                _fetch_one,
                wire,
                config,
                access_token,
                tenant_id,
                kind,
            )
            for kind in wanted
        }
    # result() re-raises a kind's failure; walking in request order makes it deterministic.
    return ReferenceBundle(**{ENDPOINTS[k].field: f.result() for k, f in futures.items()})


def _fetch_one(
    wire: Wire, config: XeroEnvironmentConfig, access_token: str, tenant_id: str, kind: RefKind
) -> Any:
    endpoint = ENDPOINTS[kind]
    name = f"{endpoint.path} API"
    url = f"{config.api_url.rstrip('/')}/{endpoint.path}"
    response = wire.api(ApiCall("GET", url, name, access_token, tenant_id=tenant_id))
    body = json_body(response, name)
    if not isinstance(body, dict) or not isinstance(body.get(endpoint.key), list):
        raise malformed(name, response.status_code)
    log.debug(
        "Xero %s: %d entries as of %s",
        name,
        len(body[endpoint.key]),
        parse_ms_date(body.get("DateTimeUTC")),
    )
    built = [endpoint.build(obj) for obj in children(body, endpoint.key)]
    values = tuple(v for v in built if v is not None)
    if kind is RefKind.ORGANISATION:
        if not values:
            raise malformed(name, response.status_code)
        return values[0]
    return values
