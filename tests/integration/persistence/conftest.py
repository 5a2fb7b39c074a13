"""One suite, two backends: the `database` fixture is a migrated SQLite file, then PostgreSQL.

PostgreSQL comes from LEDGER_TEST_POSTGRES (default: trust auth on 127.0.0.1:5432). One
uniquely named database per session, migrated once, emptied before each test, dropped at the
end. Unreachable: skipped locally, a failure when CI is set (CI must never skip it).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring, generate_entry
from adapters.persistence.tables import metadata
from adapters.persistence.uow import SqlUnitOfWorkFactory

ADMIN_URL = os.environ.get("LEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
KEYS = generate_entry("k1")


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        reason = f"PostgreSQL at {ADMIN_URL} is unreachable: {str(error).splitlines()[0]}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must run the PostgreSQL half of this suite)")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"ledger_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    database.migrate()
    database.dispose()
    yield url
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _empty(url)
    return url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url, busy_timeout_s=5)
    if database.is_sqlite:
        database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.parse(KEYS)


@pytest.fixture
def uow(database: Database, keyring: Keyring) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(database, keyring)


def _empty(url: str) -> None:
    database = Database(url)
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    database.dispose()
