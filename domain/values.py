"""Small value types shared across the domain: environments, statuses, event kinds, URLs."""

from __future__ import annotations

import enum
from urllib.parse import urlsplit

from domain.errors import ValidationFailed


class Environment(enum.StrEnum):
    PRODUCTION = "production"
    SANDBOX = "sandbox"

    @classmethod
    def parse(cls, value: str) -> Environment:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ValidationFailed(
                f"unknown Xero environment {value!r}: use production or sandbox"
            ) from None


class BindingStatus(enum.StrEnum):
    AWAITING_PAIRING = "AWAITING_PAIRING"
    PAIRED = "PAIRED"
    CONNECTED = "CONNECTED"
    DEGRADED = "DEGRADED"
    NEEDS_RECONNECT = "NEEDS_RECONNECT"
    DISCONNECTED = "DISCONNECTED"

    @property
    def is_live(self) -> bool:
        return self is not BindingStatus.DISCONNECTED

    @property
    def has_xero(self) -> bool:
        return self in _WITH_XERO


_WITH_XERO = frozenset(
    {BindingStatus.CONNECTED, BindingStatus.DEGRADED, BindingStatus.NEEDS_RECONNECT}
)


class EventKind(enum.StrEnum):
    CREATED = "created"
    PAIRED = "paired"
    PROFILE_UPDATED = "profile_updated"
    CONNECTED = "connected"
    TOKEN_REFRESHED = "token_refreshed"
    REFRESH_FAILED = "refresh_failed"
    REFRESH_EXHAUSTED = "refresh_exhausted"
    RECOVERED = "recovered"
    NEEDS_RECONNECT = "needs_reconnect"
    REFERENCE_REFRESHED = "reference_refreshed"
    SETTINGS_CHANGED = "settings_changed"
    CHOICE_UNAVAILABLE = "choice_unavailable"
    DISCONNECTED = "disconnected"
    UNPAIRED = "unpaired"
    ENVIRONMENT_CHANGED = "environment_changed"


def normalise_base_url(raw: str) -> str:
    """Canonical form of a Magento base URL: lower-case scheme and host, no default port,
    no query or fragment, no trailing slash. Two spellings of one install compare equal."""
    text = (raw or "").strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("magento_url must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise ValidationFailed("magento_url must not carry credentials")
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    port = parts.port
    default = {"http": 80, "https": 443}[scheme]
    netloc = host if port in (None, default) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return f"{scheme}://{netloc}{path}"
