"""The cache miss's read outside a unit of work: the same view as the transactional one, the last
committed state, one statement on an autocommit connection (prepared on PostgreSQL), and no
wait behind a writer that holds SQLite's write lock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring
from adapters.persistence.token_views import POSTGRES_SQL, SqlTokenViews
from adapters.persistence.uow import SqlUnitOfWorkFactory
from domain.values import BindingStatus
from tests.integration.persistence.builders import T0, binding, grant, store
from tests.integration.persistence.conftest import _empty


@pytest.fixture
def views(database: Database, keyring: Keyring) -> Iterator[SqlTokenViews]:
    reader = SqlTokenViews(database, Sealer(keyring), pool_size=1)
    yield reader
    reader.dispose()


class TestTokenViews:
    def test_the_same_view_as_inside_a_unit_of_work(
        self, uow: SqlUnitOfWorkFactory, views: SqlTokenViews
    ) -> None:
        store(uow, binding("b-1"), binding("b-2", url="https://two.example.com"))
        with uow() as unit:
            expected = [unit.grants.view("b-1"), unit.grants.view("b-2")]
        assert [views.view("b-1"), views.view("b-2")] == expected
        assert expected[0] is not None and expected[0].access_token == "access-token-of-b-1"
        assert expected[0].access_expires_at == T0 + timedelta(minutes=30)
        assert expected[0].access_expires_at.utcoffset() == timedelta(0)

    def test_none_without_a_grant_or_a_xero_link(
        self, uow: SqlUnitOfWorkFactory, views: SqlTokenViews
    ) -> None:
        store(uow, binding("b-1"), grants=False)
        store(uow, binding("b-2", url="https://two.example.com", status=BindingStatus.PAIRED))
        assert views.view("b-1") is None
        assert views.view("b-2") is None
        assert views.view("no-such-binding") is None

    def test_each_read_sees_the_last_commit(
        self, uow: SqlUnitOfWorkFactory, views: SqlTokenViews
    ) -> None:
        store(uow)
        assert views.view("b-1") is not None
        renewed = grant("b-1", expires=T0 + timedelta(hours=1))
        renewed.access_token = "the-successor-access-token"
        renewed.next_retry_at = None
        with uow() as unit:
            unit.grants.save(renewed)
            unit.commit()
        seen = views.view("b-1")
        assert seen is not None and seen.access_token == "the-successor-access-token"
        assert seen.access_expires_at == T0 + timedelta(hours=1) and seen.next_retry_at is None

    def test_a_writer_holding_its_lock_does_not_hold_the_read_up(
        self, uow: SqlUnitOfWorkFactory, views: SqlTokenViews
    ) -> None:
        store(uow)
        with uow() as writer:
            writer.grants.lock("b-1", timeout_s=1.0)
            started = time.monotonic()
            seen = views.view("b-1")
            waited = time.monotonic() - started
        assert seen is not None and waited < 0.5


@pytest.mark.postgres
def test_on_postgres_one_prepared_statement_and_no_transaction(
    postgres_url: str, keyring: Keyring
) -> None:
    _empty(postgres_url)
    database = Database(postgres_url)
    views = SqlTokenViews(database, Sealer(keyring), pool_size=1)
    try:
        store(SqlUnitOfWorkFactory(database, keyring))
        for _ in range(3):
            assert views.view("b-1") is not None
        conn = views._engine.raw_connection()  # the pool of one: the connection that read
        try:
            driver = conn.driver_connection
            assert driver is not None and driver.autocommit
            assert driver.info.transaction_status.name == "IDLE"
            cursor = conn.cursor()
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [row[0] for row in cursor.fetchall()]
        finally:
            conn.close()
    finally:
        views.dispose()
        database.dispose()
    assert prepared == [POSTGRES_SQL.replace("%s", "$1")]
