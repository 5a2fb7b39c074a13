"""A newcomer's walk through the demo, in a real browser against a real `ledger-connect serve`
(demo mode, its own ports and var dir), restarted half-way as Ctrl-C and `make run` would:
login, new binding and a reload, pairing, connect with progress, settings, a method left
unmapped through a manual refresh, an account archived in Xero, the website limit before the
action, the app removed inside Xero shown as Reconnect, disconnect, and after the restart the
demo binding still gets tokens and reference data. axe-core audits every page on the way."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import CHROMIUM_ARGS, Look, free_port

pytestmark = pytest.mark.browser
START_S = 40.0


class Demo:
    """`ledger-connect serve` in demo mode as a child process; start, interrupt, start again."""

    def __init__(self, var: Path) -> None:
        self.var = var
        self.http, self.emulator, self.grpc = free_port(), free_port(), free_port()
        self.process: subprocess.Popen[str] | None = None
        self.out = var / "console.txt"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
        env.update(
            LEDGER_DEMO="1",
            LEDGER_VAR_DIR=str(self.var),
            LEDGER_HTTP_PORT=str(self.http),
            LEDGER_EMULATOR_PORT=str(self.emulator),
            LEDGER_GRPC_PORT=str(self.grpc),
            LEDGER_SWEEP="0",
            PYTHONUNBUFFERED="1",
        )
        return env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http}"

    @property
    def xero(self) -> str:
        return f"http://127.0.0.1:{self.emulator}"

    def start(self) -> str:
        """Start and wait for the banner; returns what the console showed."""
        self.var.mkdir(parents=True, exist_ok=True)
        with self.out.open("w") as out:
            self.process = subprocess.Popen(
                [*_cli(), "serve"], env=self.env, stdout=out, stderr=subprocess.STDOUT, text=True
            )
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if "prints this again" in self.out.read_text():
                return self.out.read_text()
            assert self.process.poll() is None, self.out.read_text()
            time.sleep(0.2)
        raise AssertionError(f"serve did not start: {self.out.read_text()}")

    def interrupt(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_cli(), *args], env=self.env, capture_output=True, text=True, timeout=60
        )

    def password(self) -> str:
        return (self.var / "demo-password").read_text().strip()


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("ledger-connect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


@pytest.fixture
def demo(tmp_path: Path, chromium_path: str) -> Iterator[Demo]:
    running = Demo(tmp_path / "var")
    yield running
    running.stop()


@pytest.fixture
def page(demo: Demo, chromium_path: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        yield page
        browser.close()
    assert not [p for p in problems if "Content Security Policy" in p], problems


def row(page: Page, binding_id: str):  # noqa: ANN201 - playwright Locator
    return page.locator(f'li[data-binding="{binding_id}"]')


def switch(page: Page, demo: Demo, look: Look, button: str, account: str = "") -> None:
    """Press one of the emulator's switches on its root page, as a newcomer would."""
    page.goto(f"{demo.xero}/")
    look(page, "emulator-home")
    if account:
        page.get_by_label("Account").select_option(label=account)
    # Wait for the switch's own answer: a status already on the page (the last switch's)
    # would let the test walk on while the POST is still in flight, and leave it unapplied.
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/switches")
    ) as answered:
        page.get_by_role("button", name=button, exact=True).click()
    assert answered.value.status < 400, answered.value.status
    expect(page.get_by_role("status")).to_be_visible()


def still(page: Page, demo: Demo, look: Look, name: str, path: str, html: str) -> None:
    """Audit a page that reloads itself: the body as served, minus its refresh, held still."""
    held = html.replace('http-equiv="refresh"', 'data-refresh-removed-for-audit="1"')
    page.route(
        f"{demo.url}{path}", lambda route: route.fulfill(body=held, content_type="text/html")
    )
    page.goto(f"{demo.url}{path}")
    look(page, name)
    page.unroute(f"{demo.url}{path}")


