"""A signed-in browser: a server-side record the cookie only points at (DESIGN §13).

The cookie carries a random token; the record stores its SHA-256, so a database reader cannot
sign in with what is stored. A session ends at logout, at a password change, when an operator
ends all of an account's sessions, after `idle` without use, and `absolute` after sign-in
whatever the use (OWASP ASVS 3.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

# How stale `last_seen_at` may get before a request writes it again: idle expiry is exact to
# within this, and a busy page does not write on every request.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class SessionLifetimes:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)

    def __post_init__(self) -> None:
        if self.idle <= TOUCH_EVERY or self.absolute < self.idle:
            raise ValueError("the idle timeout must exceed a minute, the lifetime the idle timeout")


@dataclass(slots=True)
class BrowserSession:
    token_hash: str = field(repr=False)
    account_id: str
    created_at: datetime
    last_seen_at: datetime

    def alive(self, now: datetime, lifetimes: SessionLifetimes) -> bool:
        return (
            now - self.last_seen_at < lifetimes.idle and now - self.created_at < lifetimes.absolute
        )

    def needs_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_EVERY
