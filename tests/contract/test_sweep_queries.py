"""What the sweeps ask of the database, on SQLite and PostgreSQL: leases, backlogs, counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.ports import UnitOfWorkFactory
from domain.schedule import Backlog
from domain.values import BindingStatus, Environment
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0

S = BindingStatus
MINUTE = timedelta(minutes=1)


def acquire(uow: UnitOfWorkFactory, key: str, holder: str, at: timedelta) -> bool:
    with uow() as u:
        taken = u.leases.acquire(key, holder, T0 + at, T0 + at + 10 * MINUTE)
        u.commit()
    return taken


class TestLeases:
    def test_a_lease_is_taken_once_until_it_ends(self, uow: UnitOfWorkFactory) -> None:
        assert acquire(uow, "connections:b-1", "one", timedelta(0))
        assert not acquire(uow, "connections:b-1", "two", 5 * MINUTE)
        assert not acquire(uow, "connections:b-1", "one", 5 * MINUTE)
        assert acquire(uow, "connections:b-2", "two", 5 * MINUTE)
        assert acquire(uow, "connections:b-1", "two", 10 * MINUTE)

    def test_purge_forgets_ended_leases(self, uow: UnitOfWorkFactory) -> None:
        acquire(uow, "old", "one", timedelta(0))
        acquire(uow, "new", "one", 30 * MINUTE)
        with uow() as u:
            assert u.leases.purge(T0 + 20 * MINUTE) == 1
            u.commit()
        assert acquire(uow, "old", "two", 30 * MINUTE)
        assert not acquire(uow, "new", "two", 30 * MINUTE)


class TestGrants:
    def test_a_scheduled_retry_holds_back_an_old_grant(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow)
        stale = T0 - timedelta(days=8)
        with uow() as u:
            grant = replace(b.grant(), refresh_issued_at=stale, next_retry_at=T0 + MINUTE)
            u.grants.save(grant)
            u.commit()
        week_ago = T0 - timedelta(days=7)
        with uow() as u:
            assert u.grants.claim_due(T0, week_ago, 10) == []
            assert u.grants.backlog(T0, week_ago) == Backlog()
        with uow() as u:
            assert [g.binding_id for g in u.grants.claim_due(T0 + MINUTE, week_ago, 10)] == ["b-1"]

    def test_backlog_counts_retries_and_keep_alives_since_they_fell_due(
        self, uow: UnitOfWorkFactory
    ) -> None:
        ids = ["b-1", "b-2", "b-3", "b-4"]
        bindings = [b.binding(i, url=f"https://{i}.example.com", connection=i) for i in ids]
        bindings[3].status = S.NEEDS_RECONNECT
        b.store(uow, *bindings)
        with uow() as u:
            for binding_id, retry, issued in [
                ("b-1", T0 - 2 * MINUTE, T0),
                ("b-2", None, T0 - timedelta(days=7, hours=1)),
                ("b-3", None, T0),
                ("b-4", T0 - timedelta(hours=5), T0),
            ]:
                grant = replace(b.grant(binding_id), next_retry_at=retry, refresh_issued_at=issued)
                u.grants.save(grant)
            u.commit()
        with uow() as u:
            backlog = u.grants.backlog(T0, T0 - timedelta(days=7))
        assert backlog == Backlog(2, T0 - timedelta(hours=1))

    def test_exhausted_grants_of_refreshable_bindings_are_counted(
        self, uow: UnitOfWorkFactory
    ) -> None:
        bindings = [b.binding(i, url=f"https://{i}.example.com", connection=i) for i in "xyz"]
        bindings[2].status = S.NEEDS_RECONNECT
        b.store(uow, *bindings)
        with uow() as u:
            for binding_id, days in (("x", 3), ("y", 2), ("z", 5)):
                u.grants.save(replace(b.grant(binding_id), failure_days=days))
            u.commit()
        with uow() as u:
            assert u.grants.count_exhausted(3) == 1


class TestBindingsAndCaches:
    def test_counts_by_status_and_the_binding_that_fetches_for_a_tenant(
        self, uow: UnitOfWorkFactory
    ) -> None:
        one = b.binding("one", url="https://one.example.com", status=S.DEGRADED)
        two = b.binding("two", url="https://two.example.com", created_at=T0 + MINUTE)
        three = b.binding("three", url="https://three.example.com", created_at=T0 + 2 * MINUTE)
        gone = b.binding("gone", url=None, status=S.DISCONNECTED)
        for item in (one, two, three, gone):
            item.xero = replace(item.xero, tenant_id="tenant-shared")  # type: ignore[type-var]
        b.store(uow, one, two, three, gone, grants=False)
        with uow() as u:
            counts = u.bindings.count_by_status()
            connected = u.bindings.fetcher_for_tenant("tenant-shared", Environment.SANDBOX)
            elsewhere = u.bindings.fetcher_for_tenant("tenant-shared", Environment.PRODUCTION)
        assert counts[S.CONNECTED] == 2
        assert counts[S.DEGRADED] == counts[S.DISCONNECTED] == 1
        assert counts[S.PAIRED] == 0
        assert connected == "two" and elsewhere is None  # connected first, then oldest
        with uow() as u:
            for binding_id in ("two", "three"):
                moved = u.bindings.get(binding_id)
                assert moved is not None
                moved.status = S.NEEDS_RECONNECT
                u.bindings.update(moved)
            u.commit()
        with uow() as u:
            degraded = u.bindings.fetcher_for_tenant("tenant-shared", Environment.SANDBOX)
        assert degraded == "one"  # a binding that needs reconnecting cannot fetch

    def test_reference_backlog_is_due_a_day_after_the_older_wave(
        self, uow: UnitOfWorkFactory
    ) -> None:
        b.store(uow, b.binding("b-1"), grants=False)
        with uow() as u:
            cache = replace(
                b.reference_cache("tenant-b-1"),
                fetched_at=T0 - timedelta(hours=30),
                extended_fetched_at=T0 - timedelta(hours=26),
            )
            u.references.save(cache)
            u.commit()
        with uow() as u:
            backlog = u.references.backlog(T0, T0 - timedelta(hours=24))
        assert backlog == Backlog(1, T0 - timedelta(hours=6))
