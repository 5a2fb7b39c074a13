"""Fixtures for the HTTP adapter: the Flask app on a World of fakes, with CSRF switched on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.security import generate_password_hash

from adapters.http import HttpConfig, create_app
from domain.account import Account
from tests.fakes.world import World
from tests.unit.http.browser import PASSWORD, Browser, merchant

SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def password_hash() -> str:
    """A cheap scrypt hash: verification reads its cost from the hash, so tests stay fast."""
    return generate_password_hash(PASSWORD, method="scrypt:1024:8:1")


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def config() -> HttpConfig:
    return HttpConfig(
        secret_key=SECRET_KEY,
        cookie_secure=False,
        demo_banner="Demo mode: Xero is emulated.",
        public_url="http://127.0.0.1:8080",
        connect_in_background=False,
    )


@pytest.fixture
def app(world: World, config: HttpConfig) -> Flask:
    app = create_app(world.service, config)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=True)
    return app


@pytest.fixture
def account(world: World, password_hash: str) -> Account:
    return merchant(world, password_hash)


@pytest.fixture
def new_browser(app: Flask, world: World) -> Callable[[], Browser]:
    return lambda: Browser(app.test_client(), world)


@pytest.fixture
def browser(new_browser: Callable[[], Browser], account: Account) -> Browser:
    """A browser logged in as `account`."""
    b = new_browser()
    assert b.login().status_code == 303
    return b
