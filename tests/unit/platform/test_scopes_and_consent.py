"""Scopes: the smallest default set, broad grants flagged; and the consent Xero never sends
back, recorded on the binding when its attempt expires."""

from __future__ import annotations

from adapters.xero.config import GRANULAR_SCOPES, XeroEnvironmentConfig
from domain.account import Account
from domain.scopes import SYNC_SCOPES, broad_scopes
from domain.tier import NEVER_CAME_BACK
from domain.usecases.sweeps import Sweeps
from domain.values import BindingStatus
from tests.fakes.world import World
from tests.fakes.xero import LEGACY_SYNC_SCOPES


class TestScopes:
    def test_the_default_set_is_what_the_sync_needs_and_nothing_broad(self) -> None:
        default = XeroEnvironmentConfig.production("id", "secret", "https://x/cb").scopes
        assert default == SYNC_SCOPES == tuple(GRANULAR_SCOPES.split())
        assert broad_scopes(default) == ()
        # Items (and every other reference kind) are read with accounting.settings.read.
        assert "accounting.settings.read" in default
        assert not {"openid", "profile", "email", "accounting.transactions"} & set(default)

    def test_broad_scopes_are_recognised(self) -> None:
        assert broad_scopes(LEGACY_SYNC_SCOPES) == ("accounting.transactions",)
        assert broad_scopes(["accounting.reports.read", "accounting.settings"]) == (
            "accounting.reports.read",
        )
        assert broad_scopes(["accounting.settings", "accounting.contacts"]) == ()

    def test_a_binding_view_flags_a_grant_on_broad_scopes(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account)
        assert world.service.queries.binding(binding_id).broad_scopes == ()
        with world.uow() as uow:
            grant = uow.grants.get(binding_id)
            assert grant is not None
            grant.scopes = ("offline_access", "accounting.transactions")
            uow.grants.save(grant)
            uow.commit()
        view = world.service.queries.binding(binding_id)
        assert view.broad_scopes == ("accounting.transactions",)
        assert view.granted_scopes == ("offline_access", "accounting.transactions")


class TestTheConsentThatNeverComesBack:
    def test_an_expired_attempt_for_a_new_organisation_is_recorded_on_the_binding(
        self, world: World, account: Account, sweeps: Sweeps
    ) -> None:
        binding_id = world.paired(account)
        world.service.start_connect(account.id, binding_id, "browser-1")
        world.clock.advance(minutes=9)
        assert sweeps.housekeeping() == {}
        world.clock.advance(minutes=1, seconds=1)
        assert sweeps.housekeeping() == {"attempts": 1, "never_returned": 1}
        binding = world.binding(binding_id)
        assert binding.connect_problem == NEVER_CAME_BACK
        assert binding.status is BindingStatus.PAIRED
        assert "connect_refused" in world.events(binding_id)

    def test_a_later_connect_clears_it(
        self, world: World, account: Account, sweeps: Sweeps
    ) -> None:
        binding_id = world.paired(account)
        world.service.start_connect(account.id, binding_id, "browser-1")
        world.clock.advance(minutes=11)
        sweeps.housekeeping()
        world.consent(account, binding_id, "user-avery", ["tenant-uk"])
        assert world.binding(binding_id).connect_problem == ""

    def test_nothing_is_recorded_when_another_attempt_connected_it(
        self, world: World, account: Account, sweeps: Sweeps
    ) -> None:
        binding_id = world.paired(account)
        world.service.start_connect(account.id, binding_id, "browser-1")  # a tab left open
        world.consent(account, binding_id, "user-avery", ["tenant-uk"])
        world.clock.advance(minutes=11)
        assert sweeps.housekeeping()["never_returned"] == 0
        assert world.binding(binding_id).connect_problem == ""

    def test_a_reconnect_of_the_locked_organisation_is_not_blamed_on_the_cap(
        self, world: World, account: Account, sweeps: Sweeps
    ) -> None:
        binding_id = world.connected(account)
        world.needs_reconnect(binding_id)
        world.service.start_connect(account.id, binding_id, "browser-1")
        world.clock.advance(minutes=11)
        assert sweeps.housekeeping()["never_returned"] == 0
        assert world.binding(binding_id).connect_problem == ""
