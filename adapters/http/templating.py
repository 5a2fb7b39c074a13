"""Jinja helpers: status colours and labels, dates, sentences, and what every page shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from adapters.http import wording
from adapters.http.config import HttpConfig
from adapters.http.security import csp_nonce, current_account
from domain.binding import Binding
from domain.reads import CredentialReads
from domain.values import BindingStatus, EventKind

S = BindingStatus
STATUS: dict[BindingStatus, tuple[str, str]] = {
    S.CONNECTED: ("green", "Connected"),
    S.DEGRADED: ("amber", "Degraded"),
    S.NEEDS_RECONNECT: ("red", "Needs reconnect"),
    S.PAIRED: ("grey", "Xero not connected"),
    S.AWAITING_PAIRING: ("grey", "Awaiting pairing"),
    S.DISCONNECTED: ("grey", "Disconnected"),
}
EVENT_LABELS = {
    EventKind.CREATED: "Binding created",
    EventKind.PAIRED: "Magento paired",
    EventKind.PAIRING_REFUSED: "Pairing refused by the plan",
    EventKind.PROFILE_UPDATED: "Magento profile updated",
    EventKind.CONNECTED: "Xero connected",
    EventKind.TOKEN_REFRESHED: "Token refreshed",
    EventKind.REFRESH_FAILED: "Token refresh failed",
    EventKind.REFRESH_EXHAUSTED: "Token refresh failing for days",
    EventKind.RECOVERED: "Recovered",
    EventKind.NEEDS_RECONNECT: "Needs reconnect",
    EventKind.REFERENCE_REFRESHED: "Reference data refreshed",
    EventKind.CONNECT_REFUSED: "Xero did not send you back",
    EventKind.SETTINGS_CHANGED: "Settings changed",
    EventKind.CHOICE_UNAVAILABLE: "Setting needs a new account",
    EventKind.DISCONNECTED: "Disconnected",
    EventKind.UNPAIRED: "Unpaired by Magento",
    EventKind.ENVIRONMENT_CHANGED: "Xero environment changed",
}


def when(value: datetime | None) -> str:
    if value is None:
        return "never"
    return value.strftime("%-d %b %Y, %H:%M UTC")


def read_today(reads: CredentialReads) -> str:
    """One caller's reads of today, in the merchant's words."""
    times = "once" if reads.count == 1 else f"{reads.count:,} times"
    return f"Read by {reads.caller}: {times} today, last at {reads.last_at:%H:%M} UTC"


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def magento_name(binding: Binding) -> str:
    return binding.magento.host if binding.magento else "awaiting pairing"


def xero_name(binding: Binding) -> str:
    return binding.xero.tenant_name if binding.xero else "not connected"


def tenths(used: int, allowed: int) -> int:
    """A meter's fill rounded up to a tenth: a CSS class suffix (the CSP bars inline styles)."""
    if allowed <= 0:
        return 100
    return min(100, -(-used * 10 // allowed) * 10)


def install(app: Flask, config: HttpConfig) -> None:
    app.jinja_env.filters.update(when=when, sentence=sentence, read_today=read_today)
    app.jinja_env.globals.update(
        status_colour=lambda b: STATUS[b.status][0],
        status_label=lambda b: STATUS[b.status][1],
        magento_name=magento_name,
        xero_name=xero_name,
        event_label=lambda e: EVENT_LABELS.get(e.kind, e.kind.value),
        event_reason=wording.event_reason,
        trouble=wording.trouble,
        cannot_reconnect=wording.cannot_reconnect,
        tenths=tenths,
        S=BindingStatus,
    )

    @app.context_processor
    def every_page() -> dict[str, Any]:
        return {
            "demo_banner": config.demo_banner,
            "account": current_account(),
            "csp_nonce": csp_nonce,
        }
