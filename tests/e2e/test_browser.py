"""A merchant's whole journey in a real browser: log in, pair, connect (single and bulk consent),
settings, reference refresh, activity, disconnect."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import (
    CHROMIUM_ARGS,
    EMAIL,
    PASSWORD,
    Look,
    Stack,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A page that fails the test on any Content Security Policy report."""
    context = browser.new_context(base_url=stack.base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert not [p for p in problems if "Content Security Policy" in p], problems


def new_binding(page: Page, stack: Stack, shop: str, look: Look) -> str:
    page.goto("/dashboard/bindings")
    look(page, "bindings")
    page.get_by_role("button", name="New binding").click()
    code = page.locator("#pairing-code").inner_text()
    expect(page.get_by_text(f"ledger-connect pair {code} --magento-url")).to_be_visible()
    look(page, "pairing-code")
    answer = httpx.post(
        f"{stack.base_url}/api/v1/pairings",
        json={
            "code": code,
            "magento_url": shop,
            "websites": [{"code": "base", "name": "Main Website"}],
            "stores": [{"code": "default", "name": "Default Store View", "website_code": "base"}],
            "payment_methods": [
                {"code": "checkmo", "name": "Check / Money order"},
                {"code": "stripe", "name": "Credit card"},
            ],
            "product_types": [{"code": "simple", "name": "Simple Product"}],
        },
    )
    assert answer.status_code == 201, answer.text
    binding_id: str = answer.json()["binding_id"]
    return binding_id


def row(page: Page, binding_id: str):  # noqa: ANN201 - playwright Locator
    return page.locator(f'li[data-binding="{binding_id}"]')


@pytest.mark.timeout(300)  # some thirty pages, each audited by axe-core, on a shared 2-core machine
def test_merchant_journey(page: Page, stack: Stack, look: Look) -> None:
    page.goto("/login")
    look(page, "login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    first = new_binding(page, stack, "https://shop-one.example.com", look)
    page.goto("/dashboard")
    look(page, "home-paired")
    page.get_by_role("link", name="Connect to Xero").click()
    allowed = page.locator("#allowed")
    for words in ("contacts", "invoices and credit notes", "payments", "bank transactions"):
        expect(allowed).to_contain_text(words)
    expect(allowed).to_contain_text("projects")
    expect(allowed).not_to_contain_text("accounting.")
    look(page, "connect")
    page.get_by_role("button", name="Connect to Xero").click()
    expect(page.get_by_role("button", name="Allow access")).to_be_visible()
    look(page, "consent")
    page.get_by_role("button", name="Cancel").click()
    expect(
        page.get_by_text("You cancelled the connection at Xero; nothing was changed.")
    ).to_be_visible()
    look(page, "cancelled")
    page.get_by_role("link", name="Try again").click()
    page.get_by_role("button", name="Connect to Xero").click()
    page.get_by_label("Organisation").select_option(label="Demo Company (UK)")
    page.get_by_role("button", name="Allow access").click()
    expect(page).to_have_url(f"{stack.base_url}/dashboard/bindings?connected={first}")
    expect(row(page, first)).to_have_attribute("data-status", "CONNECTED")
    expect(row(page, first).locator(".chip-green")).to_have_text("Connected")
    expect(row(page, first)).to_contain_text("Demo Company (UK)")
    look(page, "green-row")

    httpx.post(f"{stack.emulator.base_url}/_emulator/bulk", json={"enabled": True})
    second = new_binding(page, stack, "https://shop-two.example.com", look)
    page.goto(f"/dashboard/connect-xero?binding={second}")
    page.get_by_role("button", name="Connect to Xero").click()
    page.get_by_label("Kiwi Kitchenware Ltd").check()
    page.get_by_label("Wattle Web Supplies Pty Ltd").check()
    page.get_by_label("Partner Practice Ltd").check()
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_role("heading", name="Choose an organisation")).to_be_visible()
    expect(page.get_by_label("Partner Practice Ltd")).to_be_disabled()
    expect(page.locator("[data-tenant] .reason").first).to_contain_text("Partner edition")
    look(page, "organisation-picker")
    page.get_by_label("Kiwi Kitchenware Ltd").check()
    page.get_by_role("button", name="Connect this organisation").click()
    expect(row(page, second)).to_have_attribute("data-status", "CONNECTED")
    expect(row(page, second)).to_contain_text("Kiwi Kitchenware Ltd")
    look(page, "two-green-rows")

    row(page, first).get_by_role("link", name="Settings").click()
    expect(page.get_by_label("Default income account")).not_to_have_value("")
    look(page, "settings")
    stripe = page.locator('select[name="pm:stripe"]')
    last_option = stripe.locator("option").last.get_attribute("value")
    stripe.select_option(last_option)
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(stripe).to_have_value(last_option or "")
    page.get_by_role("button", name="Refresh reference data").click()
    expect(page.get_by_text("Reference data refreshed from Xero.")).to_be_visible()

    page.get_by_role("navigation", name="Binding").get_by_role("link", name="Activity").click()
    events = page.locator(".event-kind")
    expect(events.first).to_have_text("Reference data refreshed")
    expect(page.locator(".timeline")).to_contain_text("Settings changed")
    expect(page.locator(".timeline")).to_contain_text("Xero connected")
    expect(events.last).to_have_text("Binding created")
    look(page, "activity")

    page.goto(f"/dashboard/bindings/{first}")
    look(page, "binding")
    page.get_by_role("link", name="Disconnect from Xero…").click()
    look(page, "disconnect-confirm")
    page.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("The binding is disconnected.")).to_be_visible()
    look(page, "disconnected")
    page.goto("/dashboard/bindings")
    expect(row(page, first)).to_have_count(0)
    expect(row(page, second)).to_have_attribute("data-status", "CONNECTED")
    page.get_by_role("link", name="Disconnected bindings (1)").click()
    expect(row(page, first)).to_have_attribute("data-status", "DISCONNECTED")
    look(page, "archive")
    cookies = {c["name"] for c in page.context.cookies()}
    assert {"ledger_session", "xero_emulator_session"} <= cookies


