"""Fresh tokens, DESIGN §5 steps 1 and 4: the fast path, the short cache, one rotation."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from domain.errors import (
    BindingDisconnected,
    BindingNotConnected,
    InvalidGrant,
    LockTimeout,
    NotFound,
    ProviderUnavailable,
    ReauthRequired,
)
from domain.values import BindingStatus
from tests.fakes.store import FakeBindings, FakeGrants
from tests.fakes.world import World

NEAR_EXPIRY = {"minutes": 28, "seconds": 1}  # 119 s left: inside the 120 s skew


@pytest.fixture
def binding_id(world: World) -> str:
    return world.connected()


def replace_stored_access_token(world: World, binding_id: str, token: str) -> None:
    with world.uow() as uow:
        grant = uow.grants.get(binding_id)
        assert grant is not None
        grant.access_token = token
        uow.grants.save(grant)
        uow.commit()


class TestFastPath:
    def test_a_fresh_token_costs_no_xero_call_and_no_lock(
        self, world: World, binding_id: str
    ) -> None:
        commits, locks = world.store.commits, world.store.locks_taken
        world.clock.advance(minutes=27, seconds=59)
        token = world.service.tokens.fresh_token(binding_id)
        grant = world.grant(binding_id)
        assert grant is not None
        assert (token.access_token, token.expires_at) == (
            grant.access_token,
            grant.access_expires_at,
        )
        assert (token.tenant_id, token.status) == ("tenant-uk", BindingStatus.CONNECTED)
        assert token.api_base_url == "https://xero.test/production/api.xro/2.0"
        assert world.xero.refresh_calls == 0
        assert (world.store.locks_taken, world.store.commits) == (locks, commits)

    def test_a_repeated_call_is_served_from_memory_for_half_a_second(
        self, world: World, binding_id: str
    ) -> None:
        first = world.service.tokens.fresh_token(binding_id)
        replace_stored_access_token(world, binding_id, "changed-elsewhere")
        world.clock.advance(seconds=0.5)
        assert world.service.tokens.fresh_token(binding_id) == first
        world.clock.advance(seconds=0.1)
        assert world.service.tokens.fresh_token(binding_id).access_token == "changed-elsewhere"

    def test_the_memory_is_dropped_at_once_on_a_local_change(
        self, world: World, binding_id: str
    ) -> None:
        world.service.tokens.fresh_token(binding_id)
        world.needs_reconnect(binding_id)
        with pytest.raises(ReauthRequired):
            world.service.tokens.fresh_token(binding_id)

    def test_the_memory_never_outlives_the_skew(self, world: World, binding_id: str) -> None:
        world.clock.advance(minutes=27, seconds=59)
        cached = world.service.tokens.fresh_token(binding_id)
        world.clock.advance(seconds=2)
        assert world.service.tokens.fresh_token(binding_id) != cached
        assert world.xero.refresh_calls == 1


class TestRotation:
    def test_a_token_near_expiry_is_refreshed_exactly_once(
        self, world: World, binding_id: str
    ) -> None:
        old = world.grant(binding_id)
        assert old is not None
        world.clock.advance(**NEAR_EXPIRY)
        token = world.service.tokens.fresh_token(binding_id)
        again = world.service.tokens.fresh_token(binding_id)
        new = world.grant(binding_id)
        assert new is not None
        assert world.xero.presented == [old.refresh_token]
        assert token == again and token.access_token == new.access_token != old.access_token
        assert new.refresh_token != old.refresh_token and world.xero.accepts(new.refresh_token)
        assert (new.version, new.refresh_issued_at) == (2, world.clock.now())
        assert token.expires_at == world.clock.now() + timedelta(minutes=30)
        assert world.events(binding_id)[-1] == "token_refreshed"

    def test_a_keep_alive_refreshes_even_a_fresh_token(self, world: World, binding_id: str) -> None:
        world.service.tokens.refresh_now(binding_id)
        assert (world.xero.refresh_calls, world.grant(binding_id).version) == (1, 2)  # type: ignore[union-attr]

    def test_the_lock_timeout_reaches_the_caller(self, world: World, binding_id: str) -> None:
        world.clock.advance(**NEAR_EXPIRY)
        before = world.grant(binding_id)
        with world.uow() as other_replica:
            other_replica.grants.lock(binding_id, 1.0)
            with pytest.raises(LockTimeout):
                world.service.tokens.fresh_token(binding_id, timeout_s=0.01)
        assert world.xero.refresh_calls == 0
        assert world.grant(binding_id) == before
        assert world.binding(binding_id).status is BindingStatus.CONNECTED


class TestRefusedBindings:
    def test_a_paired_binding_has_no_token(self, world: World) -> None:
        binding_id = world.paired(world.account())
        with pytest.raises(BindingNotConnected):
            world.service.tokens.fresh_token(binding_id)

    def test_an_unpaired_binding_has_no_token(self, world: World) -> None:
        created = world.service.create_binding(world.account().id)
        with pytest.raises(BindingNotConnected):
            world.service.tokens.fresh_token(created.binding_id)

    def test_a_binding_awaiting_reconnect_says_why(self, world: World, binding_id: str) -> None:
        world.needs_reconnect(binding_id)
        with pytest.raises(ReauthRequired, match="no longer connected"):
            world.service.tokens.fresh_token(binding_id)
        assert world.xero.refresh_calls == 0

    def test_a_disconnected_binding_has_no_token_even_from_memory(
        self, world: World, binding_id: str
    ) -> None:
        account_id = world.binding(binding_id).account_id
        world.service.tokens.fresh_token(binding_id)
        world.service.disconnect(account_id, binding_id)
        with pytest.raises(BindingDisconnected):
            world.service.tokens.fresh_token(binding_id)

    def test_an_unknown_binding_is_not_found(self, world: World) -> None:
        with pytest.raises(NotFound):
            world.service.tokens.fresh_token("no-such-binding")


class TestOneRead:
    def test_a_cache_miss_is_one_read_and_no_full_binding_or_grant(
        self, world: World, binding_id: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        world.service.tokens.forget(binding_id)
        reads: list[str] = []
        for table, method in ((FakeGrants, "view"), (FakeGrants, "get"), (FakeBindings, "get")):
            original = getattr(table, method)

            def counting(store: object, key: str, _o=original, _n=f"{table.__name__}.{method}"):  # type: ignore[no-untyped-def]
                reads.append(_n)
                return _o(store, key)

            monkeypatch.setattr(table, method, counting)
        token = world.service.tokens.fresh_token(binding_id)
        monkeypatch.undo()
        assert reads == ["FakeGrants.view"]
        assert token.access_token == world.grant(binding_id).access_token  # type: ignore[union-attr]


class TestSlowPathReads:
    """A refresh reads the grant once under its row lock; only Xero's bad news re-reads it,
    under a new lock, behind any writer that queued meanwhile (DESIGN §5 step 5)."""

    @pytest.fixture
    def reads(self, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
        """Grant reads by kind; the fake's `lock` reads through `get`, so each lock is also
        one `get`, and a `get` beyond them would be a read outside the lock."""
        counted: Counter[str] = Counter()
        for name in ("get", "view", "lock"):
            original = getattr(FakeGrants, name)

            def counting(self: FakeGrants, *args: Any, _o: Any = original, _n: str = name) -> Any:
                counted[_n] += 1
                return _o(self, *args)

            monkeypatch.setattr(FakeGrants, name, counting)
        return counted

    def test_a_rotation_is_one_fast_read_and_one_locked_read(
        self, world: World, binding_id: str, reads: Counter[str]
    ) -> None:
        world.clock.advance(**NEAR_EXPIRY)
        commits = world.store.commits
        world.service.tokens.fresh_token(binding_id)
        assert reads == Counter(view=1, lock=1, get=1)
        assert world.store.commits == commits + 1

    def test_invalid_grant_is_recorded_after_one_re_read(
        self, world: World, binding_id: str, reads: Counter[str]
    ) -> None:
        world.clock.advance(**NEAR_EXPIRY)
        world.xero.fail_next = [InvalidGrant("Xero refused the refresh token")]
        with pytest.raises(ReauthRequired):
            world.service.tokens.fresh_token(binding_id)
        assert reads == Counter(view=1, lock=2, get=2)

    def test_a_backed_off_grant_with_a_working_token_is_one_fast_read(
        self, world: World, binding_id: str, reads: Counter[str]
    ) -> None:
        world.clock.advance(**NEAR_EXPIRY)
        world.xero.fail_next = [ProviderUnavailable("Xero answered 503")]
        first = world.service.tokens.fresh_token(binding_id)
        reads.clear()
        again = world.service.tokens.fresh_token(binding_id)
        assert again == first and reads == Counter(view=1)
        assert world.xero.refresh_calls == 1


class TestFromView:
    """`from_view`: a view read outside the service (the server's loop read) is handed out
    only when it needs nothing else; everything else is left to `fresh_token`."""

    def view(self, world: World, binding_id: str) -> Any:
        with world.uow() as uow:
            return uow.grants.view(binding_id)

    def test_a_fresh_view_is_handed_out_and_cached(self, world: World, binding_id: str) -> None:
        world.clock.advance(minutes=27, seconds=59)
        tokens = world.service.tokens
        token = tokens.from_view(self.view(world, binding_id))
        grant = world.grant(binding_id)
        assert token is not None and grant is not None
        assert (token.access_token, token.tenant_id) == (grant.access_token, "tenant-uk")
        assert token.api_base_url == "https://xero.test/production/api.xro/2.0"
        assert tokens.cached_token(binding_id) is token
        assert world.xero.refresh_calls == 0

    def test_a_view_inside_the_skew_is_left_to_the_full_path(
        self, world: World, binding_id: str
    ) -> None:
        world.clock.advance(**NEAR_EXPIRY)
        tokens = world.service.tokens
        assert tokens.from_view(self.view(world, binding_id)) is None
        assert tokens.cached_token(binding_id) is None

    def test_a_view_that_does_not_last_the_minimum_asked_is_left(
        self, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=10)  # 20 minutes left
        view = self.view(world, binding_id)
        tokens = world.service.tokens
        assert tokens.from_view(view, timedelta(minutes=24)) is None
        assert tokens.from_view(view, timedelta(minutes=15)) is not None

    def test_no_view_or_a_refused_binding_is_left_to_the_full_path(
        self, world: World, binding_id: str
    ) -> None:
        tokens = world.service.tokens
        assert tokens.from_view(None) is None
        world.needs_reconnect(binding_id)
        tokens.forget(binding_id)
        refused = self.view(world, binding_id)
        assert refused is not None and refused.status is BindingStatus.NEEDS_RECONNECT
        assert tokens.from_view(refused) is None
        assert tokens.cached_token(binding_id) is None
