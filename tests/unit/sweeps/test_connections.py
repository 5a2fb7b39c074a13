"""The connection check: every connected binding's organisation is confirmed with
/connections once per period, one call per Xero user at that user's moment; an organisation
gone from there needs reconnect; Xero down changes nothing."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from domain.account import Account
from domain.errors import (
    InvalidGrant,
    ProviderUnavailable,
    ReauthRequired,
    StorageUnavailable,
)
from domain.schedule import SweepSchedule
from domain.usecases.lifecycle import GONE_REASON, ConnectionChecker
from domain.usecases.sweeps import Sweeps, connections
from domain.usecases.sweeps.connections import ROSTER_MAX_AGE
from domain.values import BindingStatus
from tests.fakes.store import FakeBindings, FakeLeases
from tests.fakes.world import World
from tests.unit.sweeps.conftest import MakeSweeps, connect

S = BindingStatus
Listed = frozenset[str] | None
TICK = timedelta(minutes=10)
SIX_HOURS = SweepSchedule(tick=TICK, connection_check=timedelta(hours=6))


def run(world: World, sweeps: list[Sweeps], duration: timedelta) -> Counter[str]:
    total: Counter[str] = Counter()
    for _ in range(int(duration / TICK)):
        world.clock.advance(seconds=TICK.total_seconds())
        for sweep in sweeps:
            total += sweep.connections()
    return total


def six_due_to_two_sweepers(
    world: World, account: Account, make_sweeps: MakeSweeps
) -> tuple[Sweeps, Sweeps]:
    """Six bindings, every one due at the next tick of either of two replicas' sweepers."""
    connect(world, account, 6, user=None)
    every_tick = SweepSchedule(tick=TICK, connection_check=TICK)
    first, second = (make_sweeps(every_tick, replica=True, name=n) for n in ("a", "b"))
    world.clock.advance(seconds=TICK.total_seconds())
    return first, second


