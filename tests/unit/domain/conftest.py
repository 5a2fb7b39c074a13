"""Fixtures: a whole service on fakes, and a merchant account in it."""

from __future__ import annotations

import pytest

from domain.account import Account
from tests.fakes.world import World


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def account(world: World) -> Account:
    return world.account()
