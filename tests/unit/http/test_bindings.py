"""Home tiles, plan usage, the bindings list, new bindings and one binding's page."""

from __future__ import annotations

import re

import pytest

from domain.account import Account
from domain.errors import ProviderUnavailable, ReauthRequired
from domain.values import BindingStatus
from tests.fakes.world import World
from tests.unit.http.browser import Browser

CODE = re.compile(r'id="pairing-code">([^<]+)<')


class TestHome:
    def test_empty_account(self, browser: Browser) -> None:
        page = browser.body("/dashboard")
        assert "No bindings yet" in page and ">New binding</button>" in page

    def test_paired_binding_has_the_connect_call_to_action(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        page = browser.body("/dashboard")
        assert "Connect to Xero" in page
        assert f'href="/dashboard/connect-xero?binding={binding_id}"' in page

    def test_connected_binding_has_no_call_to_action(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        world.connected(account)
        page = browser.body("/dashboard")
        assert "Connect to Xero" not in page and "chip-green" in page

    def test_plan_usage(self, browser: Browser, world: World, account: Account) -> None:
        world.connected(account)
        world.paired(account, "https://two.example.com", websites=2)
        page = browser.body("/dashboard")
        assert "Growth plan" in page
        assert "1 of 3 used" in page and "3 of 5 used" in page

    def test_disconnected_bindings_leave_the_home_page(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        world.service.disconnect(account.id, binding_id)
        assert "shop.example.com" not in browser.body("/dashboard")
        assert "shop.example.com" not in browser.body("/dashboard/bindings")
        assert "Disconnected bindings (1)" in browser.body("/dashboard/bindings")
        assert "shop.example.com" in browser.body("/dashboard/bindings?view=archive")


class TestBindingsList:
    def test_one_row_per_binding_with_status_colours(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        connected = world.connected(account)
        degraded = world.connected(account, tenant="tenant-nz", url="https://nz.example.com")
        world.xero.fail_next.append(ProviderUnavailable("down"))
        world.clock.advance(minutes=29)
        world.service.tokens.fresh_token(degraded)
        world.clock.advance(seconds=1)
        paired = world.paired(account, "https://paired.example.com")
        world.clock.advance(seconds=1)
        awaiting = world.service.create_binding(account.id).binding_id
        page = browser.body("/dashboard/bindings")
        for binding_id, status, colour in [
            (connected, "CONNECTED", "green"),
            (degraded, "DEGRADED", "amber"),
            (paired, "PAIRED", "grey"),
            (awaiting, "AWAITING_PAIRING", "grey"),
        ]:
            row = _row(page, binding_id)
            assert f'data-status="{status}"' in row and f"chip-{colour}" in row
            assert f"/dashboard/bindings/{binding_id}/activity" in row
            assert (f"/dashboard/bindings/{binding_id}/settings" in row) is (colour != "grey")
        assert "Connect to Xero" in _row(page, paired)
        assert "Get a pairing code" in _row(page, awaiting) and "Delete" in _row(page, awaiting)
        assert page.index(awaiting) < page.index(paired) < page.index(connected)
        assert "shop.example.com" in _row(page, connected)
        assert "Demo Company (UK)" in _row(page, connected)

    def test_an_unconnected_binding_says_xero_is_not_connected_once(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        paired = world.paired(account)
        row = _row(browser.body("/dashboard/bindings"), paired)
        assert row.lower().count("not connected") == 1, row
        assert ">Xero not connected</span>" in row

    def test_needs_reconnect_is_red(self, browser: Browser, world: World, account: Account):
        binding_id = world.connected(account)
        world.needs_reconnect(binding_id)
        assert "chip-red" in _row(browser.body("/dashboard/bindings"), binding_id)

    def test_connected_parameter_of_a_foreign_binding_shows_nothing(
        self, browser: Browser, world: World, password_hash: str
    ) -> None:
        other = world.service.accounts.create("other@example.com", "growth", password_hash)
        foreign = world.connected(other)
        page = browser.body(f"/dashboard/bindings?connected={foreign}")
        assert "Connected to Xero" not in page


class TestNewBinding:
    def test_shows_a_one_time_code_and_how_to_pair(self, browser: Browser, world: World):
        created = browser.post("/dashboard/bindings")
        assert created.status_code == 303
        response = browser.get(created.location)
        page = response.get_data(as_text=True)
        code = CODE.search(page).group(1)
        assert "Ledger Connect page of your Magento admin" in page
        assert "Demo mode: pair from the command line" in page
        assert f"ledger-connect pair {code} --magento-url" in page
        assert "http://127.0.0.1:8080/api/v1/pairings" in page
        assert response.headers["Cache-Control"] == "no-store"
        for path in ("/dashboard", "/dashboard/bindings"):
            assert code not in browser.body(path)

    def test_a_reload_neither_creates_a_binding_nor_shows_the_code_again(
        self, browser: Browser, world: World
    ) -> None:
        created = browser.post("/dashboard/bindings")
        code = CODE.search(browser.body(created.location)).group(1)
        again = browser.body(created.location)
        assert code not in again and "Get a new pairing code" in again
        assert len(world.uow().bindings.all()) == 1

    def test_at_the_website_limit_new_binding_says_why(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        world.paired(account, "https://big.example.com", websites=5)
        page = browser.body("/dashboard/bindings")
        assert "5 of 5 websites used: upgrade your plan or disconnect one" in page
        assert 'disabled aria-describedby="new-binding-reason"' in page
        response = browser.post("/dashboard/bindings")
        assert response.status_code == 303
        assert "5 of 5 websites used" in browser.body(response.location)
        assert len(world.uow().bindings.all()) == 1

    def test_an_unpaired_binding_can_be_deleted(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        created = world.service.create_binding(account.id)
        response = browser.post(f"/dashboard/bindings/{created.binding_id}/delete")
        assert response.status_code == 303
        assert "The binding was deleted" in browser.body(response.location)
        assert world.binding(created.binding_id).status.value == "DISCONNECTED"

    def test_a_paired_binding_is_not_deleted(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        browser.post(f"/dashboard/bindings/{binding_id}/delete")
        assert world.binding(binding_id).status.value == "PAIRED"

    def test_code_pairs_through_the_api(self, browser: Browser, app) -> None:  # noqa: ANN001
        code = CODE.search(browser.body(browser.post("/dashboard/bindings").location)).group(1)
        answer = app.test_client().post(
            "/api/v1/pairings",
            json={
                "code": code,
                "magento_url": "https://x.example.com",
                "websites": [{"code": "w"}],
            },
        )
        assert answer.status_code == 201
        assert "x.example.com" in browser.body("/dashboard/bindings")

    def test_needs_csrf(self, browser: Browser, world: World) -> None:
        assert browser.client.post("/dashboard/bindings").status_code == 400
        assert world.uow().bindings.all() == []

    def test_new_pairing_code_for_a_waiting_binding(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.service.create_binding(account.id).binding_id
        page = browser.body(f"/dashboard/bindings/{binding_id}")
        assert "Waiting for Magento" in page and ">New pairing code</button>" in page
        response = browser.post(f"/dashboard/bindings/{binding_id}/pairing-code")
        assert response.status_code == 303 and CODE.search(browser.body(response.location))

    def test_no_new_code_once_paired(self, browser: Browser, world: World, account: Account):
        binding_id = world.paired(account)
        assert browser.post(f"/dashboard/bindings/{binding_id}/pairing-code").status_code == 410


class TestBindingPage:
    def test_paired_shows_the_not_connected_banner(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        page = browser.body(f"/dashboard/bindings/{binding_id}")
        assert "Xero not connected yet." in page
        assert f'href="/dashboard/connect-xero?binding={binding_id}"' in page

    def test_paired_says_xero_is_not_connected_once_in_the_heading(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        page = browser.body(f"/dashboard/bindings/{binding_id}")
        head = page.split('<div class="page-head">', 1)[1].split("</div>", 1)[0]
        assert head.lower().count("not connected") == 1, head
        assert "shop.example.com" in head

    def test_needs_reconnect_banner(self, browser: Browser, world: World, account: Account):
        binding_id = world.connected(account)
        world.needs_reconnect(binding_id)
        page = browser.body(f"/dashboard/bindings/{binding_id}")
        banner = page.split('data-trouble="needs-reconnect"', 1)[1].split("</div>\n</div>", 1)[0]
        assert "The app was removed from this organisation inside Xero" in banner
        assert banner.lower().count("reconnect") == 1, banner
        assert ">Reconnect Demo Company (UK)</a>" in banner
        assert "403" not in page and "/connections" not in page

    def test_a_partner_edition_offers_no_reconnect_that_cannot_help(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account)
        world.xero.editions["tenant-uk"] = "PARTNER"
        with pytest.raises(ReauthRequired, match="Partner edition"):
            world.service.reference.refresh(binding_id)  # the second wave is refused
        assert world.binding(binding_id).status is BindingStatus.NEEDS_RECONNECT
        for path in (f"/dashboard/bindings/{binding_id}", "/dashboard", "/dashboard/bindings"):
            page = browser.body(path)
            assert "Partner edition, which cannot raise invoices" in page, path
            assert "Reconnect Demo Company (UK)" not in page, path

    def test_a_refused_refresh_token_is_said_without_oauth_words(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.connected(account)
        world.xero.revoke_user("user-avery")
        world.clock.advance(hours=1)
        with pytest.raises(ReauthRequired):
            world.service.tokens.fresh_token(binding_id)
        assert browser.login().status_code == 303  # an hour away: the session timed out
        for path in (
            f"/dashboard/bindings/{binding_id}",
            "/dashboard",
            f"/dashboard/bindings/{binding_id}/activity",
            f"/dashboard/bindings/{binding_id}/settings",
        ):
            page = browser.body(path)
            assert "invalid_grant" not in page and "refresh token" not in page, path
        page = browser.body(f"/dashboard/bindings/{binding_id}")
        assert "Xero no longer accepts this connection&#39;s sign-in" in page
        settings = browser.body(f"/dashboard/bindings/{binding_id}/settings")
        assert "Xero must be reconnected first." in settings
        assert "settings/refresh" not in settings

    def test_reference_pending(self, browser: Browser, world: World, account: Account) -> None:
        binding_id = world.paired(account)
        world.xero.fail_fetch.append(ProviderUnavailable("slow"))
        world.consent(account, binding_id, "user-avery", ["tenant-uk"])
        page = browser.body(f"/dashboard/bindings/{binding_id}")
        assert "Reference data pending." in page and "chip-green" in page

    def test_organisation_summary(self, browser: Browser, world: World, account: Account):
        binding_id = world.connected(account)
        page = browser.body(f"/dashboard/bindings/{binding_id}")
        assert "Reference data pending." not in page
        assert "Demo Company (UK)" in page and "GBP" in page and "(demo company)" in page
        assert "https://shop.example.com" in page

    def test_unknown_binding(self, browser: Browser) -> None:
        response = browser.get("/dashboard/bindings/nope")
        assert response.status_code == 404 and "No such binding." in response.text


def _row(page: str, binding_id: str) -> str:
    start = page.index(f'data-binding="{binding_id}"')
    return page[start : page.index("</li>", start)]
