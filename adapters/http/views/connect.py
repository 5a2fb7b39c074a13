"""The browser connect flow (DESIGN §4): start, Xero's callback, and the organisation picker.

Every redirect target is built here or by the domain from configuration, never taken from the
request, and the callback answers with a 303 to a URL without the code or state.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from adapters.http.errors import error_page
from adapters.http.security import browser_session_id, require_login, service
from domain.errors import ConnectAttemptInvalid, ConsentDenied, NotFound
from domain.usecases.connect import ChooseOrganisation
from domain.usecases.settle import Connected

bp = Blueprint("connect", __name__)
bp.before_request(require_login)
MAX_PARAM = 4096
CANCELLED = "You cancelled the connection at Xero; nothing was changed."


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
    return render_template("connect.html", binding=view.binding, usage=usage, refusal=refusal)


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
    error = _param("error") or None
    try:
        outcome = service().complete_connect(
            browser_session_id(), _param("state"), _param("code") or None, error
        )
    except ConsentDenied:
        if error != "access_denied":
            raise
        return error_page(400, "Connection cancelled", CANCELLED)
    return _after(outcome)


@bp.get("/dashboard/connect-xero/organisation")
def choose() -> str:
    g.try_again = _try_again_url()
    choice = session.get("choice")
    if not choice:
        raise ConnectAttemptInvalid("this choice has expired; connect Xero again")
    return render_template("choose.html", choice=choice)


@bp.post("/dashboard/connect-xero/organisation")
def chosen() -> Response:
    g.try_again = _try_again_url()
    session.pop("choice", None)
    outcome = service().pick_organisation(
        browser_session_id(), request.form.get("attempt", ""), request.form.get("tenant", "")
    )
    return _after(outcome)


def _after(outcome: Connected | ChooseOrganisation) -> Response:
    if isinstance(outcome, ChooseOrganisation):
        session["choice"] = {
            "attempt": outcome.attempt_id,
            "binding": outcome.binding_id,
            "organisations": [[o.tenant_id, o.tenant_name] for o in outcome.organisations],
        }
        return redirect(url_for("connect.choose"), code=303)
    session.pop("connecting", None)
    return redirect(url_for("dashboard.bindings", connected=outcome.binding_id), code=303)


def _param(name: str) -> str:
    return request.args.get(name, "")[:MAX_PARAM]


def _try_again_url() -> str:
    binding_id = session.get("connecting")
    if binding_id:
        return url_for("connect.start", binding=binding_id)
    return url_for("dashboard.bindings")
