"""The unit of work: a transaction per `with`, rolled back unless committed; errors translated."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring
from adapters.persistence.mappers.records import account_row
from adapters.persistence.tables import accounts
from adapters.persistence.transaction import Tx
from adapters.persistence.uow import SqlUnitOfWorkFactory
from domain.errors import StorageUnavailable
from domain.events import BindingEvent
from domain.values import EventKind
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0


class TestWriteMode:
    """No repository write can forget the write lock: every DML statement enters write mode."""

    def test_a_write_after_another_writers_commit_goes_through(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        """On SQLite a deferred read transaction that writes after another writer committed
        fails at once (SQLITE_BUSY_SNAPSHOT) unless the write first began IMMEDIATE; the
        accounts repository does not ask for write mode, its UPDATE does."""
        with uow() as setup:
            setup.accounts.add(b.account())
            setup.accounts.add(b.account("acc-2", "other@example.com"))
            setup.commit()
        with uow() as first:
            mine = first.accounts.get(b.ACCOUNT)
            assert mine is not None
            with uow() as second:
                other = second.accounts.get("acc-2")
                assert other is not None
                second.accounts.update(replace(other, plan="scale"))
                second.commit()
            first.accounts.update(replace(mine, plan="scale"))
            first.commit()
        with uow() as u:
            plans = [a.plan if a else None for a in map(u.accounts.get, [b.ACCOUNT, "acc-2"])]
        assert plans == ["scale", "scale"]

    def test_any_statement_through_the_transaction_enters_write_mode(
        self, database: Database, uow: SqlUnitOfWorkFactory
    ) -> None:
        """Not only the repositories' writes: a bare INSERT on a stale read snapshot too."""
        tx = Tx(
            database.connect(),
            sqlite_busy_ms=database.busy_timeout_ms if database.is_sqlite else None,
        )
        try:
            assert tx.rows(select(accounts)) == []
            with uow() as other:
                other.accounts.add(b.account("acc-2", "other@example.com"))
                other.commit()
            tx.run(insert(accounts).values(account_row(b.account())))
            tx.commit()
        finally:
            tx.close()
        with uow() as u:
            assert u.accounts.get(b.ACCOUNT) is not None
            assert u.accounts.get("acc-2") is not None


def append_events(
    uow: SqlUnitOfWorkFactory, threads: int, each: int, hold_s: float = 0.0
) -> list[BaseException]:
    """`threads` threads, each adding `each` events to b-1 in units of work of their own
    (holding the write lock `hold_s` before committing); the errors they met."""
    errors: list[BaseException] = []

    def append(n: int) -> None:
        try:
            for i in range(each):
                with uow() as u:
                    u.bindings.get("b-1")
                    at = T0 + timedelta(seconds=i)
                    u.events.add(BindingEvent("b-1", EventKind.PAIRED, f"{n}-{i}", at))
                    time.sleep(hold_s)
                    u.commit()
        except BaseException as error:  # noqa: BLE001 - reported to the caller
            errors.append(error)

    started = [threading.Thread(target=append, args=(n,)) for n in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return errors


class TestThreads:
    def test_many_threads_each_with_their_own_units_of_work(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        b.store(uow, grants=False)
        assert append_events(uow, threads=8, each=5) == []
        with uow() as u:
            assert len(u.events.for_binding("b-1", limit=100)) == 40


class TestSqliteWriters:
    def test_sixteen_writers_each_get_the_lock_well_within_the_busy_timeout(
        self, tmp_path: Path, keyring: Keyring
    ) -> None:
        """Each writer holds the lock ~2 ms; sixteen queued take ~32 ms a round. Left to
        SQLite's busy handler, which sleeps between tries and lets later writers in first,
        some waited out a 1 s busy timeout (StorageUnavailable); queued in the process,
        none does."""
        database = Database(f"sqlite:///{tmp_path / 'ledger.db'}", busy_timeout_s=1.0)
        database.migrate()
        uow = SqlUnitOfWorkFactory(database, keyring)
        b.store(uow, grants=False)
        try:
            assert append_events(uow, threads=16, each=25, hold_s=0.002) == []
            with uow() as u:
                assert len(u.events.for_binding("b-1", limit=1000)) == 16 * 25
        finally:
            database.dispose()

    def test_the_queue_and_sqlites_lock_share_one_busy_timeout(
        self, tmp_path: Path, keyring: Keyring
    ) -> None:
        """0.8 s in the process's queue, then another process holding SQLite's write lock:
        the writer gives up when its 1 s is spent, not 1 s after leaving the queue."""
        path = tmp_path / "ledger.db"
        database = Database(f"sqlite:///{path}", busy_timeout_s=1.0)
        database.migrate()
        uow = SqlUnitOfWorkFactory(database, keyring)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        writers = database.sqlite_writers
        assert writers is not None
        writers.acquire()
        threading.Timer(0.8, writers.release).start()
        started = time.monotonic()
        try:
            with pytest.raises(StorageUnavailable), uow() as u:
                u.accounts.add(b.account())
            waited = time.monotonic() - started
        finally:
            other.rollback()
            other.close()
            database.dispose()
        assert 0.8 <= waited < 1.5


class TestUnavailableStorage:
    def test_an_unreachable_server_is_storage_unavailable(self, keyring: Keyring) -> None:
        database = Database("postgresql://nobody@127.0.0.1:9/none")
        assert database.ping() is False
        with pytest.raises(StorageUnavailable), SqlUnitOfWorkFactory(database, keyring)() as u:
            u.accounts.get("x")

    def test_a_healthy_database_pings(self, database: Database) -> None:
        assert database.ping() is True
