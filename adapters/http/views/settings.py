"""A binding's sync settings (issue 6): mappings from the reference cache, filters, refresh."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from adapters.http.errors import public_message
from adapters.http.forms import field_name, parse_settings
from adapters.http.security import require_login, service
from adapters.http.templating import sentence
from domain.errors import DomainError, NotFound, ValidationFailed
from domain.policy import SyncPolicy
from domain.usecases.queries import BindingView

bp = Blueprint("settings", __name__, url_prefix="/dashboard/bindings/<binding_id>")
bp.before_request(require_login)


@bp.get("/settings")
def show(binding_id: str) -> str:
    view = service().queries.owned(g.account.id, binding_id)
    return _page(view, view.binding.policy)


@bp.post("/settings")
def save(binding_id: str) -> Response | tuple[str, int]:
    view = service().queries.owned(g.account.id, binding_id)
    parsed = parse_settings(request.form, view.binding, view.reference)
    if parsed.errors:
        return _page(view, parsed.policy, parsed.errors), 400
    try:
        service().save_settings(g.account.id, binding_id, parsed.policy)
    except ValidationFailed as refused:
        return _page(view, parsed.policy, {"form": sentence(refused.message)}), 400
    flash("Settings saved.", "success")
    return redirect(url_for("settings.show", binding_id=binding_id), code=303)


@bp.post("/settings/refresh")
def refresh(binding_id: str) -> Response:
    try:
        service().reference.refresh_owned(g.account.id, binding_id)
    except NotFound:
        raise  # not this account's binding: the 404 page, as for any other of its pages
    except DomainError as error:
        flash(f"Reference data was not refreshed: {sentence(public_message(error))}", "error")
    else:
        flash("Reference data refreshed from Xero.", "success")
    return redirect(url_for("settings.show", binding_id=binding_id), code=303)


def _page(view: BindingView, policy: SyncPolicy, errors: Mapping[str, str] | None = None) -> str:
    flags = view.binding.unavailable_choices(view.reference)
    return render_template(
        "settings.html",
        binding=view.binding,
        reference=view.reference,
        policy=policy,
        errors=errors or {},
        unavailable={field_name(flag.setting): flag for flag in flags},
    )
