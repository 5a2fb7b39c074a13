"""What the merchant reads about a binding's trouble: the cause in plain words, never an HTTP
status, an OAuth error code or an API path. The domain's reasons stay as they are for
operators, events and gRPC callers; the pages say them this way. The one action (Reconnect,
Connect, nothing) is the page's button, so these sentences never name it again."""

from __future__ import annotations

import re

from domain.binding import Binding
from domain.events import BindingEvent
from domain.reference import ReferenceCache
from domain.usecases.lifecycle import GONE_REASON
from domain.usecases.reference import PARTNER_REASON
from domain.usecases.tokens import REAUTH_REASON
from domain.values import BindingStatus, EventKind

S = BindingStatus
REVOKED = (
    "Xero no longer accepts this connection's sign-in: it was withdrawn in Xero, "
    "or went unused for 60 days."
)
REMOVED = "The app was removed from this organisation inside Xero (Settings, Connected apps)."
PARTNER = "This organisation is a Xero Partner edition, which cannot raise invoices."
MOVED = "Your account now uses another Xero environment, so this connection no longer applies."
REFUSED_SOMEHOW = "Xero no longer accepts this connection."
NOT_ANSWERING = "Xero is not answering right now. We keep retrying; you need to do nothing."
RETRYING = "Xero did not answer; we keep retrying."


def trouble(binding: Binding) -> str:
    """Why a binding that needs the merchant is stuck, for its banner or row."""
    reason = binding.status_reason
    if binding.status is S.DEGRADED:
        return NOT_ANSWERING
    if binding.status is not S.NEEDS_RECONNECT:
        return ""
    return _needs_reconnect(reason)


def cannot_reconnect(binding: Binding) -> bool:
    """A reconnect cannot help: the organisation itself cannot invoice (a new binding can)."""
    return binding.status is S.NEEDS_RECONNECT and binding.status_reason == PARTNER_REASON


def event_reason(event: BindingEvent, reference: ReferenceCache | None = None) -> str:
    """An Activity entry's reason, in the same words as the banners; a settings change names
    its accounts as the Settings page does ("200 · Sales")."""
    if event.kind is EventKind.NEEDS_RECONNECT:
        return _needs_reconnect(event.reason)
    if event.kind is EventKind.ENVIRONMENT_CHANGED:
        return MOVED
    if event.kind is EventKind.REFRESH_FAILED:
        return RETRYING
    if event.kind in (EventKind.SETTINGS_CHANGED, EventKind.PROFILE_UPDATED) and reference:
        return _accounts_as_on_settings(event.reason, reference)
    return event.reason


def _accounts_as_on_settings(reason: str, reference: ReferenceCache) -> str:
    """The event keeps "200 Sales" (what WatchBindings and webhooks send); the page shows each
    account it still knows as "200 · Sales", only where a setting's value stands (after ": "
    or "→ ", before ";", " →" or the end)."""
    for account in reference.accounts:
        if account.code and account.name:
            plain = re.escape(f"{account.code} {account.name}")
            shown = f"{account.code} · {account.name}".replace("\\", "\\\\")
            reason = re.sub(rf"(?<=: |→ ){plain}(?=;| →|$)", shown, reason)
    return reason


# What each scope lets us do, in the order Xero's consent page would be read; each scope the
# authorize URL asks for is said, so the merchant is not surprised on Xero's page.
_SCOPE_WORDS = (
    (("accounting.contacts",), "create and update contacts for your shop's customers"),
    (("accounting.invoices",), "create invoices and credit notes for your shop's orders"),
    (("accounting.payments",), "record the payments made against them"),
    (
        ("accounting.transactions",),
        "create invoices, credit notes, payments and bank transactions for your shop's orders",
    ),
    (("accounting.banktransactions",), "create and read bank transactions (money in and out)"),
    (("accounting.attachments",), "add attachments, such as order documents, to them"),
    (("projects",), "create and update projects, their tasks and time entries"),
    (("projects.read",), "read your projects"),
    (
        ("accounting.settings.read",),
        "read your organisation's details, chart of accounts, tax rates, items, tracking "
        "categories, branding themes and currencies, so you can choose where sales go",
    ),
    (
        ("accounting.settings",),
        "read and change your organisation's settings: chart of accounts, tax rates, items "
        "and the like",
    ),
    (("accounting.reports.read",), "read your reports"),
    (("accounting.journals.read",), "read your journals"),
    (("openid", "profile", "email"), "see your name and email address at Xero"),
    (
        ("offline_access",),
        "stay connected until you disconnect, without asking you to sign in again",
    ),
)


def scopes_in_words(scopes: tuple[str, ...]) -> list[str]:
    """One plain line per thing Xero will ask the merchant to allow, for these scopes."""
    asked = set(scopes)
    lines = [words for names, words in _SCOPE_WORDS if asked & set(names)]
    known = {name for names, _ in _SCOPE_WORDS for name in names}
    lines += [f"use Xero's “{scope}” permission" for scope in scopes if scope not in known]
    return lines


def _needs_reconnect(reason: str) -> str:
    if reason == REAUTH_REASON:
        return REVOKED
    if reason == GONE_REASON:
        return REMOVED
    if reason == PARTNER_REASON:
        return PARTNER
    if reason.startswith("account moved to the "):
        return MOVED
    return REFUSED_SOMEHOW
