"""The pacing rules: a backlog drains evenly by its deadline; checks spread over a period."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from domain.schedule import Backlog, quota, slot_in_window

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TICK = timedelta(seconds=15)
SPREAD = timedelta(minutes=5)


def take(count: int, due_since: datetime, now: datetime = NOW, **kw: int) -> int:
    return quota(Backlog(count, due_since), now, spread=SPREAD, tick=TICK, **kw)


class TestQuota:
    def test_nothing_due_takes_nothing(self) -> None:
        assert quota(Backlog(), NOW, spread=SPREAD, tick=TICK) == 0

    def test_a_single_item_is_taken_at_once(self) -> None:
        assert take(1, NOW) == 1

    def test_a_burst_drains_evenly_over_the_spread(self) -> None:
        now, left, taken = NOW, 2_000, []
        while left:
            n = take(left, NOW, now, cap=1_000)
            taken.append(n)
            left, now = left - n, now + TICK
        assert len(taken) == SPREAD / TICK
        assert max(taken) - min(taken) <= 1

    def test_replicas_share_the_work(self) -> None:
        assert take(2_000, NOW, cap=1_000, replicas=4) == 25

    def test_a_backlog_past_its_deadline_drains_at_the_cap(self) -> None:
        assert take(2_000, NOW - timedelta(hours=1), cap=100) == 100
        assert take(30, NOW - timedelta(hours=1), cap=100) == 30


class TestSlots:
    PERIOD = timedelta(hours=6)

    def windows(self, start: datetime, step: timedelta, n: int) -> list[tuple[datetime, datetime]]:
        return [(start + i * step, start + (i + 1) * step) for i in range(n)]

    def test_each_key_falls_in_exactly_one_window_of_a_period(self) -> None:
        keys = [f"binding-{i}" for i in range(300)]
        windows = self.windows(NOW, timedelta(minutes=7), int(self.PERIOD / timedelta(minutes=7)))
        windows[-1] = (windows[-1][0], NOW + self.PERIOD)
        hits = Counter(k for k in keys for s, e in windows if slot_in_window(k, s, e, self.PERIOD))
        assert set(hits.values()) == {1} and len(hits) == len(keys)

    def test_keys_spread_evenly_over_the_period(self) -> None:
        keys = [f"binding-{i}" for i in range(6_000)]
        per_hour = [
            sum(slot_in_window(k, s, e, self.PERIOD) for k in keys)
            for s, e in self.windows(NOW, timedelta(hours=1), 6)
        ]
        assert sum(per_hour) == 6_000 and all(900 < n < 1_100 for n in per_hour)

    def test_a_window_as_long_as_the_period_holds_every_key(self) -> None:
        assert slot_in_window("any", NOW, NOW + self.PERIOD, self.PERIOD)
        assert not slot_in_window("any", NOW, NOW, self.PERIOD)
