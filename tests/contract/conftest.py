"""One repository suite, three backends: the `uow` fixture is the in-memory fake of
tests/fakes, a migrated SQLite file, then PostgreSQL (a uniquely named database, created once
a session, emptied before each test, dropped at the end; see the persistence conftest). What
the domain's tests believe of the fake is here held against the real stores, so the fake
cannot drift from them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring
from adapters.persistence.uow import SqlUnitOfWorkFactory
from domain.ports import UnitOfWorkFactory
from tests.fakes.store import FakeStore, FakeUnitOfWork
from tests.integration.persistence.conftest import (  # noqa: F401 - fixtures
    _empty,
    keyring,
    postgres_url,
)


def fake_uow(store: FakeStore) -> UnitOfWorkFactory:
    """The fake, typed as the port: mypy holds FakeUnitOfWork to the UnitOfWork protocol."""
    return lambda: FakeUnitOfWork(store)


BACKENDS = ["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UnitOfWorkFactory]:
    if request.param == "fake":
        yield fake_uow(FakeStore())
        return
    keys: Keyring = request.getfixturevalue("keyring")
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'var' / 'ledger.db'}", busy_timeout_s=5)
        database.migrate()
    else:
        url: str = request.getfixturevalue("postgres_url")
        _empty(url)
        database = Database(url, busy_timeout_s=5)
    yield SqlUnitOfWorkFactory(database, keys)
    database.dispose()
