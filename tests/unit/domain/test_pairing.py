"""Pairing (DESIGN §1, §3): a one-time code, one live binding per install, plan websites."""

from __future__ import annotations

import pytest

from domain.account import Account, Plan
from domain.digests import CROCKFORD, digest, normalise_pairing_code, pairing_code
from domain.errors import (
    ConnectorSecretInvalid,
    InstallAlreadyPaired,
    NotFound,
    PairingCodeInvalid,
    PlanLimitExceeded,
)
from domain.limits import websites_full
from domain.values import BindingStatus
from tests.fakes.misc import FakePlans
from tests.fakes.world import World, profile


class TestPairingCode:
    def test_redeeming_pairs_the_binding_and_returns_a_connector_secret(
        self, world: World, account: Account
    ) -> None:
        created = world.service.create_binding(account.id)
        pairing = world.service.redeem_pairing(created.pairing_code, profile())
        binding = world.binding(created.binding_id)
        assert pairing.binding_id == created.binding_id
        assert binding.status is BindingStatus.PAIRED
        assert binding.connector_secret_hash == digest(pairing.connector_secret)
        assert world.events(binding.id) == ["created", "paired"]

    def test_the_code_is_stored_only_as_a_keyed_digest(
        self, world: World, account: Account
    ) -> None:
        created = world.service.create_binding(account.id)
        stored = world.store.rows("pairing_codes")
        assert [c.code_hash for c in stored] == [world.codes(created.pairing_code)]
        assert created.pairing_code not in repr(stored)

    def test_the_code_is_eight_unambiguous_characters(self, world: World, account: Account) -> None:
        code = world.service.create_binding(account.id).pairing_code
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(CROCKFORD)

    def test_look_alike_characters_are_read_as_meant(self, world: World, account: Account) -> None:
        created = world.service.create_binding(account.id)
        code = created.pairing_code
        typed = code.replace("0", "o").replace("1", "l").replace("-", " ").lower()
        world.service.redeem_pairing(typed, profile())
        assert world.binding(created.binding_id).status is BindingStatus.PAIRED

    def test_the_code_is_forgiving_about_case_and_blanks(
        self, world: World, account: Account
    ) -> None:
        created = world.service.create_binding(account.id)
        world.service.redeem_pairing(f"  {created.pairing_code.lower()} ", profile())
        assert world.binding(created.binding_id).status is BindingStatus.PAIRED

    def test_a_code_works_once(self, world: World, account: Account) -> None:
        created = world.service.create_binding(account.id)
        world.service.redeem_pairing(created.pairing_code, profile())
        with pytest.raises(PairingCodeInvalid):
            world.service.redeem_pairing(created.pairing_code, profile("https://other.example"))

    def test_a_code_lives_fifteen_minutes(self, world: World, account: Account) -> None:
        created = world.service.create_binding(account.id)
        world.clock.advance(minutes=15)
        world.service.redeem_pairing(created.pairing_code, profile())
        late = world.service.create_binding(account.id)
        world.clock.advance(minutes=15, seconds=1)
        with pytest.raises(PairingCodeInvalid):
            world.service.redeem_pairing(late.pairing_code, profile("https://other.example"))
        assert world.binding(late.binding_id).status is BindingStatus.AWAITING_PAIRING

    def test_an_unknown_code_is_refused(self, world: World, account: Account) -> None:
        with pytest.raises(PairingCodeInvalid):
            world.service.redeem_pairing("NOT-A-CODE", profile())

    def test_a_new_code_replaces_a_lost_one_until_paired(
        self, world: World, account: Account
    ) -> None:
        created = world.service.create_binding(account.id)
        code = world.service.new_pairing_code(account.id, created.binding_id)
        world.service.redeem_pairing(code, profile())
        with pytest.raises(PairingCodeInvalid):
            world.service.new_pairing_code(account.id, created.binding_id)

    def test_the_code_of_a_disconnected_binding_is_dead(
        self, world: World, account: Account
    ) -> None:
        created = world.service.create_binding(account.id)
        world.service.disconnect(account.id, created.binding_id)
        with pytest.raises(PairingCodeInvalid):
            world.service.redeem_pairing(created.pairing_code, profile())

    def test_only_the_owner_gets_a_new_code(self, world: World, account: Account) -> None:
        created = world.service.create_binding(account.id)
        stranger = world.account("stranger@example.com")
        with pytest.raises(NotFound):
            world.service.new_pairing_code(stranger.id, created.binding_id)


class TestOneLiveBindingPerInstall:
    def test_spellings_of_one_install_are_one_install(self, world: World, account: Account) -> None:
        world.paired(account, "https://shop.example.com")
        second = world.service.create_binding(account.id)
        with pytest.raises(InstallAlreadyPaired):
            world.service.redeem_pairing(
                second.pairing_code, profile("HTTPS://Shop.Example.com:443/")
            )
        assert world.binding(second.binding_id).status is BindingStatus.AWAITING_PAIRING
        assert world.events(second.binding_id) == ["created"]

    def test_another_account_cannot_pair_the_same_install(
        self, world: World, account: Account
    ) -> None:
        world.paired(account)
        stranger = world.account("stranger@example.com")
        second = world.service.create_binding(stranger.id)
        with pytest.raises(InstallAlreadyPaired):
            world.service.redeem_pairing(second.pairing_code, profile())

    def test_the_install_pairs_again_once_its_binding_is_disconnected(
        self, world: World, account: Account
    ) -> None:
        first = world.paired(account)
        world.service.disconnect(account.id, first)
        second = world.paired(account)
        assert world.binding(second).status is BindingStatus.PAIRED
        assert world.binding(first).status is BindingStatus.DISCONNECTED


