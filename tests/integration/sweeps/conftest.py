"""One emulator per session, a fresh service on a SQLite file per test, its sweeps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.sweeper import build_sweeps
from domain.usecases.sweeps import Sweeps
from tests.integration.sweeps.stack import Stack, running_stack, start_emulator
from xero_emulator import RunningEmulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    running = start_emulator()
    yield running
    running.stop()


@pytest.fixture
def stack(emulator: RunningEmulator, tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    with running_stack(emulator, url, tmp_path / "var") as running:
        yield running


@pytest.fixture
def sweeps(stack: Stack) -> Sweeps:
    return build_sweeps(stack.built)


# SQLite and PostgreSQL, as the persistence suite runs them (`database_url` is parametrised).
from tests.integration.persistence.conftest import (  # noqa: E402, F401
    database,
    database_url,
    keyring,
    postgres_url,
    uow,
)
