"""Response headers every answer carries, and the browser session: who is logged in, and which
browser session a Xero authorisation belongs to."""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, redirect, request, session, url_for

from domain.account import Account
from domain.errors import NotFound
from domain.service import LedgerConnect

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def service() -> LedgerConnect:
    ledger: LedgerConnect = current_app.extensions["ledger"]
    return ledger


def add_headers(response: Response) -> Response:
    """Strict headers everywhere; nothing but static files may be cached."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def log_in(account: Account) -> None:
    """A new session for every login (rotation): nothing from before survives it."""
    session.clear()
    session.permanent = True
    session["account_id"] = account.id
    session["sid"] = secrets.token_urlsafe(32)


def log_out() -> None:
    session.clear()


def require_login() -> Response | None:
    """Blueprint guard: loads `g.account`, or sends the browser to the login page."""
    account_id = session.get("account_id")
    if account_id:
        try:
            g.account = service().queries.account(account_id)
            return None
        except NotFound:
            session.clear()
    return redirect(url_for("auth.login"), code=303)  # type: ignore[return-value]


def browser_session_id() -> str:
    """The random id a Xero authorisation is bound to; never shown in a page or URL."""
    sid: str = session.setdefault("sid", secrets.token_urlsafe(32))
    return sid


def current_account() -> Account | None:
    """The logged-in account for page chrome, also on pages outside the guarded blueprints."""
    if "account" not in g and session.get("account_id"):
        try:
            g.account = service().queries.account(session["account_id"])
        except NotFound:
            return None
    account: Account | None = g.get("account")
    return account


def install(app: Flask) -> None:
    app.after_request(add_headers)
