"""The reference sweep: data older than 24 h is refetched (both waves as one) through a live
binding on the organisation, once per organisation however many sweepers and bindings there
are."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.account import Account
from domain.errors import OrganisationDisconnected, ProviderUnavailable, RateLimited
from domain.reference import CRITICAL, EVERY_KIND, EXTENDED
from domain.schedule import SweepSchedule
from domain.usecases.sweeps import Sweeps
from domain.values import BindingStatus, Environment
from tests.fakes.world import World
from tests.unit.sweeps.conftest import MakeSweeps, connect

UK = ("tenant-uk", Environment.PRODUCTION)


@pytest.fixture
def binding_id(world: World, account: Account) -> str:
    return connect(world, account)[0]


def cache_times(world: World) -> tuple[object, object]:
    cache = world.uow().references.get(*UK)
    assert cache is not None
    return cache.fetched_at, cache.extended_fetched_at


class TestAge:
    def test_data_older_than_24_hours_is_refetched_in_one_wave_of_every_kind(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.clock.advance(hours=24)
        assert sweeps.reference_data() == {}
        refreshed = world.events(binding_id).count("reference_refreshed")
        world.clock.advance(seconds=1)
        assert sweeps.reference_data() == {"refreshed": 1}
        assert world.xero.fetches == [("tenant-uk", EVERY_KIND)]
        assert world.events(binding_id).count("reference_refreshed") == refreshed + 1
        now = world.clock.now()
        assert cache_times(world) == (now, now)
        assert world.service.queries.binding(binding_id).reference.fetched_at == now  # type: ignore[union-attr]
        assert world.service.reference.cached(binding_id).fetched_at == now

    def test_a_missing_second_wave_is_fetched_at_once_alone(
        self, world: World, account: Account, sweeps: Sweeps
    ) -> None:
        world.connected(account)
        world.tasks.queue.clear()
        world.xero.fetches.clear()
        assert sweeps.reference_data() == {"refreshed": 1}
        assert world.xero.fetches == [("tenant-uk", EXTENDED)]

    def test_several_bindings_on_one_organisation_fetch_once(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        connect(world, account, 3)
        sweepers = [make_sweeps(replica=True, name=f"s{i}") for i in range(3)]
        world.clock.advance(hours=25)
        for sweep in sweepers:
            sweep.reference_data()
        assert world.xero.fetches == [("tenant-uk", EVERY_KIND)]

    def test_an_organisation_nobody_can_refresh_is_not_due(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.needs_reconnect(binding_id)
        world.clock.advance(hours=25)
        assert sweeps.reference_data() == {} and world.xero.fetches == []
        assert sweeps.status().reference.count == 0


class TestFailures:
    def test_a_failure_is_retried_after_the_retry_interval(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.clock.advance(hours=25)
        world.xero.fail_fetch = [ProviderUnavailable("Xero Accounts API answered 503")]
        assert sweeps.reference_data() == {"failed": 1}
        world.clock.advance(minutes=14)
        assert sweeps.reference_data() == {"taken": 1}
        world.clock.advance(minutes=1)
        assert sweeps.reference_data() == {"refreshed": 1}
        assert world.binding(binding_id).status is BindingStatus.CONNECTED

    def test_one_failing_kind_does_not_hold_back_the_critical_set(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.clock.advance(hours=25)
        world.xero.fetches.clear()
        world.xero.fail_fetch = [ProviderUnavailable("Xero BrandingThemes API answered 503")]
        assert sweeps.reference_data() == {"failed": 1}
        assert world.xero.fetches == [("tenant-uk", EVERY_KIND), ("tenant-uk", CRITICAL)]
        critical, extended = cache_times(world)
        assert critical == world.clock.now() and extended < critical  # type: ignore[operator]
        world.clock.advance(minutes=15)
        world.xero.fetches.clear()
        assert sweeps.reference_data() == {"refreshed": 1}
        assert world.xero.fetches == [("tenant-uk", EXTENDED)]

    def test_a_spent_budget_is_not_tried_again_for_the_critical_set(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.clock.advance(hours=25)
        world.xero.fetches.clear()
        world.xero.fail_fetch = [RateLimited("our app budget for this minute is spent", 20.0)]
        assert sweeps.reference_data() == {"rate_limited": 1}
        assert world.xero.fetches == [("tenant-uk", EVERY_KIND)]

    def test_a_403_confirmed_by_connections_needs_reconnect(
        self, world: World, sweeps: Sweeps, binding_id: str
    ) -> None:
        world.clock.advance(hours=25)
        world.xero.remove_app("user-avery", "tenant-uk")
        world.xero.fail_fetch = [OrganisationDisconnected("Xero answered 403")]
        assert sweeps.reference_data() == {"failed": 1}
        assert world.binding(binding_id).status is BindingStatus.NEEDS_RECONNECT


class TestPacing:
    def test_organisations_due_together_are_spread_over_the_hour(
        self, world: World, account: Account, make_sweeps: MakeSweeps
    ) -> None:
        for tenant in ("tenant-uk", "tenant-nz", "tenant-au"):
            connect(world, account, 1, tenant)
        schedule = SweepSchedule(tick=timedelta(minutes=20), reference_spread=timedelta(hours=1))
        sweeps = make_sweeps(schedule)
        world.clock.advance(hours=24, seconds=1)
        taken = []
        for _ in range(3):
            taken.append(sweeps.reference_data().total())
            world.clock.advance(minutes=20)
        assert taken == [1, 1, 1]


class TestSpentBudget:
    def test_a_spent_budget_gives_the_organisation_back_and_stops_the_batch(
        self, world: World, account: Account, sweeps: Sweeps
    ) -> None:
        connect(world, account, 1)
        world.connected(account, tenant="tenant-nz", url="https://nz.example.com")
        world.tasks.run_all()
        world.clock.advance(hours=25)
        world.xero.fetches.clear()
        world.xero.fail_fetch = [RateLimited("our app budget for this minute is spent", 20.0)]
        # Organisations refresh several at a time: one already in flight when the budget
        # ran out may still finish, but none starts after it.
        first = sweeps.reference_data()
        assert first["rate_limited"] == 1
        assert set(first) <= {"rate_limited", "refreshed"}
        left = 2 - first["refreshed"]
        assert sweeps.reference_data() == {"refreshed": left}, "no retry delay: due again at once"
