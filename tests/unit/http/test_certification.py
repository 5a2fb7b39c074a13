"""Xero's connection checkpoints that no other test already names (docs/xero-certification.md):
the setup page shows the organisation and the connection's status, the Connect and Disconnect
buttons are plain ones without Xero's logo, and the merchant can read what was fetched."""

from __future__ import annotations

import re

from domain.account import Account
from tests.fakes.world import World
from tests.unit.http.browser import Browser

XERO_LOGO = re.compile(r"<img|<svg|xero[-_ ]?logo", re.I)


class TestSetupPage:
    def test_the_binding_page_names_the_organisation_and_the_status(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account)
        page = browser.body(f"/dashboard/bindings/{binding_id}")
        assert "Demo Company (UK)" in page
        chip = '<span class="chip chip-green"><span class="dot" aria-hidden="true"></span>'
        assert chip + "Connected" in page


class TestButtons:
    def test_connect_and_disconnect_are_plain_buttons_without_xeros_logo(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        paired = world.paired(account, "https://one.example.com")
        connect = browser.body(f"/dashboard/connect-xero?binding={paired}")
        connected = world.connected(account, url="https://two.example.com")
        disconnect = browser.body(f"/dashboard/bindings/{connected}/disconnect")
        assert re.search(r"<button[^>]*>\s*Connect to Xero\s*</button>", connect)
        assert re.search(r"<button[^>]*>\s*Disconnect", disconnect)
        assert not XERO_LOGO.search(connect) and not XERO_LOGO.search(disconnect)


class TestWhatWasFetched:
    def test_the_activity_log_shows_each_reference_fetch(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account)
        world.tasks.run_all()
        page = browser.body(f"/dashboard/bindings/{binding_id}/activity")
        assert "Reference data refreshed" in page
        assert "extended reference data refreshed" in page.lower()
