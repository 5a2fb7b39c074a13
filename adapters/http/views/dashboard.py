"""Home, the bindings list (live ones, and disconnected ones in an archive view), one binding's
page, new bindings and pairing codes. Creating answers with a redirect (POST-redirect-GET):
the code is put in the session and shown by the next page once, so a reload never creates a
second binding or shows a code twice."""

from __future__ import annotations

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
from adapters.http.security import require_login, service
from adapters.http.templating import sentence
from domain.binding import Binding
from domain.errors import InvalidTransition, PlanLimitExceeded
from domain.scopes import BROAD_SCOPE_NOTICE

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.before_request(require_login)
SHOWN_CODE = "pairing_code_once"


@bp.get("")
def home() -> str:
    bindings = [b for b in _newest_first() if b.is_live]
    usage = service().queries.usage(g.account.id)
    return render_template("home.html", bindings=bindings, usage=usage)


@bp.get("/bindings")
def bindings() -> str:
    rows = _newest_first()
    archive = request.args.get("view") == "archive"
    just_connected = next((b for b in rows if b.id == request.args.get("connected")), None)
    return render_template(
        "bindings.html",
        bindings=[b for b in rows if b.is_live != archive],
        archive=archive,
        archived=sum(1 for b in rows if not b.is_live),
        just_connected=just_connected,
        usage=service().queries.usage(g.account.id),
    )


@bp.post("/bindings")
def new_binding() -> Response:
    try:
        created = service().create_binding(g.account.id)
    except PlanLimitExceeded as refused:
        flash(sentence(refused.message), "error")
        return redirect(url_for("dashboard.bindings"), code=303)
    return _show_once(created.binding_id, created.pairing_code, new=True)


@bp.get("/bindings/<binding_id>")
def binding(binding_id: str) -> str:
    view = service().queries.owned(g.account.id, binding_id)
    return render_template(
        "binding.html",
        binding=view.binding,
        reference=view.reference,
        broad_scopes=view.broad_scopes,
        broad_scope_notice=BROAD_SCOPE_NOTICE,
    )


@bp.post("/bindings/<binding_id>/pairing-code")
def new_pairing_code(binding_id: str) -> Response:
    code = service().new_pairing_code(g.account.id, binding_id)
    return _show_once(binding_id, code, new=False)


@bp.get("/bindings/<binding_id>/pairing-code")
def pairing_code(binding_id: str) -> str:
    """The only place a pairing code is shown, once; the page is never cached."""
    view = service().queries.owned(g.account.id, binding_id)
    kept = session.pop(SHOWN_CODE, None)
    code = kept["code"] if kept and kept.get("binding") == binding_id else None
    config: HttpConfig = current_app.extensions["ledger_http"]
    return render_template(
        "pairing_code.html",
        binding=view.binding,
        code=code,
        new=request.args.get("new") == "1",
        api_url=f"{config.public_url}/api/v1/pairings" if config.public_url else "",
    )


@bp.post("/bindings/<binding_id>/delete")
def delete(binding_id: str) -> Response:
    try:
        service().disconnect.delete_unpaired(g.account.id, binding_id)
    except InvalidTransition as refused:
        flash(sentence(refused.message), "error")
        return redirect(url_for("dashboard.binding", binding_id=binding_id), code=303)
    flash("The binding was deleted; its pairing code no longer works.", "success")
    return redirect(url_for("dashboard.bindings"), code=303)


def _show_once(binding_id: str, code: str, new: bool) -> Response:
    session[SHOWN_CODE] = {"binding": binding_id, "code": code}
    target = url_for("dashboard.pairing_code", binding_id=binding_id, new="1" if new else None)
    return redirect(target, code=303)


def _newest_first() -> list[Binding]:
    rows = service().queries.bindings(g.account.id)
    return sorted(rows, key=lambda b: b.created_at, reverse=True)
