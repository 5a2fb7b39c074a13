"""Response headers every answer carries, and the browser session: who is logged in (a
server-side session the signed cookie points at), and which browser session a Xero
authorisation belongs to."""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, redirect, request, session, url_for

from adapters.web_headers import CSP, HEADERS
from domain.account import Account
from domain.errors import NotFound
from domain.service import LedgerConnect

# The session cookie's key for the server-side session token (domain.sessions).
AUTH = "auth"


def service() -> LedgerConnect:
    ledger: LedgerConnect = current_app.extensions["ledger"]
    return ledger


def csp_nonce() -> str:
    """This answer's script nonce: the only scripts a page may run carry it (busy.js)."""
    nonce: str = g.setdefault("csp_nonce", secrets.token_urlsafe(18))
    return nonce


def add_headers(response: Response) -> Response:
    """Strict headers everywhere; nothing but static files may be cached. A page that loads
    a script names it by this answer's nonce; no other script, inline or not, runs."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if "csp_nonce" in g:
        response.headers["Content-Security-Policy"] = f"{CSP}; script-src 'nonce-{g.csp_nonce}'"
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def log_in(account: Account) -> None:
    """A new session for every login: a new server-side record and a new cookie, and nothing
    from the cookie before (a fixated or stolen one) survives it."""
    previous = session.get(AUTH)
    if previous:
        service().sessions.end(previous)
    session.clear()
    session.permanent = True
    session[AUTH] = service().sessions.open(account.id)
    session["sid"] = secrets.token_urlsafe(32)


def log_out() -> None:
    token = session.get(AUTH)
    if token:
        service().sessions.end(token)
    session.clear()


def signed_in_account_id() -> str | None:
    """The account of this request's live server-side session, or None (once per request)."""
    if "account_id" not in g:
        token = session.get(AUTH)
        g.account_id = service().sessions.resume(token) if isinstance(token, str) else None
        if g.account_id is None and token:
            session.clear()
    account_id: str | None = g.account_id
    return account_id


def require_login() -> Response | None:
    """Blueprint guard: loads `g.account`, or sends the browser to the login page."""
    account = current_account()
    if account is not None:
        return None
    return redirect(url_for("auth.login", next=_comes_back_to()), code=303)  # type: ignore[return-value]


def _comes_back_to() -> str | None:
    """The page to return to after login: a dashboard page opened with GET, never Xero's
    callback (its URL carries the code and state) and never the home page (the default)."""
    if request.method != "GET" or not request.path.startswith("/dashboard/"):
        return None
    return request.full_path.rstrip("?")


def browser_session_id() -> str:
    """The random id a Xero authorisation is bound to; never shown in a page or URL."""
    sid: str = session.setdefault("sid", secrets.token_urlsafe(32))
    return sid


def current_account() -> Account | None:
    """The logged-in account for page chrome, also on pages outside the guarded blueprints."""
    if "account" not in g:
        account_id = signed_in_account_id()
        try:
            g.account = service().queries.account(account_id) if account_id else None
        except NotFound:
            g.account = None
    account: Account | None = g.account
    return account


def install(app: Flask) -> None:
    app.after_request(add_headers)
