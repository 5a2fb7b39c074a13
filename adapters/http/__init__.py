"""The dashboard and the Magento JSON API: a Flask app built around one LedgerConnect.

Cookies, CSRF and headers: the session cookie (`HttpConfig.session_cookie_name`) is HttpOnly,
SameSite=Lax and Secure when configured, and points at a server-side session
(domain.sessions) that logout, a password change and `accounts logout-all` end. Every
browser POST carries a Flask-WTF CSRF token, and the JSON API under /api/v1 is exempt
because it authenticates with a pairing code or a connector secret, never a cookie.
Referrer-Policy is `no-referrer` on every page, so the token check runs without
Flask-WTF's HTTPS Referer check (`WTF_CSRF_SSL_STRICT` off). Serve it with a server that
does not log query strings (waitress does not log requests): the OAuth callback's URL
carries Xero's code and state. Every request gets an id (the caller's `X-Request-ID`, or a
new one), answered in `X-Request-ID` and put on its log lines.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from adapters.http.config import HttpConfig
from adapters.http.proxies import TrustedProxies, parse_networks
from adapters.request_ids import RequestIds
from domain.service import LedgerConnect
from domain.throttle import Rule

__all__ = ["HttpConfig", "create_app"]


def create_app(service: LedgerConnect, config: HttpConfig) -> Flask:
    from adapters.http import errors, security, templating
    from adapters.http.progress import ConnectProgress
    from adapters.http.throttle import LoginRules, LoginThrottle, PairingThrottle
    from adapters.http.views import api, auth, connect, dashboard, lifecycle, settings

    app = Flask(__name__)
    app.config.update(_flask_config(config))
    app.config["PERMANENT_SESSION_LIFETIME"] = service.sessions.lifetimes.absolute
    app.extensions["ledger"] = service
    app.extensions["ledger_http"] = config
    app.extensions["ledger_login_throttle"] = LoginThrottle(
        service.throttles,
        LoginRules(
            per_client=Rule(config.login_max_failures, config.login_window),
            per_device=Rule(config.login_max_failures, config.login_window),
        ),
        config.secret_key,
        f"{config.session_cookie_name}_device",
    )
    app.extensions["ledger_pairing_throttle"] = PairingThrottle(
        service.throttles, Rule(config.pairing_max_failures, config.pairing_window)
    )
    app.extensions["ledger_connect_progress"] = ConnectProgress(config.connect_in_background)
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)
    for module in (auth, dashboard, connect, settings, lifecycle, api):
        app.register_blueprint(module.bp)
    errors.register(app)
    security.install(app)
    templating.install(app, config)
    app.wsgi_app = RequestIds(app.wsgi_app)  # type: ignore[method-assign]
    if config.trusted_proxies:
        networks = parse_networks(config.trusted_proxies)
        app.wsgi_app = TrustedProxies(app.wsgi_app, networks)  # type: ignore[method-assign]
    return app


def _flask_config(config: HttpConfig) -> dict[str, object]:
    return {
        "SECRET_KEY": config.secret_key,
        "SESSION_COOKIE_NAME": config.session_cookie_name,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": config.cookie_secure,
        "MAX_CONTENT_LENGTH": config.max_body_bytes,
        "MAX_FORM_PARTS": 5000,
        "WTF_CSRF_SSL_STRICT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "TEMPLATES_AUTO_RELOAD": False,
    }
