"""Fixtures for the servicer tests: a World of fakes behind grpcio-testing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.world import World
from tests.unit.grpc.harness import Harness


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def rpc(world: World) -> Iterator[Harness]:
    harness = Harness(world)
    yield harness
    harness.close()


@pytest.fixture
def binding_id(world: World) -> str:
    """A connected binding whose reference data (both waves) is cached."""
    binding_id = world.connected()
    world.tasks.run_all()
    return binding_id
