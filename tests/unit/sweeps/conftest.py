"""A service on fakes with room for many bindings, and sweepers over it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from domain.account import Account, Plan
from domain.schedule import SweepSchedule
from domain.usecases.sweeps import Sweeps
from tests.fakes.misc import FakePlans
from tests.fakes.world import World

SCHEDULE = SweepSchedule(tick=timedelta(seconds=15))
MakeSweeps = Callable[..., Sweeps]


@pytest.fixture
def world() -> World:
    return World(plans=FakePlans(Plan("scale", 500, 500)))


@pytest.fixture
def account(world: World) -> Account:
    return world.account(plan="scale")


@pytest.fixture
def make_sweeps(world: World) -> MakeSweeps:
    """`make_sweeps(schedule=..., replica=True)`: another process's sweeper shares only the
    database and Xero."""

    def make(schedule: SweepSchedule = SCHEDULE, replica: bool = False, name: str = "s1") -> Sweeps:
        container = world.boot() if replica else world.container
        return container.sweeps(schedule, name)

    return make


@pytest.fixture
def sweeps(make_sweeps: MakeSweeps) -> Sweeps:
    return make_sweeps()


def connect(
    world: World,
    account: Account,
    n: int = 1,
    tenant: str = "tenant-uk",
    user: str | None = "user-avery",
) -> list[str]:
    """`n` connected bindings, their reference data complete, Xero's counters at zero; all
    connected by `user`, or (None) each by a Xero user of its own."""
    ids = [
        world.connected(
            account,
            user=user or f"user-{i}-{tenant}",
            tenant=tenant,
            url=f"https://shop{i}.{tenant}.example.com",
        )
        for i in range(n)
    ]
    world.tasks.run_all()
    world.xero.refresh_calls = world.xero.list_calls = 0
    world.xero.fetches.clear()
    return ids
