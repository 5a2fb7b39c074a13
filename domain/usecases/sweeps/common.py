"""What every sweep shares: the ports, the schedule, leases, pacing and the halt flag."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TypeVar

from domain.ports import Clock, UnitOfWorkFactory
from domain.schedule import Backlog, SweepSchedule, quota
from domain.usecases.tunables import Tunables

T = TypeVar("T")


class SweepContext:
    """One sweeper's view: the ports, the schedule, its lease name and halt flag."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        tunables: Tunables,
        schedule: SweepSchedule,
        holder: str,
    ) -> None:
        self.uow, self.clock, self.tunables = uow, clock, tunables
        self.schedule = schedule
        self.holder = holder
        self.halted = False

    def now(self) -> datetime:
        return self.clock.now()

    def until_halted(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            if self.halted:
                return
            yield item

    def quota(self, backlog: Backlog, now: datetime, spread: timedelta) -> int:
        s = self.schedule
        return quota(backlog, now, spread=spread, tick=s.tick, replicas=s.replicas, cap=s.batch)

    def release(self, *keys: str) -> None:
        """Give back leases this sweeper holds, in one unit of work, so the items are due
        again at once."""
        with self.uow() as uow:
            for key in keys:
                uow.leases.release(key, self.holder)
            uow.commit()

    def lease(self, key: str, until: datetime) -> bool:
        """Take `key` until `until` if no sweeper holds it; committed at once."""
        with self.uow() as uow:
            taken = uow.leases.acquire(key, self.holder, self.now(), until)
            uow.commit()
        return taken
