"""The browser connect flow (DESIGN §4): start, Xero's callback, and the organisation picker.

Every redirect target is built here or by the domain from configuration, never taken from the
request, and the callback answers with a 303 to a URL without the code or state.
"""

from __future__ import annotations

import contextlib
import hmac
import time
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from adapters.http.config import HttpConfig
from adapters.http.errors import error_page
from adapters.http.progress import ConnectProgress
from adapters.http.security import browser_session_id, require_login, service
from adapters.http.wording import scopes_in_words
from domain.digests import digest
from domain.errors import ConnectAttemptInvalid, ConsentDenied, NotFound
from domain.usecases.connect import ChooseOrganisation
from domain.usecases.queries import BindingView
from domain.usecases.settle import Connected
from domain.values import BindingStatus

bp = Blueprint("connect", __name__)
bp.before_request(require_login)
MAX_PARAM = 4096
CANCELLED = "You cancelled the connection at Xero; nothing was changed."
ACCOUNT_TRIES = 20
ELSEWHERE_S = 60.0
# Each progress answer waits up to this long for the work, then reloads at once: a pace of
# about one request a second without a timed refresh (WCAG 2.2.1, axe's meta-refresh rule).
WAIT_S = 1.0


@bp.get("/dashboard/connect-xero")
def start() -> str:
    binding_id = request.args.get("binding", "")
    if not binding_id:
        raise NotFound("no binding was given")
    view = service().queries.owned(g.account.id, binding_id)
    usage = service().queries.usage(g.account.id)
    refusal = (
        service().tiers.refusal_for(g.account.id, binding_id) if view.binding.is_live else None
    )
    config: HttpConfig = current_app.extensions["ledger_http"]
    return render_template(
        "connect.html",
        binding=view.binding,
        usage=usage,
        refusal=refusal,
        allowed=scopes_in_words(config.xero_scopes),
    )


@bp.post("/dashboard/connect-xero")
def go_to_xero() -> Response:
    """A bare 303: the state travels in the Location header only, not in a page body."""
    binding_id = request.form.get("binding", "")
    authorize_url = service().start_connect(g.account.id, binding_id, browser_session_id())
    session["connecting"] = binding_id
    return Response(status=303, headers={"Location": authorize_url})


@bp.get("/oauth/xero/callback")
def callback() -> Response | tuple[str, int]:
    g.try_again = _try_again_url()
    error, state, code = _param("error") or None, _param("state"), _param("code") or None
    done = session.get("connected")
    if done and hmac.compare_digest(done["state"], digest(state)):
        flash(f"Xero is already connected to {done['name']}.", "success")
        return redirect(url_for("dashboard.binding", binding_id=done["binding"]), code=303)
    if error or not code:
        try:
            return _after(service().complete_connect(browser_session_id(), state, code, error))
        except ConsentDenied:
            if error != "access_denied":
                raise
            return error_page(400, "Connection cancelled", CANCELLED)
    ledger = service()
    attempt = ledger.complete_connect.consume(browser_session_id(), state)
    job = _progress().start(lambda: ledger.complete_connect.finish(attempt, code))
    session["progress"] = {"job": job, "state": digest(state), "since": time.time()}
    return redirect(url_for("connect.progress"), code=303)


@bp.get("/dashboard/connect-xero/progress")
def progress() -> Response | str:
    """Reloads itself until Xero's part is done, then moves on (or says what went wrong)."""
    g.try_again = _try_again_url()
    entry = session.get("progress")
    if not entry:
        raise ConnectAttemptInvalid("this connection has finished or expired; connect Xero again")
    future = _progress().get(entry["job"])
    if future is None:
        return _elsewhere(entry)
    with contextlib.suppress(TimeoutError):
        future.exception(timeout=WAIT_S)
    if not future.done():
        return _progress_page()
    session.pop("progress", None)
    _progress().forget(entry["job"])
    outcome = future.result()
    if isinstance(outcome, Connected):
        session["connected"] = {
            "state": entry["state"],
            "binding": outcome.binding_id,
            "name": outcome.tenant_name,
        }
    return _after(outcome)


@bp.get("/dashboard/connect-xero/accounts")
def accounts() -> Response | str:
    """Connected; waits (a little) for the first accounts, which a background task fetches."""
    binding_id = request.args.get("binding", "")
    view = _accounts_view(binding_id)
    ready = view.reference is not None and view.reference.critical_ready
    tries = min(_int(request.args.get("n")), ACCOUNT_TRIES)
    if ready or not view.binding.status.has_xero:
        return redirect(url_for("dashboard.bindings", connected=binding_id), code=303)
    if tries >= ACCOUNT_TRIES:
        return render_template("progress.html", binding=view.binding, late=True)
    again = url_for("connect.accounts", binding=binding_id, n=tries + 1)
    return render_template("progress.html", binding=view.binding, refresh_url=again)


