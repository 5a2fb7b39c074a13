"""Fresh tokens under concurrency, DESIGN §5 steps 2, 3 and 5: one flight per process, the
row lock across replicas, a re-read under the lock, and invalid_grant after a race."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.errors import InvalidGrant, ProviderUnavailable
from domain.usecases.tokens import FreshToken
from domain.values import BindingStatus
from tests.fakes.world import World

NEAR_EXPIRY = {"minutes": 29}


@pytest.fixture
def binding_id(world: World) -> str:
    binding_id = world.connected()
    world.clock.advance(**NEAR_EXPIRY)
    return binding_id


def together(calls: list[Callable[[], FreshToken]]) -> list[FreshToken]:
    """Start every call at the same moment on its own thread; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], FreshToken]) -> FreshToken:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def slow_xero(world: World) -> None:
    world.xero.on_refresh = lambda _token: time.sleep(0.1)


class TestOneProcess:
    def test_twenty_callers_share_one_refresh(self, world: World, binding_id: str) -> None:
        slow_xero(world)
        locks = world.store.locks_taken
        tokens = together([lambda: world.service.tokens.fresh_token(binding_id)] * 20)
        assert world.xero.refresh_calls == 1
        assert world.store.locks_taken == locks + 1
        assert {t.access_token for t in tokens} == {world.grant(binding_id).access_token}  # type: ignore[union-attr]

    def test_the_waiters_share_the_leaders_failure(self, world: World, binding_id: str) -> None:
        slow_xero(world)
        world.xero.fail_next = [ProviderUnavailable("Xero answered 503")]
        tokens = together([lambda: world.service.tokens.fresh_token(binding_id)] * 5)
        assert world.xero.refresh_calls == 1
        assert {t.status for t in tokens} == {BindingStatus.DEGRADED}


class TestReplicas:
    def test_two_replicas_refresh_once_between_them(self, world: World, binding_id: str) -> None:
        slow_xero(world)
        replica = world.replica()
        calls = [lambda: world.service.tokens.fresh_token(binding_id)] * 10
        calls += [lambda: replica.tokens.fresh_token(binding_id)] * 10
        tokens = together(calls)
        assert world.xero.refresh_calls == 1
        assert len({t.access_token for t in tokens}) == 1

    def test_a_replica_behind_another_refresh_follows_it_without_xero(
        self, world: World, binding_id: str
    ) -> None:
        slow_xero(world)
        replica = world.replica()
        tokens = together(
            [
                lambda: world.service.tokens.fresh_token(binding_id),
                lambda: replica.tokens.fresh_token(binding_id),
            ]
        )
        assert world.xero.refresh_calls == 1
        assert world.store.locks_followed == 1
        assert tokens[0].access_token == tokens[1].access_token

    def test_a_follower_left_with_a_grant_still_due_locks_it_and_refreshes(
        self, world: World, binding_id: str
    ) -> None:
        """The writer it followed ended without rotating (a crash, a rollback)."""
        before = world.grant(binding_id)
        held, release = threading.Event(), threading.Event()

        def another_writer_that_rolls_back() -> None:
            with world.uow() as uow:
                uow.grants.lock(binding_id, 5.0)
                held.set()
                release.wait(5.0)

        writer = threading.Thread(target=another_writer_that_rolls_back)
        writer.start()
        held.wait(5.0)
        threading.Timer(0.1, release.set).start()
        token = world.service.tokens.fresh_token(binding_id)
        writer.join()
        assert world.store.locks_followed == 1
        assert world.xero.refresh_calls == 1
        assert before is not None and token.access_token != before.access_token
        assert world.grant(binding_id).version == before.version + 1  # type: ignore[union-attr]

    def test_a_rotation_by_another_replica_is_picked_up_under_the_lock(
        self, world: World, binding_id: str
    ) -> None:
        replica = world.replica()
        won: list[FreshToken] = []
        world.store.before_lock.append(lambda: won.append(replica.tokens.fresh_token(binding_id)))
        token = world.service.tokens.fresh_token(binding_id)
        assert world.xero.refresh_calls == 1
        assert token.access_token == won[0].access_token
        assert world.grant(binding_id).version == 2  # type: ignore[union-attr]

    def test_the_presented_refresh_token_is_always_the_stored_one(
        self, world: World, binding_id: str
    ) -> None:
        replica = world.replica()
        stale: list[str] = []

        def check(presented: str) -> None:
            if presented != world.grant(binding_id).refresh_token:  # type: ignore[union-attr]
                stale.append(presented)

        world.xero.on_refresh = check
        for _ in range(3):
            together(
                [lambda: world.service.tokens.fresh_token(binding_id)] * 4
                + [lambda: replica.tokens.fresh_token(binding_id)] * 4
            )
            world.clock.advance(minutes=29)
        assert world.xero.refresh_calls == 3
        assert stale == []


class TestInvalidGrantAfterARace:
    def test_a_version_moved_meanwhile_means_use_the_new_token(
        self, world: World, binding_id: str
    ) -> None:
        """A reconnect committed while our doomed refresh was at Xero."""
        account = world.uow().accounts.get(world.binding(binding_id).account_id)
        assert account is not None
        world.xero.fail_next = [InvalidGrant("Xero refused the refresh token")]
        world.store.before_lock += [
            lambda: None,
            lambda: world.consent(account, binding_id, "user-avery", ["tenant-uk"]),
        ]
        token = world.service.tokens.fresh_token(binding_id)
        grant = world.grant(binding_id)
        assert grant is not None and token.access_token == grant.access_token
        assert world.binding(binding_id).status is BindingStatus.CONNECTED
        assert "needs_reconnect" not in world.events(binding_id)

    def test_a_transient_failure_after_another_replica_rotated_is_no_failure(
        self, world: World, binding_id: str
    ) -> None:
        replica = world.replica()
        world.xero.fail_next = [ProviderUnavailable("Xero timed out")]
        world.store.before_lock += [lambda: None, lambda: replica.tokens.fresh_token(binding_id)]
        token = world.service.tokens.fresh_token(binding_id)
        grant = world.grant(binding_id)
        assert grant is not None and token.access_token == grant.access_token
        assert (grant.failure_count, grant.next_retry_at) == (0, None)
        assert world.binding(binding_id).status is BindingStatus.CONNECTED
        assert "refresh_failed" not in world.events(binding_id)
