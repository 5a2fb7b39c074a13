"""ReportXeroAuthFailure (DESIGN §9): a sync service got 401/403; /connections decides."""

from __future__ import annotations

import pytest

from domain.errors import ProviderUnavailable
from domain.values import BindingStatus
from tests.fakes.world import World

S = BindingStatus


@pytest.fixture
def binding_id(world: World) -> str:
    binding_id = world.connected()
    world.xero.list_calls = 0
    return binding_id


def report(world: World, binding_id: str) -> BindingStatus:
    return world.service.checker.report_auth_failure(binding_id, 403)


class TestReport:
    def test_an_organisation_removed_in_xero_needs_reconnect(
        self, world: World, binding_id: str
    ) -> None:
        world.xero.remove_app("user-avery", "tenant-uk")
        assert report(world, binding_id) is S.NEEDS_RECONNECT
        binding = world.binding(binding_id)
        assert binding.status is S.NEEDS_RECONNECT
        assert "no longer connected" in binding.status_reason
        assert world.events(binding_id)[-1] == "needs_reconnect"

    def test_a_user_who_revoked_the_app_needs_reconnect(
        self, world: World, binding_id: str
    ) -> None:
        world.xero.revoke_user("user-avery")
        assert report(world, binding_id) is S.NEEDS_RECONNECT

    def test_an_organisation_still_listed_changes_nothing(
        self, world: World, binding_id: str
    ) -> None:
        events = world.events(binding_id)
        assert report(world, binding_id) is S.CONNECTED
        assert world.events(binding_id) == events
        assert world.xero.list_calls == 1

    def test_another_users_connection_does_not_keep_this_binding(
        self, world: World, binding_id: str
    ) -> None:
        account = world.uow().accounts.get(world.binding(binding_id).account_id)
        world.connected(account, "user-blake", "tenant-uk", "https://b.example")
        world.xero.remove_app("user-avery", "tenant-uk")
        assert report(world, binding_id) is S.NEEDS_RECONNECT

    def test_xero_down_during_the_check_never_means_reconnect(
        self, world: World, binding_id: str
    ) -> None:
        world.xero.fail_connections = [ProviderUnavailable("Xero answered 502")]
        with pytest.raises(ProviderUnavailable):
            report(world, binding_id)
        assert world.binding(binding_id).status is S.CONNECTED

    def test_a_binding_already_awaiting_reconnect_costs_no_xero_call(
        self, world: World, binding_id: str
    ) -> None:
        world.needs_reconnect(binding_id)
        world.xero.list_calls = 0
        world.clock.advance(seconds=11)
        assert report(world, binding_id) is S.NEEDS_RECONNECT
        assert world.xero.list_calls == 0


class TestRateLimit:
    def test_at_most_one_check_per_binding_per_interval(
        self, world: World, binding_id: str
    ) -> None:
        for _ in range(5):
            report(world, binding_id)
            world.clock.advance(seconds=2)
        assert world.xero.list_calls == 1
        world.xero.remove_app("user-avery", "tenant-uk")
        assert report(world, binding_id) is S.NEEDS_RECONNECT
        assert world.xero.list_calls == 2

    def test_a_report_inside_the_interval_answers_the_stored_status(
        self, world: World, binding_id: str
    ) -> None:
        report(world, binding_id)
        world.xero.remove_app("user-avery", "tenant-uk")
        assert report(world, binding_id) is S.CONNECTED
        assert world.xero.list_calls == 1

    def test_the_interval_is_per_binding(self, world: World, binding_id: str) -> None:
        account = world.uow().accounts.get(world.binding(binding_id).account_id)
        other = world.connected(account, "user-blake", "tenant-nz", "https://b.example")
        world.xero.list_calls = 0
        report(world, binding_id)
        report(world, other)
        assert world.xero.list_calls == 2
