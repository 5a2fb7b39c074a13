"""What a consent may not do (DESIGN §3, §4): the organisation lock, plan limits, Partner
edition; and the connections a consent leaves at Xero."""

from __future__ import annotations

import pytest

from domain.account import Account, Plan
from domain.errors import (
    ConnectAttemptInvalid,
    OrganisationLocked,
    PartnerEditionRefused,
    PlanLimitExceeded,
    ProviderUnavailable,
)
from domain.usecases.connect import ChooseOrganisation
from domain.usecases.settle import Connected
from domain.values import BindingStatus, Environment
from tests.fakes.misc import FakePlans
from tests.fakes.world import World

USER = "user-avery"


def conn(tenant: str, user: str = USER) -> str:
    return f"conn-production-{user}-{tenant}"


class TestOrganisationLock:
    def test_a_consent_for_another_organisation_changes_nothing(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account, USER, "tenant-uk")
        before = (world.binding(binding_id), world.grant(binding_id), world.events(binding_id))
        with pytest.raises(OrganisationLocked, match="Demo Company \\(UK\\)"):
            world.consent(account, binding_id, USER, ["tenant-nz"])
        assert (world.binding(binding_id), world.grant(binding_id)) == before[:2]
        assert world.events(binding_id) == before[2]
        assert world.xero.deleted == [conn("tenant-nz")]

    def test_a_binding_awaiting_reconnect_stays_locked(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account, USER, "tenant-uk")
        world.needs_reconnect(binding_id)
        grant = world.grant(binding_id)
        with pytest.raises(OrganisationLocked):
            world.consent(account, binding_id, "user-blake", ["tenant-nz"])
        assert world.binding(binding_id).status is BindingStatus.NEEDS_RECONNECT
        assert world.grant(binding_id) == grant

    def test_a_reconnect_picks_the_locked_organisation_by_itself(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account, USER, "tenant-uk")
        world.needs_reconnect(binding_id)
        outcome = world.consent(account, binding_id, USER, ["tenant-nz", "tenant-uk"])
        assert outcome == Connected(binding_id, "Demo Company (UK)", reference_ready=True)
        binding = world.binding(binding_id)
        assert binding.status is BindingStatus.CONNECTED
        assert binding.xero is not None and binding.xero.tenant_id == "tenant-uk"
        assert world.grant(binding_id).version == 2  # type: ignore[union-attr]
        assert world.xero.deleted == [conn("tenant-nz")]
        assert world.service.tokens.fresh_token(binding_id).tenant_id == "tenant-uk"

    def test_another_xero_user_may_reconnect_the_same_organisation(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account, USER, "tenant-uk")
        world.needs_reconnect(binding_id)
        world.consent(account, binding_id, "user-blake", ["tenant-uk"])
        link = world.binding(binding_id).xero
        assert link is not None and link.xero_user_id == "user-blake"
        assert world.grant(binding_id).xero_user_id == "user-blake"  # type: ignore[union-attr]


class TestPlanOrganisations:
    @pytest.fixture
    def world(self) -> World:
        return World(plans=FakePlans(Plan("solo", 1, 5)))

    @pytest.fixture
    def account(self, world: World) -> Account:
        return world.account(plan="solo")

    def test_a_second_organisation_is_refused_and_nothing_written(
        self, world: World, account: Account
    ) -> None:
        world.connected(account, USER, "tenant-uk")
        second = world.paired(account, "https://second.example")
        with pytest.raises(PlanLimitExceeded, match="1 Xero organisations"):
            world.consent(account, second, USER, ["tenant-nz"])
        assert world.binding(second).status is BindingStatus.PAIRED
        assert world.grant(second) is None
        assert world.uow().references.get("tenant-nz", Environment.PRODUCTION) is None
        assert world.events(second) == ["created", "paired"]
        assert conn("tenant-nz") in world.xero.deleted

    def test_the_same_organisation_counts_once(self, world: World, account: Account) -> None:
        world.connected(account, USER, "tenant-uk")
        second = world.paired(account, "https://second.example")
        assert isinstance(world.consent(account, second, USER, ["tenant-uk"]), Connected)

    def test_a_disconnected_binding_frees_its_organisation(
        self, world: World, account: Account
    ) -> None:
        first = world.connected(account, USER, "tenant-uk")
        world.service.disconnect(account.id, first)
        second = world.paired(account, "https://second.example")
        assert isinstance(world.consent(account, second, USER, ["tenant-nz"]), Connected)

    def test_the_limit_is_checked_when_the_merchant_picks(
        self, world: World, account: Account
    ) -> None:
        world.connected(account, USER, "tenant-uk")
        second = world.paired(account, "https://second.example")
        outcome = world.consent(account, second, USER, ["tenant-nz", "tenant-au"])
        assert isinstance(outcome, ChooseOrganisation)
        with pytest.raises(PlanLimitExceeded):
            world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-nz")
        assert world.grant(second) is None

    def test_the_picker_disables_a_new_organisation_at_the_limit(
        self, world: World, account: Account
    ) -> None:
        world.connected(account, USER, "tenant-uk", url="https://first.example")
        second = world.paired(account, "https://second.example")
        outcome = world.consent(account, second, USER, ["tenant-uk", "tenant-nz"])
        assert isinstance(outcome, ChooseOrganisation)
        uk, nz = outcome.offers
        assert (uk.refusal, uk.used_by) == ("", ("first.example",))
        assert nz.refusal == "your solo plan connects 1 Xero organisation and all are in use"