@bp.get("/dashboard/connect-xero/organisation")
def choose() -> str | tuple[str, int]:
    choice = session.get("choice")
    if not choice:
        return _stale_choice()
    return render_template("choose.html", choice=choice)


@bp.post("/dashboard/connect-xero/organisation")
def chosen() -> Response | str | tuple[str, int]:
    g.try_again = _try_again_url()
    choice = session.pop("choice", None)
    try:
        outcome = service().pick_organisation(
            browser_session_id(), request.form.get("attempt", ""), request.form.get("tenant", "")
        )
    except ConnectAttemptInvalid as refused:
        if choice and "not part of this consent" in refused.message:
            raise  # a form that was tampered with: the plain refusal
        return _stale_choice()
    return _after(outcome)


@bp.post("/dashboard/connect-xero/organisation/cancel")
def cancel_choice() -> Response:
    """Cancel on the picker: back to the binding, nothing connected."""
    session.pop("choice", None)
    session.pop("connecting", None)
    binding_id = service().pick_organisation.cancel(
        browser_session_id(), request.form.get("attempt", "")
    )
    if binding_id is None:
        return redirect(url_for("dashboard.bindings"), code=303)
    flash("Nothing was connected.", "info")
    return redirect(url_for("dashboard.binding", binding_id=binding_id), code=303)


def _stale_choice() -> tuple[str, int]:
    """A picker whose choice was made already, or expired: what happened, and one way on."""
    binding = None
    binding_id = session.get("picker_binding")
    if binding_id:
        with contextlib.suppress(NotFound):
            binding = service().queries.owned(g.account.id, binding_id).binding
    return render_template("choice_stale.html", binding=binding), 400


def _accounts_view(binding_id: str) -> BindingView:
    """The binding, re-read for up to WAIT_S until its first accounts have arrived."""
    deadline = time.monotonic() + WAIT_S
    while True:
        view = service().queries.owned(g.account.id, binding_id)
        ready = view.reference is not None and view.reference.critical_ready
        if ready or time.monotonic() >= deadline:
            return view
        time.sleep(0.2)


def _progress_page() -> str:
    binding_id = session.get("connecting", "")
    view = service().queries.owned(g.account.id, binding_id) if binding_id else None
    binding = view.binding if view else None
    return render_template(
        "progress.html", binding=binding, refresh_url=url_for("connect.progress")
    )


def _elsewhere(entry: dict[str, Any]) -> Response | str:
    """The job ran on another replica: follow the binding's stored status for a minute."""
    binding_id = session.get("connecting", "")
    if binding_id:
        view = service().queries.owned(g.account.id, binding_id)
        if view.binding.status is BindingStatus.CONNECTED:
            session.pop("progress", None)
            return redirect(url_for("connect.accounts", binding=binding_id), code=303)
    if time.time() - float(entry.get("since", 0)) < ELSEWHERE_S:
        return _progress_page()
    session.pop("progress", None)
    raise ConnectAttemptInvalid(
        "we lost track of this connection; look at the Bindings page, or connect Xero again"
    )


def _progress() -> ConnectProgress:
    jobs: ConnectProgress = current_app.extensions["ledger_connect_progress"]
    return jobs


def _int(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 4 else 0


def _after(outcome: Connected | ChooseOrganisation) -> Response:
    if isinstance(outcome, ChooseOrganisation):
        session["choice"] = {
            "attempt": outcome.attempt_id,
            "binding": outcome.binding_id,
            "organisations": [
                [o.organisation.tenant_id, o.organisation.tenant_name, o.refusal, list(o.used_by)]
                for o in outcome.offers
            ]
            or [[o.tenant_id, o.tenant_name, "", []] for o in outcome.organisations],
        }
        session["picker_binding"] = outcome.binding_id
        return redirect(url_for("connect.choose"), code=303)
    session.pop("connecting", None)
    if not outcome.reference_ready:
        return redirect(url_for("connect.accounts", binding=outcome.binding_id), code=303)
    return redirect(url_for("dashboard.bindings", connected=outcome.binding_id), code=303)


def _param(name: str) -> str:
    return request.args.get(name, "")[:MAX_PARAM]


def _try_again_url() -> str:
    binding_id = session.get("connecting")
    if binding_id:
        return url_for("connect.start", binding=binding_id)
    return url_for("dashboard.bindings")
