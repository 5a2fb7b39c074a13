"""The Activity page says which sync services read the binding's Xero access today."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.account import Account
from tests.fakes.world import World
from tests.unit.http.browser import Browser

EVENING = datetime(2026, 12, 1, 23, 40, tzinfo=UTC)


@pytest.fixture(autouse=True)
def evening(world: World) -> None:
    """Before anyone signs in: a session is only good for hours of the clock."""
    world.clock.current = EVENING


@pytest.fixture
def binding_id(world: World, account: Account) -> str:
    return world.connected(account)


class TestReadsToday:
    def test_each_caller_in_the_merchants_words(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        for _ in range(1_204):
            world.service.reads.record("sync-invoices", binding_id)
        world.clock.current = EVENING.replace(minute=59, second=40)
        world.service.reads.record("sync-stock", binding_id)
        world.service.reads.flush()

        page = browser.body(f"/dashboard/bindings/{binding_id}/activity")

        assert "Read by sync-invoices: 1,204 times today, last at 23:40 UTC." in page
        assert "Read by sync-stock: once today, last at 23:59 UTC." in page

    def test_yesterdays_reads_and_unflushed_ones_are_not_today(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        world.service.reads.record("sync-invoices", binding_id)
        world.service.reads.flush()
        world.clock.advance(minutes=25)  # past midnight UTC
        world.service.reads.record("sync-stock", binding_id)

        page = browser.body(f"/dashboard/bindings/{binding_id}/activity")

        assert "No sync service has read it today." in page
        assert "Read by" not in page
