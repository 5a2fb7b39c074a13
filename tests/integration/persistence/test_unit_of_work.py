"""The unit of work: a transaction per `with`, rolled back unless committed; errors translated."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring
from adapters.persistence.uow import SqlUnitOfWorkFactory
from domain.errors import StorageUnavailable
from domain.events import BindingEvent
from domain.values import EventKind
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0


class TestTransactions:
    def test_leaving_without_commit_rolls_back(self, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as u:
            u.accounts.add(b.account())
        with uow() as u:
            assert u.accounts.get(b.ACCOUNT) is None

    def test_an_error_rolls_back_everything(self, uow: SqlUnitOfWorkFactory) -> None:
        with pytest.raises(RuntimeError), uow() as u:
            u.accounts.add(b.account())
            u.bindings.add(b.binding())
            raise RuntimeError("boom")
        with uow() as u:
            assert u.accounts.get(b.ACCOUNT) is None
            assert u.bindings.get("b-1") is None

    def test_commit_keeps_and_explicit_rollback_discards(self, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as u:
            u.accounts.add(b.account())
            u.commit()
            u.bindings.add(b.binding())
            u.rollback()
        with uow() as u:
            assert u.accounts.get(b.ACCOUNT) is not None
            assert u.bindings.get("b-1") is None

    def test_reads_then_writes_see_the_latest_commit(self, uow: SqlUnitOfWorkFactory) -> None:
        """A reader that later writes is not stuck on its first snapshot (no SQLITE_BUSY)."""
        b.store(uow, grants=False)
        with uow() as first:
            assert first.bindings.get("b-1") is not None
            with uow() as second:
                second.events.add(BindingEvent("b-1", EventKind.PAIRED, "other", T0))
                second.commit()
            first.events.add(BindingEvent("b-1", EventKind.CONNECTED, "mine", T0))
            first.commit()
        with uow() as u:
            assert len(u.events.for_binding("b-1")) == 2


class TestThreads:
    def test_many_threads_each_with_their_own_units_of_work(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        b.store(uow, grants=False)
        errors: list[BaseException] = []

        def append(n: int) -> None:
            try:
                for i in range(5):
                    with uow() as u:
                        u.bindings.get("b-1")
                        at = T0 + timedelta(seconds=i)
                        u.events.add(BindingEvent("b-1", EventKind.PAIRED, f"{n}-{i}", at))
                        u.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with uow() as u:
            assert len(u.events.for_binding("b-1", limit=100)) == 40


class TestUnavailableStorage:
    def test_an_unreachable_server_is_storage_unavailable(self, keyring: Keyring) -> None:
        database = Database("postgresql://nobody@127.0.0.1:9/none")
        assert database.ping() is False
        with pytest.raises(StorageUnavailable), SqlUnitOfWorkFactory(database, keyring)() as u:
            u.accounts.get("x")

    def test_a_healthy_database_pings(self, database: Database) -> None:
        assert database.ping() is True
