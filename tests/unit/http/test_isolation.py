"""Another account's binding is a 404 on every binding route, never a 403, and nothing moves."""

from __future__ import annotations

import pytest
from flask import Flask

from domain.values import BindingStatus
from tests.fakes.world import World
from tests.unit.http.browser import Browser

GETS = [
    "/dashboard/bindings/{id}",
    "/dashboard/bindings/{id}/settings",
    "/dashboard/bindings/{id}/activity",
    "/dashboard/bindings/{id}/disconnect",
    "/dashboard/bindings/{id}/pairing-code",
    "/dashboard/connect-xero?binding={id}",
]
POSTS = [
    "/dashboard/bindings/{id}/pairing-code",
    "/dashboard/bindings/{id}/settings",
    "/dashboard/bindings/{id}/settings/refresh",
    "/dashboard/bindings/{id}/disconnect",
    "/dashboard/bindings/{id}/delete",
]


@pytest.fixture
def foreign(world: World, password_hash: str) -> str:
    other = world.service.accounts.create("other@example.com", "growth", password_hash)
    return world.connected(other, tenant="tenant-au", url="https://other.example.com")


@pytest.mark.parametrize("path", GETS)
def test_get_is_not_found(browser: Browser, foreign: str, path: str) -> None:
    response = browser.get(path.format(id=foreign))
    assert response.status_code == 404
    assert "Wombat" not in response.text and "other.example.com" not in response.text


@pytest.mark.parametrize("path", POSTS)
def test_post_is_not_found_and_changes_nothing(
    browser: Browser, world: World, foreign: str, path: str
) -> None:
    fetches = len(world.xero.fetches)
    events = world.events(foreign)
    response = browser.post(path.format(id=foreign), {"income": "acc-sales", "website": "site1"})
    assert response.status_code == 404
    assert world.events(foreign) == events and len(world.xero.fetches) == fetches
    assert world.binding(foreign).status is BindingStatus.CONNECTED


def test_connect_button_is_not_found(browser: Browser, world: World, foreign: str) -> None:
    attempts = len(world.uow().attempts.all())
    assert browser.post("/dashboard/connect-xero", {"binding": foreign}).status_code == 404
    assert len(world.uow().attempts.all()) == attempts


def test_every_binding_route_is_covered(app: Flask) -> None:
    routes = {
        rule.rule.replace("<binding_id>", "{id}")
        for rule in app.url_map.iter_rules()
        if "binding_id" in rule.arguments
    }
    assert routes == {p for p in GETS + POSTS if "?" not in p}
