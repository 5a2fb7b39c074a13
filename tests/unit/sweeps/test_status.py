"""What operators see: bindings by status, refresh-exhausted bindings, sweep backlogs."""

from __future__ import annotations

from datetime import timedelta

from domain.account import Account
from domain.schedule import Backlog
from domain.usecases.sweeps import Sweeps
from domain.values import BindingStatus
from tests.fakes.world import World
from tests.unit.sweeps.conftest import connect

S = BindingStatus


def test_counts_and_backlogs(world: World, account: Account, sweeps: Sweeps) -> None:
    first, second, third = connect(world, account, 3)
    world.needs_reconnect(third)
    world.paired(account, "https://paired.example.com")
    start = world.clock.now()
    world.clock.advance(days=8)
    status = sweeps.status()
    assert status.at == world.clock.now()
    assert {k: v for k, v in status.bindings.items() if v} == {
        S.CONNECTED: 2,
        S.PAIRED: 1,
        S.NEEDS_RECONNECT: 1,
    }
    assert status.tokens == Backlog(2, start + timedelta(days=7))
    assert status.tokens.lag(world.clock.now()) == timedelta(days=1)
    assert status.reference == Backlog(1, start + timedelta(days=1))
    assert status.exhausted == 0
