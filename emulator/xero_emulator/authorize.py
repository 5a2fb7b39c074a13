"""login.xero.com: the authorize endpoint and its consent page."""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from xero_emulator.consent import (
    ConnectionLimitReached,
    ConsentError,
    FatalAuthorizeError,
    RedirectAuthorizeError,
    grant_consent,
    redirect_url,
    validate_request,
)
from xero_emulator.records import AuthorizeRequest
from xero_emulator.state import EmulatorState, get_state

bp = Blueprint("authorize", __name__)
PATH = "/identity/connect/authorize"
PENDING_LIFETIME_S = 1800


@bp.get(PATH)
def show() -> ResponseReturnValue:
    """Validate the request and show the consent page (or an error page)."""
    state = get_state()
    try:
        auth_request = validate_request(state.settings, request.args)
    except FatalAuthorizeError as e:
        return render_template("error.html", message=str(e)), 400
    except RedirectAuthorizeError as e:
        return redirect(redirect_url(e.request, error=e.error))
    with state.lock:
        now, pending = state.clock.now(), state.store.pending
        for stale in [k for k, (_, at) in pending.items() if now > at + PENDING_LIFETIME_S]:
            del pending[stale]
        pending_id = secrets.token_urlsafe(24)
        pending[pending_id] = (auth_request, now)
        return _page(state, pending_id, auth_request)


@bp.post(PATH)
def decide() -> ResponseReturnValue:
    """Act on Allow or Cancel from the consent page."""
    state, form = get_state(), request.form
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(expected, form.get("csrf_token", "")):
        return render_template("error.html", message="Your session has expired. Start again."), 400
    with state.lock:
        found = _pending(state, form.get("pending", ""))
        if found is None:
            return render_template("error.html", message="This request has expired."), 400
        if form.get("action") != "allow":
            del state.store.pending[form["pending"]]
            state.store.stats.consents["cancelled"] += 1
            return redirect(redirect_url(found, error="access_denied"))
        return _allow(state, form["pending"], found)


@bp.get("/connectionLimit")
def connection_limit() -> ResponseReturnValue:
    """Where a consent over the app's cap ends: no code, no error, no way back to the app."""
    client = get_state().settings.client(request.args.get("client_id", ""))
    app_name = client.app_name if client else "This app"
    return render_template("connection_limit.html", app_name=app_name)


def _pending(state: EmulatorState, pending_id: str) -> AuthorizeRequest | None:
    entry = state.store.pending.get(pending_id)
    if entry is None or state.clock.now() > entry[1] + PENDING_LIFETIME_S:
        return None
    return entry[0]


def _allow(
    state: EmulatorState, pending_id: str, auth_request: AuthorizeRequest
) -> ResponseReturnValue:
    user_id, tenant_ids = request.form.get("xero_user", ""), request.form.getlist("tenant_id")
    try:
        code = grant_consent(state.store, auth_request, user_id, tenant_ids, state.clock.now())
    except ConsentError as e:
        return _page(state, pending_id, auth_request, error=str(e), user_id=user_id), 400
    except ConnectionLimitReached:
        # As authorize.xero.com/connectionLimit: Xero's own page, never back to the app.
        del state.store.pending[pending_id]
        return redirect(url_for("authorize.connection_limit", client_id=auth_request.client_id))
    del state.store.pending[pending_id]
    session_state = f"{secrets.token_urlsafe(32)}.{secrets.token_hex(16)}"
    scope = " ".join(auth_request.scope)
    return redirect(redirect_url(auth_request, code=code, scope=scope, session_state=session_state))


def _page(
    state: EmulatorState,
    pending_id: str,
    auth_request: AuthorizeRequest,
    error: str | None = None,
    user_id: str | None = None,
) -> str:
    users = list(state.store.seed.users.values())
    chosen = state.store.seed.users.get(user_id or "", users[0])
    orgs_by_user = {
        u.user_id: [{"id": t, "name": state.store.seed.orgs[t].name} for t in u.tenant_ids]
        for u in users
    }
    client = state.settings.client(auth_request.client_id)
    return render_template(
        "consent.html",
        app_name=client.app_name if client else auth_request.client_id,
        users=users,
        chosen=chosen,
        orgs_by_user=orgs_by_user,
        bulk=state.store.bulk,
        scopes=auth_request.scope,
        pending_id=pending_id,
        csrf=session.setdefault("csrf", secrets.token_urlsafe(32)),
        error=error,
    )
