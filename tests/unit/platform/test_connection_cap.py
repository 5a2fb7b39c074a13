"""The Xero app's connection cap (xero-facts §11): counted, warned about, and new
organisations refused on our side before the merchant is sent to Xero."""

from __future__ import annotations

import logging

import pytest

from domain.account import Account, Plan
from domain.errors import ConnectionCapReached, ValidationFailed
from domain.schedule import SweepSchedule
from domain.tier import TIERS, CapLevel, ConnectionUsage, Tier, tier_named
from domain.usecases.tunables import Tunables
from domain.values import BindingStatus, Environment
from tests.fakes.misc import FakePlans
from tests.fakes.world import World

P = Environment.PRODUCTION
CAP = Tier("test", connection_cap=2, daily_limit=1000, monthly_egress_bytes=None)


@pytest.fixture
def world() -> World:
    world = World(plans=FakePlans(Plan("scale", 50, 50)), tunables=Tunables(tiers={P: CAP}))
    world.xero.real_companies = {"tenant-uk", "tenant-nz", "tenant-au"}
    return world


@pytest.fixture
def account(world: World) -> Account:
    return world.account(plan="scale")


class TestTiers:
    def test_the_published_caps_and_daily_limits(self) -> None:
        caps = {name: (t.connection_cap, t.daily_limit) for name, t in TIERS.items()}
        assert caps == {
            "starter": (5, 1000),
            "core": (50, 5000),
            "plus": (1000, 5000),
            "advanced": (10000, 5000),
            "enterprise": (None, 5000),
        }

    def test_our_daily_share_is_small_and_follows_the_daily_limit(self) -> None:
        assert tier_named("Core").reference_daily_share == 100
        assert tier_named("starter").reference_daily_share == 20
        assert tier_named("core").with_overrides(daily_limit=500).reference_daily_share == 20

    def test_plain_numbers_override_the_tier(self) -> None:
        tier = tier_named("core").with_overrides(connection_cap=7, reference_daily_share=9)
        assert (tier.connection_cap, tier.daily_limit, tier.reference_daily_share) == (7, 5000, 9)

    def test_an_unknown_tier_is_a_clear_error(self) -> None:
        with pytest.raises(ValidationFailed, match="unknown Xero tier 'gold'"):
            tier_named("gold")

    @pytest.mark.parametrize(
        ("live", "level"),
        [(0, CapLevel.OK), (7, CapLevel.OK), (8, CapLevel.NEAR), (10, CapLevel.AT_CAP)],
    )
    def test_warnings_start_at_80_percent(self, live: int, level: CapLevel) -> None:
        assert ConnectionUsage("production", live, 10).level is level

    def test_no_cap_never_warns(self) -> None:
        assert ConnectionUsage("production", 10**6, None).level is CapLevel.OK


class TestCountingConnections:
    def test_distinct_organisations_count_once_and_demo_companies_not_at_all(
        self, world: World, account: Account
    ) -> None:
        world.xero.real_companies = {"tenant-nz"}
        world.connected(account, tenant="tenant-nz", url="https://a.example.com")
        world.connected(account, tenant="tenant-nz", url="https://b.example.com")
        world.connected(account, tenant="tenant-uk", url="https://c.example.com")
        assert world.service.tiers.usage()[P] == ConnectionUsage("production", 1, 2)

    def test_a_disconnected_binding_frees_its_organisation(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account, tenant="tenant-nz")
        world.service.disconnect(account.id, binding_id)
        assert world.service.tiers.usage()[P].live == 0


class TestRefusalAtTheCap:
    def fill(self, world: World, account: Account) -> list[str]:
        return [
            world.connected(account, tenant="tenant-uk", url="https://uk.example.com"),
            world.connected(account, tenant="tenant-nz", url="https://nz.example.com"),
        ]

    def test_a_new_organisation_is_refused_before_xero_is_asked(
        self, world: World, account: Account
    ) -> None:
        self.fill(world, account)
        binding_id = world.paired(account, "https://third.example.com")
        asked = len(world.xero.authorize_requests)
        with pytest.raises(ConnectionCapReached, match="reconnecting an organisation"):
            world.service.start_connect(account.id, binding_id, "browser-1")
        assert len(world.xero.authorize_requests) == asked
        assert [a for a in world.uow().attempts.all() if a.binding_id == binding_id] == []
        refusal = world.service.tiers.refusal_for(account.id, binding_id)
        assert refusal is not None and "(2)" in refusal

    def test_reconnecting_an_organisation_already_connected_still_works(
        self, world: World, account: Account
    ) -> None:
        uk, _ = self.fill(world, account)
        world.needs_reconnect(uk)
        # Still counted: Xero may still hold the connection; the binding is locked to it.
        assert world.service.tiers.usage()[P].at_cap
        assert world.service.tiers.refusal_for(account.id, uk) is None
        outcome = world.consent(account, uk, "user-avery", ["tenant-uk"])
        assert outcome is not None
        assert world.binding(uk).status is BindingStatus.CONNECTED

    def test_under_the_cap_nothing_is_refused(self, world: World, account: Account) -> None:
        world.connected(account, tenant="tenant-uk")
        binding_id = world.paired(account, "https://second.example.com")
        assert world.service.tiers.refusal_for(account.id, binding_id) is None
        assert "state=" in world.service.start_connect(account.id, binding_id, "browser-1")


class TestWarnings:
    def test_a_warning_at_80_percent_and_at_the_cap_once_each(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        five = Tier("five", connection_cap=5, daily_limit=1000, monthly_egress_bytes=None)
        world = World(plans=FakePlans(Plan("scale", 50, 50)), tunables=Tunables(tiers={P: five}))
        tenants = [f"tenant-{n}" for n in range(5)]
        world.xero.tenants.update({t: t for t in tenants})
        world.xero.real_companies = set(tenants)
        account = world.account(plan="scale")
        sweeps = world.container.sweeps(world_schedule(), "s1")
        caplog.set_level(logging.WARNING, logger="domain.usecases.tiers")
        levels = []
        for tenant in tenants:
            world.connected(account, tenant=tenant, url=f"https://{tenant}.example.com")
            levels.append(next(iter(k for k in sweeps.connection_cap() if "production" in k)))
            sweeps.connection_cap()  # the same level again: no second warning
        assert levels == ["production_ok"] * 3 + ["production_near", "production_at_cap"]
        assert [r.getMessage() for r in caplog.records] == [
            "Xero connection cap: 4 organisations connected in production (cap 5): "
            "over 80% of the cap",
            "Xero connection cap: 5 organisations connected in production (cap 5): "
            "at the cap, new organisations are refused",
        ]

    def test_the_fleet_status_carries_the_count_for_the_gauge(
        self, world: World, account: Account
    ) -> None:
        world.connected(account, tenant="tenant-au")
        status = world.container.sweeps(world_schedule(), "s1").status()
        assert status.connections[P] == ConnectionUsage("production", 1, 2)


def world_schedule() -> SweepSchedule:
    return SweepSchedule()
