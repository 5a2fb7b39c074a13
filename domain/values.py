"""Small value types shared across the domain: environments, statuses, event kinds, URLs."""

from __future__ import annotations

import enum
import ipaddress
import re
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

    @property
    def hands_out_tokens(self) -> bool:
        """Only these refresh a token, hand one out or fetch from Xero; the others are not
        swept."""
        return self in TOKEN_STATUSES


_WITH_XERO = frozenset(
    {BindingStatus.CONNECTED, BindingStatus.DEGRADED, BindingStatus.NEEDS_RECONNECT}
)
TOKEN_STATUSES = frozenset({BindingStatus.CONNECTED, BindingStatus.DEGRADED})
"""The statuses that may hand out tokens (and so are refreshed and swept)."""


class EventKind(enum.StrEnum):
    CREATED = "created"
    PAIRED = "paired"
    PAIRING_REFUSED = "pairing_refused"
    PROFILE_UPDATED = "profile_updated"
    CONNECTED = "connected"
    TOKEN_REFRESHED = "token_refreshed"
    REFRESH_FAILED = "refresh_failed"
    REFRESH_EXHAUSTED = "refresh_exhausted"
    RECOVERED = "recovered"
    NEEDS_RECONNECT = "needs_reconnect"
    REFERENCE_REFRESHED = "reference_refreshed"
    CONNECT_REFUSED = "connect_refused"
    SETTINGS_CHANGED = "settings_changed"
    CHOICE_UNAVAILABLE = "choice_unavailable"
    DISCONNECTED = "disconnected"
    UNPAIRED = "unpaired"
    ENVIRONMENT_CHANGED = "environment_changed"


def normalise_base_url(raw: str) -> str:
    """Canonical form of a Magento base URL: lower-case scheme and host, no default port,
    no query or fragment, no trailing slash. Two spellings of one install compare equal.
    Anything that is not a plain http(s) URL with a valid host and port is refused."""
    text = (raw or "").strip()
    if _has_control_or_space(text):
        raise ValidationFailed("magento_url must not contain spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValidationFailed("magento_url has a malformed host or port") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("magento_url must be an absolute http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed("magento_url must not carry credentials")
    bracketed = "[" in parts.netloc or "]" in parts.netloc
    if bracketed and not _BRACKETED.match(parts.netloc):
        raise ValidationFailed("magento_url has a malformed IPv6 address")
    host = _host(parts.hostname, bracketed=bracketed)
    default = {"http": 80, "https": 443}[scheme]
    netloc = host if port in (None, default) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return f"{scheme}://{netloc}{path}"


def install_key(base_url: str) -> str:
    """What names one Magento install: the normalised URL without its scheme, so the http://
    and https:// spellings of one shop are one install."""
    return normalise_base_url(base_url).split("://", 1)[1]


_BRACKETED = re.compile(r"^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$")
_HOSTNAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?$")


def _host(hostname: str, *, bracketed: bool) -> str:
    host = hostname.lower()
    if bracketed:
        try:
            return f"[{ipaddress.IPv6Address(host)}]"
        except ValueError:
            raise ValidationFailed("magento_url has a malformed IPv6 address") from None
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationFailed("magento_url has a malformed host name") from None
    if len(ascii_host) > 253 or not _HOSTNAME.match(ascii_host):
        raise ValidationFailed("magento_url has a malformed host name")
    return host.rstrip(".")


def _has_control_or_space(text: str) -> bool:
    return any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text)
