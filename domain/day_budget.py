"""Our own share of one organisation's daily Xero calls (xero-facts §4, §11).

Xero allows each organisation a fixed number of calls a day (5,000; 1,000 on Starter), shared
by every app's callers: our reference refresh and, mostly, the sync services. We spend at
most our configured share in any 24 hours, and never what Xero's `X-DayLimit-Remaining`
says is no longer there. What does not fit is postponed, not failed. Xero's day windows are
fixed and reset at a time of their own per organisation, so its last report counts until it
says the window resets (a 429's Retry-After) or, failing that, for 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

DAY = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class DayBudget:
    started_at: datetime | None = None
    calls: int = 0
    xero_remaining: int | None = None
    reported_at: datetime | None = None
    resets_at: datetime | None = None

    def ours(self, now: datetime) -> int:
        """Our calls in the current 24-hour window."""
        if self.started_at is None or now - self.started_at >= DAY:
            return 0
        return self.calls

    def xero_left(self, now: datetime) -> int | None:
        """What Xero last said is left of the organisation's day, while that still holds."""
        if self.xero_remaining is None or self.reported_at is None:
            return None
        until = self.resets_at or self.reported_at + DAY
        return self.xero_remaining if now < until else None

    def fits(self, calls: int, share: int, now: datetime) -> bool:
        left = self.xero_left(now)
        return self.ours(now) + calls <= share and (left is None or left >= calls)

    def spent(self, calls: int, xero_remaining: int | None, now: datetime) -> DayBudget:
        """After `calls` of ours, with what Xero reported (None: it sent no header)."""
        fresh = self.started_at is None or now - self.started_at >= DAY
        budget = replace(
            self,
            started_at=now if fresh else self.started_at,
            calls=calls if fresh else self.calls + calls,
        )
        if xero_remaining is None:
            return budget
        return replace(budget, xero_remaining=xero_remaining, reported_at=now, resets_at=None)

    def exhausted(self, now: datetime, retry_after: float | None) -> DayBudget:
        """Xero answered 429 for the day: nothing is left until the window resets."""
        resets = now + timedelta(seconds=retry_after) if retry_after else now + DAY
        return replace(self, xero_remaining=0, reported_at=now, resets_at=resets)
