"""The daily refresh asks Accounts and Items only for what changed (If-Modified-Since, the
watermark being the newest UpdatedDateUTC seen); an unchanged answer changes nothing, changed
and archived rows replace their old selves, and the merchant's manual refresh is a full one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from domain.account import Account
from domain.reference import (
    CRITICAL,
    Item,
    LedgerAccount,
    Receipt,
    ReferenceBundle,
    ReferenceCache,
    RefKind,
)
from domain.usecases.sweeps import Sweeps
from domain.values import Environment
from tests.fakes.world import World
from tests.unit.sweeps.conftest import connect

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
SALES = LedgerAccount("acc-200", "200", "Sales", "REVENUE", "REVENUE")
BANK = LedgerAccount("acc-090", "090", "Bank", "BANK", "ASSET")
SHIRT = Item("item-1", "TSHIRT", "T-shirt", True)
A = RefKind.ACCOUNTS


def cache() -> ReferenceCache:
    full = ReferenceBundle(
        accounts=(SALES, BANK),
        items=(SHIRT,),
        receipts=(Receipt(A, 5000, None, T0), Receipt(RefKind.ITEMS, 900, None, T0)),
    )
    return ReferenceCache("tenant-1", Environment.PRODUCTION).merged(full, T0, extended=False)


def delta(*accounts: LedgerAccount, newest: datetime | None = None) -> ReferenceBundle:
    return ReferenceBundle(accounts=accounts, receipts=(Receipt(A, 120, T0, newest),))


class TestMerging:
    def test_a_full_fetch_sets_the_watermarks_from_xeros_dates(self) -> None:
        assert cache().since(CRITICAL) == {A: T0, RefKind.ITEMS: T0}

    def test_unchanged_keeps_every_row_and_the_watermark(self) -> None:
        later = cache().merged(delta(), T0 + timedelta(days=1), extended=False)
        assert later.accounts == (SALES, BANK) and later.items == (SHIRT,)
        assert dict(later.watermarks).get(A) == T0
        assert later.fetched_at == T0 + timedelta(days=1)

    def test_a_changed_row_replaces_its_old_self_in_place(self) -> None:
        renamed = replace(SALES, name="Sales (web)")
        later = cache().merged(delta(renamed, newest=T0 + timedelta(hours=3)), T0, extended=False)
        assert later.accounts == (renamed, BANK)
        assert dict(later.watermarks).get(A) == T0 + timedelta(hours=3)

    def test_an_archived_row_updates_the_cache(self) -> None:
        archived = replace(BANK, status="ARCHIVED")
        later = cache().merged(delta(archived, newest=T0 + timedelta(hours=1)), T0, extended=False)
        assert later.accounts == (SALES, archived)
        assert later.bank_accounts == ()

    def test_a_new_row_is_added(self) -> None:
        new = LedgerAccount("acc-260", "260", "Other Revenue", "REVENUE", "REVENUE")
        later = cache().merged(delta(new, newest=T0 + timedelta(hours=1)), T0, extended=False)
        assert later.accounts == (SALES, BANK, new)

    def test_the_watermark_never_moves_back(self) -> None:
        later = cache().merged(delta(SALES, newest=T0 - timedelta(days=9)), T0, extended=False)
        assert dict(later.watermarks).get(A) == T0

    def test_a_full_fetch_replaces_everything(self) -> None:
        full = ReferenceBundle(accounts=(BANK,), receipts=(Receipt(A, 2000, None, T0),))
        assert cache().merged(full, T0, extended=False).accounts == (BANK,)

    def test_only_accounts_and_items_are_asked_for_changes(self) -> None:
        assert set(cache().since(list(RefKind))) == {A, RefKind.ITEMS}


class TestWhoAsksForChanges:
    def test_the_daily_sweep_sends_the_watermark_and_a_manual_refresh_does_not(
        self, world: World, account: Account, sweeps: Sweeps
    ) -> None:
        [binding_id] = connect(world, account)
        mark = datetime(2026, 10, 1, tzinfo=UTC)
        with world.uow() as uow:
            stored = uow.references.get("tenant-uk", Environment.PRODUCTION)
            assert stored is not None
            uow.references.save(replace(stored, watermarks=((A, mark),)))
            uow.commit()
        world.xero.asked_since.clear()
        world.clock.advance(hours=24, minutes=1)
        assert sweeps.reference_data() == {"refreshed": 1}
        assert world.xero.asked_since == [{A: mark}]  # every kind in one wave
        world.xero.asked_since.clear()
        world.clock.advance(minutes=2)  # past the forced-refresh interval after the sweep
        world.service.reference.cached(binding_id, force_refresh=True)
        assert world.xero.asked_since == [{}, {}]
