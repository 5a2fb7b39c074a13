"""The token sweep on a fake clock: keep-alive, the retry schedule, DEGRADED and recovered,
refresh exhausted, pacing, and exactly one refresh per due grant among several sweepers."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from domain.account import Account
from domain.errors import ProviderUnavailable
from domain.schedule import SweepSchedule
from domain.usecases.sweeps import Sweeps
from domain.values import BindingStatus
from tests.fakes.world import World
from tests.unit.sweeps.conftest import MakeSweeps, connect

S = BindingStatus
OUTAGE = ProviderUnavailable("Xero token endpoint answered 503")


@pytest.fixture
def binding_id(world: World, account: Account) -> str:
    return connect(world, account)[0]


def version(world: World, binding_id: str) -> int:
    grant = world.grant(binding_id)
    assert grant is not None
    return grant.version


class TestKeepAlive:
    def test_a_grant_unused_for_seven_days_is_refreshed(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.clock.advance(days=7, seconds=-1)
        assert sweeps.tokens() == {}
        world.clock.advance(seconds=1)
        assert sweeps.tokens() == {"refreshed": 1}
        grant = world.grant(binding_id)
        assert grant is not None and grant.refresh_issued_at == world.clock.now()
        assert world.xero.refresh_calls == 1 and grant.version == 2

    def test_a_grant_in_use_is_left_alone(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        for _ in range(8):
            world.clock.advance(days=1)
            world.service.tokens.fresh_token(binding_id)
            sweeps.tokens()
        assert world.xero.refresh_calls == 8

    def test_a_binding_that_needs_reconnect_is_not_claimed(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.needs_reconnect(binding_id)
        world.clock.advance(days=8)
        assert sweeps.tokens() == {} and world.xero.refresh_calls == 0


class TestRetries:
    def test_backoff_from_thirty_seconds_doubling_to_five_minutes(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.clock.advance(days=7)
        world.xero.fail_next = [OUTAGE] * 6
        retries = []
        for _ in range(7):
            assert sweeps.tokens() in ({"failed": 1}, {"refreshed": 1})
            grant = world.grant(binding_id)
            assert grant is not None
            if grant.next_retry_at is None:
                break
            wait = grant.next_retry_at - world.clock.now()
            retries.append(int(wait.total_seconds()))
            world.clock.advance(seconds=wait.total_seconds() - 1)
            assert sweeps.tokens() == {}
            world.clock.advance(seconds=1)
        assert retries == [30, 60, 120, 240, 300, 300]
        assert world.xero.refresh_calls == 7

    def test_a_failure_degrades_and_the_retry_recovers(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.clock.advance(days=7)
        world.xero.fail_next = [OUTAGE]
        assert sweeps.tokens() == {"failed": 1}
        assert world.binding(binding_id).status is S.DEGRADED
        world.clock.advance(seconds=30)
        assert sweeps.tokens() == {"refreshed": 1}
        assert world.binding(binding_id).status is S.CONNECTED
        assert world.events(binding_id)[-3:] == ["refresh_failed", "recovered", "token_refreshed"]

    def test_transient_failures_never_need_reconnect(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.clock.advance(days=7)
        world.xero.fail_next = [OUTAGE] * 50
        for _ in range(50):
            sweeps.tokens()
            world.clock.advance(minutes=5)
        assert world.binding(binding_id).status is S.DEGRADED

    def test_a_lost_answer_is_retried_inside_xeros_grace(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.clock.advance(days=7)
        world.xero.drop_next_answer = True
        assert sweeps.tokens() == {"failed": 1}
        world.clock.advance(seconds=30)
        assert sweeps.tokens() == {"refreshed": 1}
        assert world.binding(binding_id).status is S.CONNECTED


class TestExhausted:
    def fail_on_days(self, world: World, sweeps: Sweeps, days: int) -> None:
        world.clock.advance(days=7)
        for _ in range(days):
            world.xero.fail_next = [OUTAGE] * 3
            for _ in range(3):
                sweeps.tokens()
                world.clock.advance(minutes=5)
            world.clock.advance(days=1)

    def test_failures_count_once_a_day(self, world: World, sweeps: Sweeps, binding_id: str) -> None:
        self.fail_on_days(world, sweeps, 2)
        grant = world.grant(binding_id)
        assert grant is not None
        assert (grant.failure_count, grant.failure_days) == (6, 2) and not grant.exhausted

    def test_three_failing_days_flag_it_for_operators_and_it_is_still_retried(
        self, world: World, sweeps: Sweeps, binding_id: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.WARNING)
        self.fail_on_days(world, sweeps, 3)
        grant = world.grant(binding_id)
        assert grant is not None and grant.exhausted
        assert world.binding(binding_id).status is S.DEGRADED
        assert world.events(binding_id).count("refresh_exhausted") == 1
        assert sweeps.status().exhausted == 1
        assert any("flagged refresh exhausted" in r.getMessage() for r in caplog.records)
        assert any("(refresh exhausted)" in r.getMessage() for r in caplog.records)
        calls = world.xero.refresh_calls
        assert sweeps.tokens() == {"refreshed": 1} and world.xero.refresh_calls == calls + 1
        assert world.binding(binding_id).status is S.CONNECTED
        assert sweeps.status().exhausted == 0


class TestPacing:
    def test_a_burst_of_due_grants_is_spread_over_the_spread(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        connect(world, account, 10)
        schedule = SweepSchedule(tick=timedelta(seconds=15), token_spread=timedelta(minutes=1))
        sweeps = make_sweeps(schedule)
        world.clock.advance(days=7)
        taken = []
        while world.xero.refresh_calls < 10:
            taken.append(sweeps.tokens().total())
            world.clock.advance(seconds=15)
        assert taken == [3, 3, 2, 2]

    def test_the_batch_caps_a_tick(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        connect(world, account, 5)
        sweeps = make_sweeps(SweepSchedule(batch=2))
        world.clock.advance(days=30)
        assert sweeps.tokens() == {"refreshed": 2}


class TestSeveralSweepers:
    def test_two_sweepers_claiming_one_grant_in_turn_refresh_it_once(
        self, world: World, make_sweeps: MakeSweeps, binding_id: str
    ) -> None:
        first, second = make_sweeps(), make_sweeps(replica=True, name="s2")
        world.clock.advance(days=7)
        outcomes = []
        # The second sweeper claims and refreshes the grant after the first one's claim has
        # ended but before the first one takes the row lock to refresh it.
        world.store.before_lock.append(lambda: outcomes.append(second.tokens()))
        outcomes.append(first.tokens())
        assert outcomes == [{"refreshed": 1}, {"skipped": 1}]
        assert world.xero.refresh_calls == 1 and version(world, binding_id) == 2

    def test_after_a_failure_the_other_sweeper_waits_for_the_retry_time(
        self, world: World, make_sweeps: MakeSweeps, binding_id: str
    ) -> None:
        first, second = make_sweeps(), make_sweeps(replica=True, name="s2")
        world.clock.advance(days=7)
        world.xero.fail_next = [OUTAGE]
        outcomes = []
        world.store.before_lock.append(lambda: outcomes.append(second.tokens()))
        outcomes.append(first.tokens())
        assert outcomes == [{"failed": 1}, {"skipped": 1}]
        assert world.xero.refresh_calls == 1
