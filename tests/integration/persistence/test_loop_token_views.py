"""The cache miss read on the event loop (asyncpg on PostgreSQL, a read-only SQLite connection):
the same view as the pooled read, the last commit, no wait behind a writer, no transaction,
and a failure raised as it is (the server then takes the pooled path)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvloop
from sqlalchemy.engine import make_url

from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring
from adapters.persistence.loop_token_views import (
    ASYNCPG_SQL,
    PgLoopTokenViews,
    SqliteLoopTokenViews,
    _connect_arguments,
    loop_token_views,
)
from adapters.persistence.token_views import SqlTokenViews
from adapters.persistence.uow import SqlUnitOfWorkFactory
from domain.grant import TokenView
from domain.ports import LoopTokenViews
from domain.values import BindingStatus
from tests.integration.persistence.builders import T0, binding, grant, store
from tests.integration.persistence.conftest import KEYS, _empty

T = TypeVar("T")


def on_loop(views: LoopTokenViews, work: Callable[[LoopTokenViews], Awaitable[T]]) -> T:
    """`work(views)` on a uvloop loop of its own (as the server's), the views closed after."""

    async def run() -> T:
        try:
            return await work(views)
        finally:
            await views.close()

    return uvloop.run(run())


def read(views: LoopTokenViews, *ids: str) -> list[TokenView | None]:
    async def each(v: LoopTokenViews) -> list[TokenView | None]:
        return [await v.view(binding_id) for binding_id in ids]

    return on_loop(views, each)


@pytest.fixture
def views(database: Database, keyring: Keyring) -> LoopTokenViews:
    return loop_token_views(database, Sealer(keyring), pool_size=1)


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def postgres(postgres_url: str) -> Iterator[Database]:
    _empty(postgres_url)
    database = Database(postgres_url)
    yield database
    database.dispose()


class TestLoopTokenViews:
    def test_the_same_view_as_the_pooled_read(
        self, database: Database, keyring: Keyring, uow: SqlUnitOfWorkFactory, views: LoopTokenViews
    ) -> None:
        store(uow, binding("b-1"), binding("b-2", url="https://two.example.com"))
        pooled = SqlTokenViews(database, Sealer(keyring), pool_size=1)
        try:
            expected = [pooled.view("b-1"), pooled.view("b-2")]
        finally:
            pooled.dispose()
        kind = SqliteLoopTokenViews if database.is_sqlite else PgLoopTokenViews
        assert isinstance(views, kind)
        assert read(views, "b-1", "b-2") == expected
        first = expected[0]
        assert first is not None and first.access_token == "access-token-of-b-1"
        assert first.access_expires_at == T0 + timedelta(minutes=30)
        assert first.access_expires_at.utcoffset() == timedelta(0)
        assert "access-token-of-b-1" not in repr(views)

    def test_none_without_a_grant_or_a_xero_link(
        self, uow: SqlUnitOfWorkFactory, views: LoopTokenViews
    ) -> None:
        store(uow, binding("b-1"), grants=False)
        store(uow, binding("b-2", url="https://two.example.com", status=BindingStatus.PAIRED))
        assert read(views, "b-1", "b-2", "no-such-binding") == [None, None, None]

    def test_each_read_sees_the_last_commit(
        self, uow: SqlUnitOfWorkFactory, views: LoopTokenViews
    ) -> None:
        store(uow)

        async def before_and_after(v: LoopTokenViews) -> tuple[Any, Any]:
            before = await v.view("b-1")
            renewed = grant("b-1", expires=T0 + timedelta(hours=1))
            renewed.access_token = "the-successor-access-token"
            renewed.next_retry_at = None
            with uow() as unit:
                unit.grants.save(renewed)
                unit.commit()
            return before, await v.view("b-1")

        before, after = on_loop(views, before_and_after)
        assert before is not None and before.access_token == "access-token-of-b-1"
        assert after is not None and after.access_token == "the-successor-access-token"
        assert after.access_expires_at == T0 + timedelta(hours=1) and after.next_retry_at is None

    def test_a_writer_holding_its_lock_does_not_hold_the_read_up(
        self, uow: SqlUnitOfWorkFactory, views: LoopTokenViews
    ) -> None:
        store(uow)
        with uow() as writer:
            writer.grants.lock("b-1", timeout_s=1.0)
            started = time.monotonic()
            [seen] = read(views, "b-1")
            waited = time.monotonic() - started
        assert seen is not None and waited < 0.5


def test_sqlite_s_loop_connection_cannot_write(sqlite: Database, keyring: Keyring) -> None:
    store(SqlUnitOfWorkFactory(sqlite, keyring))
    views = SqliteLoopTokenViews(str(sqlite.url.database), Sealer(keyring))

    async def write(v: LoopTokenViews) -> None:
        assert await v.view("b-1") is not None
        assert isinstance(v, SqliteLoopTokenViews) and v._conn is not None
        v._conn.execute("DELETE FROM grants")

    with pytest.raises(Exception, match="readonly"):
        on_loop(views, write)


@pytest.mark.postgres
def test_on_postgres_one_prepared_statement_and_no_transaction(
    postgres: Database, keyring: Keyring
) -> None:
    store(SqlUnitOfWorkFactory(postgres, keyring))
    views = PgLoopTokenViews(postgres.url, Sealer(keyring), pool_size=1)

    async def look(v: LoopTokenViews) -> tuple[list[str], bool]:
        for _ in range(3):
            assert await v.view("b-1") is not None
        assert isinstance(v, PgLoopTokenViews)
        async with v._pool.acquire() as conn:  # the pool of one: the connection that read
            rows = await conn.fetch("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in rows], conn.is_in_transaction()

    prepared, in_transaction = on_loop(views, look)
    assert ASYNCPG_SQL in prepared
    assert not in_transaction


@pytest.mark.postgres
def test_an_unreachable_postgres_raises_and_a_later_read_tries_again(
    postgres: Database, keyring: Keyring
) -> None:
    nowhere = postgres.url.set(port=1)
    views = PgLoopTokenViews(nowhere, Sealer(keyring), pool_size=1)

    async def twice(v: LoopTokenViews) -> list[str]:
        failures = []
        for _ in range(2):
            try:
                await v.view("b-1")
            except Exception as error:  # noqa: BLE001 - what the server's fallback sees
                failures.append(type(error).__name__)
        return failures

    started = time.monotonic()
    failures = on_loop(views, twice)
    assert len(failures) == 2 and time.monotonic() - started < 10
    assert all(name in ("ConnectionRefusedError", "OSError") for name in failures), failures


def test_closed_views_open_again_on_a_new_loop(
    database: Database, keyring: Keyring, uow: SqlUnitOfWorkFactory
) -> None:
    """Each `read` runs on a loop of its own and closes the views after: the second opens
    them again on its loop rather than reuse what the first closed."""
    store(uow)
    views = loop_token_views(database, Sealer(keyring), pool_size=1)
    assert views is not None
    assert read(views, "b-1")[0] is not None
    assert read(views, "b-1")[0] is not None


def test_asyncpg_gets_only_the_url_s_connection_arguments() -> None:
    """libpq's own query options would reach the server as settings and be refused."""
    url = make_url(
        "postgresql+psycopg://ledger:s3cret@db.internal:6432/ledger"
        "?connect_timeout=10&sslmode=require&application_name=x"
    )
    assert _connect_arguments(url) == {
        "host": "db.internal",
        "port": 6432,
        "user": "ledger",
        "password": "s3cret",
        "database": "ledger",
        "ssl": "require",
    }
    assert "s3cret" not in repr(PgLoopTokenViews(url, Sealer(Keyring.parse(KEYS))))
