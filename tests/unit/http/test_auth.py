"""Logging in and out: labels, wrong passwords, session rotation, CSRF, throttling."""

from __future__ import annotations

from collections.abc import Callable

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
        for path in ("/", "/dashboard", "/dashboard/bindings", "/oauth/xero/callback?state=x"):
            response = new_browser().get(path)
            assert response.status_code == 303
            assert response.location == "/login"


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

    def test_logout_is_post_only(self, browser: Browser) -> None:
        assert browser.get("/logout").status_code == 405

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
