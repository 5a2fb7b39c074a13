"""Refresh-if-current (DESIGN §5 step 7, §3 "nothing shows green that cannot work"): Xero
refused an access token that has not expired. Under the row lock: if it is still the stored
token, one forced refresh, then /connections confirms the organisation; if the stored token
has moved on, the current status and no Xero call at all."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.digests import digest
from domain.errors import ProviderUnavailable, ReauthRequired
from domain.usecases.lifecycle import AuthFailureReport
from domain.values import BindingStatus
from tests.fakes.world import World

S = BindingStatus


@pytest.fixture
def binding_id(world: World) -> str:
    return world.connected()


def stored_token(world: World, binding_id: str) -> str:
    grant = world.grant(binding_id)
    assert grant is not None
    return grant.access_token


def xero_calls(world: World) -> tuple[int, int]:
    return world.xero.refresh_calls, world.xero.list_calls


def report(world: World, binding_id: str, token: str) -> AuthFailureReport:
    return world.service.checker.report_token_failure(binding_id, digest(token))


class TestAReportedToken:
    def test_the_stored_token_is_refreshed_once_and_the_organisation_confirmed(
        self, world: World, binding_id: str
    ) -> None:
        failing = stored_token(world, binding_id)
        world.xero.reject(failing)
        before = xero_calls(world)
        assert report(world, binding_id, failing) == AuthFailureReport(S.CONNECTED, True)
        assert xero_calls(world) == (before[0] + 1, before[1] + 1)
        fresh = world.service.tokens.fresh_token(binding_id)
        assert fresh.access_token == stored_token(world, binding_id) != failing

    def test_a_token_that_moved_on_costs_no_xero_call(self, world: World, binding_id: str) -> None:
        failing = stored_token(world, binding_id)
        world.service.tokens.refresh_now(binding_id)
        before = xero_calls(world)
        assert report(world, binding_id, failing) == AuthFailureReport(S.CONNECTED, True)
        assert xero_calls(world) == before

    def test_a_fingerprint_of_no_token_ever_stored_costs_no_xero_call(
        self, world: World, binding_id: str
    ) -> None:
        before = xero_calls(world)
        assert report(world, binding_id, "never-issued").newer_token
        assert xero_calls(world) == before

    def test_a_revoked_grant_needs_reconnect_and_gets_no_token(
        self, world: World, binding_id: str
    ) -> None:
        failing = stored_token(world, binding_id)
        world.service.tokens.fresh_token(binding_id)  # cached in this process
        world.xero.revoke_user("user-avery")
        before = xero_calls(world)
        assert report(world, binding_id, failing) == AuthFailureReport(S.NEEDS_RECONNECT)
        assert xero_calls(world) == (before[0] + 1, before[1]), "no connections check"
        assert world.binding(binding_id).status is S.NEEDS_RECONNECT
        with pytest.raises(ReauthRequired):
            world.service.tokens.fresh_token(binding_id)

    def test_an_organisation_removed_in_xero_is_found_after_the_refresh(
        self, world: World, binding_id: str
    ) -> None:
        failing = stored_token(world, binding_id)
        world.xero.remove_app("user-avery", "tenant-uk")  # refreshes still succeed
        assert report(world, binding_id, failing) == AuthFailureReport(S.NEEDS_RECONNECT)
        assert world.events(binding_id)[-1] == "needs_reconnect"

    def test_xero_not_answering_the_refresh_never_means_reconnect(
        self, world: World, binding_id: str
    ) -> None:
        failing = stored_token(world, binding_id)
        world.xero.fail_next = [ProviderUnavailable("Xero answered 503")]
        lists = world.xero.list_calls
        with pytest.raises(ProviderUnavailable):
            report(world, binding_id, failing)
        assert world.binding(binding_id).status is S.DEGRADED
        assert world.xero.list_calls == lists
        assert stored_token(world, binding_id) == failing, "the old pair is kept"

    def test_a_binding_already_awaiting_reconnect_costs_no_xero_call(
        self, world: World, binding_id: str
    ) -> None:
        failing = stored_token(world, binding_id)
        world.needs_reconnect(binding_id)
        before = xero_calls(world)
        assert report(world, binding_id, failing) == AuthFailureReport(S.NEEDS_RECONNECT)
        assert xero_calls(world) == before


class TestAHerdOfReports:
    def test_twenty_reports_on_three_replicas_make_one_refresh_and_one_check(
        self, world: World, binding_id: str
    ) -> None:
        failing = stored_token(world, binding_id)
        world.xero.reject(failing)
        replicas = [world.service, world.replica(), world.replica()]
        before = xero_calls(world)
        barrier = threading.Barrier(20)

        def one(number: int) -> AuthFailureReport:
            barrier.wait()
            checker = replicas[number % 3].checker
            return checker.report_token_failure(binding_id, digest(failing))

        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(one, range(20)))
        assert set(answers) == {AuthFailureReport(S.CONNECTED, True)}
        assert xero_calls(world) == (before[0] + 1, before[1] + 1)

    def test_a_revoked_grant_reported_by_twenty_is_refused_by_every_replica(
        self, world: World, binding_id: str
    ) -> None:
        failing = stored_token(world, binding_id)
        replicas = [world.service, world.replica(), world.replica()]
        world.xero.revoke_user("user-avery")
        with ThreadPoolExecutor(20) as pool:
            answers = list(
                pool.map(
                    lambda n: replicas[n % 3].checker.report_token_failure(
                        binding_id, digest(failing)
                    ),
                    range(20),
                )
            )
        assert {a.status for a in answers} == {S.NEEDS_RECONNECT}
        assert world.xero.refresh_calls == 1
        for replica in replicas:
            with pytest.raises(ReauthRequired):
                replica.tokens.fresh_token(binding_id)


class TestOurOwnCalls:
    """Reference refreshes and connection checks meet the same 401 and act alike."""

    def test_a_connection_check_refused_401_refreshes_once_and_stays_green(
        self, world: World, binding_id: str
    ) -> None:
        failing = stored_token(world, binding_id)
        world.xero.reject(failing)
        version = world.grant(binding_id).version  # type: ignore[union-attr]
        assert world.service.checker.check(binding_id) is S.CONNECTED
        assert world.grant(binding_id).version == version + 1  # type: ignore[union-attr]
        assert world.xero.refresh_calls == 1

    def test_a_connection_check_refused_401_on_a_revoked_grant_needs_reconnect(
        self, world: World, binding_id: str
    ) -> None:
        world.xero.reject(stored_token(world, binding_id))
        world.xero.revoke_user("user-avery")
        assert world.service.checker.check(binding_id) is S.NEEDS_RECONNECT
        assert world.binding(binding_id).status is S.NEEDS_RECONNECT

    def test_a_reference_refresh_refused_401_refreshes_once_and_fetches(
        self, world: World, binding_id: str
    ) -> None:
        world.xero.reject(stored_token(world, binding_id))
        fetches = len(world.xero.fetches)
        cache = world.service.reference.refresh(binding_id)
        assert cache.organisation is not None
        assert len(world.xero.fetches) > fetches
        assert world.xero.refresh_calls == 1
        assert world.binding(binding_id).status is S.CONNECTED

    def test_a_reference_refresh_refused_401_on_a_revoked_grant_needs_reconnect(
        self, world: World, binding_id: str
    ) -> None:
        world.xero.reject(stored_token(world, binding_id))
        world.xero.revoke_user("user-avery")
        with pytest.raises(ReauthRequired):
            world.service.reference.refresh(binding_id)
        assert world.binding(binding_id).status is S.NEEDS_RECONNECT
        assert world.events(binding_id)[-1] == "needs_reconnect"
