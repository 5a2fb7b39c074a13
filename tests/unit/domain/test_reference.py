"""Reference data, DESIGN §6: two waves, classification, one cache per organisation, and a
403 confirmed through /connections."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from domain.errors import OrganisationDisconnected, ProviderUnavailable, ReauthRequired
from domain.reference import LedgerAccount, ReferenceCache, RefKind, TaxRate
from domain.usecases.settle import Connected
from domain.values import BindingStatus, Environment
from tests.fakes.world import World

K = RefKind
CRITICAL_WAVE = (K.ORGANISATION, K.ACCOUNTS, K.ITEMS, K.TAX_RATES)
SECOND_WAVE = (K.TRACKING_CATEGORIES, K.BRANDING_THEMES, K.CURRENCIES)


@pytest.fixture
def binding_id(world: World) -> str:
    binding_id = world.connected()
    world.tasks.run_all()
    world.xero.fetches.clear()
    world.xero.list_calls = 0
    return binding_id


class TestWaves:
    def test_the_critical_set_comes_first_then_the_rest(
        self, world: World, binding_id: str
    ) -> None:
        cache = world.service.reference.refresh(binding_id)
        assert world.xero.fetches == [("tenant-uk", CRITICAL_WAVE), ("tenant-uk", SECOND_WAVE)]
        assert cache.organisation is not None and cache.organisation.base_currency == "GBP"
        assert [c.code for c in cache.currencies] == ["GBP"]
        assert cache.fetched_at == cache.extended_fetched_at == world.clock.now()
        assert world.events(binding_id)[-2:] == ["reference_refreshed", "reference_refreshed"]

    def test_the_cache_is_served_without_xero(self, world: World, binding_id: str) -> None:
        cache = world.service.reference.cached(binding_id)
        assert cache.critical_ready and world.xero.fetches == []

    def test_a_forced_refresh_asks_xero(self, world: World, binding_id: str) -> None:
        world.clock.advance(hours=1)
        cache = world.service.reference.cached(binding_id, force_refresh=True)
        assert len(world.xero.fetches) == 2 and cache.fetched_at == world.clock.now()

    def test_a_failed_second_wave_keeps_the_critical_set(
        self, world: World, binding_id: str
    ) -> None:
        world.clock.advance(hours=1)
        world.xero.fail_fetch = [ProviderUnavailable("Xero answered 503")]
        with pytest.raises(ProviderUnavailable):
            world.service.reference.refresh(binding_id, (SECOND_WAVE,))
        cache = world.service.reference.cached(binding_id)
        assert cache.critical_ready and cache.accounts != ()

    def test_the_background_task_gives_up_quietly_on_a_disconnected_binding(
        self, world: World
    ) -> None:
        account = world.account("other@example.com")
        binding_id = world.connected(account, url="https://other.example")
        world.service.disconnect(account.id, binding_id)
        world.tasks.run_all()
        assert world.binding(binding_id).status is BindingStatus.DISCONNECTED


class TestOneCachePerOrganisation:
    def test_bindings_on_one_organisation_share_it(self, world: World, binding_id: str) -> None:
        account = world.binding(binding_id).account_id
        other = world.connected(
            world.uow().accounts.get(account), "user-blake", "tenant-uk", "https://b.example"
        )
        world.clock.advance(hours=2)
        world.service.reference.refresh(binding_id)
        seen_by_other = world.service.reference.cached(other)
        assert seen_by_other.fetched_at == world.clock.now()
        assert seen_by_other == world.service.reference.cached(binding_id)
        assert len(world.store.rows("references")) == 1


ACCOUNTS = (
    LedgerAccount("sales", "200", "Sales", "REVENUE", "REVENUE"),
    LedgerAccount("other-income", "270", "Interest", "OTHERINCOME", "REVENUE"),
    LedgerAccount("old-sales", "280", "Old", "SALES", "REVENUE", status="ARCHIVED"),
    LedgerAccount("fx-gains", "497", "FX gains", "REVENUE", "REVENUE", system_account="FXGAIN"),
    LedgerAccount("bank", "090", "Bank", "BANK", "ASSET"),
    LedgerAccount("old-bank", "092", "Closed", "BANK", "ASSET", status="ARCHIVED"),
    LedgerAccount("owner", "970", "Owner funds", "EQUITY", "EQUITY", enable_payments=True),
    LedgerAccount("old-owner", "971", "Old", "EQUITY", "EQUITY", "DELETED", enable_payments=True),
    LedgerAccount("rent", "469", "Rent", "OVERHEADS", "EXPENSE"),
)


class TestClassification:
    cache = ReferenceCache(
        "tenant-uk",
        Environment.PRODUCTION,
        accounts=ACCOUNTS,
        tax_rates=(
            TaxRate("OUTPUT2", "VAT on income", "ACTIVE", True),
            TaxRate("INPUT2", "VAT on expenses", "ACTIVE", False),
            TaxRate("OLD", "Old VAT on income", "DELETED", True),
        ),
        fetched_at=datetime(2026, 11, 2, tzinfo=UTC),
    )

    def ids(self, accounts: tuple[LedgerAccount, ...]) -> list[str]:
        return [a.account_id for a in accounts]

    def test_income_is_active_revenue_that_is_not_a_system_account(self) -> None:
        assert self.ids(self.cache.income_accounts) == ["sales", "other-income"]

    def test_bank_is_active_type_bank(self) -> None:
        assert self.ids(self.cache.bank_accounts) == ["bank"]

    def test_payment_targets_are_active_banks_or_payment_enabled(self) -> None:
        assert self.ids(self.cache.payment_targets) == ["bank", "owner"]


class TestForbiddenOrganisation:
    def test_an_organisation_gone_from_connections_needs_reconnect(
        self, world: World, binding_id: str
    ) -> None:
        world.xero.remove_app("user-avery", "tenant-uk")
        with pytest.raises(OrganisationDisconnected):
            world.service.reference.refresh(binding_id)
        assert world.xero.list_calls == 1
        assert world.binding(binding_id).status is BindingStatus.NEEDS_RECONNECT
        assert world.events(binding_id)[-1] == "needs_reconnect"
        with pytest.raises(ReauthRequired):
            world.service.tokens.fresh_token(binding_id)

    def test_a_403_for_a_listed_organisation_changes_nothing(
        self, world: World, binding_id: str
    ) -> None:
        world.xero.fail_fetch = [OrganisationDisconnected("Xero answered 403")]
        with pytest.raises(OrganisationDisconnected):
            world.service.reference.refresh(binding_id)
        assert world.xero.list_calls == 1
        assert world.binding(binding_id).status is BindingStatus.CONNECTED


class TestLateChecks:
    def test_a_partner_organisation_found_by_a_later_prefetch_needs_reconnect(
        self, world: World
    ) -> None:
        account = world.account()
        binding_id = world.paired(account)
        world.xero.fail_fetch = [ProviderUnavailable("Xero Accounts API answered 503")]
        outcome = world.consent(account, binding_id, "user-avery", ["tenant-partner"])
        assert isinstance(outcome, Connected) and not outcome.reference_ready
        world.tasks.run_all()
        binding = world.binding(binding_id)
        assert binding is not None
        assert binding.status is BindingStatus.NEEDS_RECONNECT
        assert "Partner" in binding.status_reason
        with pytest.raises(ReauthRequired):
            world.service.tokens.fresh_token(binding_id)


class TestForcedRefreshLimit:
    """Twenty forced GetRefData calls once spent 53 of the organisation's 60 Xero calls a
    minute; now a full fetch serves every forced call for `forced_reference_interval`."""

    def test_twenty_forced_calls_in_a_minute_cost_one_fetch(
        self, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=2)

        caches = [world.service.reference.cached(binding_id, force_refresh=True) for _ in range(20)]

        assert world.xero.fetches == [("tenant-uk", CRITICAL_WAVE), ("tenant-uk", SECOND_WAVE)]
        assert {c.fetched_at for c in caches} == {world.clock.now()}

    def test_a_forced_call_after_the_interval_fetches_again(
        self, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=2)
        world.service.reference.cached(binding_id, force_refresh=True)
        world.clock.advance(seconds=61)

        cache = world.service.reference.cached(binding_id, force_refresh=True)

        assert len(world.xero.fetches) == 4 and cache.fetched_at == world.clock.now()

    def test_another_binding_on_the_same_organisation_shares_the_limit(
        self, world: World, binding_id: str
    ) -> None:
        other = world.connected(world.account("other@example.com"), url="https://other.test")
        world.tasks.run_all()
        world.xero.fetches.clear()
        world.clock.advance(minutes=2)

        world.service.reference.cached(binding_id, force_refresh=True)
        world.service.reference.cached(other, force_refresh=True)

        assert len(world.xero.fetches) == 2

    def test_concurrent_forced_calls_share_one_fetch(self, world: World, binding_id: str) -> None:
        world.clock.advance(minutes=2)
        fetch = world.xero.fetch_reference
        started = threading.Barrier(8, timeout=5)

        def slow_fetch(*args: object, **kwargs: object) -> object:
            time.sleep(0.2)
            return fetch(*args, **kwargs)  # type: ignore[arg-type]

        world.xero.fetch_reference = slow_fetch  # type: ignore[method-assign, assignment]

        def force() -> None:
            started.wait()
            world.service.reference.cached(binding_id, force_refresh=True)

        threads = [threading.Thread(target=force) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)

        assert len(world.xero.fetches) == 2
