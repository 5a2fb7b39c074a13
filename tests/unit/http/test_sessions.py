"""Browser sessions end (issue 14, item 3): a cookie copied before logout, a password change
or an operator's logout-all is refused after it; idle and absolute lifetimes hold."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from domain.account import Account
from tests.fakes.world import World
from tests.unit.http.browser import Browser

COOKIE = "ledger_session"


def copied_cookie(browser: Browser) -> str:
    cookie = browser.client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def replay(client: FlaskClient, value: str) -> int:
    """The dashboard's answer to a stranger who pasted the copied cookie into their browser."""
    client.set_cookie(COOKIE, value)
    return client.get("/dashboard").status_code


class TestRevocation:
    def test_a_cookie_copied_before_logout_fails_after_it(
        self, browser: Browser, new_browser: Callable[[], Browser]
    ) -> None:
        stolen = copied_cookie(browser)
        assert replay(new_browser().client, stolen) == 200
        assert browser.post("/logout").status_code == 303
        assert replay(new_browser().client, stolen) == 303

    def test_a_password_change_ends_every_session(
        self, browser: Browser, new_browser: Callable[[], Browser], world: World, account: Account
    ) -> None:
        other = new_browser()
        assert other.login().status_code == 303
        world.service.accounts.set_password(account.id, "new-hash")
        assert browser.get("/dashboard").status_code == 303
        assert other.get("/dashboard").status_code == 303

    def test_logout_all_ends_every_session_of_that_account_only(
        self, browser: Browser, new_browser: Callable[[], Browser], world: World, account: Account
    ) -> None:
        from tests.unit.http.browser import merchant

        someone = merchant(world, account.password_hash, "someone@example.com")
        theirs = new_browser()
        assert theirs.login(email=someone.email).status_code == 303
        assert world.service.sessions.end_all(account.id) == 1
        assert browser.get("/dashboard").status_code == 303
        assert theirs.get("/dashboard").status_code == 200


class TestLifetime:
    def test_an_idle_session_ends(self, browser: Browser, world: World) -> None:
        world.clock.advance(minutes=29)
        assert browser.get("/dashboard").status_code == 200
        world.clock.advance(minutes=29)
        assert browser.get("/dashboard").status_code == 200
        world.clock.advance(minutes=31)
        assert browser.get("/dashboard").status_code == 303

    def test_use_does_not_extend_the_absolute_lifetime(self, browser: Browser, world: World):
        for _ in range(8 * 4 - 1):
            world.clock.advance(minutes=15)
            assert browser.get("/dashboard").status_code == 200
        world.clock.advance(minutes=16)
        assert browser.get("/dashboard").status_code == 303

    def test_the_cookie_carries_no_account_id(self, browser: Browser, account: Account) -> None:
        with browser.client.session_transaction() as session:
            assert account.id not in session.values()


class TestLoginRotation:
    def test_each_login_gets_a_new_session_id(
        self, new_browser: Callable[[], Browser], account: Account
    ) -> None:
        b = new_browser()
        b.login()
        first = copied_cookie(b)
        b.login()
        assert copied_cookie(b) != first
        assert replay(new_browser().client, first) == 303