class TestPickerOffers:
    def test_a_partner_edition_is_offered_as_refused_and_picking_it_still_fails(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        outcome = world.consent(account, binding_id, USER, ["tenant-partner", "tenant-uk"])
        assert isinstance(outcome, ChooseOrganisation)
        assert [o.refusal for o in outcome.offers] == [
            "a Xero Partner edition, which cannot raise invoices",
            "",
        ]
        with pytest.raises(PartnerEditionRefused):
            world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-partner")

    def test_an_edition_already_cached_costs_no_call(self, world: World, account: Account):
        world.connected(account, USER, "tenant-uk", url="https://first.example")
        binding_id = world.paired(account, "https://second.example")
        world.xero.fetches.clear()
        outcome = world.consent(account, binding_id, USER, ["tenant-uk", "tenant-nz"])
        assert isinstance(outcome, ChooseOrganisation)
        assert [t for t, _ in world.xero.fetches] == ["tenant-nz"]

    def test_an_edition_xero_does_not_tell_leaves_the_choice_open(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        world.xero.fail_fetch.append(ProviderUnavailable("Xero is slow"))
        outcome = world.consent(account, binding_id, USER, ["tenant-uk", "tenant-nz"])
        assert isinstance(outcome, ChooseOrganisation)
        assert [o.refusal for o in outcome.offers] == ["", ""]

    def test_cancel_connects_nothing_and_releases_the_consent(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        outcome = world.consent(account, binding_id, USER, ["tenant-uk", "tenant-nz"])
        assert isinstance(outcome, ChooseOrganisation)
        assert world.service.pick_organisation.cancel("browser-other", outcome.attempt_id) is None
        assert world.service.pick_organisation.cancel("browser-1", outcome.attempt_id) == binding_id
        assert world.binding(binding_id).status is BindingStatus.PAIRED
        assert world.grant(binding_id) is None
        assert world.xero.connections_of(USER) == []
        with pytest.raises(ConnectAttemptInvalid):
            world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-uk")


class TestPartnerEdition:
    def test_a_partner_organisation_is_refused_and_released(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        with pytest.raises(PartnerEditionRefused, match="cannot raise invoices"):
            world.consent(account, binding_id, USER, ["tenant-partner"])
        assert world.binding(binding_id).status is BindingStatus.PAIRED
        assert world.grant(binding_id) is None
        assert world.uow().references.get("tenant-partner", Environment.PRODUCTION) is None
        assert world.xero.connections_of(USER) == []


class TestConnectionsLeftAtXero:
    def test_connections_the_binding_does_not_use_are_deleted(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        outcome = world.consent(account, binding_id, USER, ["tenant-uk", "tenant-nz", "tenant-au"])
        assert isinstance(outcome, ChooseOrganisation)
        world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-nz")
        assert sorted(world.xero.deleted) == [conn("tenant-au"), conn("tenant-uk")]
        assert [c.tenant_id for c in world.xero.connections_of(USER)] == ["tenant-nz"]

    def test_a_connection_another_live_binding_uses_is_kept(
        self, world: World, account: Account
    ) -> None:
        world.connected(account, USER, "tenant-nz", url="https://kiwi.example")
        binding_id = world.paired(account)
        outcome = world.consent(account, binding_id, USER, ["tenant-uk", "tenant-nz"])
        assert isinstance(outcome, ChooseOrganisation)
        world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-uk")
        assert world.xero.deleted == []
        assert {c.tenant_id for c in world.xero.connections_of(USER)} == {"tenant-uk", "tenant-nz"}

    def test_a_refused_consent_keeps_connections_in_use(
        self, world: World, account: Account
    ) -> None:
        in_use = world.connected(account, USER, "tenant-uk", url="https://a.example")
        locked = world.connected(account, USER, "tenant-nz", url="https://b.example")
        with pytest.raises(OrganisationLocked):
            world.consent(account, locked, USER, ["tenant-uk", "tenant-au"])
        assert world.xero.deleted == [conn("tenant-au")]
        assert world.service.reference.refresh(in_use).critical_ready

    def test_several_bindings_may_share_one_organisation(
        self, world: World, account: Account
    ) -> None:
        first = world.connected(account, USER, "tenant-uk", url="https://a.example")
        second = world.connected(account, USER, "tenant-uk", url="https://b.example")
        links = [world.binding(b).xero for b in (first, second)]
        assert links[0] == links[1]
        assert [world.binding(b).status for b in (first, second)] == [BindingStatus.CONNECTED] * 2
        assert world.store.rows("references")[0].tenant_id == "tenant-uk"
        assert len(world.store.rows("references")) == 1
