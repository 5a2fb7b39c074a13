"""A day of our own Xero calls for 10,000 bindings, paced by the sweep rules and sent through
the real OrgLimiter on a fake clock, fits Xero's limits: no 429, and no call even had to wait.

The sweeps' own logic is tested on fakes elsewhere; here the workload they produce is played
at full scale: every binding's /connections check at its slot every 6 hours (tenantless, so
the app budget only), and the worst case for reference data, every organisation falling due
at the same moment, refetched in two waves of 4 and 3 calls, each organisation's calls within
one tick. Xero counts in fixed minute windows that start at a different second per tenant.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from adapters.xero.limits import OrgLimiter
from domain.schedule import Backlog, SweepSchedule, quota, slot_phase

N = 10_000
DAY = timedelta(hours=24)
START = datetime(2026, 11, 2, tzinfo=UTC)
WAVES = (4, 3)


class FakeTime:
    def __init__(self) -> None:
        self.now = START.timestamp()
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FixedWindowXero:
    """Counts calls as Xero does and records each one over a limit as a 429."""

    def __init__(self, clock: FakeTime, per_org: int = 60, app: int = 10_000) -> None:
        self.clock, self.per_org, self.app = clock, per_org, app
        self.org_calls: Counter[tuple[str, int]] = Counter()
        self.app_calls: Counter[int] = Counter()
        self.rejected = 0

    def call(self, tenant: str | None) -> None:
        now = self.clock()
        minute = math.floor(now / 60)
        self.app_calls[minute] += 1
        over = self.app_calls[minute] > self.app
        if tenant is not None:
            offset = int(tenant.rsplit("-", 1)[1]) % 60
            window = (tenant, math.floor((now - offset) / 60))
            self.org_calls[window] += 1
            over = over or self.org_calls[window] > self.per_org
        self.rejected += over


def checks_by_tick(schedule: SweepSchedule) -> dict[int, int]:
    """How many /connections checks fall in each tick of the day."""
    period = schedule.connection_check
    assert period is not None
    tick = schedule.tick.total_seconds()
    per_tick: defaultdict[int, int] = defaultdict(int)
    for i in range(N):
        phase = slot_phase(f"binding-{i}", period)
        first = (phase - START.timestamp()) % period.total_seconds()
        for k in range(round(DAY / period)):
            per_tick[math.floor((first + k * period.total_seconds()) / tick)] += 1
    return per_tick


def test_a_day_of_sweeps_for_10_000_bindings_meets_no_429(replicas: int = 1) -> None:
    schedule = SweepSchedule(replicas=replicas)
    clock = FakeTime()
    limiter = OrgLimiter(
        app_per_minute=10_000 // replicas, max_wait_s=300, clock=clock, sleep=clock.sleep
    )
    xero = FixedWindowXero(clock, app=10_000 // replicas)

    def call(tenant: str | None) -> None:
        with limiter.call(tenant):
            xero.call(tenant)

    checks = checks_by_tick(schedule)
    due = [f"tenant-{i}" for i in range(N)]
    refreshed, checked, last_refresh = 0, 0, START.timestamp()
    ticks = round(DAY / schedule.tick)
    for t in range(ticks):
        tick_start = START.timestamp() + t * schedule.tick.total_seconds()
        clock.now = max(clock.now, tick_start)
        for _ in range(checks.get(t, 0)):
            call(None)
            checked += 1
        now = datetime.fromtimestamp(clock.now, UTC)
        take = quota(
            Backlog(len(due), START),
            now,
            spread=schedule.reference_spread,
            tick=schedule.tick,
            replicas=replicas,
            cap=schedule.batch,
        )
        # This process takes `take`; the other replicas take as many on their side.
        mine, due = due[:take], due[take * replicas :]
        for tenant in mine:
            for wave in WAVES:
                for _ in range(wave):
                    call(tenant)
            refreshed, last_refresh = refreshed + 1, clock.now
    assert xero.rejected == 0 and clock.slept == []
    assert checked == 4 * N
    assert due == [] and refreshed * replicas >= N
    spread = (schedule.reference_spread + schedule.tick).total_seconds()
    assert last_refresh - START.timestamp() <= spread
    assert max(xero.app_calls.values()) <= 10_000 // replicas
