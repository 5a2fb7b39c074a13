"""The consent page in a real browser: switching user re-offers only that user's organisations."""

from __future__ import annotations

import shutil
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from xero_emulator.seed import AVERY, NZ, SAM

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, http):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def authorize_url(xero, emulator) -> str:
    params = {
        "response_type": "code",
        "client_id": xero.client_id,
        "redirect_uri": xero.redirect,
        "scope": xero.scope,
        "state": "browser-state",
    }
    return f"{emulator.base_url}/identity/connect/authorize?{urlencode(params)}"


def option_values(page, selector: str) -> list[str]:
    return page.locator(f"{selector} option").evaluate_all("os => os.map(o => o.value)")


class TestConsentInBrowser:
    def test_switching_user_limits_organisations_and_allow_redirects_with_code(
        self, page, xero, emulator
    ):
        page.route(f"{xero.redirect}**", lambda route: route.fulfill(body="callback"))
        page.goto(authorize_url(xero, emulator))
        assert option_values(page, "#organisation") == list(AVERY.tenant_ids)
        page.get_by_label("Xero user").select_option(SAM.user_id)
        assert option_values(page, "#organisation") == [NZ.tenant_id]
        page.get_by_label("Organisation").select_option(NZ.tenant_id)
        page.get_by_role("button", name="Allow access").click()
        page.wait_for_url(f"{xero.redirect}**")
        params = parse_qs(urlsplit(page.url).query)
        assert params["state"] == ["browser-state"] and params["code"]

    def test_bulk_mode_checkboxes_follow_the_user(self, page, xero, emulator):
        xero.control("bulk", {"enabled": True})
        page.goto(authorize_url(xero, emulator))
        assert page.get_by_role("checkbox").count() == len(AVERY.tenant_ids)
        page.get_by_label("Xero user").select_option(SAM.user_id)
        assert page.get_by_role("checkbox").count() == 1
        page.get_by_label("Kiwi Kitchenware Ltd").check()
        page.route(f"{xero.redirect}**", lambda route: route.fulfill(body="callback"))
        page.get_by_role("button", name="Allow access").click()
        page.wait_for_url(f"{xero.redirect}**")
        assert "code=" in page.url
