"""The browser connect flow: start, callback, organisation picker, and every bad callback."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from domain.account import Account
from domain.errors import ProviderUnavailable
from domain.values import BindingStatus, Environment
from tests.fakes.world import World
from tests.unit.http.browser import Browser


@pytest.fixture
def binding_id(world: World, account: Account) -> str:
    return world.paired(account)


def text(response) -> str:  # noqa: ANN001 - werkzeug TestResponse
    return response.get_data(as_text=True)


def _actions(response) -> list[str]:  # noqa: ANN001 - werkzeug TestResponse
    """The links and buttons of a page's main card's actions."""
    block = text(response).split('<div class="actions">', 1)[1].split("</div>", 1)[0]
    return re.findall(r'href="[^"]*"', block) + re.findall(r"<button[^>]*>", block)


def _choice(page: str, tenant_id: str) -> str:
    """The picker's label of one organisation."""
    return page.split(f'data-tenant="{tenant_id}"', 1)[1].split("</label>", 1)[0]


class TestConnectPage:
    def test_shows_the_button(self, browser: Browser, binding_id: str) -> None:
        page = browser.body(f"/dashboard/connect-xero?binding={binding_id}")
        assert ">Connect to Xero</button>" in page and 'name="csrf_token"' in page

    def test_button_redirects_to_xero_with_state(self, browser: Browser, binding_id: str):
        response = browser.post("/dashboard/connect-xero", {"binding": binding_id})
        assert response.status_code == 303
        assert response.location.startswith("https://xero.test/production/authorize?state=")

    def test_button_needs_csrf(self, browser: Browser, binding_id: str, world: World) -> None:
        response = browser.client.post("/dashboard/connect-xero", data={"binding": binding_id})
        assert response.status_code == 400
        assert world.uow().attempts.all() == []

    def test_missing_binding_is_not_found(self, browser: Browser) -> None:
        assert browser.get("/dashboard/connect-xero").status_code == 404
        assert browser.post("/dashboard/connect-xero", {}).status_code == 404

    def test_unpaired_binding_cannot_connect(self, browser: Browser, world: World, account):
        unpaired = world.service.create_binding(account.id).binding_id
        assert "Pair your Magento install first" in browser.body(
            f"/dashboard/connect-xero?binding={unpaired}"
        )
        assert browser.post("/dashboard/connect-xero", {"binding": unpaired}).status_code == 409

    def test_unconfigured_environment_is_a_clear_page(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        world.xero.configured.clear()
        response = browser.post("/dashboard/connect-xero", {"binding": binding_id})
        assert response.status_code == 503
        assert "no client credentials configured" in text(response)
        assert "Traceback" not in text(response)


class TestCallback:
    def test_one_organisation_connects_and_lands_on_a_clean_url(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        response = browser.connect(binding_id, "user-avery", ["tenant-uk"])
        assert response.status_code == 303
        assert response.location == f"/dashboard/bindings?connected={binding_id}"
        page = browser.body(response.location)
        assert "Connected to Xero: Demo Company (UK)." in page
        assert f'data-binding="{binding_id}" data-status="CONNECTED"' in page
        assert "chip-green" in page
        assert world.binding(binding_id).status is BindingStatus.CONNECTED

    def test_access_denied_is_kind(self, browser: Browser, binding_id: str, world: World):
        state = browser.start_connect(binding_id)
        response = browser.callback(error="access_denied", state=state)
        assert response.status_code == 400
        page = text(response)
        assert "You cancelled the connection at Xero; nothing was changed." in page
        assert f'href="/dashboard/connect-xero?binding={binding_id}">Try again' in page
        assert world.binding(binding_id).status is BindingStatus.PAIRED

    def test_other_xero_error_says_try_again(self, browser: Browser, binding_id: str) -> None:
        state = browser.start_connect(binding_id)
        response = browser.callback(error="server_error", state=state)
        assert response.status_code == 400
        assert "Xero did not complete the authorisation" in text(response)

    def test_missing_state(self, browser: Browser, binding_id: str) -> None:
        browser.start_connect(binding_id)
        response = browser.callback(code="code-1")
        assert response.status_code == 400
        assert "unknown, expired or already used" in text(response)

    def test_forged_state(self, browser: Browser, binding_id: str, world: World) -> None:
        state = browser.start_connect(binding_id)
        code = world.xero.consent(state, "user-avery", ["tenant-uk"])
        response = browser.callback(code=code, state=state + "x")
        assert response.status_code == 400
        assert world.binding(binding_id).status is BindingStatus.PAIRED

    def test_forged_state_is_refused_before_the_progress_page(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        state = browser.start_connect(binding_id)
        code = world.xero.consent(state, "user-avery", ["tenant-uk"])
        response = browser.client.get(
            "/oauth/xero/callback", query_string={"code": code, "state": state + "x"}
        )
        assert response.status_code == 400
        assert "unknown, expired or already used" in text(response)

    def test_replayed_state(self, browser: Browser, binding_id: str, world: World) -> None:
        state = browser.start_connect(binding_id)
        code = world.xero.consent(state, "user-avery", ["tenant-uk"])
        assert browser.callback(code=code, state=state).status_code == 303
        with browser.client.session_transaction() as session:
            del session["connected"]
        replay = browser.callback(code=code, state=state)
        assert replay.status_code == 400
        assert "already used" in text(replay)

    def test_back_after_connecting_says_already_connected(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        state = browser.start_connect(binding_id)
        code = world.xero.consent(state, "user-avery", ["tenant-uk"])
        browser.callback(code=code, state=state)
        back = browser.callback(code=code, state=state)
        assert back.status_code == 303 and back.location == f"/dashboard/bindings/{binding_id}"
        assert "Xero is already connected to Demo Company (UK)." in browser.body(back.location)
        assert world.xero.refresh_calls == 0 and len(world.uow().grants.all()) == 1

    def test_the_callback_answers_with_a_progress_page_that_moves_on(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        state = browser.start_connect(binding_id)
        code = world.xero.consent(state, "user-avery", ["tenant-uk"])
        first = browser.get("/oauth/xero/callback", query_string={"code": code, "state": state})
        assert first.location == "/dashboard/connect-xero/progress"
        done = browser.get(first.location)
        assert done.location == f"/dashboard/bindings?connected={binding_id}"

    def test_accounts_still_coming_show_a_page_that_moves_on(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        world.xero.fail_fetch.append(ProviderUnavailable("slow"))
        response = browser.connect(binding_id, "user-avery", ["tenant-uk"])
        assert response.location == f"/dashboard/connect-xero/accounts?binding={binding_id}"
        page = browser.body(response.location)
        assert "Connecting to Demo Company (UK)… fetching your accounts" in page
        again = f"/dashboard/connect-xero/accounts?binding={binding_id}&amp;n=1"
        assert f'<meta http-equiv="refresh" content="0;url={again}">' in page
        late = browser.body(f"/dashboard/connect-xero/accounts?binding={binding_id}&n=20")
        assert "Xero has not sent your accounts yet" in late
        world.tasks.run_all()
        ready = browser.get(f"/dashboard/connect-xero/accounts?binding={binding_id}&n=3")
        assert ready.location == f"/dashboard/bindings?connected={binding_id}"

    def test_expired_state(self, browser: Browser, binding_id: str, world: World) -> None:
        state = browser.start_connect(binding_id)
        code = world.xero.consent(state, "user-avery", ["tenant-uk"])
        world.clock.advance(minutes=11)
        assert browser.callback(code=code, state=state).status_code == 400
        assert world.binding(binding_id).status is BindingStatus.PAIRED

    def test_state_of_another_browser_session(
        self, browser: Browser, new_browser: Callable[[], Browser], binding_id: str, world: World
    ) -> None:
        state = browser.start_connect(binding_id)
        code = world.xero.consent(state, "user-avery", ["tenant-uk"])
        intruder = new_browser()
        intruder.login()
        response = intruder.callback(code=code, state=state)
        assert response.status_code == 400
        assert "belongs to another session" in text(response)
        assert browser.callback(code=code, state=state).status_code == 303

    def test_code_injected_from_another_session(
        self, browser: Browser, new_browser: Callable[[], Browser], binding_id: str, world: World
    ) -> None:
        victim_state = browser.start_connect(binding_id)
        attacker = new_browser()
        attacker.login()
        attacker_state = attacker.start_connect(binding_id)
        attacker_code = world.xero.consent(attacker_state, "user-mallory", ["tenant-au"])
        response = browser.callback(code=attacker_code, state=victim_state)
        assert response.status_code == 400
        assert "Xero did not accept the sign-in" in text(response)
        assert world.binding(binding_id).xero is None

    def test_callback_without_code_or_error(self, browser: Browser, binding_id: str) -> None:
        state = browser.start_connect(binding_id)
        assert browser.callback(state=state).status_code == 400

    def test_huge_parameters_are_refused_quietly(self, browser: Browser, binding_id: str):
        browser.start_connect(binding_id)
        response = browser.callback(code="c" * 10000, state="s" * 10000)
        assert response.status_code == 400 and "s" * 5000 not in text(response)

    def test_logged_out_callback_goes_to_login(
        self, new_browser: Callable[[], Browser], binding_id: str
    ) -> None:
        response = new_browser().callback(code="x", state="y")
        assert response.status_code == 303 and response.location == "/login"

    def test_no_organisation(self, browser: Browser, binding_id: str, world: World) -> None:
        response = browser.connect(binding_id, "user-avery", [])
        assert response.status_code == 400
        assert "did not grant access to any organisation" in text(response)

    def test_partner_edition_is_refused(self, browser: Browser, binding_id: str) -> None:
        response = browser.connect(binding_id, "user-avery", ["tenant-partner"])
        assert response.status_code == 409
        assert "Partner-edition" in text(response)

    def test_plan_limit_on_organisations(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        world.service.accounts.set_plan(account.id, "starter")
        first = world.paired(account, "https://one.example.com")
        assert browser.connect(first, "user-avery", ["tenant-uk"]).status_code == 303
        world.service.accounts.set_plan(account.id, "growth")
        second = world.paired(account, "https://two.example.com")
        world.service.accounts.set_plan(account.id, "starter")
        response = browser.connect(second, "user-avery", ["tenant-nz"])
        assert response.status_code == 403
        assert "plan allows 1 Xero organisations" in text(response)

    def test_xero_down_during_exchange(self, browser: Browser, binding_id: str, world: World):
        state = browser.start_connect(binding_id)
        code = world.xero.consent(state, "user-avery", ["tenant-uk"])
        world.xero.fail_connections.append(ProviderUnavailable("connections down"))
        response = browser.callback(code=code, state=state)
        assert response.status_code == 503
        assert "Xero is not answering right now" in text(response)
        assert "connections down" not in text(response)


class TestReconnect:
    def test_reconnect_keeps_the_binding_id(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        assert browser.connect(binding_id, "user-avery", ["tenant-uk"]).status_code == 303
        world.needs_reconnect(binding_id)
        page = browser.body(f"/dashboard/bindings/{binding_id}")
        assert "Reconnect Demo Company (UK)" in page and "chip-red" in page
        world.xero.remove_app("user-avery", "tenant-uk")
        response = browser.connect(binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
        assert response.location == f"/dashboard/bindings?connected={binding_id}"
        assert world.binding(binding_id).status is BindingStatus.CONNECTED

    def test_reconnect_to_another_organisation_is_refused(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        browser.connect(binding_id, "user-avery", ["tenant-uk"])
        world.needs_reconnect(binding_id)
        response = browser.connect(binding_id, "user-avery", ["tenant-nz"])
        assert response.status_code == 409
        assert "locked to the Xero organisation" in text(response)
        assert "Demo Company (UK)" in text(response)
        assert world.binding(binding_id).xero.tenant_id == "tenant-uk"

    def test_environment_flip_needs_reconnect(
        self, browser: Browser, binding_id: str, world: World, account: Account
    ) -> None:
        browser.connect(binding_id, "user-avery", ["tenant-uk"])
        world.service.set_environment(account.id, Environment.SANDBOX)
        assert "Reconnect to Xero" in browser.body("/dashboard")
        response = browser.post("/dashboard/connect-xero", {"binding": binding_id})
        assert response.location.startswith("https://xero.test/sandbox/")


class TestOrganisationPicker:
    def test_several_organisations_ask_which_one(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        response = browser.connect(binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
        assert response.status_code == 303
        assert response.location == "/dashboard/connect-xero/organisation"
        page = browser.body(response.location)
        assert "Demo Company (UK)" in page and "Kiwi Kitchenware Ltd" in page
        assert 'name="csrf_token"' in page
        attempt = world.uow().attempts.all()[0].id
        picked = browser.post(
            "/dashboard/connect-xero/organisation",
            {"attempt": attempt, "tenant": "tenant-nz"},
            page="/dashboard/connect-xero/organisation",
        )
        assert picked.status_code == 303
        assert picked.location == f"/dashboard/bindings?connected={binding_id}"
        assert world.binding(binding_id).xero.tenant_id == "tenant-nz"
        assert [c for c in world.xero.deleted if "tenant-uk" in c]

    def test_picker_needs_csrf(self, browser: Browser, binding_id: str, world: World) -> None:
        browser.connect(binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
        attempt = world.uow().attempts.all()[0].id
        response = browser.client.post(
            "/dashboard/connect-xero/organisation", data={"attempt": attempt, "tenant": "tenant-nz"}
        )
        assert response.status_code == 400
        assert world.binding(binding_id).xero is None

    def test_picking_twice_says_it_is_already_connected(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        browser.connect(binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
        attempt = world.uow().attempts.all()[0].id
        form = {"attempt": attempt, "tenant": "tenant-nz"}
        assert browser.post("/dashboard/connect-xero/organisation", form).status_code == 303
        for again in (
            browser.post("/dashboard/connect-xero/organisation", form),
            browser.get("/dashboard/connect-xero/organisation"),
        ):
            assert again.status_code == 400
            assert "Already connected" in text(again) and "Kiwi Kitchenware Ltd" in text(again)
            assert _actions(again) == [f'href="/dashboard/bindings/{binding_id}"']
        assert world.grant(binding_id).version == 1  # type: ignore[union-attr]

    def test_an_expired_picker_says_so_with_one_action(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        browser.connect(binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
        attempt = world.uow().attempts.all()[0].id
        world.clock.advance(minutes=10, seconds=1)
        response = browser.post(
            "/dashboard/connect-xero/organisation", {"attempt": attempt, "tenant": "tenant-nz"}
        )
        assert response.status_code == 400
        assert "This choice has expired" in text(response) and "Nothing was connected" in text(
            response
        )
        assert _actions(response) == [f'href="/dashboard/connect-xero?binding={binding_id}"']
        assert world.binding(binding_id).xero is None

    def test_cancel_goes_back_to_the_binding_and_connects_nothing(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        browser.connect(binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
        attempt = world.uow().attempts.all()[0].id
        page = browser.body("/dashboard/connect-xero/organisation")
        assert 'action="/dashboard/connect-xero/organisation/cancel"' in page
        response = browser.post("/dashboard/connect-xero/organisation/cancel", {"attempt": attempt})
        assert response.status_code == 303
        assert response.location == f"/dashboard/bindings/{binding_id}"
        assert "Nothing was connected." in browser.body(response.location)
        assert world.binding(binding_id).status is BindingStatus.PAIRED
        assert world.grant(binding_id) is None
        assert world.xero.connections_of("user-avery") == []
        (stored,) = world.uow().attempts.all()
        assert stored.pending is None
        stale = browser.post(
            "/dashboard/connect-xero/organisation", {"attempt": attempt, "tenant": "tenant-nz"}
        )
        assert stale.status_code == 400 and "This choice has expired" in text(stale)

    def test_another_session_cannot_cancel(
        self, browser: Browser, new_browser: Callable[[], Browser], binding_id: str, world: World
    ) -> None:
        browser.connect(binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
        attempt = world.uow().attempts.all()[0].id
        other = new_browser()
        other.login()
        response = other.post("/dashboard/connect-xero/organisation/cancel", {"attempt": attempt})
        assert response.status_code == 303 and response.location == "/dashboard/bindings"
        assert world.uow().attempts.all()[0].pending is not None

    def test_a_partner_edition_is_disabled_with_its_reason(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        browser.connect(binding_id, "user-avery", ["tenant-partner", "tenant-uk"])
        page = browser.body("/dashboard/connect-xero/organisation")
        partner = _choice(page, "tenant-partner")
        assert "disabled" in partner and "checked" not in partner
        assert "Cannot be chosen: a Xero Partner edition, which cannot raise invoices." in partner
        uk = _choice(page, "tenant-uk")
        assert "disabled" not in uk and "checked" in uk

    def test_an_organisation_another_binding_uses_says_which(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        world.connected(account, tenant="tenant-nz", url="https://kiwi-shop.example")
        binding_id = world.paired(account, "https://second.example")
        browser.connect(binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
        page = browser.body("/dashboard/connect-xero/organisation")
        nz = _choice(page, "tenant-nz")
        assert "Also used by your binding kiwi-shop.example" in nz and "disabled" not in nz

    def test_when_nothing_can_be_chosen_only_cancel_is_offered(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        world.xero.editions["tenant-uk"] = "PARTNER"
        browser.connect(binding_id, "user-avery", ["tenant-partner", "tenant-uk"])
        page = browser.body("/dashboard/connect-xero/organisation")
        assert "None of these organisations can be connected" in page
        assert "Connect this organisation" not in page and ">Cancel</button>" in page

    def test_organisation_outside_the_consent(
        self, browser: Browser, binding_id: str, world: World
    ) -> None:
        browser.connect(binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
        attempt = world.uow().attempts.all()[0].id
        response = browser.post(
            "/dashboard/connect-xero/organisation", {"attempt": attempt, "tenant": "tenant-au"}
        )
        assert response.status_code == 400
        assert "not part of this consent" in text(response)

    def test_another_session_cannot_pick(
        self, browser: Browser, new_browser: Callable[[], Browser], binding_id: str, world: World
    ) -> None:
        browser.connect(binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
        attempt = world.uow().attempts.all()[0].id
        other = new_browser()
        other.login()
        response = other.post(
            "/dashboard/connect-xero/organisation", {"attempt": attempt, "tenant": "tenant-nz"}
        )
        assert response.status_code == 400
        assert world.binding(binding_id).xero is None
