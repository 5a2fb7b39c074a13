"""Webhooks: operator-configured subscribers receive binding events in the Standard Webhooks
format (https://www.standardwebhooks.com), at least once, in revision order (DESIGN §12).

A subscriber's cursor is the last revision it acknowledged with a 2xx. A failure keeps the
cursor where it is and schedules the next attempt with exponential backoff and jitter; a
subscriber that has failed for `disable_after` (or answered 410 Gone) is disabled until an
operator enables it again. The message id is the event's revision, so a redelivery (after a
timeout, a crash or a replica taking over) carries the same `webhook-id` and the receiver can
drop duplicates. Payloads hold the event as the outbox has it: ids, kind, status and reason,
never a token or secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from domain.errors import ValidationFailed
from domain.events import BindingEvent
from domain.values import EventKind

SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)  # the Standard Webhooks bounds for an HMAC-SHA256 secret
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One receiver: a name for the log, its URL, its signing secret, the kinds it wants
    (empty: every kind). Plain http is accepted for loopback receivers only."""

    name: str
    url: str
    secret: str = field(repr=False)
    kinds: frozenset[EventKind] = frozenset()

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise ValidationFailed(
                "name must be 1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit"
            )
        _check_url(self.url)
        signing_key(self.secret)

    def wants(self, kind: EventKind) -> bool:
        return not self.kinds or kind in self.kinds


def signing_key(secret: str) -> bytes:
    """The HMAC key a `whsec_<base64>` secret stands for; refuses anything else."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    problem = (
        f"secret must be {SECRET_PREFIX} followed by the base64 of {SECRET_BYTES[0]} "
        f"to {SECRET_BYTES[1]} random bytes"
    )
    if encoded == secret:
        raise ValidationFailed(problem)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(problem) from None
    if not SECRET_BYTES[0] <= len(key) <= SECRET_BYTES[1]:
        raise ValidationFailed(problem)
    return key


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValidationFailed("url is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationFailed("url must be an https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed("url must not carry credentials; the secret signs each request")
    if parts.fragment:
        raise ValidationFailed("url must not have a #fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValidationFailed("url must be https:// (plain http only to a loopback address)")


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- the message ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookMessage:
    """One signed request, ready to POST: the body is sent byte for byte as signed."""

    url: str
    webhook_id: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


def webhook_id(event: BindingEvent) -> str:
    """The same for every attempt of one event, to every subscriber: its revision."""
    assert event.revision is not None, "only committed events are delivered"
    return f"evt_{event.revision}"


def payload(event: BindingEvent) -> bytes:
    """`{"type", "timestamp", "data"}` as the standard suggests; compact, keys sorted."""
    assert event.revision is not None and event.status is not None
    document = {
        "type": f"binding.{event.kind.value}",
        "timestamp": _iso(event.at),
        "data": {
            "revision": event.revision,
            "binding_id": event.binding_id,
            "account_id": event.account_id,
            "kind": event.kind.value,
            "status": event.status.value,
            "reason": event.reason,
        },
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under the secret's key."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def message(subscriber: Subscriber, event: BindingEvent, now: datetime) -> WebhookMessage:
    """The event signed for this attempt: the timestamp is the attempt's, not the event's."""
    body, message_id, timestamp = payload(event), webhook_id(event), int(now.timestamp())
    headers = (
        ("content-type", "application/json"),
        ("webhook-id", message_id),
        ("webhook-timestamp", str(timestamp)),
        ("webhook-signature", sign(subscriber.secret, message_id, timestamp, body)),
    )
    return WebhookMessage(subscriber.url, message_id, headers, body)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- sending, retrying, giving up -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one POST came to: the HTTP status (None when no answer came), a short error for
    the log (never a response body), and the receiver's Retry-After in seconds if it sent one."""

    status: int | None
    error: str = ""
    retry_after_s: float | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """410: the receiver asks never to be sent anything again."""
        return self.status == 410


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    """How hard to try. The n-th consecutive failure waits `first_retry * 2**(n-1)`, capped at
    `max_backoff`, times a random factor in [0.5, 1) (so receivers that come back are not hit
    by every sender at once), or the receiver's Retry-After when that is longer (still
    capped). Failing for `disable_after` disables the subscriber."""

    first_retry: timedelta = timedelta(seconds=5)
    max_backoff: timedelta = timedelta(hours=1)
    disable_after: timedelta = timedelta(hours=24)
    timeout_s: float = 10.0
    batch: int = 100

    def __post_init__(self) -> None:
        if self.first_retry <= timedelta(0) or self.max_backoff < self.first_retry:
            raise ValidationFailed("the first retry must be positive and at most the maximum")
        if self.disable_after <= timedelta(0) or self.timeout_s <= 0 or self.batch < 1:
            raise ValidationFailed("disable_after, timeout and batch must be positive")

    @property
    def lease(self) -> timedelta:
        """How long a claim on a subscriber lasts; renewed after every attempt, so it only
        runs out when its holder died or hangs (then another replica takes over)."""
        return timedelta(seconds=2 * self.timeout_s + 10)

    def backoff(self, failures: int, jitter: float, retry_after_s: float | None) -> timedelta:
        """`jitter` is uniform in [0, 1)."""
        exponent = min(failures - 1, 40)
        delay: timedelta = min(self.first_retry * 2**exponent, self.max_backoff)
        delay *= 0.5 + jitter / 2
        if retry_after_s is not None:
            delay = max(delay, timedelta(seconds=retry_after_s))
        return min(delay, self.max_backoff)


