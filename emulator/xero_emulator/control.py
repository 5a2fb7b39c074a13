"""/_emulator: a loopback-only JSON API for tests, demos and benchmarks to steer the emulator."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, jsonify, request

from xero_emulator.clock import iso_utc
from xero_emulator.consent import ConsentError
from xero_emulator.faults import FaultError
from xero_emulator.settings import RateLimitSettings
from xero_emulator.state import get_state

bp = Blueprint("control", __name__, url_prefix="/_emulator")
LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


class ControlError(ValueError):
    """A bad control request."""


@bp.before_request
def loopback_only() -> Response | None:
    """Refuse callers that are not on this machine."""
    if request.remote_addr not in LOOPBACK:
        return json_response({"error": "the control API is loopback-only"}, 403)
    return None


@bp.before_request
def not_from_another_site() -> Response | None:
    """A page on another site, open in a browser on this machine, is on loopback too. It can
    make the browser send a form (urlencoded, multipart, text/plain) or a bodiless no-cors
    fetch, never application/json without a CORS preflight, which is never granted; and the
    browser labels what it sends with Origin and Sec-Fetch-Site. So a change takes JSON only,
    and anything a browser marks as cross-site is refused."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    site = request.headers.get("Sec-Fetch-Site", "")
    origin = request.headers.get("Origin", "")
    if site not in ("", "same-origin", "none") or origin not in ("", request.host_url.rstrip("/")):
        return json_response({"error": "the control API refuses cross-site requests"}, 403)
    if request.mimetype != "application/json":
        return json_response({"error": "the control API takes application/json only"}, 415)
    return None


@bp.errorhandler(ControlError)
@bp.errorhandler(FaultError)
@bp.errorhandler(ConsentError)
def bad_request(error: Exception) -> Response:
    """Report a bad control request."""
    return json_response({"error": str(error)}, 400)


def json_response(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def payload() -> dict[str, Any]:
    """The request's JSON object."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ControlError("expected a JSON object")
    return body


@bp.get("/stats")
def stats() -> Response:
    """Token requests, API calls per tenant, 429s and live connections."""
    state = get_state()
    with state.lock:
        live = sum(c.active for c in state.store.connections.values())
        return jsonify(state.store.stats.to_json(live))


@bp.get("/clock")
def clock() -> Response:
    """The emulator's current time."""
    now = get_state().clock.now()
    return jsonify(now=now, iso=iso_utc(now), offset_seconds=get_state().clock.offset)


@bp.post("/clock")
def advance_clock() -> Response:
    """Move the emulator clock forward by advance_seconds."""
    seconds = payload().get("advance_seconds")
    if not isinstance(seconds, int | float) or seconds < 0:
        raise ControlError("advance_seconds must be a non-negative number")
    get_state().clock.advance(float(seconds))
    return clock()


@bp.get("/faults")
def faults() -> Response:
    """The faults currently armed."""
    state = get_state()
    with state.lock:
        return jsonify(state.store.faults.public())


@bp.post("/faults")
def set_faults() -> Response:
    """Arm faults: latency, random errors, failing token calls, dropped rotation answers."""
    state, changes = get_state(), payload()
    with state.lock:
        state.store.faults.update(changes)
    return faults()


@bp.post("/bulk")
def bulk() -> Response:
    """Switch Bulk Connections (several organisations per consent) on or off."""
    enabled = payload().get("enabled")
    if not isinstance(enabled, bool):
        raise ControlError("enabled must be true or false")
    state = get_state()
    with state.lock:
        state.store.bulk = enabled
    return jsonify(enabled=enabled)


@bp.get("/limits")
def limits() -> Response:
    """The rate limits in force."""
    state = get_state()
    with state.lock:
        return jsonify(dataclasses.asdict(state.store.limiter.limits))


@bp.post("/limits")
def set_limits() -> Response:
    """Change per_org_minute, per_org_day, concurrent and/or app_minute."""
    changes, state = payload(), get_state()
    known = {f.name for f in dataclasses.fields(RateLimitSettings)}
    for key, value in changes.items():
        if key not in known or not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ControlError(f"{key!r}: expected one of {sorted(known)} with a positive integer")
    with state.lock:
        state.store.limiter.limits = dataclasses.replace(state.store.limiter.limits, **changes)
    return limits()


@bp.post("/reset")
def reset() -> Response:
    """Back to the seeded state: no codes, tokens, connections, faults or stats."""
    get_state().reset()
    return jsonify(reset=True)
