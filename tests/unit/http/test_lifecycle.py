"""Activity and disconnecting: confirmation, leftovers at Xero, sharing, read-only afterwards."""

from __future__ import annotations

import re

import pytest

from domain.account import Account
from domain.errors import ProviderUnavailable
from domain.values import BindingStatus
from tests.fakes.world import World
from tests.unit.http.browser import CONNECT_FORM, Browser


def disconnect(browser: Browser, binding_id: str):  # noqa: ANN201 - TestResponse
    return browser.post(f"/dashboard/bindings/{binding_id}/disconnect")


@pytest.fixture
def binding_id(world: World, account: Account) -> str:
    return world.connected(account)


class TestActivity:
    def test_events_newest_first_with_reasons(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        world.clock.advance(minutes=5)
        world.needs_reconnect(binding_id)
        page = browser.body(f"/dashboard/bindings/{binding_id}/activity")
        kinds = re.findall(r'class="event event-([a-z_]+)"', page)
        assert kinds[0] == "needs_reconnect" and kinds[-1] == "created"
        assert "The app was removed from this organisation inside Xero" in page
        reasons = re.findall(r'<span class="event-reason">([^<]*)</span>', page)
        assert not [r for r in reasons if "reconnect" in r.lower()], reasons
        assert "Paired with shop.example.com." in page

    def test_a_settings_change_names_accounts_as_the_settings_page_does(
        self, browser: Browser, binding_id: str
    ) -> None:
        settings = browser.body(f"/dashboard/bindings/{binding_id}/settings")
        assert ">200 · Sales</option>" in settings

        page = browser.body(f"/dashboard/bindings/{binding_id}/activity")
        changed = page.split('class="event event-settings_changed"', 1)[1].split("</li>", 1)[0]
        assert "default income account: 200 · Sales" in changed, changed
        assert "200 Sales" not in page


class TestDisconnect:
    def test_confirmation_page_in_xeros_words(self, browser: Browser, binding_id: str) -> None:
        page = browser.body(f"/dashboard/bindings/{binding_id}/disconnect")
        assert "Disconnect from Xero?" in page and ">Disconnect from Xero</button>" in page
        assert "Disconnect from Xero…" in browser.body(f"/dashboard/bindings/{binding_id}")

    def test_a_binding_without_xero_is_not_disconnected_from_xero(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        paired = world.paired(account, "https://paired-only.example")
        page = browser.body(f"/dashboard/bindings/{paired}/disconnect")
        assert "Disconnect this binding?" in page and ">Disconnect</button>" in page
        assert "from Xero" not in page

    def test_disconnect_cleans_up_and_turns_read_only(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        response = disconnect(browser, binding_id)
        assert response.status_code == 303
        assert response.location == f"/dashboard/bindings/{binding_id}"
        page = browser.body(response.location)
        assert "The binding is disconnected." in page and "Not undone at Xero" not in page
        assert "Disconnect this binding" not in page and "Disconnect from Xero" not in page
        assert world.binding(binding_id).status is BindingStatus.DISCONNECTED
        assert world.grant(binding_id) is None
        assert len(world.xero.deleted) == 1 and len(world.xero.revoked) == 1
        assert "already disconnected" in browser.body(
            f"/dashboard/bindings/{binding_id}/disconnect"
        )

    def test_double_disconnect(self, browser: Browser, binding_id: str, world: World) -> None:
        assert disconnect(browser, binding_id).status_code == 303
        again = disconnect(browser, binding_id)
        assert again.status_code == 409 and "already disconnected" in again.text
        assert len(world.xero.revoked) == 1

    def test_needs_csrf(self, browser: Browser, binding_id: str, world: World) -> None:
        response = browser.client.post(f"/dashboard/bindings/{binding_id}/disconnect")
        assert response.status_code == 400
        assert world.binding(binding_id).status is BindingStatus.CONNECTED

    def test_xero_down_shows_what_was_not_undone(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        world.xero.fail_next.extend(
            [ProviderUnavailable("down"), ProviderUnavailable("still down")]
        )
        disconnect(browser, binding_id)
        page = browser.body(f"/dashboard/bindings/{binding_id}")
        assert (
            "Not undone at Xero: The connection to Demo Company (UK) could not be removed." in page
        )
        assert "The Xero authorisation could not be revoked." in page
        assert world.binding(binding_id).status is BindingStatus.DISCONNECTED

    def test_unpaired_binding_disconnects_without_xero(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account, "https://p.example.com")
        assert disconnect(browser, binding_id).status_code == 303
        assert world.xero.deleted == [] and world.xero.revoked == []

    def test_read_only_afterwards(self, browser: Browser, binding_id: str) -> None:
        disconnect(browser, binding_id)
        connect_page = browser.body(f"/dashboard/connect-xero?binding={binding_id}")
        assert "disconnected and kept read-only" in connect_page
        assert CONNECT_FORM not in connect_page
        response = browser.post("/dashboard/connect-xero", {"binding": binding_id})
        assert response.status_code == 409
        refresh = browser.post(f"/dashboard/bindings/{binding_id}/settings/refresh")
        assert refresh.status_code == 303
        assert "Reference data was not refreshed" in browser.body(refresh.location)


class TestSharing:
    def test_shared_connection_is_kept_until_the_last_binding_goes(
        self, browser: Browser, binding_id: str, world: World, account: Account
    ) -> None:
        second = world.paired(account, "https://second.example.com")
        assert browser.connect(second, "user-avery", ["tenant-uk"]).status_code == 303
        disconnect(browser, binding_id)
        assert world.xero.deleted == [] and world.xero.revoked == []
        disconnect(browser, second)
        assert len(world.xero.deleted) == 1 and len(world.xero.revoked) == 1

    def test_shared_xero_user_is_not_revoked(
        self, browser: Browser, binding_id: str, world: World, account: Account
    ) -> None:
        second = world.paired(account, "https://second.example.com")
        assert browser.connect(second, "user-avery", ["tenant-nz"]).status_code == 303
        disconnect(browser, binding_id)
        assert len(world.xero.deleted) == 1 and "tenant-uk" in world.xero.deleted[0]
        assert world.xero.revoked == []
        assert world.binding(second).status is BindingStatus.CONNECTED
