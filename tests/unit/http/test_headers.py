"""Security headers and cookie flags on every kind of answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from flask import Flask

from adapters.http import HttpConfig, create_app
from domain.account import Account
from tests.fakes.world import World
from tests.unit.http.browser import Browser

STRICT = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _assert_strict(headers) -> None:  # noqa: ANN001 - werkzeug Headers
    for name, value in STRICT.items():
        assert headers.get(name) == value, name
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "http" not in csp


class TestHeaders:
    def test_login_page(self, new_browser: Callable[[], Browser]) -> None:
        _assert_strict(new_browser().get("/login").headers)

    def test_every_dashboard_page_and_the_callback(self, browser: Browser, world: World) -> None:
        binding_id = world.connected(world.uow().accounts.all()[0])
        paths = [
            "/dashboard",
            "/dashboard/bindings",
            f"/dashboard/bindings/{binding_id}",
            f"/dashboard/bindings/{binding_id}/settings",
            f"/dashboard/bindings/{binding_id}/activity",
            f"/dashboard/connect-xero?binding={binding_id}",
            "/oauth/xero/callback?state=nope&code=nope",
            "/dashboard/nothing-here",
        ]
        for path in paths:
            _assert_strict(browser.get(path).headers)

    def test_a_page_runs_only_the_script_named_by_its_nonce(
        self, browser: Browser, world: World
    ) -> None:
        nonces = []
        for _ in range(2):
            response = browser.get("/dashboard")
            csp = response.headers["Content-Security-Policy"]
            found = re.search(r"script-src 'nonce-([A-Za-z0-9_-]{20,})'$", csp)
            assert found, csp
            assert "unsafe-inline" not in csp and "'self'" not in csp.split("script-src")[1]
            page = response.get_data(as_text=True)
            scripts = re.findall(r"<script[^>]*>", page)
            assert scripts == [f'<script nonce="{found.group(1)}" src="/static/busy.js" defer>'], (
                scripts
            )
            nonces.append(found.group(1))
        assert nonces[0] != nonces[1]

    def test_redirect_to_xero_carries_them_too(self, browser: Browser, world: World) -> None:
        binding_id = world.paired(world.uow().accounts.all()[0])
        response = browser.post("/dashboard/connect-xero", {"binding": binding_id})
        assert response.status_code == 303
        _assert_strict(response.headers)

    def test_api_answers(self, new_browser: Callable[[], Browser]) -> None:
        response = new_browser().client.post("/api/v1/pairings", data="x")
        _assert_strict(response.headers)

    def test_stylesheet_is_local_and_cacheable(self, new_browser: Callable[[], Browser]) -> None:
        b = new_browser()
        assert 'href="/static/style.css"' in b.body("/login")
        response = b.get("/static/style.css")
        assert response.status_code == 200 and "no-store" not in response.headers.get(
            "Cache-Control", ""
        )
        assert "http" not in response.get_data(as_text=True)


class TestCookies:
    def test_session_cookie_is_httponly_lax_and_named(self, browser: Browser) -> None:
        cookies = browser.seen[-1].headers.getlist("Set-Cookie")
        cookie = next(c for c in cookies if c.startswith("ledger_session="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie

    def test_secure_config_makes_the_cookie_secure_and_adds_hsts(
        self, world: World, config: HttpConfig
    ) -> None:
        app: Flask = create_app(world.service, replace(config, cookie_secure=True))
        response = app.test_client().get("/login", base_url="https://ledger.example.com")
        assert "Secure" in response.headers["Set-Cookie"]
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


class TestConfig:
    def test_short_secret_key_is_refused(self, config: HttpConfig) -> None:
        try:
            replace(config, secret_key="short")
        except ValueError as refused:
            assert "secret key" in str(refused)
        else:
            raise AssertionError("a short secret key was accepted")

    def test_secret_key_never_in_repr(self, config: HttpConfig) -> None:
        assert config.secret_key not in repr(config)

    def test_service_lives_in_extensions(self, app: Flask, world: World) -> None:
        assert app.extensions["ledger"] is world.service

    def test_demo_banner_is_shown(self, new_browser: Callable[[], Browser], account: Account):
        assert "Demo mode: Xero is emulated." in new_browser().body("/login")


class TestProxies:
    def test_forwarded_client_ip_is_used_only_when_trusted(
        self, world: World, config: HttpConfig, password_hash: str
    ) -> None:
        world.service.accounts.create("merchant@example.com", "growth", password_hash)
        for trusted, locked_out in (((), True), (("127.0.0.1",), False)):
            app = create_app(world.service, replace(config, trusted_proxies=trusted))
            client = app.test_client()
            for n in range(6):
                token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
                response = client.post(
                    "/login",
                    data={
                        "email": "merchant@example.com",
                        "password": "wrong password",
                        "csrf_token": token.group(1),
                    },
                    headers={"X-Forwarded-For": f"10.0.0.{n}"},
                )
            assert (response.status_code == 429) is locked_out


def test_unknown_page_for_a_logged_in_merchant_keeps_the_chrome(browser: Browser) -> None:
    page = browser.get("/no/such/page")
    assert page.status_code == 404
    assert "Back to bindings" in page.text and "merchant@example.com" in page.text
