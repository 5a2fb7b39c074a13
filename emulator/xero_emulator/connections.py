"""api.xero.com/connections: list and delete the tenants a user has connected to the app."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, jsonify, request

from xero_emulator.bearer import Principal, authenticate, too_many_requests
from xero_emulator.state import EmulatorState, get_state

bp = Blueprint("connections", __name__)


def _tenantless(action: Callable[[EmulatorState, Principal], Response]) -> Response:
    """Authenticate, count against the app-wide minute limit, run action, add limit headers."""
    state = get_state()
    who = authenticate(state)
    if isinstance(who, Response):
        return who
    with state.lock:
        now = state.clock.now()
        verdict = state.store.limiter.acquire_app(who.client_id, now)
        if verdict.problem is None:
            response = action(state, who)
        else:
            state.store.stats.rate_limited += 1
            response = too_many_requests(verdict.problem, verdict.retry_after)
        response.headers.update(state.store.limiter.headers(who.client_id, None, now))
    return response


def _list(state: EmulatorState, who: Principal) -> Response:
    found = state.store.active_connections(who.user_id, who.client_id)
    event = request.args.get("authEventId", "").strip().lower()
    if event:
        found = [c for c in found if c.auth_event_id.lower() == event]
    return jsonify([c.to_json() for c in found])


@bp.get("/connections")
@bp.get("/Connections")
def list_connections() -> Response:
    """The user's live connections to the app, optionally from one consent only."""
    state = get_state()
    with state.lock:
        state.store.stats.connection_lists += 1
    return _tenantless(_list)


@bp.delete("/connections/<connection_id>")
@bp.delete("/Connections/<connection_id>")
def delete_connection(connection_id: str) -> Response:
    """Disconnect one tenant by connection id: 204, or 404 if it is not the caller's."""

    def delete(state: EmulatorState, who: Principal) -> Response:
        for connection in state.store.active_connections(who.user_id, who.client_id):
            if connection.id.lower() == connection_id.lower():
                connection.active = False
                return Response(status=204)
        return Response(status=404)

    return _tenantless(delete)
