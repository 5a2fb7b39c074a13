"""/_emulator routes about the demo world: users, organisations, consent and disconnects."""

from __future__ import annotations

import re

from flask import Response, jsonify

from xero_emulator.clock import ms_date
from xero_emulator.consent import (
    ConnectionLimitReached,
    FatalAuthorizeError,
    RedirectAuthorizeError,
    grant_consent,
    validate_request,
)
from xero_emulator.control import ControlError, bp, json_response, payload
from xero_emulator.seed.changes import add_orgs, change
from xero_emulator.state import get_state

__all__ = ["bp"]
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


@bp.post("/disconnect")
def disconnect() -> Response:
    """As if the user removed the app in Xero: the tenant's connections go, tokens stay."""
    body, state = payload(), get_state()
    tenant = str(body.get("tenant_id", "")).lower()
    user = body.get("user_id")
    with state.lock:
        hits = [
            c
            for c in state.store.connections.values()
            if c.tenant_id == tenant and c.active and user in (None, c.user_id)
        ]
        for connection in hits:
            connection.active = False
    return jsonify(disconnected=[c.id for c in hits])


@bp.post("/reject_access_token")
def reject_access_token() -> Response:
    """As if Xero stopped accepting one access token before its expiry: every API call with
    it answers 401 from now on. Body: {"access_token_sha256": "<hex SHA-256 of the token>"}."""
    fingerprint = str(payload().get("access_token_sha256", "")).strip().lower()
    if not HEX_SHA256.fullmatch(fingerprint):
        raise ControlError("access_token_sha256 must be 64 hex characters")
    state = get_state()
    with state.lock:
        state.store.rejected_access.add(fingerprint)
    return jsonify(rejected=fingerprint)


@bp.get("/users")
def users() -> Response:
    """The demo users and the organisations each can reach."""
    seed = get_state().store.seed
    return jsonify(
        [
            {
                "user_id": u.user_id,
                "name": u.name,
                "email": u.email,
                "tenant_ids": list(u.tenant_ids),
            }
            for u in seed.users.values()
        ]
    )


@bp.get("/organisations")
def organisations() -> Response:
    """The demo organisations (tenants)."""
    return jsonify([org.public() for org in get_state().store.seed.orgs.values()])


@bp.post("/consent")
def consent() -> Response:
    """Consent without a browser, exactly as pressing Allow on the page; returns the code."""
    body, state = payload(), get_state()
    params = {k: v for k, v in body.items() if isinstance(v, str)}
    params.setdefault("response_type", "code")
    if params.get("code_challenge"):
        params.setdefault("code_challenge_method", "S256")
    try:
        auth_request = validate_request(state.settings, params)
    except (FatalAuthorizeError, RedirectAuthorizeError) as e:
        raise ControlError(f"invalid authorize request: {e}") from e
    tenant_ids, user_id = body.get("tenant_ids") or [], str(body.get("user_id", ""))
    if not isinstance(tenant_ids, list):
        raise ControlError("tenant_ids must be a list")
    with state.lock:
        try:
            code = grant_consent(state.store, auth_request, user_id, tenant_ids, state.clock.now())
        except ConnectionLimitReached:
            return json_response({"error": "connection_limit", "redirected": False}, 403)
    return jsonify(code=code, state=auth_request.state)


@bp.get("/tier")
def tier() -> Response:
    """The connection cap and how unchanged If-Modified-Since answers look."""
    store = get_state().store
    return jsonify(connection_cap=store.connection_cap, unchanged_answer=store.unchanged_answer)


@bp.post("/tier")
def set_tier() -> Response:
    """Set `connection_cap` (a whole number, or null for none) and/or `unchanged_answer`."""
    body, state = payload(), get_state()
    cap = body.get("connection_cap", state.store.connection_cap)
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 0):
        raise ControlError("connection_cap must be a whole number >= 0 or null")
    answer = body.get("unchanged_answer", state.store.unchanged_answer)
    if answer not in ("304", "empty"):
        raise ControlError('unchanged_answer must be "304" or "empty"')
    with state.lock:
        state.store.connection_cap, state.store.unchanged_answer = cap, answer
    return tier()


@bp.post("/organisations")
def add_organisations() -> Response:
    """Add `count` organisations like the seeded `like` one (default au) for `user_id`."""
    body, state = payload(), get_state()
    count, like = body.get("count"), str(body.get("like", "au"))
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 20_000:
        raise ControlError("count must be a whole number from 1 to 20000")
    with state.lock:
        try:
            added = add_orgs(state.store.seed, str(body.get("user_id", "")), like, count)
        except KeyError as e:
            raise ControlError(f"unknown {e.args[0]}") from None
    return jsonify(tenant_ids=added)


@bp.post("/organisations/<tenant_id>/<collection>/<key>")
def change_record(tenant_id: str, collection: str, key: str) -> Response:
    """Change an account or item (found by id or code) as a user editing it in Xero would:
    the fields given are set and its UpdatedDateUTC becomes now."""
    body, state = payload(), get_state()
    with state.lock:
        try:
            record = change(state.store.seed, tenant_id.lower(), collection, key, body)
        except KeyError as e:
            raise ControlError(f"unknown {e.args[0]}") from None
        record["UpdatedDateUTC"] = ms_date(state.clock.now())
        return jsonify(record)
