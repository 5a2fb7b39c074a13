"""Log in and out. Login attempts are throttled (see throttle.py)."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from adapters.http.next_url import safe_next
from adapters.http.security import log_in, log_out, service, signed_in_account_id
from adapters.http.throttle import LoginThrottle
from adapters.passwords import verify_password

bp = Blueprint("auth", __name__)
MAX_EMAIL = 254


@bp.get("/")
def index() -> Response:
    target = "dashboard.home" if signed_in_account_id() else "auth.login"
    return redirect(url_for(target), code=303)


@bp.get("/login")
def login() -> str:
    return render_template("login.html", email="", error=None, next=_next())


@bp.post("/login")
def submit_login() -> Response | tuple[str, int]:
    email = request.form.get("email", "").strip().lower()[:MAX_EMAIL]
    password = request.form.get("password", "")
    wait = _throttle().attempt(request, email)
    if wait is not None:
        error = f"Too many failed attempts. Try again in {_in_words(wait)}."
        return render_template("login.html", email=email, error=error, next=_next()), 429
    account = service().accounts.by_email(email) if email else None
    stored = account.password_hash if account else None
    if not verify_password(stored, password) or account is None:
        error = "Wrong email or password."
        return render_template("login.html", email=email, error=error, next=_next()), 401
    log_in(account)
    response = redirect(_next() or url_for("dashboard.home"), code=303)
    _throttle().succeeded(request, response, email, current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.get("/logout")
def confirm_logout() -> Response | str:
    """Asks first: a link or a prefetch must never log the merchant out."""
    if not signed_in_account_id():
        return redirect(url_for("auth.login"), code=303)
    return render_template("logout.html")


@bp.post("/logout")
def logout() -> Response:
    log_out()
    flash("You are logged out.", "success")
    return redirect(url_for("auth.login"), code=303)


def _next() -> str | None:
    """The same-origin page to return to after login (`next=` of the query or the form)."""
    return safe_next(request.values.get("next"))


def _throttle() -> LoginThrottle:
    throttle: LoginThrottle = current_app.extensions["ledger_login_throttle"]
    return throttle


def _in_words(wait: timedelta) -> str:
    seconds = math.ceil(wait.total_seconds())
    if seconds < 60:
        return f"{seconds} second(s)"
    return f"{math.ceil(seconds / 60)} minute(s)"
