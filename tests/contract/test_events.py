"""The event outbox, pages of bindings and reference revisions: the same answers from the
fake, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.events import BindingEvent, EventFilter
from domain.ports import UnitOfWorkFactory
from domain.values import BindingStatus, EventKind
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0


def event(binding_id: str = "b-1", n: int = 0) -> BindingEvent:
    return BindingEvent(binding_id, EventKind.SETTINGS_CHANGED, f"change {n}", T0 + timedelta(n))


class TestRevisions:
    def test_numbered_in_commit_order_and_stamped_with_the_new_status(
        self, uow: UnitOfWorkFactory
    ) -> None:
        b.store(uow, b.binding("b-1"), b.binding("b-2", url=None), grants=False)
        with uow() as u:
            u.events.add(event("b-1", 1))
            u.events.add(event("b-2", 2))
            u.commit()
        with uow() as u:
            binding = u.bindings.get("b-1")
            assert binding is not None
            u.events.add(event("b-1", 3))
            u.bindings.update(replace(binding, status=BindingStatus.NEEDS_RECONNECT))
            u.commit()
        with uow() as u:
            events = u.events.after(0, 10)
            assert [e.revision for e in events] == [1, 2, 3]
            assert [e.binding_id for e in events] == ["b-1", "b-2", "b-1"]
            assert events[2].status is BindingStatus.NEEDS_RECONNECT
            assert {e.account_id for e in events} == {b.ACCOUNT}
            assert u.events.revision() == 3
            assert [e.revision for e in u.events.after(1, 1)] == [2]

    def test_a_rollback_leaves_no_gap(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        with uow() as u:
            u.events.add(event())
        with uow() as u:
            u.events.add(event())
            u.commit()
        with uow() as u:
            assert [e.revision for e in u.events.after(0, 10)] == [1]


class TestCompaction:
    def test_removes_an_old_prefix_and_remembers_where_it_ended(
        self, uow: UnitOfWorkFactory
    ) -> None:
        b.store(uow, grants=False)
        with uow() as u:
            for n in (0, 1, 5, 2, 6):
                u.events.add(event(n=n))
            u.commit()
        with uow() as u:
            assert u.events.compact(T0 + timedelta(days=3), 100) == 2
            u.commit()
        with uow() as u:
            # Revision 4 is old but follows a young one: it waits, the prefix stays whole.
            assert [e.revision for e in u.events.after(0, 10)] == [3, 4, 5]
            assert u.events.compacted_through() == 2
            assert u.events.revision() == 5


class TestPage:
    def test_pages_in_id_order_narrowed_by_the_filter(self, uow: UnitOfWorkFactory) -> None:
        bindings = [b.binding(f"b-{n}", url=None) for n in range(5)]
        bindings[3] = replace(bindings[3], status=BindingStatus.DEGRADED)
        b.store(uow, *bindings, grants=False)
        with uow() as u:
            everything = EventFilter()
            assert [x.id for x in u.bindings.page("", 2, everything)] == ["b-0", "b-1"]
            assert [x.id for x in u.bindings.page("b-1", 10, everything)] == ["b-2", "b-3", "b-4"]
            degraded = EventFilter.of(statuses=[BindingStatus.DEGRADED])
            assert [x.id for x in u.bindings.page("", 10, degraded)] == ["b-3"]
            chosen = EventFilter.of(binding_ids=["b-4", "b-0"], account_id=b.ACCOUNT)
            assert [x.id for x in u.bindings.page("", 10, chosen)] == ["b-0", "b-4"]
            assert u.bindings.page("", 10, EventFilter.of(account_id="other")) == []


class TestReferenceRevision:
    def test_moves_on_only_when_the_content_changed(self, uow: UnitOfWorkFactory) -> None:
        cache = b.reference_cache()
        for saved in (cache, replace(cache, fetched_at=T0 + timedelta(hours=1))):
            with uow() as u:
                u.references.save(saved)
                u.commit()
        with uow() as u:
            stored = u.references.get(cache.tenant_id, cache.environment)
            assert stored is not None and stored.revision == 1
            u.references.save(replace(stored, accounts=stored.accounts[1:]))
            u.commit()
        with uow() as u:
            stored = u.references.get(cache.tenant_id, cache.environment)
            assert stored is not None and stored.revision == 2
