"""identity.xero.com: the token and revocation endpoints."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from flask import Blueprint, Response, jsonify, request

from xero_emulator import grants, issuing
from xero_emulator.records import Chain
from xero_emulator.settings import ClientRegistration
from xero_emulator.state import EmulatorState, get_state

bp = Blueprint("identity", __name__)
Grant = Callable[[EmulatorState, ClientRegistration, dict[str, str], float], Chain]


def _oauth_error(error: str, status: int = 400, **headers: str) -> Response:
    response = jsonify(error=error)
    response.status_code = status
    response.headers.update({"Cache-Control": "no-store", "Pragma": "no-cache", **headers})
    return response


def _client() -> ClientRegistration | Response:
    """The authenticated client (HTTP Basic or body credentials), or an invalid_client answer."""
    auth = request.authorization
    basic = auth is not None and auth.type == "basic"
    if auth is not None and basic:
        client_id, secret = unquote(auth.username or ""), unquote(auth.password or "")
    else:
        client_id, secret = request.form.get("client_id", ""), request.form.get("client_secret", "")
    client = get_state().settings.client(client_id)
    if client is None or not hmac.compare_digest(client.client_secret.encode(), secret.encode()):
        if basic:
            return _oauth_error("invalid_client", 401, **{"WWW-Authenticate": 'Basic realm="xero"'})
        return _oauth_error("invalid_client")
    return client


def _code_grant(
    state: EmulatorState, client: ClientRegistration, form: dict[str, str], now: float
) -> Chain:
    return grants.redeem_code(state.store, state.settings, form, client.client_id, now)


def _refresh_grant(
    state: EmulatorState, client: ClientRegistration, form: dict[str, str], now: float
) -> Chain:
    token = form.get("refresh_token", "")
    return grants.rotate(state.store, state.settings, token, client.client_id, now)


GRANTS: dict[str, Grant] = {"authorization_code": _code_grant, "refresh_token": _refresh_grant}


def _injected_failure(state: EmulatorState, grant_type: str) -> Response | None:
    with state.lock:
        mode = state.store.faults.take_token_failure()
        timeout = state.store.faults.timeout_sleep_s
        if mode is not None:
            state.store.stats.token(grant_type, ok=False)
    if mode == "timeout":
        time.sleep(timeout)
        return _oauth_error("server_error", 504)
    return None if mode is None else _oauth_error("server_error", 503)


@bp.post("/connect/token")
def token() -> Response:
    """Exchange a code or refresh token for a token set."""
    state, form = get_state(), request.form.to_dict()
    grant_type = form.get("grant_type", "")
    failure = _injected_failure(state, grant_type)
    if failure is not None:
        return failure
    client = _client()
    if isinstance(client, Response):
        return _counted(state, grant_type, client)
    grant = GRANTS.get(grant_type)
    if grant is None:
        error = "unsupported_grant_type" if grant_type else "invalid_request"
        return _counted(state, grant_type, _oauth_error(error))
    return _issue(state, client, grant, form, grant_type)


def _issue(
    state: EmulatorState,
    client: ClientRegistration,
    grant: Grant,
    form: dict[str, str],
    grant_type: str,
) -> Response:
    with state.lock:
        now = state.clock.now()
        try:
            chain = grant(state, client, form, now)
        except grants.GrantError:
            state.store.stats.token(grant_type, ok=False)
            return _oauth_error("invalid_grant")
        state.store.stats.token(grant_type, ok=True)
        user = state.store.seed.users[chain.user_id]
        body = issuing.token_response(state.settings, state.store.signing_key, chain, user, now)
        dropped = grant_type == "refresh_token" and state.store.faults.take_dropped_answer()
    if dropped:
        return _oauth_error("bad_gateway", 502)
    return _no_store(body)


def _no_store(body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.headers.update({"Cache-Control": "no-store", "Pragma": "no-cache"})
    return response


def _counted(state: EmulatorState, grant_type: str, response: Response) -> Response:
    with state.lock:
        state.store.stats.token(grant_type, ok=False)
    return response


@bp.post("/connect/revocation")
def revocation() -> Response:
    """Revoke a refresh token: the grant goes, and so do all the user's connections."""
    client = _client()
    if isinstance(client, Response):
        return client
    token = request.form.get("token", "")
    if not token:
        return _oauth_error("invalid_request")
    state = get_state()
    with state.lock:
        if grants.revoke(state.store, token, client.client_id):
            state.store.stats.revocations += 1
    return Response(status=200)
