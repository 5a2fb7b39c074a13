"""Logging in and out: labels, wrong passwords, session rotation, CSRF, throttling."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from domain.account import Account
from tests.fakes.world import World
from tests.unit.http.browser import PASSWORD, Browser


class TestLoginPage:
    def test_has_email_password_and_log_in(self, new_browser: Callable[[], Browser]) -> None:
        page = new_browser().body("/login")
        assert '<label for="email">Email</label>' in page
        assert '<label for="password">Password</label>' in page
        assert ">Log in</button>" in page

    def test_dashboard_sends_a_stranger_to_login(self, new_browser: Callable[[], Browser]) -> None:
        for path in ("/", "/dashboard", "/oauth/xero/callback?state=x"):
            response = new_browser().get(path)
            assert response.status_code == 303
            assert response.location == "/login"

    def test_a_deep_link_is_kept_for_after_the_login(
        self, new_browser: Callable[[], Browser]
    ) -> None:
        response = new_browser().get("/dashboard/bindings?view=archive")
        assert response.status_code == 303
        assert response.location == "/login?next=/dashboard/bindings?view%3Darchive"


class TestDeepLink:
    def test_the_page_opened_comes_back_after_the_login(
        self, new_browser: Callable[[], Browser], account: Account, world: World
    ) -> None:
        binding_id = world.connected(account)
        b = new_browser()
        target = f"/dashboard/bindings/{binding_id}/settings"
        login_page = b.get(target).location
        assert 'name="next" value="' + target + '"' in b.body(login_page)
        response = b.post(
            "/login", {"email": account.email, "password": PASSWORD, "next": target}, login_page
        )
        assert response.status_code == 303 and response.location == target
        assert b.get(target).status_code == 200

    def test_a_query_string_survives(
        self, new_browser: Callable[[], Browser], account: Account
    ) -> None:
        b = new_browser()
        target = "/dashboard/bindings?view=archive"
        response = b.post("/login", {"email": account.email, "password": PASSWORD, "next": target})
        assert response.location == target

    @pytest.mark.parametrize(
        "attack",
        [
            "https://evil.example/",
            "http://evil.example",
            "//evil.example/dashboard",
            "///evil.example",
            "/\\evil.example",
            "\\evil.example",
            "/\tevil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            " /dashboard",
            "javascript:alert(1)",
            "dashboard",
            "evil.example/dashboard",
            "https:/evil.example",
            "/" + "a" * 3000,
        ],
    )
    def test_anything_but_a_path_here_is_ignored(
        self, new_browser: Callable[[], Browser], account: Account, attack: str
    ) -> None:
        b = new_browser()
        page = b.body("/login?" + urlencode({"next": attack}))
        assert 'name="next"' not in page
        response = b.post("/login", {"email": account.email, "password": PASSWORD, "next": attack})
        assert response.status_code == 303 and response.location == "/dashboard"

    def test_a_failed_login_keeps_the_deep_link(
        self, new_browser: Callable[[], Browser], account: Account
    ) -> None:
        b = new_browser()
        target = "/dashboard/bindings"
        wrong = b.post("/login", {"email": account.email, "password": "nope", "next": target})
        assert wrong.status_code == 401
        assert 'name="next" value="/dashboard/bindings"' in wrong.get_data(as_text=True)

    def test_a_post_is_not_replayed_after_the_login(
        self, new_browser: Callable[[], Browser], world: World, account: Account
    ) -> None:
        b = new_browser()
        response = b.client.post("/dashboard/bindings", data={"csrf_token": b.token()})
        assert response.status_code == 303 and response.location == "/login"


class TestLogin:
    def test_right_password_logs_in(self, new_browser: Callable[[], Browser], account: Account):
        b = new_browser()
        response = b.login()
        assert response.status_code == 303 and response.location == "/dashboard"
        assert account.email in b.body("/dashboard")

    def test_email_is_case_insensitive(self, new_browser: Callable[[], Browser], account: Account):
        assert new_browser().login(email="  Merchant@Example.COM ").status_code == 303

    def test_wrong_password_and_unknown_email_look_alike(
        self, new_browser: Callable[[], Browser], account: Account
    ) -> None:
        wrong = new_browser().login(password="wrong password")
        unknown = new_browser().login(email="nobody@example.com")
        assert wrong.status_code == unknown.status_code == 401
        assert "Wrong email or password." in wrong.get_data(as_text=True)
        assert "Wrong email or password." in unknown.get_data(as_text=True)

    def test_missing_csrf_token_is_refused(
        self, new_browser: Callable[[], Browser], account: Account
    ) -> None:
        b = new_browser()
        b.get("/login")
        response = b.client.post("/login", data={"email": account.email, "password": PASSWORD})
        assert response.status_code == 400
        assert "did not come from this site" in response.get_data(as_text=True)
        assert b.get("/dashboard").status_code == 303

    def test_login_rotates_the_session(
        self, new_browser: Callable[[], Browser], account: Account
    ) -> None:
        b = new_browser()
        before = b.token("/login")
        assert b.login().status_code == 303
        stale = b.client.post("/dashboard/bindings", data={"csrf_token": before})
        assert stale.status_code == 400
        with b.client.session_transaction() as session:
            assert set(session) >= {"auth", "sid"}

    def test_each_login_gets_its_own_browser_session_id(
        self, new_browser: Callable[[], Browser], account: Account
    ) -> None:
        ids = []
        for _ in range(2):
            b = new_browser()
            b.login()
            with b.client.session_transaction() as session:
                ids.append(session["sid"])
        assert ids[0] != ids[1] and len(ids[0]) >= 32

    def test_logout_ends_the_session(self, browser: Browser) -> None:
        response = browser.post("/logout")
        assert response.status_code == 303 and response.location == "/login"
        assert browser.get("/dashboard").status_code == 303

    def test_logout_asks_first_and_a_get_logs_nobody_out(self, browser: Browser) -> None:
        page = browser.get("/logout")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert "Log out?" in body and '<form method="post" action="/logout"' in body
        assert browser.get("/dashboard").status_code == 200
        assert 'href="/logout"' in browser.body("/dashboard")

    def test_logout_says_so(self, browser: Browser) -> None:
        response = browser.post("/logout")
        assert "You are logged out." in browser.body(response.location)

    def test_the_logout_page_of_a_stranger_is_the_login(
        self, new_browser: Callable[[], Browser]
    ) -> None:
        response = new_browser().get("/logout")
        assert response.status_code == 303 and response.location == "/login"

    def test_deleted_account_session_is_dropped(self, browser: Browser, world: World) -> None:
        with world.store.mutex:
            world.store.tables["accounts"].clear()
        assert browser.get("/dashboard").status_code == 303


class TestThrottle:
    def _fail(self, b: Browser, times: int) -> None:
        """Wrong passwords one second apart, within the address's password-hash budget."""
        for _ in range(times):
            assert b.login(password="wrong password").status_code == 401
            b.world.clock.advance(seconds=1)

    def test_five_failures_lock_out_even_the_right_password(
        self, new_browser: Callable[[], Browser], account: Account
    ) -> None:
        b = new_browser()
        self._fail(b, 5)
        response = b.login()
        assert response.status_code == 429
        assert "Too many failed attempts" in response.get_data(as_text=True)
        assert b.get("/dashboard").status_code == 303

    def test_lockout_ends_after_the_window(
        self, new_browser: Callable[[], Browser], account: Account, world: World
    ) -> None:
        b = new_browser()
        self._fail(b, 5)
        world.clock.advance(minutes=15, seconds=1)
        assert b.login().status_code == 303

    def test_lockout_is_per_client_ip(
        self, new_browser: Callable[[], Browser], account: Account
    ) -> None:
        self._fail(new_browser(), 5)
        other = new_browser()
        other.client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
        assert other.login().status_code == 303

    def test_lockout_is_per_email(
        self, new_browser: Callable[[], Browser], account: Account, world: World, password_hash
    ) -> None:
        world.service.accounts.create("second@example.com", "growth", password_hash)
        self._fail(new_browser(), 5)
        assert new_browser().login(email="second@example.com").status_code == 303

    def test_success_clears_earlier_failures(
        self, new_browser: Callable[[], Browser], account: Account
    ) -> None:
        b = new_browser()
        self._fail(b, 4)
        assert b.login().status_code == 303
        b.post("/logout")
        self._fail(b, 4)
        assert b.login().status_code == 303
