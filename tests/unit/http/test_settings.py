"""The settings page (issue 6): dropdowns from the reference cache, filters, save, refresh."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from typing import Any

import pytest

from domain.account import Account
from domain.errors import ProviderUnavailable, ValidationFailed
from domain.reference import LedgerAccount
from domain.usecases.settings import SaveSettings
from tests.fakes import reference
from tests.fakes.world import World
from tests.unit.http.browser import Browser


@pytest.fixture
def binding_id(world: World, account: Account) -> str:
    return world.connected(account)


def settings_url(binding_id: str) -> str:
    return f"/dashboard/bindings/{binding_id}/settings"


def selected(page: str, name: str) -> str:
    select = re.search(
        rf'<select id="{re.escape(name)}" name="[^"]+"[^>]*>(.*?)</select>', page, re.S
    )
    assert select, name
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return chosen.group(1) if chosen else ""


def options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select id="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def _session_cookie(browser: Browser) -> dict[str, str]:
    cookie = browser.client.get_cookie("ledger_session")
    assert cookie is not None
    return {"key": "ledger_session", "value": cookie.value}


def valid_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "income": "acc-sales",
        "bank": "acc-bank",
        "pm:checkmo": "acc-bank",
        "pm:stripe": "acc-owner",
        "type:simple": "acc-other",
        "type:virtual": "",
        "website": ["site1"],
        "store": ["store1"],
    }
    form.update(changes)
    return form


class TestPage:
    def test_defaults_are_shown_as_chosen_values(self, browser: Browser, binding_id: str):
        page = browser.body(settings_url(binding_id))
        assert selected(page, "income") == "acc-sales"
        assert selected(page, "bank") == "acc-bank"
        assert selected(page, "pm:checkmo") == "acc-bank"
        assert selected(page, "pm:stripe") == "acc-bank"
        assert selected(page, "type:simple") == ""
        assert 'name="website" value="site1" checked' in page
        assert 'name="store" value="store1" checked' in page

    def test_dropdowns_come_from_the_reference_cache(self, browser: Browser, binding_id: str):
        page = browser.body(settings_url(binding_id))
        assert options(page, "income") == ["acc-sales", "acc-other", "acc-interest"]
        assert options(page, "bank") == ["acc-bank", "acc-savings"]
        assert options(page, "pm:checkmo") == ["", "acc-bank", "acc-savings", "acc-owner"]
        assert options(page, "type:virtual") == ["", "acc-sales", "acc-other", "acc-interest"]
        assert "Last fetched: <strong>2 Nov 2026, 09:00 UTC</strong>" in page

    def test_paired_binding_asks_to_connect_first(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account, "https://p.example.com")
        page = browser.body(settings_url(binding_id))
        assert "Xero not connected yet." in page and "<select" not in page

    def test_reference_pending(self, browser: Browser, world: World, account: Account) -> None:
        binding_id = world.paired(account, "https://p.example.com")
        world.xero.fail_fetch.append(ProviderUnavailable("slow"))
        world.consent(account, binding_id, "user-avery", ["tenant-uk"])
        page = browser.body(settings_url(binding_id))
        assert "Reference data pending." in page and "<select" not in page
        assert ">Refresh reference data</button>" in page


class TestSave:
    def test_saves_and_shows_the_new_values(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        response = browser.post(settings_url(binding_id), valid_form())
        assert response.status_code == 303 and response.location == settings_url(binding_id)
        page = browser.body(settings_url(binding_id))
        assert "Settings saved." in page
        assert selected(page, "pm:stripe") == "acc-owner"
        assert selected(page, "type:simple") == "acc-other"
        policy = world.binding(binding_id).policy
        assert policy.payment_method_map == {"checkmo": "acc-bank", "stripe": "acc-owner"}
        assert policy.item_type_map == {"simple": "acc-other"}
        assert "settings_changed" in world.events(binding_id)

    def test_a_double_submit_saves_once(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        form = valid_form(**{"pm:stripe": ""})
        first = browser.post(settings_url(binding_id), form)
        again = browser.post(settings_url(binding_id), form)
        assert first.status_code == again.status_code == 303
        assert world.events(binding_id).count("settings_changed") == 2  # defaults, then ours
        assert "Settings saved." in browser.body(settings_url(binding_id))

    def test_the_page_marks_save_and_refresh_as_busy_once_pressed(
        self, browser: Browser, binding_id: str
    ) -> None:
        page = browser.body(settings_url(binding_id))
        assert re.search(r'<form [^>]*class="settings" data-busy="Saving…"', page)
        assert re.search(r'<form [^>]*settings/refresh" data-busy="Refreshing…"', page)
        assert page.count("data-busy-status") == 2

    def test_stale_values_get_a_message_each(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        form = valid_form(income="acc-old", bank="acc-gone", **{"pm:stripe": "acc-rent"})
        before = world.events(binding_id)
        response = browser.post(settings_url(binding_id), form)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        for name, problem in [
            ("income", "The default income account is no longer an active revenue account"),
            ("bank", "The default bank account is no longer an active bank account"),
            ("pm:stripe", "Payment method &#39;stripe&#39;: the account no longer accepts"),
        ]:
            assert f'<p class="field-error" id="{name}-error">{problem}' in page
        assert 'id="pm:checkmo-error"' not in page
        assert world.events(binding_id) == before

    def test_missing_defaults_and_scope(self, browser: Browser, binding_id: str) -> None:
        response = browser.post(
            settings_url(binding_id), valid_form(income="", bank="", website=[], store=[])
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Choose an income account." in page and "Choose a bank account." in page
        assert "Choose at least one website" in page

    def test_store_outside_the_chosen_websites(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account, "https://two.example.com", websites=2)
        world.consent(account, binding_id, "user-avery", ["tenant-uk"])
        form = valid_form(website=["site1"], store=["store1", "store2"])
        response = browser.post(settings_url(binding_id), form)
        assert response.status_code == 400
        assert "Every chosen store must belong to a chosen website." in response.text

    def test_unknown_website_and_store(self, browser: Browser, binding_id: str) -> None:
        response = browser.post(settings_url(binding_id), valid_form(website=["x"], store=["y"]))
        assert "no longer part of the Magento install" in response.text

    def test_account_archived_between_page_and_save(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        """An account archived in Xero since the page was shown: its field says so."""
        link = world.binding(binding_id).xero
        cache = world.uow().references.get(link.tenant_id, link.environment)
        assert cache is not None
        archived = tuple(
            replace(a, status="ARCHIVED") if a.account_id == "acc-owner" else a
            for a in cache.accounts
        )
        uow = world.uow()
        uow.references.save(replace(cache, accounts=archived))
        uow.commit()
        response = browser.post(settings_url(binding_id), valid_form())
        assert response.status_code == 400
        assert 'id="pm:stripe-error"' in response.text

    def test_a_refusal_by_the_domain_is_shown_above_the_form(
        self, browser: Browser, binding_id: str, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def refuse(*args: Any) -> None:
            raise ValidationFailed("the default bank account is no longer an active bank account")

        monkeypatch.setattr(SaveSettings, "__call__", refuse)
        response = browser.post(settings_url(binding_id), valid_form())
        assert response.status_code == 400
        assert "The default bank account is no longer an active bank account." in response.text

    def test_needs_csrf(self, browser: Browser, binding_id: str, world: World) -> None:
        before = world.events(binding_id)
        response = browser.client.post(settings_url(binding_id), data=valid_form())
        assert response.status_code == 400
        assert world.events(binding_id) == before

    def test_disconnected_binding_is_read_only(
        self, browser: Browser, binding_id: str, world: World, account: Account
    ) -> None:
        world.service.disconnect(account.id, binding_id)
        page = browser.body(settings_url(binding_id))
        assert "read-only" in page and "Save settings" not in page
        response = browser.post(settings_url(binding_id), valid_form())
        assert response.status_code == 409
        assert ">Refresh reference data</button>" not in page


class TestRefresh:
    def refresh(self, browser: Browser, binding_id: str) -> Any:
        return browser.post(f"/dashboard/bindings/{binding_id}/settings/refresh")

    def test_refresh_fetches_and_says_so(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        world.clock.advance(hours=2)
        assert browser.login().status_code == 303  # two hours away: the session timed out
        before = len(world.xero.fetches)
        response = self.refresh(browser, binding_id)
        assert response.status_code == 303
        page = browser.body(settings_url(binding_id))
        assert "Reference data refreshed from Xero." in page
        assert "2 Nov 2026, 11:00 UTC" in page
        assert len(world.xero.fetches) == before + 2

    def test_refresh_while_xero_is_down(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        world.xero.fail_fetch.append(ProviderUnavailable("boom 10.0.0.1"))
        self.refresh(browser, binding_id)
        page = browser.body(settings_url(binding_id))
        assert "Reference data was not refreshed: Xero is not answering right now" in page
        assert "10.0.0.1" not in page

    def test_refresh_of_a_paired_binding(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account, "https://p.example.com")
        self.refresh(browser, binding_id)
        assert "not connected to Xero" in browser.body(settings_url(binding_id))

    def test_a_refresh_already_in_flight_is_joined(
        self, app: Any, browser: Browser, binding_id: str, world: World
    ) -> None:
        """Two presses at once (the script is off, or two tabs): Xero is asked once."""
        fetch = world.xero.fetch_reference
        inside = threading.Event()
        release = threading.Event()

        def slow_fetch(*args: object, **kwargs: object) -> object:
            inside.set()
            release.wait(5)
            return fetch(*args, **kwargs)  # type: ignore[arg-type]

        world.xero.fetch_reference = slow_fetch  # type: ignore[method-assign, assignment]
        before = len(world.xero.fetches)
        token = browser.token(settings_url(binding_id))
        url = f"/dashboard/bindings/{binding_id}/settings/refresh"
        answers: list[int] = []

        def press() -> None:
            with app.test_client() as client:
                client.set_cookie(**_session_cookie(browser))
                answers.append(client.post(url, data={"csrf_token": token}).status_code)

        first = threading.Thread(target=press)
        first.start()
        assert inside.wait(5)
        flight = world.service.reference._asked
        run, joined = flight.run, threading.Event()

        def join(*args: Any, **kwargs: Any) -> Any:
            joined.set()  # the first press holds the flight until released: this one waits
            return run(*args, **kwargs)

        flight.run = join  # type: ignore[method-assign]
        second = threading.Thread(target=press)
        second.start()
        assert joined.wait(5)
        release.set()
        first.join(10)
        second.join(10)
        assert answers == [303, 303]
        assert len(world.xero.fetches) == before + 2  # one refresh: two waves

    def test_refresh_needs_csrf(self, browser: Browser, binding_id: str, world: World):
        before = len(world.xero.fetches)
        response = browser.client.post(f"/dashboard/bindings/{binding_id}/settings/refresh")
        assert response.status_code == 400 and len(world.xero.fetches) == before


def test_new_accounts_appear_after_a_refresh(
    browser: Browser, binding_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = LedgerAccount("acc-new", "201", "Web Sales", "REVENUE", "REVENUE")
    monkeypatch.setattr(reference, "ACCOUNTS", (*reference.ACCOUNTS, extra))
    browser.post(f"/dashboard/bindings/{binding_id}/settings/refresh")
    assert "acc-new" in options(browser.body(settings_url(binding_id)), "income")


class TestChoicesAreKept:
    def test_not_mapped_survives_refresh_reference_data(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        """The reproduced bug: "not mapped", saved, then "Refresh reference data" mapped it."""
        browser.post(settings_url(binding_id), valid_form(**{"pm:stripe": ""}))
        browser.post(f"/dashboard/bindings/{binding_id}/settings/refresh")
        page = browser.body(settings_url(binding_id))
        assert selected(page, "pm:stripe") == ""
        assert world.binding(binding_id).policy.payment_method_map["stripe"] == ""

    def test_an_archived_choice_is_shown_kept_and_flagged(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        browser.post(settings_url(binding_id), valid_form(**{"pm:stripe": "acc-savings"}))
        world.xero.archived_accounts.add("acc-savings")
        browser.post(f"/dashboard/bindings/{binding_id}/settings/refresh")
        page = browser.body(settings_url(binding_id))
        assert selected(page, "pm:stripe") == "acc-savings"
        assert "Card&#39;s account 091 was archived in Xero; choose another." in page
        assert 'aria-describedby="pm:stripe-flag"' in page

    def test_saving_other_fields_keeps_the_archived_choice(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        browser.post(settings_url(binding_id), valid_form(**{"pm:stripe": "acc-savings"}))
        world.xero.archived_accounts.add("acc-savings")
        browser.post(f"/dashboard/bindings/{binding_id}/settings/refresh")
        form = valid_form(income="acc-other", **{"pm:stripe": "acc-savings"})
        response = browser.post(settings_url(binding_id), form)
        assert response.status_code == 303
        policy = world.binding(binding_id).policy
        assert (policy.default_income_account, policy.payment_method_map["stripe"]) == (
            "acc-other",
            "acc-savings",
        )


class TestRefreshMeetingARefusedToken:
    """Issue 12 item 2: Xero refuses the stored access token before its expiry; pressing
    "Refresh reference data" refreshes once and the page tells the truth at once."""

    def test_a_refusal_the_refresh_cures_stays_green(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        grant = world.grant(binding_id)
        assert grant is not None
        world.xero.reject(grant.access_token)
        browser.post(f"/dashboard/bindings/{binding_id}/settings/refresh")
        page = browser.body(settings_url(binding_id))
        assert "Reference data refreshed from Xero." in page
        assert "Reconnect Demo Company (UK)" not in page and world.xero.refresh_calls == 1

    def test_a_revoked_grant_shows_reconnect_at_once(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        grant = world.grant(binding_id)
        assert grant is not None
        world.xero.reject(grant.access_token)
        world.xero.revoke_user("user-avery")
        browser.post(f"/dashboard/bindings/{binding_id}/settings/refresh")
        page = browser.body(settings_url(binding_id))
        assert "Reconnect Demo Company (UK)" in page
        assert "Reconnect Demo Company (UK)" in browser.body(f"/dashboard/bindings/{binding_id}")
