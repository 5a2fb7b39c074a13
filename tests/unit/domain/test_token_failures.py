"""Fresh tokens when Xero refuses or fails, DESIGN §5 steps 5 and 6, and the 30-minute grace
after a lost answer (xero-facts §2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import ProviderUnavailable, RateLimited, ReauthRequired
from domain.values import BindingStatus
from tests.fakes.world import World

S = BindingStatus
OUTAGE = ProviderUnavailable("Xero token endpoint answered 503")


@pytest.fixture
def binding_id(world: World) -> str:
    return world.connected()


def expire(world: World) -> None:
    """Past the access token's expiry."""
    world.clock.advance(minutes=31)


def stored_refresh_token(world: World, binding_id: str) -> str:
    grant = world.grant(binding_id)
    assert grant is not None
    return grant.refresh_token


class TestInvalidGrant:
    def test_a_refresh_token_unused_for_sixty_days_needs_reconnect(
        self, world: World, binding_id: str
    ) -> None:
        world.clock.advance(days=61)
        with pytest.raises(ReauthRequired, match="invalid_grant"):
            world.service.tokens.fresh_token(binding_id)
        binding = world.binding(binding_id)
        assert binding.status is S.NEEDS_RECONNECT
        assert world.grant(binding_id).last_error == "invalid_grant"  # type: ignore[union-attr]
        assert world.events(binding_id)[-1] == "needs_reconnect"

    def test_after_a_refusal_xero_is_not_asked_again(self, world: World, binding_id: str) -> None:
        world.xero.revoke_user("user-avery")
        expire(world)
        with pytest.raises(ReauthRequired):
            world.service.tokens.fresh_token(binding_id)
        with pytest.raises(ReauthRequired):
            world.service.tokens.fresh_token(binding_id)
        assert world.xero.refresh_calls == 1


