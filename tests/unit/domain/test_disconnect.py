"""Disconnect and unpair (DESIGN §3): what is undone at Xero depends on who else needs it."""

from __future__ import annotations

import pytest

from domain.account import Account
from domain.errors import (
    BindingDisconnected,
    ConnectorSecretInvalid,
    NotFound,
    ProviderUnavailable,
)
from domain.usecases.lifecycle import DisconnectOutcome
from domain.values import BindingStatus
from tests.fakes.world import World, profile

S = BindingStatus
AVERY, BLAKE = "user-avery", "user-blake"


def conn(tenant: str, user: str = AVERY) -> str:
    return f"conn-production-{user}-{tenant}"


def refresh_token(world: World, binding_id: str) -> str:
    grant = world.grant(binding_id)
    assert grant is not None
    return grant.refresh_token


class TestAloneAtXero:
    def test_deletes_the_connection_revokes_and_destroys_the_tokens(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account)
        token = refresh_token(world, binding_id)
        outcome = world.service.disconnect(account.id, binding_id)
        assert outcome == DisconnectOutcome(binding_id)
        assert world.xero.deleted == [conn("tenant-uk")]
        assert world.xero.revoked == [token]
        assert not world.xero.accepts(token)
        assert world.grant(binding_id) is None
        binding = world.binding(binding_id)
        assert binding.status is S.DISCONNECTED and binding.connector_secret_hash == ""
        assert world.events(binding_id)[-1] == "disconnected"

    def test_refreshes_an_expired_token_to_delete_the_connection(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account)
        world.clock.advance(hours=2)
        outcome = world.service.disconnect(account.id, binding_id)
        assert outcome.not_undone_at_xero == ()
        assert world.xero.deleted == [conn("tenant-uk")]
        assert len(world.xero.revoked) == 1

    def test_a_paired_binding_costs_no_xero_call(self, world: World, account: Account) -> None:
        binding_id = world.paired(account)
        world.service.disconnect(account.id, binding_id)
        assert (world.xero.deleted, world.xero.revoked) == ([], [])
        assert world.binding(binding_id).status is S.DISCONNECTED


class TestSharedAtXero:
    def test_the_same_xero_user_elsewhere_forbids_revoking(
        self, world: World, account: Account
    ) -> None:
        leaving = world.connected(account, AVERY, "tenant-uk", "https://a.example")
        staying = world.connected(account, AVERY, "tenant-nz", "https://b.example")
        world.service.disconnect(account.id, leaving)
        assert world.xero.deleted == [conn("tenant-uk")]
        assert world.xero.revoked == []
        world.clock.advance(minutes=31)
        world.service.reference.refresh(staying)
        assert world.binding(staying).status is S.CONNECTED

    def test_the_same_connection_elsewhere_is_kept(self, world: World, account: Account) -> None:
        leaving = world.connected(account, AVERY, "tenant-uk", "https://a.example")
        staying = world.connected(account, AVERY, "tenant-uk", "https://b.example")
        world.service.disconnect(account.id, leaving)
        assert (world.xero.deleted, world.xero.revoked) == ([], [])
        assert world.service.reference.refresh(staying).critical_ready

    def test_another_user_on_the_same_organisation_shares_nothing(
        self, world: World, account: Account
    ) -> None:
        leaving = world.connected(account, AVERY, "tenant-uk", "https://a.example")
        staying = world.connected(account, BLAKE, "tenant-uk", "https://b.example")
        world.service.disconnect(account.id, leaving)
        assert world.xero.deleted == [conn("tenant-uk")]
        assert len(world.xero.revoked) == 1
        assert world.service.reference.refresh(staying).critical_ready

    def test_a_disconnected_binding_no_longer_counts_as_sharing(
        self, world: World, account: Account
    ) -> None:
        first = world.connected(account, AVERY, "tenant-uk", "https://a.example")
        second = world.connected(account, AVERY, "tenant-uk", "https://b.example")
        world.service.disconnect(account.id, first)
        world.service.disconnect(account.id, second)
        assert world.xero.deleted == [conn("tenant-uk")]
        assert len(world.xero.revoked) == 1


class TestXeroFailures:
    def test_our_side_disconnects_and_says_what_was_not_undone(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account)
        world.xero.fail_next = [ProviderUnavailable("503"), ProviderUnavailable("503")]
        outcome = world.service.disconnect(account.id, binding_id)
        assert len(outcome.not_undone_at_xero) == 2
        assert "Demo Company (UK)" in outcome.not_undone_at_xero[0]
        assert world.binding(binding_id).status is S.DISCONNECTED
        assert world.grant(binding_id) is None
        leftover, first = [  # newest first
            e for e in world.uow().events.for_binding(binding_id) if e.kind == "disconnected"
        ]
        assert first.reason == "disconnected by the merchant"
        assert "not undone at Xero" in leftover.reason

    def test_a_dead_grant_still_disconnects(self, world: World, account: Account) -> None:
        binding_id = world.connected(account)
        world.clock.advance(days=61)
        outcome = world.service.disconnect(account.id, binding_id)
        assert outcome.not_undone_at_xero == (
            "the connection to Demo Company (UK) could not be removed",
        )
        assert world.binding(binding_id).status is S.DISCONNECTED


class TestTerminal:
    def test_a_second_disconnect_is_refused(self, world: World, account: Account) -> None:
        binding_id = world.connected(account)
        world.service.disconnect(account.id, binding_id)
        with pytest.raises(BindingDisconnected):
            world.service.disconnect(account.id, binding_id)

    def test_tokens_are_refused_afterwards(self, world: World, account: Account) -> None:
        binding_id = world.connected(account)
        world.service.disconnect(account.id, binding_id)
        with pytest.raises(BindingDisconnected):
            world.service.tokens.fresh_token(binding_id)

    def test_only_the_owner_disconnects(self, world: World, account: Account) -> None:
        binding_id = world.connected(account)
        stranger = world.account("stranger@example.com")
        with pytest.raises(NotFound):
            world.service.disconnect(stranger.id, binding_id)
        assert world.binding(binding_id).status is S.CONNECTED

    def test_the_install_may_pair_a_new_binding(self, world: World, account: Account) -> None:
        old = world.connected(account)
        world.service.disconnect(account.id, old)
        new = world.connected(account)
        assert new != old and world.binding(new).status is S.CONNECTED


class TestUnpair:
    def test_the_module_unpairs_with_its_secret(self, world: World, account: Account) -> None:
        created = world.service.create_binding(account.id)
        secret = world.service.redeem_pairing(created.pairing_code, profile()).connector_secret
        world.consent(account, created.binding_id, AVERY, ["tenant-uk"])
        outcome = world.service.disconnect.unpair(secret)
        assert outcome.binding_id == created.binding_id
        assert world.binding(created.binding_id).status is S.DISCONNECTED
        assert world.events(created.binding_id)[-1] == "unpaired"
        assert len(world.xero.revoked) == 1 and world.grant(created.binding_id) is None
        with pytest.raises(ConnectorSecretInvalid):
            world.service.disconnect.unpair(secret)

    def test_a_wrong_secret_changes_nothing(self, world: World, account: Account) -> None:
        binding_id = world.connected(account)
        with pytest.raises(ConnectorSecretInvalid):
            world.service.disconnect.unpair("not-the-secret")
        assert world.binding(binding_id).status is S.CONNECTED
        assert world.xero.revoked == []
