"""LEDGER_WEBHOOKS and the LEDGER_WEBHOOK_* tunables, checked strictly at start-up.

LEDGER_WEBHOOKS is a JSON list, one object per subscriber:
`{"name": "sync-invoices", "url": "https://...", "secret": "whsec_...", "kinds": [...]}`;
`kinds` is optional (every kind when left out). Errors name the entry and the field, never
the secret's value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from domain.errors import ValidationFailed
from domain.values import EventKind
from domain.webhooks import Subscriber, WebhookPolicy

VARIABLE = "LEDGER_WEBHOOKS"
FIELDS = frozenset({"name", "url", "secret", "kinds"})
REQUIRED = ("name", "url", "secret")


class WebhookSettingsError(ValueError):
    """LEDGER_WEBHOOKS or a LEDGER_WEBHOOK_* value is malformed (app.settings re-raises it)."""


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    subscribers: tuple[Subscriber, ...] = ()
    policy: WebhookPolicy = field(default_factory=WebhookPolicy)
    poll_s: float = 1.0


def webhook_settings(e: Mapping[str, str]) -> WebhookSettings:
    first_retry = _positive(e, "LEDGER_WEBHOOK_RETRY_S", 5.0)
    max_backoff = _positive(e, "LEDGER_WEBHOOK_MAX_BACKOFF_S", 3600.0)
    if first_retry > max_backoff:
        raise WebhookSettingsError(
            "LEDGER_WEBHOOK_RETRY_S must be at most LEDGER_WEBHOOK_MAX_BACKOFF_S"
        )
    policy = WebhookPolicy(
        first_retry=timedelta(seconds=first_retry),
        max_backoff=timedelta(seconds=max_backoff),
        disable_after=timedelta(hours=_positive(e, "LEDGER_WEBHOOK_DISABLE_AFTER_H", 24.0)),
        timeout_s=_positive(e, "LEDGER_WEBHOOK_TIMEOUT_S", 10.0),
    )
    subscribers = parse_subscribers(e.get(VARIABLE, ""))
    return WebhookSettings(subscribers, policy, _positive(e, "LEDGER_WEBHOOK_POLL_S", 1.0))


def parse_subscribers(text: str) -> tuple[Subscriber, ...]:
    if not text.strip():
        return ()
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as error:
        # The position only: the text around it may be a secret.
        raise WebhookSettingsError(
            f"{VARIABLE} is not valid JSON (line {error.lineno}, column {error.colno}); "
            'expected [{"name": ..., "url": ..., "secret": "whsec_...", "kinds": [...]}]'
        ) from None
    if not isinstance(entries, list):
        raise WebhookSettingsError(f"{VARIABLE} must be a JSON list of subscriber objects")
    subscribers = tuple(_subscriber(i, entry) for i, entry in enumerate(entries))
    names = [s.name for s in subscribers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise WebhookSettingsError(f"{VARIABLE} names {', '.join(duplicates)} more than once")
    return subscribers


def _subscriber(index: int, entry: Any) -> Subscriber:
    where = f"{VARIABLE}[{index}]"
    if not isinstance(entry, dict):
        raise WebhookSettingsError(f"{where} must be an object with name, url, secret, kinds")
    unknown = sorted(set(entry) - FIELDS)
    if unknown:
        raise WebhookSettingsError(f"{where} has unknown fields: {', '.join(unknown)}")
    for name in REQUIRED:
        if not isinstance(entry.get(name), str) or not entry[name]:
            raise WebhookSettingsError(f"{where}.{name} is required and must be a string")
    if isinstance(entry["name"], str) and entry["name"].isascii():
        where = f"{where} ({entry['name'][:64]})"
    try:
        return Subscriber(entry["name"], entry["url"], entry["secret"], _kinds(entry))
    except ValidationFailed as error:
        raise WebhookSettingsError(f"{where}: {error.message}") from None


def _kinds(entry: dict[str, Any]) -> frozenset[EventKind]:
    kinds = entry.get("kinds", [])
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise ValidationFailed("kinds must be a list of event kinds")
    known = {kind.value for kind in EventKind}
    unknown = sorted(set(kinds) - known)
    if unknown:
        raise ValidationFailed(
            f"unknown event kinds {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return frozenset(EventKind(k) for k in kinds)


def _positive(e: Mapping[str, str], key: str, default: float) -> float:
    try:
        value = float(e.get(key, default))
    except ValueError:
        raise WebhookSettingsError(f"{key} must be a number") from None
    if value <= 0:
        raise WebhookSettingsError(f"{key} must be more than 0")
    return value
