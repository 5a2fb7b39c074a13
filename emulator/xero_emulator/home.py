"""The emulator's root page: who the demo users are, which organisations exist, and the
switches a newcomer wants (several organisations per consent, latency, "remove the app inside
Xero", archive an account, faults off). Loopback only; forms carry the session's CSRF token."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session
from flask.typing import ResponseReturnValue

from xero_emulator.clock import ms_date
from xero_emulator.control import LOOPBACK
from xero_emulator.state import EmulatorState, get_state

bp = Blueprint("home", __name__)
LATENCIES_MS = (0, 800, 3000)
ARCHIVABLE = ("BANK", "REVENUE", "SALES")


@bp.before_request
def loopback_only() -> None:
    if request.remote_addr not in LOOPBACK:
        abort(403)


@bp.get("/")
def show() -> str:
    state = get_state()
    with state.lock:
        store = state.store
        orgs = store.seed.orgs
        users = [(u, [orgs[t].name for t in u.tenant_ids]) for u in store.seed.users.values()]
        connections = [
            (store.seed.users[c.user_id].name, c)
            for c in sorted(store.connections.values(), key=lambda c: c.created)
            if c.active and c.user_id in store.seed.users
        ]
        accounts = [
            (org.name, org.tenant_id, a)
            for org in orgs.values()
            for a in org.resources.get("Accounts", [])
            if a.get("Type") in ARCHIVABLE
        ]
        return render_template(
            "home.html",
            users=users,
            orgs=[org.public() for org in orgs.values()],
            connections=connections,
            accounts=accounts,
            bulk=store.bulk,
            latency_ms=store.faults.latency_ms,
            latencies=LATENCIES_MS,
            csrf=session.setdefault("csrf", secrets.token_urlsafe(32)),
        )


@bp.post("/switches")
def switch() -> ResponseReturnValue:
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(expected, request.form.get("csrf_token", "")):
        flash("That form had expired; nothing changed. Try again.")
        return redirect("/", code=303)
    action = _ACTIONS.get(request.form.get("action", ""))
    state = get_state()
    with state.lock:
        flash(action(state, request.form) if action else "Unknown switch; nothing changed.")
    return redirect("/", code=303)


def _bulk(state: EmulatorState, form: Any) -> str:
    state.store.bulk = form.get("value") == "on"
    if state.store.bulk:
        return "The consent page now lets you pick several organisations at once."
    return "The consent page now offers one organisation per consent."


def _latency(state: EmulatorState, form: Any) -> str:
    value = int(form.get("value", "0")) if form.get("value", "0").isdigit() else -1
    if value not in LATENCIES_MS:
        return "Unknown latency; nothing changed."
    state.store.faults.update({"latency_ms": value, "latency_paths": []})
    return f"Identity and connection calls now take {value} ms longer."


def _remove_app(state: EmulatorState, form: Any) -> str:
    hits = [
        c
        for c in state.store.connections.values()
        if c.id == form.get("connection_id") and c.active
    ]
    for connection in hits:
        connection.active = False
    if not hits:
        return "That connection was already gone; nothing changed."
    return f"The app was removed from {hits[0].tenant_name}, as in Xero's Connected apps."


def _archive(state: EmulatorState, form: Any) -> str:
    tenant_id, account_id = form.get("account", "").partition("/")[::2]
    org = state.store.seed.orgs.get(tenant_id)
    found = [
        a
        for a in (org.resources.get("Accounts", []) if org else [])
        if a["AccountID"] == account_id
    ]
    if not found or org is None:
        return "No such account; nothing changed."
    status = "ARCHIVED" if form.get("value") == "archive" else "ACTIVE"
    found[0]["Status"], found[0]["UpdatedDateUTC"] = status, ms_date(state.clock.now())
    return f"{org.name}: account {found[0]['Code']} {found[0]['Name']} is now {status.lower()}."


def _faults_off(state: EmulatorState, form: Any) -> str:
    state.store.faults = type(state.store.faults)(timeout_sleep_s=state.settings.timeout_sleep_s)
    return "Every fault is off."


_ACTIONS: dict[str, Callable[[EmulatorState, Any], str]] = {
    "bulk": _bulk,
    "latency": _latency,
    "remove_app": _remove_app,
    "archive": _archive,
    "faults_off": _faults_off,
}
