"""Throttles that hold behind a load balancer (issue 14, item 4).

The client address comes from X-Forwarded-For only as far as trusted proxies vouch for it;
failures are counted in the shared store, so every replica sees them; a merchant is never
locked out by someone else's wrong passwords or pairing codes; and a client address gets at
most a few password hashes a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from adapters.http import HttpConfig, create_app
from adapters.http.views import auth
from domain.account import Account
from tests.fakes.world import World
from tests.unit.http.browser import Browser
from tests.unit.http.test_pairing_api import body, error_of

PROXY = "10.0.0.1"
ATTACKER = "203.0.113.9"
MERCHANT = "198.51.100.7"


@pytest.fixture
def config(config: HttpConfig) -> HttpConfig:
    return replace(config, trusted_proxies=(PROXY, "10.1.0.0/16"))


def behind_proxy(client: FlaskClient, address: str, proxy: str = PROXY) -> FlaskClient:
    client.environ_base["REMOTE_ADDR"] = proxy
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return client


def wrong_passwords(b: Browser, world: World, times: int, email: str = "merchant@example.com"):
    """Wrong passwords at one a second: under the hash budget, so each one is checked."""
    answers = []
    for _ in range(times):
        answers.append(b.login(email=email, password="wrong password").status_code)
        world.clock.advance(seconds=1)
    return answers


class TestLoginBehindAProxy:
    def test_wrong_passwords_from_one_proxy_do_not_lock_out_the_merchant(
        self, new_browser: Callable[[], Browser], account: Account, world: World
    ) -> None:
        attacker = new_browser()
        behind_proxy(attacker.client, ATTACKER)
        assert wrong_passwords(attacker, world, 6)[-1] == 429
        merchant = new_browser()
        behind_proxy(merchant.client, MERCHANT)
        assert merchant.login().status_code == 303

    def test_a_forged_forwarded_for_does_not_escape_the_throttle(
        self, new_browser: Callable[[], Browser], account: Account, world: World
    ) -> None:
        attacker = new_browser()
        for n in range(6):
            behind_proxy(attacker.client, f"192.0.2.{n}, {ATTACKER}")
            last = attacker.login(password="wrong password").status_code
            world.clock.advance(seconds=1)
        assert last == 429

    def test_an_untrusted_peer_cannot_pick_its_address(
        self, new_browser: Callable[[], Browser], account: Account, world: World
    ) -> None:
        attacker = new_browser()
        for n in range(6):
            behind_proxy(attacker.client, f"192.0.2.{n}", proxy=ATTACKER)
            last = attacker.login(password="wrong password").status_code
            world.clock.advance(seconds=1)
        assert last == 429

    def test_a_chain_of_trusted_proxies_is_walked_to_the_client(
        self, new_browser: Callable[[], Browser], account: Account, world: World
    ) -> None:
        attacker = new_browser()
        behind_proxy(attacker.client, f"{ATTACKER}, 10.1.2.3")
        assert wrong_passwords(attacker, world, 6)[-1] == 429
        merchant = new_browser()
        behind_proxy(merchant.client, f"{MERCHANT}, 10.1.2.3")
        assert merchant.login().status_code == 303


class TestKnownDevice:
    def test_a_browser_that_signed_in_before_is_not_locked_out_from_the_same_address(
        self, new_browser: Callable[[], Browser], account: Account, world: World
    ) -> None:
        merchant = new_browser()
        assert merchant.login().status_code == 303
        merchant.post("/logout")
        attacker = new_browser()
        assert wrong_passwords(attacker, world, 8)[-1] == 429
        assert merchant.login().status_code == 303

    def test_a_known_device_is_throttled_on_its_own_wrong_passwords(
        self, new_browser: Callable[[], Browser], account: Account, world: World
    ) -> None:
        merchant = new_browser()
        assert merchant.login().status_code == 303
        merchant.post("/logout")
        assert wrong_passwords(merchant, world, 6)[-1] == 429

    def test_a_device_cookie_only_vouches_for_its_own_account(
        self,
        new_browser: Callable[[], Browser],
        account: Account,
        world: World,
        password_hash: str,
    ) -> None:
        world.service.accounts.create("other@example.com", "growth", password_hash)
        b = new_browser()
        assert b.login().status_code == 303
        b.post("/logout")
        assert wrong_passwords(b, world, 6, "other@example.com")[-1] == 429


class TestSlowingDown:
    def test_after_the_limit_one_more_try_per_interval_not_a_long_lockout(
        self, new_browser: Callable[[], Browser], account: Account, world: World
    ) -> None:
        b = new_browser()
        assert wrong_passwords(b, world, 6)[-1] == 429
        world.clock.advance(minutes=3)
        assert b.login().status_code == 303


class TestHashBudget:
    def test_at_most_a_few_password_hashes_per_address_per_second(
        self,
        new_browser: Callable[[], Browser],
        account: Account,
        world: World,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        hashed: list[str] = []
        verify = auth.verify_password  # type: ignore[attr-defined]

        def counting(stored: str | None, password: str) -> bool:
            hashed.append(password)
            return verify(stored, password)

        monkeypatch.setattr(auth, "verify_password", counting)
        b = new_browser()
        answers = [b.login(email=f"n{i}@example.com").status_code for i in range(30)]
        assert len(hashed) <= 5
        assert answers.count(429) == 30 - len(hashed)
        world.clock.advance(seconds=2)
        b.login(email="later@example.com")
        assert 1 <= len(hashed) - 5 <= 2


class TestSharedByReplicas:
    def test_failures_on_one_replica_count_on_another(
        self,
        app: Flask,
        world: World,
        config: HttpConfig,
        account: Account,
    ) -> None:
        other = create_app(world.replica(), config)
        other.config.update(TESTING=True)
        first, second = Browser(app.test_client(), world), Browser(other.test_client(), world)
        assert wrong_passwords(first, world, 3) == [401] * 3
        assert wrong_passwords(second, world, 3)[-1] == 429


class TestPairingBehindAProxy:
    def test_bad_codes_from_one_client_do_not_block_pairing_behind_that_proxy(
        self, app: Flask, world: World, account: Account
    ) -> None:
        attacker = behind_proxy(app.test_client(), ATTACKER)
        answers = [attacker.post("/api/v1/pairings", json=body("WRONG000")).status_code]
        answers += [attacker.post("/api/v1/pairings", json=body("WRONG000")).status_code]
        for _ in range(19):
            answers.append(attacker.post("/api/v1/pairings", json=body("WRONG000")).status_code)
        assert answers[:20] == [410] * 20 and answers[20] == 429
        shop = behind_proxy(app.test_client(), MERCHANT)
        code = world.service.create_binding(account.id).pairing_code
        assert shop.post("/api/v1/pairings", json=body(code)).status_code == 201

    def test_the_throttle_is_shared_by_replicas(
        self, app: Flask, world: World, config: HttpConfig, account: Account
    ) -> None:
        other = create_app(world.replica(), config)
        clients = [behind_proxy(a.test_client(), ATTACKER) for a in (app, other)]
        for n in range(20):
            assert clients[n % 2].post("/api/v1/pairings", json=body("WRONG000")).status_code == 410
        response = clients[0].post("/api/v1/pairings", json=body("WRONG000"))
        assert error_of(response) == (429, "TOO_MANY_ATTEMPTS")
