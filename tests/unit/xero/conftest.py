"""Fixtures for the Xero adapter's unit tests: providers over httpx.MockTransport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from adapters.xero.provider import HttpXeroProvider
from domain.values import Environment
from tests.unit.xero.support import CONFIG, Handler

MakeProvider = Callable[..., HttpXeroProvider]


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_provider(sleeps: list[float]) -> Iterator[MakeProvider]:
    """Build a provider whose HTTP goes to `handler`; sleeps are recorded, never slept."""
    made: list[HttpXeroProvider] = []

    def make(handler: Handler, **options: Any) -> HttpXeroProvider:
        options.setdefault("sleep", sleeps.append)
        provider = HttpXeroProvider(
            {Environment.SANDBOX: CONFIG}, transport=httpx.MockTransport(handler), **options
        )
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.close()
