"""Log in and out. Failed logins are throttled per email and client IP (see throttle.py)."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from adapters.http.security import log_in, log_out, service, signed_in_account_id
from adapters.http.throttle import Throttle
from adapters.passwords import verify_password

bp = Blueprint("auth", __name__)
MAX_EMAIL = 254


@bp.get("/")
def index() -> Response:
    target = "dashboard.home" if signed_in_account_id() else "auth.login"
    return redirect(url_for(target), code=303)


@bp.get("/login")
def login() -> str:
    return render_template("login.html", email="", error=None)


@bp.post("/login")
def submit_login() -> Response | tuple[str, int]:
    email = request.form.get("email", "").strip().lower()[:MAX_EMAIL]
    password = request.form.get("password", "")
    key = f"{email}|{request.remote_addr}"
    wait = _throttle().retry_after(key)
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        error = f"Too many failed attempts. Try again in {minutes} minute(s)."
        return render_template("login.html", email=email, error=error), 429
    account = service().accounts.by_email(email) if email else None
    stored = account.password_hash if account else None
    if not verify_password(stored, password) or account is None:
        _throttle().failed(key)
        return render_template("login.html", email=email, error="Wrong email or password."), 401
    _throttle().succeeded(key)
    log_in(account)
    return redirect(url_for("dashboard.home"), code=303)


@bp.post("/logout")
def logout() -> Response:
    log_out()
    return redirect(url_for("auth.login"), code=303)


def _throttle() -> Throttle:
    throttle: Throttle = current_app.extensions["ledger_login_throttle"]
    return throttle
