"""One tick runs every sweep; a failing one spares the rest; a halt ends the tick early."""

from __future__ import annotations

import pytest

from domain.account import Account
from domain.errors import StorageUnavailable
from domain.usecases.sweeps import Sweeps
from tests.fakes.store import FakeGrants
from tests.fakes.world import World
from tests.unit.sweeps.conftest import connect


def test_a_tick_runs_every_sweep(world: World, account: Account, sweeps: Sweeps) -> None:
    connect(world, account)
    world.clock.advance(days=7, seconds=1)
    results = sweeps.tick()
    assert [r.sweep for r in results] == [
        "tokens",
        "connections",
        "reference",
        "housekeeping",
        "tiers",
    ]
    assert results[0].outcomes == {"refreshed": 1} and not any(r.failed for r in results)


def test_the_database_away_fails_one_sweep_not_the_tick(
    world: World, account: Account, sweeps: Sweeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(world, account)
    world.clock.advance(days=7, seconds=1)

    def away(*_: object) -> None:
        raise StorageUnavailable("the database is not answering")

    monkeypatch.setattr(FakeGrants, "backlog", away)
    results = {r.sweep: r for r in sweeps.tick()}
    assert results["tokens"].failed
    assert results["reference"].outcomes == {"refreshed": 1}


def test_a_halt_finishes_the_item_at_hand_and_starts_no_other(
    world: World, account: Account, sweeps: Sweeps
) -> None:
    connect(world, account, 3)
    world.clock.advance(days=30)
    world.xero.on_refresh = lambda _: sweeps.halt()
    assert sweeps.tokens() == {"refreshed": 1}
