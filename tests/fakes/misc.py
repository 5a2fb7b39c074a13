"""Fakes of the small ports: clock, ids, secrets, background tasks, plans."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.account import Plan


@dataclass
class FakeClock:
    current: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class SequentialIds:
    def __init__(self, prefix: str = "id") -> None:
        self._counter = itertools.count(1)
        self._prefix = prefix

    def new_id(self) -> str:
        return f"{self._prefix}-{next(self._counter)}"


class SequentialSecrets:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def token(self, nbytes: int = 32) -> str:
        return f"secret-{next(self._counter):06d}"


class QueuedTasks:
    """Background work waits until the test runs it, so tests see both moments."""

    def __init__(self) -> None:
        self.queue: list[tuple[str, Callable[[], None]]] = []

    def submit(self, name: str, task: Callable[[], None]) -> None:
        self.queue.append((name, task))

    def run_all(self) -> int:
        ran = 0
        while self.queue:
            _, task = self.queue.pop(0)
            task()
            ran += 1
        return ran


class FakePlans:
    def __init__(self, *plans: Plan) -> None:
        self._plans = {p.name: p for p in plans} or {
            "starter": Plan("starter", 1, 1),
            "growth": Plan("growth", 3, 5),
        }

    def get(self, name: str) -> Plan | None:
        return self._plans.get(name)