class TestTransientFailure:
    def test_keeps_the_stored_refresh_token_and_degrades(
        self, world: World, binding_id: str
    ) -> None:
        before = stored_refresh_token(world, binding_id)
        expire(world)
        world.xero.fail_next = [OUTAGE]
        with pytest.raises(ProviderUnavailable) as raised:
            world.service.tokens.fresh_token(binding_id)
        assert raised.value.retry_after == 30
        grant = world.grant(binding_id)
        assert grant is not None
        assert (grant.refresh_token, grant.version) == (before, 1)
        assert (grant.failure_count, grant.failure_days) == (1, 1)
        assert grant.next_retry_at == world.clock.now() + timedelta(seconds=30)
        assert "503" in grant.last_error
        assert world.binding(binding_id).status is S.DEGRADED
        assert world.events(binding_id)[-1] == "refresh_failed"

    def test_backs_off_from_thirty_seconds_doubling_to_five_minutes(
        self, world: World, binding_id: str
    ) -> None:
        expire(world)
        delays = []
        for _ in range(6):
            world.xero.fail_next = [OUTAGE]
            with pytest.raises(ProviderUnavailable) as raised:
                world.service.tokens.fresh_token(binding_id)
            delays.append(raised.value.retry_after)
            world.clock.advance(seconds=1)
        assert delays == [30, 60, 120, 240, 300, 300]
        assert world.events(binding_id).count("refresh_failed") == 1

    def test_a_longer_retry_after_from_xero_wins(self, world: World, binding_id: str) -> None:
        expire(world)
        world.xero.fail_next = [RateLimited("Xero answered 429", retry_after=90)]
        with pytest.raises(ProviderUnavailable) as raised:
            world.service.tokens.fresh_token(binding_id)
        assert raised.value.retry_after == 90

    def test_counts_failure_days_once_a_day_and_flags_exhaustion_but_never_gives_up(
        self, world: World, binding_id: str
    ) -> None:
        expire(world)
        days = []
        for _ in range(5):
            for _ in range(3):
                world.xero.fail_next = [OUTAGE]
                with pytest.raises(ProviderUnavailable):
                    world.service.tokens.fresh_token(binding_id)
                world.clock.advance(hours=1)
            days.append(world.grant(binding_id).failure_days)  # type: ignore[union-attr]
            world.clock.advance(hours=21)
        assert days == [1, 2, 3, 4, 5]
        assert world.events(binding_id).count("refresh_exhausted") == 1
        assert world.grant(binding_id).exhausted  # type: ignore[union-attr]
        assert world.binding(binding_id).status is S.DEGRADED
        assert world.service.tokens.fresh_token(binding_id).status is S.CONNECTED

    def test_hands_out_the_current_token_while_it_is_still_valid(
        self, world: World, binding_id: str
    ) -> None:
        current = world.grant(binding_id)
        assert current is not None
        world.clock.advance(minutes=29, seconds=59)
        world.xero.fail_next = [OUTAGE, OUTAGE]
        token = world.service.tokens.fresh_token(binding_id)
        assert (token.access_token, token.status) == (current.access_token, S.DEGRADED)
        assert token.expires_at > world.clock.now()
        again = world.service.tokens.fresh_token(binding_id)
        assert again.access_token == current.access_token
        assert world.xero.refresh_calls == 1, "callers wait for the scheduled retry"

    def test_an_expired_token_is_retried_despite_the_backoff(
        self, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=29, seconds=50)
        world.xero.fail_next = [OUTAGE]
        world.service.tokens.fresh_token(binding_id)
        world.clock.advance(seconds=15)
        token = world.service.tokens.fresh_token(binding_id)
        assert world.xero.refresh_calls == 2
        assert token.expires_at > world.clock.now()
        assert world.binding(binding_id).status is S.CONNECTED  # type: ignore[union-attr]

    def test_never_hands_out_a_token_at_its_expiry(self, world: World, binding_id: str) -> None:
        world.clock.advance(minutes=30)
        world.xero.fail_next = [OUTAGE]
        with pytest.raises(ProviderUnavailable):
            world.service.tokens.fresh_token(binding_id)

    def test_recovers_on_the_next_successful_refresh(self, world: World, binding_id: str) -> None:
        expire(world)
        world.xero.fail_next = [OUTAGE]
        with pytest.raises(ProviderUnavailable):
            world.service.tokens.fresh_token(binding_id)
        world.clock.advance(seconds=30)
        token = world.service.tokens.fresh_token(binding_id)
        grant = world.grant(binding_id)
        assert grant is not None
        assert token.status is S.CONNECTED and world.binding(binding_id).status is S.CONNECTED
        assert (grant.failure_count, grant.failure_days, grant.last_error) == (0, 0, "")
        assert grant.next_retry_at is None
        assert world.events(binding_id)[-2:] == ["recovered", "token_refreshed"]


class TestLostAnswer:
    def test_the_predecessor_works_again_within_the_grace(
        self, world: World, binding_id: str
    ) -> None:
        predecessor = stored_refresh_token(world, binding_id)
        expire(world)
        world.xero.drop_next_answer = True
        with pytest.raises(ProviderUnavailable):
            world.service.tokens.fresh_token(binding_id)
        assert stored_refresh_token(world, binding_id) == predecessor
        world.clock.advance(minutes=29)
        token = world.service.tokens.fresh_token(binding_id)
        assert world.xero.presented == [predecessor, predecessor]
        assert token.status is S.CONNECTED
        assert world.xero.accepts(stored_refresh_token(world, binding_id))

    def test_past_the_grace_the_binding_needs_reconnect(
        self, world: World, binding_id: str
    ) -> None:
        expire(world)
        world.xero.drop_next_answer = True
        with pytest.raises(ProviderUnavailable):
            world.service.tokens.fresh_token(binding_id)
        world.clock.advance(minutes=31)
        with pytest.raises(ReauthRequired):
            world.service.tokens.fresh_token(binding_id)
        assert world.binding(binding_id).status is S.NEEDS_RECONNECT

    def test_once_a_successor_was_used_older_tokens_are_dead(
        self, world: World, binding_id: str
    ) -> None:
        first = stored_refresh_token(world, binding_id)
        expire(world)
        world.service.tokens.fresh_token(binding_id)
        second = stored_refresh_token(world, binding_id)
        assert world.xero.accepts(first)
        expire(world)
        world.service.tokens.fresh_token(binding_id)
        assert not world.xero.accepts(first)
        assert world.xero.accepts(second), "its successor is unused: still inside the grace"
        assert world.xero.presented == [first, second]
