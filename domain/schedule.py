"""When background work is due and how much of it one sweeper takes per tick (DESIGN §7).

Two rules, both pure so that a test can run a whole day of them on a fake clock:

- `quota`: a backlog drains evenly instead of in one burst. The item due longest must be
  handled within `spread` of falling due, so each tick takes `ceil(due / ticks_left)` where
  `ticks_left` counts the ticks until that deadline, shared by the replicas, never more than
  the batch cap. One item is taken at once; ten thousand falling due together drain over
  `spread`; a backlog already past its deadline drains at the batch cap.
- `slot_in_window`: every key (a binding id) owns a fixed moment in each `period`, derived
  from a hash of the key, so periodic checks of many bindings are spread evenly over the
  period and every sweeper agrees on when each one is due.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Backlog:
    """Items due for a sweep: how many, and since when the longest-waiting one has been due."""

    count: int = 0
    due_since: datetime | None = None

    def lag(self, now: datetime) -> timedelta:
        if self.count == 0 or self.due_since is None:
            return timedelta(0)
        return max(timedelta(0), now - self.due_since)


@dataclass(frozen=True, slots=True)
class SweepSchedule:
    """How often sweeps tick and how they pace themselves (LEDGER_SWEEP_* settings).

    `connection_check` None switches the periodic /connections check off.
    """

    tick: timedelta = timedelta(seconds=15)
    batch: int = 100
    replicas: int = 1
    token_spread: timedelta = timedelta(minutes=5)
    reference_spread: timedelta = timedelta(hours=1)
    reference_retry: timedelta = timedelta(minutes=15)
    connection_check: timedelta | None = timedelta(hours=6)
    housekeeping_every: timedelta = timedelta(minutes=1)

    def __post_init__(self) -> None:
        if self.tick <= timedelta(0) or self.batch < 1 or self.replicas < 1:
            raise ValueError("a sweep needs a positive tick, batch and replica count")


def quota(
    backlog: Backlog,
    now: datetime,
    *,
    spread: timedelta,
    tick: timedelta,
    replicas: int = 1,
    cap: int = 100,
) -> int:
    """How many due items one sweeper takes this tick (the rule in the module docstring)."""
    if backlog.count <= 0:
        return 0
    deadline = (backlog.due_since or now) + spread
    ticks_left = max(1, math.ceil((deadline - now) / tick))
    return min(cap, math.ceil(backlog.count / (ticks_left * replicas)))


def slot_phase(key: str, period: timedelta) -> float:
    """Seconds into each `period` (counted from the Unix epoch) at which `key` is due."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return (digest % int(period.total_seconds() * 1000)) / 1000


def slot_in_window(key: str, start: datetime, end: datetime, period: timedelta) -> bool:
    """Whether `key`'s moment in some `period` falls in the window (start, end]."""
    length = period.total_seconds()
    if end.timestamp() - start.timestamp() >= length:
        return True
    phase = slot_phase(key, period)
    return math.floor((end.timestamp() - phase) / length) > math.floor(
        (start.timestamp() - phase) / length
    )
