"""Home, the bindings list, one binding's page, and new bindings with their pairing codes."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request

from adapters.http.config import HttpConfig
from adapters.http.security import require_login, service

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.before_request(require_login)


@bp.get("")
def home() -> str:
    bindings = [b for b in service().queries.bindings(g.account.id) if b.is_live]
    usage = service().queries.usage(g.account.id)
    return render_template("home.html", bindings=bindings, usage=usage)


@bp.get("/bindings")
def bindings() -> str:
    rows = service().queries.bindings(g.account.id)
    just_connected = next((b for b in rows if b.id == request.args.get("connected")), None)
    return render_template("bindings.html", bindings=rows, just_connected=just_connected)


@bp.post("/bindings")
def new_binding() -> tuple[str, int]:
    created = service().create_binding(g.account.id)
    return _pairing_page(created.binding_id, created.pairing_code, new=True), 201


@bp.get("/bindings/<binding_id>")
def binding(binding_id: str) -> str:
    view = service().queries.owned(g.account.id, binding_id)
    return render_template("binding.html", binding=view.binding, reference=view.reference)


@bp.post("/bindings/<binding_id>/pairing-code")
def new_pairing_code(binding_id: str) -> str:
    code = service().new_pairing_code(g.account.id, binding_id)
    return _pairing_page(binding_id, code, new=False)


def _pairing_page(binding_id: str, code: str, new: bool) -> str:
    """The only place a pairing code is ever shown; the page is never cached."""
    config: HttpConfig = current_app.extensions["ledger_http"]
    return render_template(
        "pairing_code.html",
        binding_id=binding_id,
        code=code,
        new=new,
        api_url=f"{config.public_url}/api/v1/pairings" if config.public_url else "",
    )