@pytest.mark.timeout(480)  # two demo start-ups and some forty pages on a shared 2-core machine
def test_a_newcomer_walks_the_demo_and_restarts_it(page: Page, demo: Demo, look: Look) -> None:
    banner = demo.start()
    assert f"demo@ledger.test  /  {demo.password()}" in banner
    assert '"level": "info"' not in banner
    assert "INFO" not in banner

    page.goto(f"{demo.url}/dashboard/bindings")
    look(page, "walk-login")
    page.get_by_label("Email").fill("demo@ledger.test")
    page.get_by_label("Password").fill(demo.password())
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{demo.url}/dashboard/bindings")  # the page first opened
    page.goto(f"{demo.url}/dashboard")
    look(page, "walk-home")
    page.goto(f"{demo.url}/dashboard/bindings")
    demo_binding = page.locator("li[data-binding]").first.get_attribute("data-binding") or ""

    page.get_by_role("button", name="New binding").click()
    code = page.locator("#pairing-code").inner_text()
    look(page, "walk-pairing-code")
    page.reload()
    expect(page.locator("#pairing-code")).to_have_count(0)
    expect(page.get_by_role("button", name="Get a new pairing code")).to_be_visible()
    look(page, "walk-pairing-code-reloaded")
    page.goto(f"{demo.url}/dashboard/bindings")
    expect(page.locator("li[data-binding]")).to_have_count(2)
    page.get_by_role("button", name="Get a pairing code").click()
    code = page.locator("#pairing-code").inner_text()
    big_shop = {
        "code": code,
        "magento_url": "https://big-shop.example.com",
        "websites": [{"code": f"w{i}", "name": f"Website {i}"} for i in range(4)],
    }
    paired = httpx.post(f"{demo.url}/api/v1/pairings", json=big_shop, timeout=10)
    assert paired.status_code == 201, paired.text
    second = paired.json()["binding_id"]

    page.goto(f"{demo.url}/dashboard/bindings")
    refusal = page.locator("#new-binding-reason")
    expect(refusal).to_have_text(
        "5 of 5 websites used: upgrade your plan or disconnect one before adding a shop."
    )
    expect(page.get_by_role("button", name="New binding")).to_be_disabled()
    look(page, "walk-limit")

    switch(page, demo, look, "800 ms")
    page.goto(f"{demo.url}/dashboard/bindings")
    row(page, demo_binding).get_by_role("link", name="Connect to Xero").click()
    expect(page.locator("#organisation-limit")).to_contain_text("up to 3 Xero organisations")
    look(page, "walk-connect")
    page.get_by_role("button", name="Connect to Xero").click()
    page.get_by_label("Organisation").select_option(label="Demo Company (UK)")
    look(page, "walk-consent")
    page.get_by_role("button", name="Allow access").click()
    page.wait_for_url("**/dashboard/connect-xero/progress")
    progress = page.request.get(f"{demo.url}/dashboard/connect-xero/progress")
    assert progress.status == 200
    assert "Connecting to Xero… fetching your accounts" in progress.text()
    expect(row(page, demo_binding)).to_have_attribute("data-status", "CONNECTED", timeout=30_000)
    still(page, demo, look, "walk-progress", "/dashboard/connect-xero/progress", progress.text())
    look(page, "walk-green-row")
    switch(page, demo, look, "0 ms")

    page.goto(f"{demo.url}/dashboard/bindings/{demo_binding}/settings")
    paypal = page.get_by_label("PayPal Express Checkout")
    paypal.select_option("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    page.get_by_role("button", name="Refresh reference data").click()
    expect(page.get_by_text("Reference data refreshed from Xero.")).to_be_visible()
    expect(page.get_by_label("PayPal Express Checkout")).to_have_value("")
    look(page, "walk-unmapped-kept")

    switch(
        page,
        demo,
        look,
        "Archive",
        account="Demo Company (UK) · 090 Business Bank Account (active)",
    )
    page.goto(f"{demo.url}/dashboard/bindings/{demo_binding}/settings")
    page.get_by_role("button", name="Refresh reference data").click()
    flags = page.locator("#unavailable-choices")
    expect(flags).to_contain_text(
        "The default bank account 090 was archived in Xero; choose another."
    )
    expect(flags).to_contain_text(
        "Check / Money order's account 090 was archived in Xero; choose another."
    )
    expect(page.locator("#bank option:checked")).to_have_text("090 · archived in Xero")
    look(page, "walk-archived-flag")
    page.get_by_role("navigation", name="Binding").get_by_role("link", name="Activity").click()
    expect(page.locator(".timeline")).to_contain_text("Setting needs a new account")
    expect(page.locator(".timeline")).to_contain_text("Chosen by the defaults on first connect")
    expect(page.locator(".timeline")).to_contain_text("Changed by the merchant: PayPal Express")
    look(page, "walk-activity")
    switch(
        page,
        demo,
        look,
        "Make active again",
        account="Demo Company (UK) · 090 Business Bank Account (archived)",
    )

    switch(page, demo, look, "Remove the app from Demo Company (UK)")
    page.goto(f"{demo.url}/dashboard/bindings/{demo_binding}/settings")
    page.get_by_role("button", name="Refresh reference data").click()
    page.goto(f"{demo.url}/dashboard/bindings")
    expect(row(page, demo_binding)).to_have_attribute("data-status", "NEEDS_RECONNECT")
    reconnect = row(page, demo_binding).get_by_role("link", name="Reconnect Demo Company (UK)")
    look(page, "walk-needs-reconnect")
    page.goto(f"{demo.url}/dashboard/bindings/{demo_binding}")
    trouble = page.locator('[data-trouble="needs-reconnect"]')
    expect(trouble).to_contain_text("The app was removed from this organisation inside Xero")
    expect(trouble.get_by_role("link")).to_have_count(1)
    expect(trouble.get_by_role("link")).to_have_text("Reconnect Demo Company (UK)")
    look(page, "walk-reconnect-banner")
    page.goto(f"{demo.url}/dashboard/bindings")
    reconnect.click()
    page.get_by_role("button", name="Reconnect Demo Company (UK)").click()
    page.get_by_label("Organisation").select_option(label="Demo Company (UK)")
    page.get_by_role("button", name="Allow access").click()
    expect(row(page, demo_binding)).to_have_attribute("data-status", "CONNECTED")
    page.goto(f"{demo.url}/dashboard/bindings/{demo_binding}/settings")
    expect(page.get_by_label("PayPal Express Checkout")).to_have_value("")

    page.goto(f"{demo.url}/dashboard/bindings/{second}")
    page.get_by_role("link", name="Disconnect this binding…").click()
    look(page, "walk-disconnect")
    page.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("The binding is disconnected.")).to_be_visible()

    demo.interrupt()
    again = demo.start()
    assert f"demo@ledger.test  /  {demo.password()}" in again
    token = demo.cli("token", demo_binding, "--json")
    assert token.returncode == 0, token.stderr
    assert json.loads(token.stdout)["status"] == "CONNECTED"
    page.goto(f"{demo.url}/dashboard/bindings/{demo_binding}/settings")
    if page.get_by_label("Email").count():
        page.get_by_label("Email").fill("demo@ledger.test")
        page.get_by_label("Password").fill(demo.password())
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{demo.url}/dashboard/bindings/{demo_binding}/settings")
    page.get_by_role("button", name="Refresh reference data").click()
    expect(page.get_by_text("Reference data refreshed from Xero.")).to_be_visible()
    expect(page.get_by_label("PayPal Express Checkout")).to_have_value("")
    look(page, "walk-after-restart")
