"""Configuration of an emulator instance: registered apps, token lifetimes and rate limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CLIENT_ID = "LEDGERDEMOCLIENT00000000000000000"
DEFAULT_CLIENT_SECRET = "emulator-demo-secret"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8080/oauth/xero/callback"
DAY = 24 * 3600


@dataclass(frozen=True, slots=True)
class ClientRegistration:
    """An app registered with the emulator, as on developer.xero.com."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]
    app_name: str = "Ledger Connect (emulated)"

    def __post_init__(self) -> None:
        object.__setattr__(self, "redirect_uris", tuple(self.redirect_uris))
        if not self.client_id or not self.client_secret:
            raise ValueError("client_id and client_secret are required")
        if not self.redirect_uris:
            raise ValueError("at least one redirect URI is required")


@dataclass(frozen=True, slots=True)
class RateLimitSettings:
    """Xero's published API limits, adjustable so benchmarks can scale them down."""

    per_org_minute: int = 60
    per_org_day: int = 5000
    concurrent: int = 5
    app_minute: int = 10_000


def default_client() -> ClientRegistration:
    """The demo app registration used when none is configured."""
    return ClientRegistration(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, (DEFAULT_REDIRECT_URI,))


@dataclass(frozen=True, slots=True)
class EmulatorSettings:
    """Everything an emulator instance needs to know at start-up."""

    clients: tuple[ClientRegistration, ...] = field(default_factory=lambda: (default_client(),))
    access_token_lifetime_s: int = 1800
    refresh_grace_s: int = 1800
    refresh_lifetime_s: int = 60 * DAY
    code_lifetime_s: int = 300
    limits: RateLimitSettings = field(default_factory=RateLimitSettings)
    bulk_connections: bool = False
    # The developer tier's cap on organisations connected to each app (demo companies do
    # not count); None is unlimited. At the cap, consent for a new organisation ends on
    # Xero's "connection limit" page and never returns to the app.
    connection_cap: int | None = None
    # How "nothing changed since If-Modified-Since" is answered: "304" or "empty" (200 and
    # an empty list); Xero has been seen doing both.
    unchanged_answer: str = "304"
    timeout_sleep_s: float = 30.0
    issuer: str = "https://identity.xero.com"
    session_secret: str | None = field(default=None, repr=False)
    state_file: Path | None = None
    """Where the world is kept across restarts (see snapshot.py); None keeps it in memory."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "clients", tuple(self.clients))
        if not self.clients:
            raise ValueError("at least one client registration is required")

    def client(self, client_id: str) -> ClientRegistration | None:
        """The registration for client_id, if any."""
        return next((c for c in self.clients if c.client_id == client_id), None)