class TestCadence:
    def test_each_binding_is_checked_once_every_six_hours_spread_out(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        connect(world, account, 12, user=None)
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
        connect(world, account, 6, user=None)
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
        ids = connect(world, account, 40, user=None)
        sweeps = make_sweeps(self.HOURLY)
        checked: Counter[str] = Counter()
        original = ConnectionChecker.check_listing

        def spy(checker: ConnectionChecker, binding_id: str) -> tuple[BindingStatus, Listed]:
            checked[binding_id] += 1
            return original(checker, binding_id)

        monkeypatch.setattr(ConnectionChecker, "check_listing", spy)
        ticks = int(timedelta(hours=3) / self.HOURLY.tick)
        outcomes: Counter[str] = Counter()
        for _ in range(ticks):
            world.clock.advance(seconds=15)
            outcomes += sweeps.connections()
        assert outcomes == {"present": 120}
        assert checked == dict.fromkeys(ids, 3)
        # At the first tick, then every ROSTER_MAX_AGE (36 times at 5 minutes), not every tick.
        assert len(roster_reads) == math.ceil(timedelta(hours=3) / ROSTER_MAX_AGE) < ticks

    def test_a_tick_reads_and_leases_its_due_bindings_in_one_unit_of_work_per_batch(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        connect(world, account, 70, user=None)
        sweeps = make_sweeps(SweepSchedule(tick=TICK, connection_check=TICK))
        units: set[int] = set()  # each unit of work has repositories of its own
        original = FakeLeases.acquire

        def spy(leases: FakeLeases, *args: Any) -> bool:
            units.add(id(leases))
            return bool(original(leases, *args))

        world.clock.advance(seconds=TICK.total_seconds())
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(FakeLeases, "acquire", spy)
            assert sweeps.connections() == {"present": 70}
        assert len(units) == math.ceil(70 / connections.CLAIM_BATCH) == 3

    def test_a_halt_gives_back_the_leases_of_the_bindings_it_did_not_check(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        first, second = six_due_to_two_sweepers(world, account, make_sweeps)
        original = ConnectionChecker.check_listing

        def halting(checker: ConnectionChecker, binding_id: str) -> tuple[BindingStatus, Listed]:
            first.halt()
            return original(checker, binding_id)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ConnectionChecker, "check_listing", halting)
            assert first.connections() == {"present": 1}
        assert second.connections() == {"present": 5, "taken": 1}  # the one checked stays held

    def test_a_check_that_fails_the_tick_gives_back_the_leases_of_the_rest(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        first, second = six_due_to_two_sweepers(world, account, make_sweeps)

        def away(checker: ConnectionChecker, binding_id: str) -> tuple[BindingStatus, Listed]:
            raise StorageUnavailable("the database is not answering")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ConnectionChecker, "check_listing", away)
            with pytest.raises(StorageUnavailable):
                first.connections()
        assert second.connections() == {"present": 5, "taken": 1}  # the one that failed

    def test_a_binding_connected_after_a_read_joins_at_the_next(
        self, world: World, account: Account, make_sweeps: MakeSweeps, roster_reads: list[int]
    ) -> None:
        connect(world, account, 1)
        sweeps = make_sweeps(self.HOURLY)
        world.clock.advance(seconds=15)
        sweeps.connections()
        connect(world, account, 1, tenant="tenant-nz", user="user-blake")
        for _ in range(int(timedelta(hours=2) / self.HOURLY.tick)):
            world.clock.advance(seconds=15)
            sweeps.connections()
        assert roster_reads[0] == 1 and roster_reads[-1] == 2
        assert world.xero.list_calls >= 3  # the first twice, the newcomer at least once


class TestOneAnswerPerUser:
    """Tokens are per Xero user and app, and /connections lists every organisation the user
    authorised for the app: one answer confirms the user's other bindings for a few minutes."""

    HOURLY = SweepSchedule(tick=timedelta(hours=1), connection_check=timedelta(hours=1))

    def tick(self, world: World, sweeps: Sweeps) -> Counter[str]:
        world.clock.advance(hours=1)
        return sweeps.connections()

    def test_one_call_confirms_every_binding_of_a_user_due_within_minutes(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        ids = connect(world, account, 4) + connect(world, account, 4, tenant="tenant-nz")
        assert {world.binding(i).xero.xero_user_id for i in ids} == {"user-avery"}  # type: ignore[union-attr]
        sweeps = make_sweeps(self.HOURLY)
        assert self.tick(world, sweeps) == {"present": 8}
        assert world.xero.list_calls == 1
        assert self.tick(world, sweeps) == {"present": 8}
        assert world.xero.list_calls == 2  # an answer an hour old is not used again

    def test_each_user_asks_with_a_token_of_its_own(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        connect(world, account, 3)
        connect(world, account, 3, tenant="tenant-nz", user="user-blake")
        assert self.tick(world, make_sweeps(self.HOURLY)) == {"present": 6}
        assert world.xero.list_calls == 2

    def test_only_the_organisation_the_user_removed_needs_reconnect(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        uk = connect(world, account, 2)
        nz = connect(world, account, 1, tenant="tenant-nz")
        world.xero.remove_app("user-avery", "tenant-nz")
        assert self.tick(world, make_sweeps(self.HOURLY)) == {"present": 2, "needs_reconnect": 1}
        assert world.xero.list_calls <= 2  # the one it lacks asks again, unless it asked first
        statuses = [world.binding(i).status for i in uk + nz]
        assert statuses == [S.CONNECTED, S.CONNECTED, S.NEEDS_RECONNECT]
        assert world.binding(nz[0]).status_reason == GONE_REASON

    def test_an_organisation_connected_after_the_answer_asks_again_and_stays_connected(
        self,
        world: World,
        account: Account,
        make_sweeps: MakeSweeps,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(connections, "LISTING_MAX_AGE", timedelta(days=1))
        connect(world, account, 2)
        sweeps = make_sweeps(self.HOURLY)
        assert self.tick(world, sweeps) == {"present": 2}
        newcomer = connect(world, account, 1, tenant="tenant-nz")  # Xero's counters at zero
        assert self.tick(world, sweeps) == {"present": 3}
        assert world.xero.list_calls == 1  # the newcomer's own; the others by the first answer
        assert world.binding(newcomer[0]).status is S.CONNECTED

    def test_a_binding_whose_grant_xero_refuses_is_settled_alone_and_another_asks(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        ids = connect(world, account, 3)
        world.xero.fail_next = [InvalidGrant("Xero refused the refresh token")]
        outcomes = self.tick(world, make_sweeps(self.HOURLY))
        assert outcomes == {"present": 2, "needs_reconnect": 1}
        assert world.xero.list_calls == 1
        statuses = Counter(world.binding(i).status for i in ids)
        assert statuses == {S.CONNECTED: 2, S.NEEDS_RECONNECT: 1}

    @pytest.mark.parametrize("refused", [0, 1, 2])
    def test_a_grant_xero_refuses_is_found_whichever_binding_asks_first(
        self, world: World, account: Account, make_sweeps: MakeSweeps, refused: int
    ) -> None:
        ids = connect(world, account, 3)
        grant = world.grant(ids[refused])
        assert grant is not None
        dead = grant.refresh_token

        def refuse(refresh_token: str) -> None:
            if refresh_token == dead:
                raise InvalidGrant("Xero refused the refresh token")

        world.xero.on_refresh = refuse
        outcomes = self.tick(world, make_sweeps(self.HOURLY))
        assert outcomes == {"present": 2, "needs_reconnect": 1}
        assert world.xero.list_calls == 1
        assert [world.binding(i).status is S.NEEDS_RECONNECT for i in ids] == [
            n == refused for n in range(3)
        ]

    def test_a_binding_that_needs_reconnect_is_skipped_and_the_others_ask_once(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        connect(world, account, 2)
        gone = connect(world, account, 1, tenant="tenant-nz")
        world.needs_reconnect(gone[0])
        calls = world.xero.list_calls
        assert self.tick(world, make_sweeps(self.HOURLY)) == {"present": 2, "skipped": 1}
        assert world.xero.list_calls == calls + 1
