"""The connection check: every connected binding asks /connections once per period, at its
own moment; an organisation gone from there needs reconnect; Xero down changes nothing."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

import pytest

from domain.account import Account
from domain.errors import ProviderUnavailable, ReauthRequired
from domain.schedule import SweepSchedule
from domain.usecases.lifecycle import GONE_REASON, ConnectionChecker
from domain.usecases.sweeps import Sweeps
from domain.usecases.sweeps.connections import ROSTER_MAX_AGE
from domain.values import BindingStatus
from tests.fakes.store import FakeBindings
from tests.fakes.world import World
from tests.unit.sweeps.conftest import MakeSweeps, connect

S = BindingStatus
TICK = timedelta(minutes=10)
SIX_HOURS = SweepSchedule(tick=TICK, connection_check=timedelta(hours=6))


def run(world: World, sweeps: list[Sweeps], duration: timedelta) -> Counter[str]:
    total: Counter[str] = Counter()
    for _ in range(int(duration / TICK)):
        world.clock.advance(seconds=TICK.total_seconds())
        for sweep in sweeps:
            total += sweep.connections()
    return total


class TestCadence:
    def test_each_binding_is_checked_once_every_six_hours_spread_out(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        connect(world, account, 12)
        sweeps = make_sweeps(SIX_HOURS)
        per_tick = []
        for _ in range(int(timedelta(hours=24) / TICK)):
            world.clock.advance(seconds=TICK.total_seconds())
            per_tick.append(sweeps.connections().total())
        assert sum(per_tick) == world.xero.list_calls == 48
        assert max(per_tick) <= 3

    def test_several_sweepers_check_each_binding_once(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        connect(world, account, 6)
        sweepers = [make_sweeps(SIX_HOURS, replica=True, name=f"s{i}") for i in range(3)]
        outcomes = run(world, sweepers, timedelta(hours=12))
        assert outcomes == {"present": 12, "taken": 24}
        assert world.xero.list_calls == 12

    def test_switched_off_it_never_asks(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        connect(world, account, 3)
        sweeps = make_sweeps(SweepSchedule(tick=TICK, connection_check=None))
        assert run(world, [sweeps], timedelta(hours=12)) == {}
        assert world.xero.list_calls == 0


class TestRevocation:
    @pytest.fixture
    def binding_id(self, world: World, account: Account) -> str:
        return connect(world, account)[0]

    def test_an_organisation_removed_in_xero_needs_reconnect_with_the_reason(
        self, world: World, make_sweeps: MakeSweeps, binding_id: str
    ) -> None:
        world.xero.remove_app("user-avery", "tenant-uk")
        assert run(world, [make_sweeps(SIX_HOURS)], timedelta(hours=6)) == {"needs_reconnect": 1}
        binding = world.binding(binding_id)
        assert (binding.status, binding.status_reason) == (S.NEEDS_RECONNECT, GONE_REASON)
        assert world.events(binding_id)[-1] == "needs_reconnect"
        with pytest.raises(ReauthRequired, match="no longer connected"):
            world.service.tokens.fresh_token(binding_id)

    def test_the_check_refreshes_an_expired_token_first(
        self, world: World, make_sweeps: MakeSweeps, binding_id: str
    ) -> None:
        assert run(world, [make_sweeps(SIX_HOURS)], timedelta(hours=6)) == {"present": 1}
        assert world.xero.refresh_calls == 1
        assert world.binding(binding_id).status is S.CONNECTED

    def test_xero_down_during_the_check_never_means_reconnect(
        self, world: World, make_sweeps: MakeSweeps, binding_id: str
    ) -> None:
        world.xero.fail_connections = [ProviderUnavailable("Xero connections API answered 503")]
        assert run(world, [make_sweeps(SIX_HOURS)], timedelta(hours=6)) == {"failed": 1}
        assert world.binding(binding_id).status is S.CONNECTED

    def test_a_binding_that_needs_reconnect_is_not_checked(
        self, world: World, make_sweeps: MakeSweeps, binding_id: str
    ) -> None:
        world.needs_reconnect(binding_id)
        calls = world.xero.list_calls
        assert run(world, [make_sweeps(SIX_HOURS)], timedelta(hours=6)) == {"skipped": 1}
        assert world.xero.list_calls == calls


class TestAtScale:
    """The connected bindings are read every few minutes, not every tick; which are due is
    still decided by each binding's own moment, exactly."""

    HOURLY = SweepSchedule(tick=timedelta(seconds=15), connection_check=timedelta(hours=1))

    @pytest.fixture
    def roster_reads(self, monkeypatch: pytest.MonkeyPatch) -> list[int]:
        reads: list[int] = []
        original = FakeBindings.connected_ids

        def counted(self: FakeBindings) -> list[str]:
            ids = original(self)
            reads.append(len(ids))
            return ids

        monkeypatch.setattr(FakeBindings, "connected_ids", counted)
        return reads

    def test_each_binding_once_per_period_with_the_ids_read_every_few_minutes(
        self,
        world: World,
        account: Account,
        make_sweeps: MakeSweeps,
        roster_reads: list[int],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        ids = connect(world, account, 40)
        sweeps = make_sweeps(self.HOURLY)
        checked: Counter[str] = Counter()
        original = ConnectionChecker.check

        def spy(checker: ConnectionChecker, binding_id: str) -> BindingStatus:
            checked[binding_id] += 1
            return original(checker, binding_id)

        monkeypatch.setattr(ConnectionChecker, "check", spy)
        ticks = int(timedelta(hours=3) / self.HOURLY.tick)
        outcomes: Counter[str] = Counter()
        for _ in range(ticks):
            world.clock.advance(seconds=15)
            outcomes += sweeps.connections()
        assert outcomes == {"present": 120}
        assert checked == dict.fromkeys(ids, 3)
        # At the first tick, then every ROSTER_MAX_AGE (36 times at 5 minutes), not every tick.
        assert len(roster_reads) == math.ceil(timedelta(hours=3) / ROSTER_MAX_AGE) < ticks

    def test_a_binding_connected_after_a_read_joins_at_the_next(
        self, world: World, account: Account, make_sweeps: MakeSweeps, roster_reads: list[int]
    ) -> None:
        connect(world, account, 1)
        sweeps = make_sweeps(self.HOURLY)
        world.clock.advance(seconds=15)
        sweeps.connections()
        connect(world, account, 1, tenant="tenant-nz")
        for _ in range(int(timedelta(hours=2) / self.HOURLY.tick)):
            world.clock.advance(seconds=15)
            sweeps.connections()
        assert roster_reads[0] == 1 and roster_reads[-1] == 2
        assert world.xero.list_calls >= 3  # the first twice, the newcomer at least once
