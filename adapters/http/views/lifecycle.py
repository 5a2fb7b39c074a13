"""A binding's activity log, and disconnecting it (with what could not be undone at Xero)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from adapters.http.security import require_login, service
from adapters.http.templating import sentence

bp = Blueprint("lifecycle", __name__, url_prefix="/dashboard/bindings/<binding_id>")
bp.before_request(require_login)


@bp.get("/activity")
def activity(binding_id: str) -> str:
    view = service().queries.owned(g.account.id, binding_id)
    events = service().queries.activity(g.account.id, binding_id)
    reads = service().read_audit.today(g.account.id, binding_id)
    return render_template(
        "activity.html", binding=view.binding, events=events, reads=reads, reference=view.reference
    )


@bp.get("/disconnect")
def confirm(binding_id: str) -> str:
    view = service().queries.owned(g.account.id, binding_id)
    return render_template("disconnect.html", binding=view.binding)


@bp.post("/disconnect")
def disconnect(binding_id: str) -> Response:
    outcome = service().disconnect(g.account.id, binding_id)
    flash("The binding is disconnected. Its history stays here, read-only.", "success")
    for leftover in outcome.not_undone_at_xero:
        flash(f"Not undone at Xero: {sentence(leftover)} Remove it in Xero if needed.", "warning")
    return redirect(url_for("dashboard.binding", binding_id=binding_id), code=303)
