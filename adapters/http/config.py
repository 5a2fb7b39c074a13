"""What the HTTP adapter needs from configuration; the composition root builds it from Settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from domain.scopes import SYNC_SCOPES

MIN_SECRET_KEY = 32


@dataclass(frozen=True, slots=True)
class HttpConfig:
    """Session, cookie and abuse settings of the dashboard and the Magento JSON API.

    `cookie_secure` must be true whenever the dashboard is served over HTTPS; it also turns on
    HSTS. The session cookie has its own name because the demo emulator runs on another port of
    the same host, and browsers share cookies across ports. `trusted_proxies` names the reverse
    proxies (addresses or CIDR blocks) whose X-Forwarded-For/-Proto are believed; the
    throttles key on the client address, so set it behind a load balancer (empty: none).
    """

    secret_key: str = field(repr=False)
    cookie_secure: bool = True
    session_cookie_name: str = "ledger_session"
    demo_banner: str | None = None
    public_url: str = ""
    login_max_failures: int = 5
    login_window: timedelta = timedelta(minutes=15)
    pairing_max_failures: int = 20
    pairing_window: timedelta = timedelta(minutes=15)
    max_body_bytes: int = 1024 * 1024
    trusted_proxies: tuple[str, ...] = ()
    connect_in_background: bool = True
    """Finish Xero's callback off the request behind a progress page (False: inline, tests)."""
    xero_scopes: tuple[str, ...] = SYNC_SCOPES
    """What the authorize URL asks for: the Connect page says each one in plain words."""

    def __post_init__(self) -> None:
        if len(self.secret_key) < MIN_SECRET_KEY:
            raise ValueError(f"the HTTP secret key must be at least {MIN_SECRET_KEY} characters")
        if self.login_max_failures < 1 or self.pairing_max_failures < 1:
            raise ValueError("throttle limits must allow at least one attempt")
        if self.max_body_bytes < 1024:
            raise ValueError("max_body_bytes must be at least 1024")
