"""The sync policy: defaults of DESIGN §4 and validation of the merchant's choices."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.account import Account
from domain.defaults import default_policy
from domain.errors import BindingDisconnected, NotFound, ValidationFailed
from domain.policy import SyncPolicy
from domain.reference import LedgerAccount, ReferenceCache
from domain.values import Environment
from tests.fakes.world import World, profile


def revenue(account_id: str, code: str, name: str, **kw: object) -> LedgerAccount:
    return LedgerAccount(account_id, code, name, "REVENUE", "REVENUE", **kw)  # type: ignore[arg-type]


def bank(account_id: str, **kw: object) -> LedgerAccount:
    return LedgerAccount(account_id, "09x", account_id, "BANK", "ASSET", **kw)  # type: ignore[arg-type]


def cache(*accounts: LedgerAccount) -> ReferenceCache:
    return ReferenceCache("tenant-uk", Environment.PRODUCTION, accounts=accounts)


class TestDefaults:
    def test_income_is_the_account_coded_200(self) -> None:
        chosen = default_policy(
            cache(revenue("a", "400", "Fees"), revenue("b", "200", "Income")), None
        )
        assert chosen.default_income_account == "b"

    def test_income_is_the_account_named_sales(self) -> None:
        chosen = default_policy(
            cache(revenue("a", "400", "Fees"), revenue("b", "410", " sales ")), None
        )
        assert chosen.default_income_account == "b"

    def test_income_is_otherwise_the_first_active_revenue_account(self) -> None:
        accounts = (
            revenue("archived", "200", "Sales", status="ARCHIVED"),
            revenue("first", "400", "Fees"),
            revenue("second", "410", "Other"),
        )
        assert default_policy(cache(*accounts), None).default_income_account == "first"

    def test_bank_is_the_first_active_bank_and_takes_every_payment_method(self) -> None:
        chosen = default_policy(
            cache(bank("closed", status="ARCHIVED"), bank("b1"), bank("b2")), profile()
        )
        assert chosen.default_bank_account == "b1"
        assert chosen.payment_method_map == {"checkmo": "b1", "stripe": "b1"}

    def test_filters_are_everything_paired(self) -> None:
        chosen = default_policy(cache(), profile(websites=2))
        assert chosen.website_filter == ("site1", "site2")
        assert chosen.store_filter == ("store1", "store2")

    def test_an_organisation_without_accounts_leaves_blanks(self) -> None:
        chosen = default_policy(cache(), profile())
        assert (chosen.default_income_account, chosen.default_bank_account) == ("", "")
        assert chosen.payment_method_map == {}

    def test_the_binding_shows_the_defaults_right_after_connecting(self, world: World) -> None:
        policy = world.binding(world.connected()).policy
        assert policy == SyncPolicy(
            website_filter=("site1",),
            store_filter=("store1",),
            default_income_account="acc-sales",
            default_bank_account="acc-bank",
            payment_method_map={"checkmo": "acc-bank", "stripe": "acc-bank"},
        )


@pytest.fixture
def binding_id(world: World, account: Account) -> str:
    return world.connected(account)


def save(world: World, account: Account, binding_id: str, **changes: object) -> None:
    policy = replace(world.binding(binding_id).policy, **changes)  # type: ignore[arg-type]
    world.service.save_settings(account.id, binding_id, policy)


class TestSaving:
    def test_a_valid_choice_is_saved_and_survives_the_next_refresh(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        save(
            world,
            account,
            binding_id,
            default_income_account="acc-other",
            payment_method_map={"checkmo": "acc-owner", "stripe": "acc-savings"},
        )
        world.service.reference.refresh(binding_id)
        policy = world.binding(binding_id).policy
        assert policy.default_income_account == "acc-other"
        assert policy.payment_method_map == {"checkmo": "acc-owner", "stripe": "acc-savings"}
        assert "settings_changed" in world.events(binding_id)

    @pytest.mark.parametrize(
        ("changes", "problem"),
        [
            ({"website_filter": ("nope",)}, "unknown website"),
            ({"store_filter": ("nope",)}, "unknown store"),
            ({"payment_method_map": {"paypal": "acc-bank"}}, "unknown payment method"),
            ({"item_type_map": {"bundle": "acc-sales"}}, "unknown product type"),
            ({"default_income_account": "acc-old"}, "no longer an active revenue"),
            ({"default_income_account": "acc-bank"}, "no longer an active revenue"),
            ({"default_bank_account": "acc-owner"}, "no longer an active bank"),
            ({"payment_method_map": {"checkmo": "acc-rent"}}, "no longer accepts payments"),
            ({"item_type_map": {"simple": "acc-debtors"}}, "no longer a revenue account"),
        ],
    )
    def test_a_choice_that_names_nothing_real_is_refused(
        self, world: World, account: Account, binding_id: str, changes: dict, problem: str
    ) -> None:
        before = world.binding(binding_id).policy
        with pytest.raises(ValidationFailed, match=problem):
            save(world, account, binding_id, **changes)
        assert world.binding(binding_id).policy == before

    @pytest.mark.parametrize(
        ("changes", "problem"),
        [
            ({"website_filter": ()}, "choose at least one website"),
            ({"store_filter": ()}, "choose at least one store"),
            ({"default_income_account": ""}, "choose an income account"),
            ({"default_bank_account": ""}, "choose a bank account"),
        ],
    )
    def test_the_settings_page_rules_hold_for_every_caller(
        self, world: World, account: Account, binding_id: str, changes: dict, problem: str
    ) -> None:
        """The checks the settings page shows beside each field are the domain's own."""
        with pytest.raises(ValidationFailed, match=problem):
            save(world, account, binding_id, **changes)

    def test_every_problem_is_reported_at_once(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        with pytest.raises(ValidationFailed) as refused:
            save(world, account, binding_id, website_filter=("x",), default_bank_account="y")
        assert "unknown website" in refused.value.message and "bank" in refused.value.message

    def test_accounts_cannot_be_chosen_before_xero_is_connected(
        self, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account, "https://paired.example")
        with pytest.raises(ValidationFailed):
            save(world, account, binding_id, default_income_account="acc-sales")

    def test_only_the_owner_saves(self, world: World, binding_id: str) -> None:
        stranger = world.account("stranger@example.com")
        with pytest.raises(NotFound):
            world.service.save_settings(stranger.id, binding_id, SyncPolicy())

    def test_a_disconnected_binding_keeps_its_last_settings(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        world.service.disconnect(account.id, binding_id)
        with pytest.raises(BindingDisconnected):
            save(world, account, binding_id, default_income_account="acc-other")


class TestProfileChanges:
    def test_a_new_website_joins_a_filter_that_covered_everything(self, world: World) -> None:

        account = world.account()
        created = world.service.create_binding(account.id)
        pairing = world.service.redeem_pairing(created.pairing_code, profile(websites=1))
        world.service.update_profile(pairing.connector_secret, profile(websites=2))
        binding = world.binding(created.binding_id)
        assert binding is not None
        assert binding.policy.website_filter == ("site1", "site2")
        assert binding.policy.store_filter == ("store1", "store2")

    def test_a_narrowed_filter_stays_narrow(self, world: World) -> None:

        account = world.account()
        created = world.service.create_binding(account.id)
        pairing = world.service.redeem_pairing(created.pairing_code, profile(websites=2))
        binding = world.binding(created.binding_id)
        assert binding is not None
        narrowed = replace(binding.policy, website_filter=("site1",), store_filter=("store1",))
        world.service.save_settings(account.id, binding.id, narrowed)
        world.service.update_profile(pairing.connector_secret, profile(websites=3))
        after = world.binding(binding.id)
        assert after is not None
        assert after.policy.website_filter == ("site1",)
        assert after.policy.store_filter == ("store1",)