def log_in(page: Page, target: str = "/dashboard") -> None:
    page.goto(target)
    if page.get_by_label("Email").count():
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()


def test_a_deep_link_survives_login_and_logout_asks_first(
    page: Page, stack: Stack, look: Look
) -> None:
    page.goto("/dashboard/bindings?view=archive")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_text("Log in to continue to the page you opened.")).to_be_visible()
    look(page, "login-deep-link")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{stack.base_url}/dashboard/bindings?view=archive")
    expect(page.get_by_role("heading", name="Disconnected bindings")).to_be_visible()

    page.get_by_role("link", name="Log out").click()
    expect(page.get_by_role("heading", name="Log out?")).to_be_visible()
    look(page, "logout-confirm")
    page.get_by_role("link", name="Stay logged in").click()
    expect(page).to_have_url(f"{stack.base_url}/dashboard")
    page.get_by_role("link", name="Log out").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    look(page, "logged-out")

    for attack in ("//evil.example/", "/\\evil.example", "https://evil.example/"):
        page.goto("/login?" + urlencode({"next": attack}))
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{stack.base_url}/dashboard")
        page.goto("/logout")
        page.get_by_role("button", name="Log out").click()


def test_save_and_refresh_show_they_work_and_send_once(
    page: Page, stack: Stack, look: Look
) -> None:
    log_in(page, "/dashboard/bindings")
    connected = page.locator('li[data-status="CONNECTED"]').first.get_attribute("data-binding")
    settings = f"/dashboard/bindings/{connected}/settings"
    page.goto(settings)
    held: list[Any] = []
    page.route(
        f"**{settings}**",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.evaluate(COUNT_SUBMITS)
    for busy, name in (("Saving…", "settings-saving"), ("Refreshing…", "settings-refreshing")):
        state = page.evaluate(PRESS_TWICE, busy)
        assert state == {"text": busy, "disabled": True, "status": busy, "sent": 1}, state
        for _ in range(200):  # the route reaches this process a moment after the page sent it
            if held:
                break
            page.wait_for_timeout(50)
        assert len(held) == 1 and held[0].request.method == "POST"
        held.pop().fulfill(status=204)  # no content: the page stays as it was while waiting
        expect(page.get_by_role("button", name=busy)).to_be_disabled()
        look(page, name)
        page.goto(settings)
        page.evaluate(COUNT_SUBMITS)
    page.unroute(f"**{settings}**")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(page.get_by_role("button", name="Save settings")).to_be_enabled()


# Presses a busy form's button, then submits it again at once; reports what the page shows
# once the script's own deferred step has run. The test holds the first submission.
PRESS_TWICE = """(busy) => {
  const form = document.querySelector(`form[data-busy="${busy}"]`);
  const button = form.querySelector("button[type=submit]");
  button.click();
  form.requestSubmit();
  return new Promise((done) => setTimeout(() => done({
    text: button.textContent,
    disabled: button.disabled,
    status: form.querySelector("[data-busy-status]").textContent,
    sent: window.sentSubmits,
  }), 50));
}"""
# Counts the form submissions the page's script let through (it runs first, on document).
COUNT_SUBMITS = """() => {
  window.sentSubmits = 0;
  document.addEventListener("submit", (e) => { if (!e.defaultPrevented) window.sentSubmits++; });
}"""


def test_the_picker_cancels_and_a_stale_one_says_so(page: Page, stack: Stack, look: Look) -> None:
    log_in(page)
    binding_id = new_binding(page, stack, "https://shop-three.example.com", look)
    httpx.post(f"{stack.emulator.base_url}/_emulator/bulk", json={"enabled": True})
    page.goto(f"/dashboard/connect-xero?binding={binding_id}")
    page.get_by_role("button", name="Connect to Xero").click()
    page.get_by_label("Kiwi Kitchenware Ltd").check()
    page.get_by_label("Wattle Web Supplies Pty Ltd").check()
    page.get_by_role("button", name="Allow access").click()
    kiwi = page.locator("label.choice").filter(has_text="Kiwi Kitchenware Ltd")
    expect(kiwi).to_contain_text("Also used by your binding shop-two.example.com")
    expect(kiwi.get_by_role("radio")).to_be_enabled()
    look(page, "organisation-picker-shared")
    page.get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(f"{stack.base_url}/dashboard/bindings/{binding_id}")
    expect(page.get_by_text("Nothing was connected.")).to_be_visible()
    look(page, "picker-cancelled")
    page.go_back()
    expect(page.get_by_role("heading", name="This choice has expired")).to_be_visible()
    actions = page.locator("main .actions a, main .actions button")
    expect(actions).to_have_count(1)
    expect(actions).to_have_text("Connect to Xero again")
    look(page, "picker-stale")
    httpx.post(f"{stack.emulator.base_url}/_emulator/bulk", json={"enabled": False})


def test_an_account_over_its_plan_sees_what_that_means(
    page: Page, stack: Stack, look: Look
) -> None:
    """Last in this module: the plan is lowered below what the account uses."""
    service = stack.container.service
    account = service.accounts.by_email(EMAIL)
    assert account is not None
    service.accounts.set_plan(account.id, "starter")
    try:
        log_in(page)
        banner = page.locator("#over-limits")
        expect(banner).to_contain_text("Magento websites in use where it allows 1")
        expect(banner).to_contain_text("keep syncing")
        expect(page.get_by_role("button", name="New binding")).to_be_disabled()
        look(page, "over-limits")
    finally:
        service.accounts.set_plan(account.id, "growth")