class TestPlanWebsites:
    @pytest.fixture
    def world(self) -> World:
        return World(plans=FakePlans(Plan("small", 2, 3)))

    @pytest.fixture
    def account(self, world: World) -> Account:
        return world.account(plan="small")

    def test_websites_up_to_the_limit_pair(self, world: World, account: Account) -> None:
        world.paired(account, "https://a.example", websites=2)
        world.paired(account, "https://b.example", websites=1)

    def test_the_limit_is_checked_before_anything_is_written(
        self, world: World, account: Account
    ) -> None:
        world.paired(account, "https://a.example", websites=2)
        created = world.service.create_binding(account.id)
        with pytest.raises(PlanLimitExceeded, match="3 Magento websites"):
            world.service.redeem_pairing(created.pairing_code, profile("https://b.example", 2))
        [code] = [
            c for c in world.store.rows("pairing_codes") if c.binding_id == created.binding_id
        ]
        assert (code.refusals, code.used_at) == (1, None)
        assert world.binding(created.binding_id).status is BindingStatus.AWAITING_PAIRING
        world.service.redeem_pairing(created.pairing_code, profile("https://b.example", 1))

    def test_a_refused_pairing_is_recorded_on_the_binding(
        self, world: World, account: Account
    ) -> None:
        world.paired(account, "https://a.example", websites=2)
        created = world.service.create_binding(account.id)
        with pytest.raises(PlanLimitExceeded):
            world.service.redeem_pairing(created.pairing_code, profile("https://b.example", 2))
        binding = world.binding(created.binding_id)
        assert "pairing_refused" in world.events(created.binding_id)
        assert binding.status_reason.startswith("the last pairing attempt was refused: the small")

    def test_at_the_limit_no_binding_is_created_whose_code_could_never_pair(
        self, world: World, account: Account
    ) -> None:
        world.paired(account, "https://a.example", websites=3)
        with pytest.raises(PlanLimitExceeded, match="3 of 3 websites used: upgrade your plan"):
            world.service.create_binding(account.id)
        assert len(world.uow().bindings.for_account(account.id)) == 1

    def test_the_limit_counts_one_website_in_words(self) -> None:
        assert websites_full(1, 1) == (
            "1 of 1 website used: upgrade your plan or disconnect one before adding a shop"
        )
        assert websites_full(0, 1) is None
        assert websites_full(2, 1) == (
            "2 websites in use where your plan allows 1: "
            "upgrade your plan or disconnect a shop before adding one"
        )

    def test_disconnected_bindings_free_their_websites(
        self, world: World, account: Account
    ) -> None:
        first = world.paired(account, "https://a.example", websites=3)
        world.service.disconnect(account.id, first)
        world.paired(account, "https://b.example", websites=3)

    def test_a_profile_update_respects_the_limit(self, world: World, account: Account) -> None:
        created = world.service.create_binding(account.id)
        secret = world.service.redeem_pairing(created.pairing_code, profile()).connector_secret
        with pytest.raises(PlanLimitExceeded):
            world.service.update_profile(secret, profile(websites=4))
        assert world.binding(created.binding_id).magento == profile()


class TestConnectorSecret:
    def paired_with_secret(self, world: World, account: Account) -> tuple[str, str]:
        created = world.service.create_binding(account.id)
        secret = world.service.redeem_pairing(created.pairing_code, profile()).connector_secret
        return created.binding_id, secret

    def test_the_secret_updates_the_profile(self, world: World, account: Account) -> None:
        binding_id, secret = self.paired_with_secret(world, account)
        assert world.service.update_profile(secret, profile(websites=2)) == binding_id
        binding = world.binding(binding_id)
        assert len(binding.magento.websites) == 2  # type: ignore[union-attr]
        assert world.events(binding_id)[-1] == "profile_updated"

    def test_a_wrong_secret_is_refused(self, world: World, account: Account) -> None:
        binding_id, _ = self.paired_with_secret(world, account)
        with pytest.raises(ConnectorSecretInvalid):
            world.service.update_profile("wrong", profile(websites=2))
        with pytest.raises(ConnectorSecretInvalid):
            world.service.disconnect.unpair("wrong")
        assert world.binding(binding_id).status is BindingStatus.PAIRED

    def test_the_base_url_of_a_binding_never_changes(self, world: World, account: Account) -> None:
        _, secret = self.paired_with_secret(world, account)
        with pytest.raises(InstallAlreadyPaired):
            world.service.update_profile(secret, profile("https://elsewhere.example"))

    def test_the_secret_unpairs_and_dies_with_the_binding(
        self, world: World, account: Account
    ) -> None:
        binding_id, secret = self.paired_with_secret(world, account)
        world.service.disconnect.unpair(secret)
        assert world.binding(binding_id).status is BindingStatus.DISCONNECTED
        assert world.events(binding_id)[-1] == "unpaired"
        with pytest.raises(ConnectorSecretInvalid):
            world.service.update_profile(secret, profile())
        with pytest.raises(ConnectorSecretInvalid):
            world.service.disconnect.unpair(secret)

    def test_a_profile_update_keeps_choices_that_still_exist(
        self, world: World, account: Account
    ) -> None:
        binding_id, secret = self.paired_with_secret(world, account)
        world.service.update_profile(secret, profile(websites=2))
        world.service.update_profile(secret, profile(url="https://shop.example.com/", websites=1))
        policy = world.binding(binding_id).policy
        assert policy.website_filter == ("site1",)


class TestPairingCodeText:
    def test_o_i_and_l_read_as_digits_and_separators_vanish(self) -> None:
        assert normalise_pairing_code(" ol1I-ab cd ") == "0111ABCD"

    def test_codes_from_different_entropy_differ(self) -> None:
        assert pairing_code("entropy-1") != pairing_code("entropy-2")
