"""api.xero.com/api.xro/2.0: the reference-data endpoints, behind auth, tenancy and limits."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request

from xero_emulator.bearer import Principal, authenticate, forbidden, problem, too_many_requests
from xero_emulator.clock import ms_date, parse_http_or_iso, parse_ms_date
from xero_emulator.limits import RateLimiter
from xero_emulator.ordering import sort_records
from xero_emulator.resources import RESOURCES, Resource
from xero_emulator.seed import SeedOrg
from xero_emulator.state import EmulatorState, get_state
from xero_emulator.where import WhereError, compile_where

bp = Blueprint("accounting", __name__, url_prefix="/api.xro/2.0")
Handler = Callable[[SeedOrg, str], Response]


@bp.get("/<name>")
def collection(name: str) -> Response:
    """GET one of the reference-data collections for the tenant in xero-tenant-id."""
    resource = RESOURCES.get(name.lower())
    if resource is None:
        return problem(404, "NotFound", "The resource you're looking for cannot be found")
    return _guarded(get_state(), lambda org, provider: _listing(resource, org, provider))


@dataclass(frozen=True, slots=True)
class _Admission:
    """A call let through the limiter: what it needs to run and to report."""

    org: SeedOrg
    provider: str
    headers: dict[str, str]
    delay: float
    fail: bool
    limiter: RateLimiter


def _guarded(state: EmulatorState, handler: Handler) -> Response:
    """Authenticate, check the tenant is connected, apply limits and faults, then handle."""
    who = authenticate(state)
    if isinstance(who, Response):
        return who
    tenant = request.headers.get("xero-tenant-id", "").strip().lower()
    admitted = _admit(state, who, tenant)
    if isinstance(admitted, Response):
        return admitted
    try:
        time.sleep(admitted.delay)
        if admitted.fail:
            response = problem(503, "Service Unavailable", "Injected fault")
        else:
            response = handler(admitted.org, admitted.provider)
    finally:
        with state.lock:
            admitted.limiter.release(who.client_id, tenant)
    return _with(response, admitted.headers)


def _admit(state: EmulatorState, who: Principal, tenant: str) -> _Admission | Response:
    """Under the lock: tenancy (403), then limits (429), counting the call if admitted."""
    with state.lock:
        store, now = state.store, state.clock.now()
        if not store.is_connected(who.user_id, who.client_id, tenant):
            return _with(forbidden(), store.limiter.headers(who.client_id, None, now))
        verdict = store.limiter.acquire(who.client_id, tenant, now)
        headers = store.limiter.headers(who.client_id, tenant, now)
        if verdict.problem is not None:
            store.stats.rate_limited += 1
            return _with(too_many_requests(verdict.problem, verdict.retry_after), headers)
        store.stats.api_calls[tenant] += 1
        registration = state.settings.client(who.client_id)
        return _Admission(
            org=store.seed.orgs[tenant],
            provider=registration.app_name if registration else "Xero API",
            headers=headers,
            delay=store.faults.latency_for(request.path),
            fail=store.faults.random_error(request.path),
            limiter=store.limiter,
        )


def _with(response: Response, headers: dict[str, str]) -> Response:
    response.headers.update(headers)
    return response


def _listing(resource: Resource, org: SeedOrg, provider: str) -> Response:
    records = [dict(r) for r in org.resources[resource.collection]]
    if resource.collection == "TrackingCategories":
        records = _tracking(records, request.args.get("includeArchived", "").lower() == "true")
    if resource.filterable:
        try:
            records = _filtered(resource, records)
        except WhereError as e:
            return _validation_error(str(e))
    since = request.headers.get("If-Modified-Since", "").strip()
    if resource.modified_since and since:
        after = parse_http_or_iso(since)
        if after is None:
            return _validation_error(f"If-Modified-Since {since[:40]!r} is not a date-time")
        records = [r for r in records if parse_ms_date(r.get("UpdatedDateUTC")) > after]
        if not records and get_state().store.unchanged_answer == "304":
            return Response(status=304)
    return jsonify(_envelope(resource.collection, records, provider))


def _filtered(resource: Resource, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    where, order = request.args.get("where", "").strip(), request.args.get("order", "").strip()
    if where:
        predicate = compile_where(where, resource.fields, resource.type_name)
        records = [r for r in records if predicate(r)]
    return sort_records(records, order, resource.fields) if order else records


def _tracking(records: list[dict[str, Any]], include_archived: bool) -> list[dict[str, Any]]:
    if include_archived:
        return records
    active = [r for r in records if r["Status"] != "ARCHIVED"]
    return [r | {"Options": [o for o in r["Options"] if o["Status"] != "ARCHIVED"]} for r in active]


def _envelope(collection: str, records: list[dict[str, Any]], provider: str) -> dict[str, Any]:
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": provider,
        "DateTimeUTC": ms_date(get_state().clock.now(), with_offset=False),
        collection: records,
    }


def _validation_error(message: str) -> Response:
    response = jsonify(ErrorNumber=16, Type="QueryParseException", Message=message)
    response.status_code = 400
    return response
