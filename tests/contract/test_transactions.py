"""The unit of work: a transaction per `with`, rolled back unless committed, on the fake,
SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from domain.errors import NotFound
from domain.events import BindingEvent
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.values import EventKind
from tests.fakes.store import FakeStore, FakeUnitOfWork
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0


class TestTransactions:
    def test_leaving_without_commit_rolls_back(self, uow: UnitOfWorkFactory) -> None:
        with uow() as u:
            u.accounts.add(b.account())
        with uow() as u:
            assert u.accounts.get(b.ACCOUNT) is None

    def test_an_error_rolls_back_everything(self, uow: UnitOfWorkFactory) -> None:
        with pytest.raises(RuntimeError), uow() as u:
            u.accounts.add(b.account())
            u.bindings.add(b.binding())
            raise RuntimeError("boom")
        with uow() as u:
            assert u.accounts.get(b.ACCOUNT) is None
            assert u.bindings.get("b-1") is None

    def test_commit_keeps_and_explicit_rollback_discards(self, uow: UnitOfWorkFactory) -> None:
        with uow() as u:
            u.accounts.add(b.account())
            u.commit()
            u.bindings.add(b.binding())
            u.rollback()
        with uow() as u:
            assert u.accounts.get(b.ACCOUNT) is not None
            assert u.bindings.get("b-1") is None

    def test_reads_then_writes_see_the_latest_commit(self, uow: UnitOfWorkFactory) -> None:
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

    def test_an_event_of_a_binding_that_does_not_exist_refuses_the_whole_commit(
        self, uow: UnitOfWorkFactory
    ) -> None:
        b.store(uow, grants=False)
        with uow() as u, pytest.raises(NotFound):
            u.sessions.add(b.session("h1"))
            u.events.add(BindingEvent("b-1", EventKind.PAIRED, "fine", T0))
            u.events.add(BindingEvent("b-404", EventKind.PAIRED, "nobody", T0))
            u.commit()
        with uow() as u:
            assert u.events.for_binding("b-1") == [] and u.events.revision() == 0
            assert u.sessions.get("h1") is None


class TestMissingRows:
    """An update that matches no row is NotFound, never an insert."""

    def test_updating_what_was_never_added_is_not_found(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        with uow() as u:
            with pytest.raises(NotFound):
                u.accounts.update(b.account("acc-404", "nobody@example.com"))
            with pytest.raises(NotFound):
                u.bindings.update(b.binding("b-404", url=None))
            with pytest.raises(NotFound):
                u.attempts.update(b.attempt("att-404"))
            with pytest.raises(NotFound):
                u.pairing_codes.update(b.pairing_code("code-404"))
        with uow() as u:
            assert u.accounts.get("acc-404") is None and u.bindings.get("b-404") is None
            assert u.attempts.get("att-404") is None
            assert u.pairing_codes.get("code-404") is None


def test_the_fake_unit_of_work_has_every_repository_of_the_port() -> None:
    """mypy checks each fake repository it has against the port; this, that none is missing."""
    fake = FakeUnitOfWork(FakeStore())
    assert [name for name in UnitOfWork.__annotations__ if name not in vars(fake)] == []
