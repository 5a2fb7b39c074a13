"""Issue 12 item 7: every screen's words. What Xero will ask for, an account over its plan,
error pages with the cause and one action, never an HTTP status or an API name."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from adapters.http import HttpConfig, create_app
from adapters.http.wording import event_reason, scopes_in_words
from domain.account import Account, Plan
from domain.events import BindingEvent
from domain.reference import LedgerAccount, ReferenceCache
from domain.scopes import SYNC_SCOPES
from domain.values import Environment, EventKind
from tests.fakes.misc import FakePlans
from tests.fakes.world import World
from tests.unit.http.browser import Browser, merchant

# What apps created before 2 March 2026 ask for (README): the broad transactions scope.
BROAD = (
    "offline_access",
    "accounting.settings.read",
    "accounting.contacts",
    "accounting.transactions",
    "projects",
)


def _actions(page: str) -> list[str]:
    block = page.split('<div class="actions">', 1)[1].split("</div>", 1)[0]
    return re.findall(r"<a [^>]*>[^<]*</a>|<button[^>]*>[^<]*</button>", block)


class TestWhatXeroWillAskFor:
    def test_every_default_scope_is_said_in_plain_words(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        page = browser.body(f"/dashboard/connect-xero?binding={binding_id}")
        allowed = page.split('id="allowed"', 1)[1].split("</ul>", 1)[0]
        for words in (
            "create and update contacts",
            "create invoices and credit notes",
            "record the payments",
            "create and read bank transactions",
            "create and update projects",
            "read your organisation&#39;s details, chart of accounts, tax rates, items",
            "stay connected until you disconnect",
        ):
            assert words in allowed, words
        assert "accounting." not in allowed and "offline_access" not in allowed
        assert "token" not in allowed.lower() and "minutes" not in allowed

    def test_each_scope_has_its_line_and_an_unknown_one_is_named(self) -> None:
        assert len(scopes_in_words(SYNC_SCOPES)) == len(SYNC_SCOPES)
        broad = scopes_in_words(BROAD)
        assert any("bank transactions" in line for line in broad)
        assert any("projects" in line for line in broad)
        assert scopes_in_words(("offline_access", "accounting.budgets.read"))[-1] == (
            "use Xero's “accounting.budgets.read” permission"
        )
        assert len(scopes_in_words(("openid", "profile", "email"))) == 1

    def test_the_configured_scopes_are_the_ones_said(
        self, world: World, config: HttpConfig, password_hash: str
    ) -> None:
        scopes = ("offline_access", "accounting.settings.read")
        app = create_app(world.service, replace(config, xero_scopes=scopes))
        app.config.update(TESTING=True)
        account = merchant(world, password_hash)
        binding_id = world.paired(account)
        b = Browser(app.test_client(), world)
        assert b.login().status_code == 303
        page = b.body(f"/dashboard/connect-xero?binding={binding_id}")
        allowed = page.split('id="allowed"', 1)[1].split("</ul>", 1)[0]
        assert allowed.count("<li>") == 2 and "invoices" not in allowed


class TestOverThePlan:
    def test_an_account_over_its_plan_is_told_what_it_means_and_what_to_do(
        self, new_browser: Callable[[], Browser], password_hash: str
    ) -> None:
        world = World(plans=FakePlans(Plan("growth", 3, 5), Plan("solo", 1, 1)))
        app = create_app(world.service, _config())
        app.config.update(TESTING=True)
        account = merchant(world, password_hash)
        world.connected(account, tenant="tenant-uk", url="https://one.example")
        world.connected(account, tenant="tenant-nz", url="https://two.example")
        world.service.accounts.set_plan(account.id, "solo")
        b = Browser(app.test_client(), world)
        assert b.login().status_code == 303
        for path in ("/dashboard", "/dashboard/bindings"):
            page = b.body(path)
            banner = page.split('id="over-limits"', 1)[1].split("</div></div>", 1)[0]
            assert "2 Xero organisations in use where it allows 1" in banner
            assert "2 Magento websites in use where it allows 1" in banner
            assert "keep syncing" in banner
            assert "upgrade your plan or disconnect 1 organisation" in banner
        assert 'id="new-binding-reason"' in b.body("/dashboard")

    def test_within_the_plan_nothing_is_said(self, browser: Browser) -> None:
        assert 'id="over-limits"' not in browser.body("/dashboard")


class TestErrorPages:
    def test_a_missing_page_has_no_status_code_and_one_action(self, browser: Browser) -> None:
        response = browser.get("/dashboard/nothing-here")
        page = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "<h1>Nothing here</h1>" in page and "404" not in page and "Not Found" not in page
        assert len(_actions(page)) == 1

    def test_a_wrong_method_is_said_plainly(self, browser: Browser) -> None:
        page = browser.client.put("/dashboard/bindings").get_data(as_text=True)
        assert "Method Not Allowed" not in page and "405" not in page
        assert len(_actions(page)) == 1

    def test_a_refused_sign_in_has_one_action_and_no_oauth_words(
        self, browser: Browser, world: World, account: Account
    ) -> None:
        binding_id = world.paired(account)
        state = browser.start_connect(binding_id)
        response = browser.callback(code="not-a-code", state=state)
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "invalid_grant" not in page and "/token" not in page
        assert [a for a in _actions(page) if "Try again" in a] == _actions(page)


def _config() -> HttpConfig:
    return HttpConfig(
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        cookie_secure=False,
        connect_in_background=False,
    )


class TestSettingsChangeWords:
    def test_accounts_read_as_on_settings_only_where_a_value_stands(self) -> None:
        accounts = (
            LedgerAccount("a-200", "200", "Sales", "REVENUE"),
            LedgerAccount("a-090", "090", "Business Bank", "BANK"),
        )
        reference = ReferenceCache("t-1", Environment.PRODUCTION, accounts=accounts)
        reason = (
            "changed by the merchant: default income account: 200 Sales → 1200 Sales; "
            "Card: 090 Business Bank → not mapped; Cash: 200 Sales extra"
        )
        event = BindingEvent("b-1", EventKind.SETTINGS_CHANGED, reason, datetime.now(UTC))

        shown = event_reason(event, reference)

        assert shown == (
            "changed by the merchant: default income account: 200 · Sales → 1200 Sales; "
            "Card: 090 · Business Bank → not mapped; Cash: 200 Sales extra"
        )
        assert event.reason == reason
        assert event_reason(event) == reason
