"""Leaky buckets for abuse throttles: each attempt fills one unit, the bucket drains steadily.

A `Rule(capacity=5, per=15 min)` lets 5 attempts through at once and then one more every
3 minutes: an attacker is slowed to a crawl while a merchant who mistyped waits minutes,
not a lockout window. The same shape caps password hashes per address per second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Rule:
    capacity: int
    per: timedelta

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.per <= timedelta(0):
            raise ValueError("a throttle rule needs a capacity of 1 or more and a positive period")

    @property
    def drain_per_second(self) -> float:
        return self.capacity / self.per.total_seconds()


@dataclass(frozen=True, slots=True)
class Bucket:
    level: float
    at: datetime

    def drained(self, rule: Rule, now: datetime) -> float:
        elapsed = max(0.0, (now - self.at).total_seconds())
        return max(0.0, self.level - elapsed * rule.drain_per_second)

    def take(self, rule: Rule, now: datetime) -> tuple[Bucket, timedelta | None]:
        """The bucket after one more attempt, or itself and how long to wait when it is full."""
        level = self.drained(rule, now)
        if level + 1 > rule.capacity:
            wait = (level + 1 - rule.capacity) / rule.drain_per_second
            return self, timedelta(seconds=wait)
        return Bucket(level + 1, now), None

    def empty_at(self, rule: Rule) -> datetime:
        return self.at + timedelta(seconds=self.level / rule.drain_per_second)


EMPTY = Bucket(0.0, datetime.min.replace(tzinfo=UTC))
