"""Our daily share of an organisation's Xero calls: what does not fit is postponed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.account import Account, Plan
from domain.day_budget import DayBudget
from domain.schedule import SweepSchedule
from domain.tier import Tier
from domain.usecases.sweeps import Sweeps
from domain.usecases.tunables import Tunables
from domain.values import Environment
from tests.fakes.misc import FakePlans
from tests.fakes.world import World
from tests.unit.sweeps.conftest import connect

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
# 7 calls per full refresh; a share of 10 fits one refresh a day, not two.
SMALL = Tier("small", connection_cap=None, daily_limit=1000, monthly_egress_bytes=None,
             reference_daily_share=10)  # fmt: skip


class TestDayBudget:
    def test_our_calls_count_within_24_hours_then_start_again(self) -> None:
        budget = DayBudget().spent(7, None, NOW)
        assert budget.fits(3, 10, NOW) and not budget.fits(4, 10, NOW)
        assert budget.fits(7, 10, NOW + timedelta(hours=24))
        assert budget.spent(7, None, NOW + timedelta(hours=24)).calls == 7

    def test_what_xero_says_is_left_binds_us_until_its_day_resets(self) -> None:
        budget = DayBudget().spent(7, 5, NOW)
        assert not budget.fits(7, 1000, NOW + timedelta(hours=23))
        assert budget.fits(5, 1000, NOW + timedelta(hours=1))
        assert budget.fits(7, 1000, NOW + timedelta(hours=24))

    def test_a_day_limit_429_holds_until_retry_after(self) -> None:
        budget = DayBudget().exhausted(NOW, retry_after=3600)
        assert not budget.fits(1, 1000, NOW + timedelta(minutes=59))
        assert budget.fits(1, 1000, NOW + timedelta(minutes=61))


@pytest.fixture
def world() -> World:
    """Reference data refreshed every 6 hours, so four refreshes a day would be due."""
    tunables = Tunables(tiers={Environment.PRODUCTION: SMALL}, reference_max_age=SIX_HOURS)
    return World(plans=FakePlans(Plan("scale", 50, 50)), tunables=tunables)


@pytest.fixture
def account(world: World) -> Account:
    return world.account(plan="scale")


@pytest.fixture
def sweeps(world: World) -> Sweeps:
    schedule = SweepSchedule(tick=timedelta(seconds=15), reference_retry=timedelta(minutes=1))
    return world.container.sweeps(schedule, "s1")


class TestTheReferenceSweep:
    def test_a_refresh_beyond_our_share_waits_for_our_day_to_end(
        self, world: World, account: Account, sweeps: Sweeps
    ) -> None:
        connect(world, account)  # the connect's prefetch: 7 of our 10 calls
        world.clock.advance(hours=6, minutes=1)
        assert sweeps.reference_data() == {"postponed": 1}
        assert world.xero.fetches == []
        world.clock.advance(hours=18)
        assert sweeps.reference_data() == {"refreshed": 1}
        assert len(world.xero.fetches) == 1  # both waves as one: 7 calls

    def test_what_xero_says_is_left_of_the_day_is_not_taken(
        self, world: World, account: Account, sweeps: Sweeps
    ) -> None:
        world.xero.day_remaining = 10
        connect(world, account, tenant="tenant-nz")  # Xero: 3 left today
        world.clock.advance(hours=24, minutes=1)
        world.xero.day_remaining = 100  # Xero's day for the organisation has reset
        assert sweeps.reference_data() == {"refreshed": 1}
        world.xero.day_remaining = 3  # sync services spent most of the new day
        world.clock.advance(hours=24, minutes=1)
        # Our last report (93 left) has lapsed, so we ask; Xero answers 429 for the day.
        assert sweeps.reference_data() == {"postponed": 1}
        asked = len(world.xero.fetches)
        world.clock.advance(minutes=30)
        assert sweeps.reference_data() == {"postponed": 1}
        assert len(world.xero.fetches) == asked  # its Retry-After (1 h) holds: Xero not asked
        world.xero.day_remaining = 100
        world.clock.advance(minutes=31)
        assert sweeps.reference_data() == {"refreshed": 1}


SIX_HOURS = timedelta(hours=6)