@dataclass(frozen=True, slots=True)
class WebhookCursor:
    """Where a subscriber stands: delivered through `delivered_through`; `failures` attempts
    of the next event have failed since `failing_since`; no attempt before `next_attempt_at`."""

    subscriber: str
    delivered_through: int
    failures: int = 0
    failing_since: datetime | None = None
    next_attempt_at: datetime | None = None
    disabled_at: datetime | None = None
    disabled_reason: str = ""

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def due(self, now: datetime) -> bool:
        return not self.disabled and (self.next_attempt_at is None or self.next_attempt_at <= now)

    def has_work(self, head: int, now: datetime) -> bool:
        return head > self.delivered_through and self.due(now)

    def passed(self, revision: int) -> WebhookCursor:
        """Acknowledged, or not wanted by this subscriber: the next event is up."""
        return replace(
            self, delivered_through=revision, failures=0, failing_since=None, next_attempt_at=None
        )

    def failed(
        self, result: SendResult, now: datetime, policy: WebhookPolicy, jitter: float
    ) -> WebhookCursor:
        failures, since = self.failures + 1, self.failing_since or now
        failing = replace(self, failures=failures, failing_since=since)
        if result.gone:
            return failing.disable(now, "the receiver answered 410 Gone")
        if now - since >= policy.disable_after:
            return failing.disable(now, f"failing since {_iso(since)}")
        return replace(
            failing, next_attempt_at=now + policy.backoff(failures, jitter, result.retry_after_s)
        )

    def disable(self, now: datetime, reason: str) -> WebhookCursor:
        return replace(self, disabled_at=now, disabled_reason=reason, next_attempt_at=None)

    def enabled(self) -> WebhookCursor:
        return WebhookCursor(self.subscriber, self.delivered_through)


# --- the delivery log -----------------------------------------------------------------------


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    # The attempt that disabled the subscriber (it failed too).
    DISABLED = "disabled"
    # Compaction removed events a disabled subscriber had not received: they are passed over.
    SKIPPED = "skipped"
    ENABLED = "enabled"
    # An operator deleted the cursor of a subscriber no longer configured anywhere.
    FORGOTTEN = "forgotten"


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One line of the delivery log: an attempt, or an operator's or compaction's mark."""

    subscriber: str
    outcome: DeliveryOutcome
    at: datetime
    revision: int
    webhook_id: str = ""
    binding_id: str = ""
    kind: str = ""
    attempt: int = 0
    http_status: int | None = None
    error: str = ""
    seconds: float = 0.0
    id: int | None = None


@dataclass(frozen=True, slots=True)
class DeliveryQuery:
    """Which log lines to show, newest first; an empty field matches everything."""

    subscriber: str = ""
    binding_id: str = ""
    outcomes: frozenset[DeliveryOutcome] = frozenset()
    since: datetime | None = None
    limit: int = 50

    @classmethod
    def of(
        cls,
        subscriber: str = "",
        binding_id: str = "",
        outcomes: Collection[DeliveryOutcome] = (),
        since: datetime | None = None,
        limit: int = 50,
    ) -> DeliveryQuery:
        if not 1 <= limit <= 10_000:
            raise ValidationFailed("limit must be between 1 and 10000")
        return cls(subscriber, binding_id, frozenset(outcomes), since, limit)


@dataclass(frozen=True, slots=True)
class SubscriberStatus:
    """A subscriber as operators see it: its cursor against the outbox's head."""

    subscriber: str
    configured: bool
    cursor: WebhookCursor | None
    head: int

    @property
    def behind(self) -> int:
        return 0 if self.cursor is None else max(0, self.head - self.cursor.delivered_through)
