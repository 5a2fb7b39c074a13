"""DESIGN §3: a merchant's saved choice is never changed by the system. Defaults fill only
what was never set, "not mapped" is a choice, and an account Xero stopped offering is kept and
flagged (settings page, GetBinding, Activity), never replaced."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.account import Account
from domain.binding import Binding
from domain.choices import ChoiceProblem
from domain.policy import NOT_MAPPED, SyncPolicy
from domain.reference import ReferenceCache
from tests.fakes.world import World, profile


@pytest.fixture
def binding_id(world: World, account: Account) -> str:
    return world.connected(account)


def save(world: World, account: Account, binding_id: str, **changes: object) -> SyncPolicy:
    policy = replace(world.binding(binding_id).policy, **changes)  # type: ignore[arg-type]
    world.service.save_settings(account.id, binding_id, policy)
    return policy


def cache_of(world: World, binding: Binding) -> ReferenceCache | None:
    assert binding.xero is not None
    return world.uow().references.get(binding.xero.tenant_id, binding.xero.environment)


def flags(world: World, binding_id: str) -> list[str]:
    binding = world.binding(binding_id)
    return [flag.message for flag in binding.unavailable_choices(cache_of(world, binding))]


def reasons(world: World, binding_id: str, kind: str) -> list[str]:
    events = world.uow().events.for_binding(binding_id)
    return [e.reason for e in sorted(events, key=lambda e: e.id or 0) if e.kind.value == kind]


class TestNotMappedIsAChoice:
    def test_a_method_left_unmapped_stays_unmapped_through_every_refresh(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        save(world, account, binding_id, payment_method_map={"checkmo": "acc-bank", "stripe": ""})
        for _ in range(3):
            world.clock.advance(hours=25)
            world.service.reference.refresh(binding_id)
        assert world.binding(binding_id).policy.payment_method_map == {
            "checkmo": "acc-bank",
            "stripe": NOT_MAPPED,
        }

    def test_a_background_refresh_leaves_it_unmapped_too(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        save(world, account, binding_id, payment_method_map={"checkmo": "", "stripe": ""})
        world.clock.advance(hours=25)
        world.service.reference.refresh_in_background(binding_id, critical_ready=False)
        world.tasks.run_all()
        assert world.binding(binding_id).policy.payment_method_map == {"checkmo": "", "stripe": ""}

    def test_a_profile_update_keeps_it_unmapped_and_maps_only_the_new_method(
        self, world: World, account: Account
    ) -> None:
        created = world.service.create_binding(account.id)
        pairing = world.service.redeem_pairing(created.pairing_code, profile())
        world.consent(account, created.binding_id, "user-avery", ["tenant-uk"])
        save(world, account, created.binding_id, payment_method_map={"checkmo": "", "stripe": ""})
        methods = (*profile().payment_methods, replace(profile().payment_methods[0], code="paypal"))
        world.service.update_profile(
            pairing.connector_secret, replace(profile(), payment_methods=methods)
        )
        assert world.binding(created.binding_id).policy.payment_method_map == {
            "checkmo": "",
            "stripe": "",
            "paypal": "acc-bank",
        }

    def test_never_set_and_not_mapped_differ(self) -> None:
        defaults = SyncPolicy(default_bank_account="b", payment_method_map={"a": "b", "c": "b"})
        chosen = SyncPolicy(default_bank_account="b", payment_method_map={"a": NOT_MAPPED})
        assert chosen.filled_from(defaults).payment_method_map == {"a": "", "c": "b"}


class TestRefreshNeverChangesASavedChoice:
    @pytest.mark.parametrize(
        "changes",
        [
            {"default_income_account": "acc-other"},
            {"default_bank_account": "acc-savings"},
            {"payment_method_map": {"checkmo": "acc-owner", "stripe": "acc-savings"}},
            {"item_type_map": {"simple": "acc-interest"}},
        ],
    )
    def test_saved_accounts_survive_refreshes(
        self, world: World, account: Account, binding_id: str, changes: dict
    ) -> None:
        saved = save(world, account, binding_id, **changes)
        world.service.reference.refresh(binding_id)
        world.clock.advance(hours=25)
        world.service.reference.refresh(binding_id)
        assert world.binding(binding_id).policy == saved

    def test_a_narrowed_filter_survives_refreshes(self, world: World, account: Account) -> None:
        binding_id = world.paired(account, "https://two.example.com", websites=2)
        world.consent(account, binding_id, "user-avery", ["tenant-uk"])
        saved = save(
            world, account, binding_id, website_filter=("site2",), store_filter=("store2",)
        )
        world.service.reference.refresh(binding_id)
        assert world.binding(binding_id).policy == saved

    def test_a_reconnect_keeps_the_saved_choices(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        saved = save(world, account, binding_id, default_bank_account="acc-savings")
        world.needs_reconnect(binding_id)
        world.consent(account, binding_id, "user-avery", ["tenant-uk"])
        assert world.binding(binding_id).policy == saved


class TestAccountsXeroStoppedOffering:
    def test_an_archived_account_is_kept_and_flagged(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        saved = save(
            world,
            account,
            binding_id,
            payment_method_map={"checkmo": "acc-bank", "stripe": "acc-savings"},
        )
        world.xero.archived_accounts.add("acc-savings")
        world.service.reference.refresh(binding_id)
        assert world.binding(binding_id).policy == saved
        assert flags(world, binding_id) == [
            "Card's account 091 was archived in Xero; choose another"
        ]

    def test_the_flag_is_recorded_in_activity_once(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        save(
            world,
            account,
            binding_id,
            payment_method_map={"checkmo": "acc-bank", "stripe": "acc-savings"},
        )
        world.xero.archived_accounts.add("acc-savings")
        world.service.reference.refresh(binding_id)
        world.service.reference.refresh(binding_id)
        assert reasons(world, binding_id, "choice_unavailable") == [
            "Card's account 091 was archived in Xero; choose another"
        ]

    def test_a_deleted_account_keeps_its_code_from_the_last_fetch(
        self, world: World, binding_id: str
    ) -> None:
        world.xero.deleted_accounts.add("acc-bank")
        world.service.reference.refresh(binding_id)
        policy = world.binding(binding_id).policy
        assert policy.default_bank_account == "acc-bank"
        assert policy.payment_method_map == {"checkmo": "acc-bank", "stripe": "acc-bank"}
        assert reasons(world, binding_id, "choice_unavailable") == [
            "The default bank account 090 was deleted in Xero; choose another",
            "Check / Money order's account 090 was deleted in Xero; choose another",
            "Card's account 090 was deleted in Xero; choose another",
        ]
        binding = world.binding(binding_id)
        problems = {f.problem for f in binding.unavailable_choices(cache_of(world, binding))}
        assert problems == {ChoiceProblem.DELETED}

    def test_an_archived_default_is_not_replaced_by_a_new_default(
        self, world: World, binding_id: str
    ) -> None:
        world.xero.archived_accounts.add("acc-sales")
        world.service.reference.refresh(binding_id)
        assert world.binding(binding_id).policy.default_income_account == "acc-sales"
        assert flags(world, binding_id) == [
            "The default income account 200 was archived in Xero; choose another"
        ]

    def test_other_settings_can_be_saved_while_one_is_flagged(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        save(
            world,
            account,
            binding_id,
            payment_method_map={"checkmo": "acc-bank", "stripe": "acc-savings"},
        )
        world.xero.archived_accounts.add("acc-savings")
        world.service.reference.refresh(binding_id)
        saved = save(world, account, binding_id, default_income_account="acc-other")
        assert world.binding(binding_id).policy == saved

    def test_an_archived_account_cannot_be_chosen_anew(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        save(
            world,
            account,
            binding_id,
            payment_method_map={"checkmo": "acc-bank", "stripe": "acc-savings"},
        )
        world.xero.archived_accounts.add("acc-savings")
        world.service.reference.refresh(binding_id)
        with pytest.raises(Exception, match="checkmo"):
            save(
                world,
                account,
                binding_id,
                payment_method_map={"checkmo": "acc-savings", "stripe": "acc-savings"},
            )

    def test_choosing_another_account_clears_the_flag(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        save(
            world,
            account,
            binding_id,
            payment_method_map={"checkmo": "acc-bank", "stripe": "acc-savings"},
        )
        world.xero.archived_accounts.add("acc-savings")
        world.service.reference.refresh(binding_id)
        save(
            world,
            account,
            binding_id,
            payment_method_map={"checkmo": "acc-bank", "stripe": "acc-bank"},
        )
        assert flags(world, binding_id) == []


class TestEveryChangeIsInActivity:
    def test_the_defaults_say_what_they_chose_on_first_connect(
        self, world: World, binding_id: str
    ) -> None:
        assert reasons(world, binding_id, "settings_changed") == [
            "chosen by the defaults on first connect: default income account: 200 Sales; "
            "default bank account: 090 Business Bank Account; "
            "Check / Money order: 090 Business Bank Account; Card: 090 Business Bank Account"
        ]

    def test_the_merchant_s_change_says_what_changed(
        self, world: World, account: Account, binding_id: str
    ) -> None:
        save(world, account, binding_id, payment_method_map={"checkmo": "acc-bank", "stripe": ""})
        assert reasons(world, binding_id, "settings_changed")[-1] == (
            "changed by the merchant: Card: 090 Business Bank Account → not mapped"
        )

    def test_a_refresh_that_changes_nothing_records_no_settings_change(
        self, world: World, binding_id: str
    ) -> None:
        before = reasons(world, binding_id, "settings_changed")
        world.service.reference.refresh(binding_id)
        assert reasons(world, binding_id, "settings_changed") == before
