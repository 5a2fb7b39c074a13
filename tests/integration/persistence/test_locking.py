"""The grant's row lock (DESIGN §5): waits, times out as LockTimeout, and lets one refresh win."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import timedelta

import pytest

from adapters.persistence.database import Database
from adapters.persistence.uow import SqlUnitOfWorkFactory
from domain.errors import LockTimeout
from domain.usecases.tokens import FreshToken
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0
from tests.integration.persistence.fakes import CountingIssuer, service
from tests.integration.persistence.markers import postgres_only


def commit_a_successor_while_waited_on(
    uow: SqlUnitOfWorkFactory, waiters: Sequence[threading.Thread], seen: Sequence[object]
) -> None:
    """Lock b-1's grant, start `waiters` (who append to `seen` once they get past the lock),
    check none got past while it is held, then rotate the refresh token and commit."""
    with uow() as holder:
        grant = holder.grants.lock("b-1", 1.0)
        assert grant is not None
        for waiter in waiters:
            waiter.start()
        time.sleep(0.3)
        assert seen == []
        grant.refresh_token = "successor"
        holder.grants.save(grant)
        holder.commit()


class TestRowLock:
    def test_a_held_lock_times_out_as_lock_timeout(self, uow: SqlUnitOfWorkFactory) -> None:
        b.store(uow)
        with uow() as holder:
            assert holder.grants.lock("b-1", 1.0) is not None
            started = time.monotonic()
            with pytest.raises(LockTimeout), uow() as waiter:
                waiter.bindings.get("b-1")
                waiter.grants.lock("b-1", 0.3)
            assert 0.25 <= time.monotonic() - started < 3

    def test_a_waiter_gets_the_lock_and_the_committed_grant(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        b.store(uow)
        seen: list[str] = []

        def wait_for_lock() -> None:
            with uow() as waiter:
                grant = waiter.grants.lock("b-1", 5.0)
                seen.append(grant.refresh_token if grant else "none")

        waiter = threading.Thread(target=wait_for_lock)
        commit_a_successor_while_waited_on(uow, [waiter], seen)
        waiter.join(timeout=10)
        assert seen == ["successor"]

    def test_a_free_grant_is_locked_not_followed(self, uow: SqlUnitOfWorkFactory) -> None:
        b.store(uow)
        with uow() as first:
            grant, held = first.grants.lock_or_follow("b-1", 1.0)
            assert grant is not None and held
            with pytest.raises(LockTimeout), uow() as other:
                other.grants.lock("b-1", 0.3)

    @postgres_only
    def test_a_table_lock_bounds_the_first_try_too(
        self, uow: SqlUnitOfWorkFactory, database: Database
    ) -> None:
        """SKIP LOCKED skips locked rows but waits for a table lock (a migration): the lock
        budget holds there as well."""
        b.store(uow)
        with database.engine.connect() as migration:
            migration.exec_driver_sql("LOCK TABLE grants IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            with pytest.raises(LockTimeout), uow() as follower:
                follower.grants.lock_or_follow("b-1", 0.3)
            assert time.monotonic() - started < 3
            migration.rollback()

    @postgres_only
    def test_followers_of_a_writer_read_its_commit_together(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        """Behind one refresh, replicas read its outcome at once: each follower is still in
        its unit of work when the others read (FOR UPDATE would let one through at a time)."""
        b.store(uow)
        followers = 3
        everyone_read = threading.Barrier(followers + 1)
        seen: list[tuple[str, bool]] = []

        def follow() -> None:
            with uow() as follower:
                grant, held = follower.grants.lock_or_follow("b-1", 5.0)
                seen.append((grant.refresh_token if grant else "none", held))
                everyone_read.wait(timeout=5)

        threads = [threading.Thread(target=follow) for _ in range(followers)]
        commit_a_successor_while_waited_on(uow, threads, seen)
        everyone_read.wait(timeout=5)
        for thread in threads:
            thread.join(timeout=10)
        assert seen == [("successor", False)] * followers

    @postgres_only
    def test_a_follower_times_out_as_lock_timeout(self, uow: SqlUnitOfWorkFactory) -> None:
        b.store(uow)
        with uow() as holder:
            assert holder.grants.lock("b-1", 1.0) is not None
            with pytest.raises(LockTimeout), uow() as follower:
                follower.grants.lock_or_follow("b-1", 0.3)


class TestRefreshRace:
    def test_two_replicas_in_threads_refresh_an_expired_grant_once(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        b.store(uow)
        with uow() as u:
            expired = b.grant(expires=T0 - timedelta(minutes=1))
            u.grants.save(expired)
            u.commit()
        issuer = CountingIssuer(delay_s=0.3)
        replicas = [service(uow, issuer, T0) for _ in range(2)]
        barrier = threading.Barrier(2)
        tokens: list[FreshToken] = []

        def fetch(n: int) -> None:
            barrier.wait()
            tokens.append(replicas[n].tokens.fresh_token("b-1", timeout_s=10))

        threads = [threading.Thread(target=fetch, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert issuer.calls == 1
        assert [t.access_token for t in tokens] == ["access-1", "access-1"]
        with uow() as u:
            stored = u.grants.get("b-1")
            assert stored is not None
            assert (stored.refresh_token, stored.version) == ("refresh-1", expired.version + 1)


class TestClaims:
    @postgres_only
    def test_skip_locked_gives_concurrent_claimers_disjoint_grants(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        bindings = [
            b.binding(f"b-{n}", url=f"https://shop{n}.example.com", connection=f"c-{n}")
            for n in range(6)
        ]
        b.store(uow, *bindings)
        due_at = T0 + timedelta(minutes=5)
        with uow() as first, uow() as second:
            mine = {g.binding_id for g in first.grants.claim_due(due_at, T0, limit=4)}
            theirs = {g.binding_id for g in second.grants.claim_due(due_at, T0, limit=10)}
            assert len(mine) == 4 and len(theirs) == 2
            assert mine.isdisjoint(theirs)
