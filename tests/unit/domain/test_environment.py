"""Flipping an account's Xero environment (DESIGN §3, §10): every lock clears."""

from __future__ import annotations

import pytest

from domain.account import Account
from domain.errors import ConnectAttemptInvalid, ProviderUnavailable, ReauthRequired
from domain.usecases.settle import Connected
from domain.values import BindingStatus, Environment
from tests.fakes.world import World

S = BindingStatus
SANDBOX = Environment.SANDBOX


@pytest.fixture
def binding_id(world: World, account: Account) -> str:
    return world.connected(account)


class TestFlip:
    def test_connected_bindings_need_reconnect_and_lose_their_tokens(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        world.service.tokens.fresh_token(binding_id)
        moved = world.service.set_environment(account.id, SANDBOX)
        binding = world.binding(binding_id)
        assert moved == [binding_id]
        assert (binding.status, binding.xero) == (S.NEEDS_RECONNECT, None)
        assert "sandbox" in binding.status_reason
        assert world.events(binding_id)[-1] == "environment_changed"
        assert world.grant(binding_id) is None
        assert world.uow().accounts.get(account.id).environment is SANDBOX
        with pytest.raises(ReauthRequired, match="sandbox"):
            world.service.tokens.fresh_token(binding_id)

    def test_a_degraded_binding_moves_too(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        world.clock.advance(minutes=29)
        world.xero.fail_next = [ProviderUnavailable("Xero answered 503")]
        world.service.tokens.fresh_token(binding_id)
        world.service.set_environment(account.id, SANDBOX)
        assert world.binding(binding_id).status is S.NEEDS_RECONNECT

    def test_bindings_without_xero_are_left_alone(self, world: World, account: Account) -> None:
        paired = world.paired(account, "https://paired.example")
        gone = world.connected(account, url="https://gone.example")
        world.service.disconnect(account.id, gone)
        assert world.service.set_environment(account.id, SANDBOX) == []
        assert world.binding(paired).status is S.PAIRED
        assert world.binding(gone).status is S.DISCONNECTED

    def test_the_same_environment_changes_nothing(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        assert world.service.set_environment(account.id, Environment.PRODUCTION) == []
        assert world.binding(binding_id).status is S.CONNECTED


class TestAfterTheFlip:
    def test_another_organisation_connects_in_the_new_environment(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        world.service.set_environment(account.id, SANDBOX)
        outcome = world.consent(account, binding_id, "user-avery", ["tenant-nz"])
        assert outcome == Connected(binding_id, "Kiwi Kitchenware Ltd", reference_ready=True)
        link = world.binding(binding_id).xero
        assert link is not None and (link.environment, link.tenant_id) == (SANDBOX, "tenant-nz")
        token = world.service.tokens.fresh_token(binding_id)
        assert token.api_base_url == "https://xero.test/sandbox/api.xro/2.0"

    def test_the_same_tenant_id_has_its_own_cache_per_environment(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        world.service.set_environment(account.id, SANDBOX)
        world.consent(account, binding_id, "user-avery", ["tenant-uk"])
        keys = sorted((c.tenant_id, c.environment) for c in world.store.rows("references"))
        assert keys == [("tenant-uk", Environment.PRODUCTION), ("tenant-uk", SANDBOX)]

    def test_an_authorisation_started_before_the_flip_cannot_finish(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account, "https://late.example")
        state, code = world.authorize(account, binding_id, "user-avery", ["tenant-uk"])
        world.service.set_environment(account.id, SANDBOX)
        with pytest.raises(ConnectAttemptInvalid, match="environment"):
            world.service.complete_connect("browser-1", state, code)
        assert world.binding(binding_id).status is S.PAIRED
        assert world.grant(binding_id) is None
        assert world.xero.connections_of("user-avery") == []
