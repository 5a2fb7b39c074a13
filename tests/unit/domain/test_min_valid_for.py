"""GetFreshToken(min_valid_for) (DESIGN §9 additions): the token handed out lives at least
that long, capped below Xero's 30 minutes; still one flight per binding."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from domain.errors import ProviderUnavailable, ValidationFailed
from domain.usecases.tokens import MAX_MIN_VALID_FOR, FreshToken
from tests.fakes.world import World

TWENTY = timedelta(minutes=20)


@pytest.fixture
def binding_id(world: World) -> str:
    return world.connected()


def lives(world: World, token: FreshToken) -> timedelta:
    return token.expires_at - world.clock.now()


class TestValidity:
    def test_a_token_with_enough_left_costs_no_refresh(self, world: World, binding_id: str) -> None:
        world.clock.advance(minutes=5)
        token = world.service.tokens.fresh_token(binding_id, min_valid_for=TWENTY)
        assert lives(world, token) >= TWENTY and world.xero.refresh_calls == 0

    def test_a_token_too_short_for_the_job_is_refreshed_first(
        self, world: World, binding_id: str
    ) -> None:
        world.service.tokens.fresh_token(binding_id)  # cached now, with 30 minutes
        world.clock.advance(minutes=15)
        token = world.service.tokens.fresh_token(binding_id, min_valid_for=TWENTY)
        assert lives(world, token) >= TWENTY and world.xero.refresh_calls == 1

    def test_the_cached_token_does_not_serve_a_longer_need(
        self, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=12)
        short = world.service.tokens.fresh_token(binding_id)
        assert world.service.tokens.cached_token(binding_id) == short
        assert world.service.tokens.cached_token(binding_id, TWENTY) is None

    @pytest.mark.parametrize(
        "asked", [MAX_MIN_VALID_FOR + timedelta(microseconds=1), timedelta(seconds=-1)]
    )
    def test_outside_the_range_is_invalid_and_costs_nothing(
        self, world: World, binding_id: str, asked: timedelta
    ) -> None:
        with pytest.raises(ValidationFailed, match="1500 s"):
            world.service.tokens.fresh_token(binding_id, min_valid_for=asked)
        assert world.xero.refresh_calls == 0

    @pytest.mark.parametrize(
        "asked", [MAX_MIN_VALID_FOR + timedelta(microseconds=1), timedelta(seconds=-1)]
    )
    def test_outside_the_range_is_invalid_before_the_binding_is_looked_at(
        self, world: World, binding_id: str, asked: timedelta
    ) -> None:
        """The range is the request's fault whatever the binding: an unknown binding, or one
        that needs reconnecting, is not what the caller must hear first."""
        world.needs_reconnect(binding_id)
        world.service.tokens.forget(binding_id)
        for target in ("no-such-binding", binding_id):
            with pytest.raises(ValidationFailed, match="1500 s"):
                world.service.tokens.fresh_token(target, min_valid_for=asked)

    def test_the_cap_is_below_xeros_thirty_minutes(self) -> None:
        assert timedelta(minutes=30) > MAX_MIN_VALID_FOR

    def test_while_xero_is_down_no_shorter_token_is_handed_out(
        self, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=15)
        world.xero.fail_next = [ProviderUnavailable("Xero answered 503")]
        with pytest.raises(ProviderUnavailable) as refused:
            world.service.tokens.fresh_token(binding_id, min_valid_for=TWENTY)
        assert refused.value.retry_after and refused.value.retry_after > 0
        calls = world.xero.refresh_calls
        with pytest.raises(ProviderUnavailable):  # backing off: Xero is not asked again
            world.service.tokens.fresh_token(binding_id, min_valid_for=TWENTY)
        assert world.xero.refresh_calls == calls
        plain = world.service.tokens.fresh_token(binding_id)  # no minimum: what still works
        assert lives(world, plain) > timedelta(0)


class TestOneFlight:
    def test_callers_with_different_needs_share_one_refresh(
        self, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=29)
        replica = world.replica()
        barrier = threading.Barrier(12)

        def call(number: int) -> FreshToken:
            service = world.service if number % 2 else replica
            need = TWENTY if number % 3 else None
            barrier.wait()
            return service.tokens.fresh_token(binding_id, min_valid_for=need)

        with ThreadPoolExecutor(12) as pool:
            tokens = list(pool.map(call, range(12)))
        assert world.xero.refresh_calls == 1
        assert len({t.access_token for t in tokens}) == 1
        assert all(lives(world, t) >= TWENTY for t in tokens)

    def test_a_longer_need_joining_a_shorter_flight_leads_the_next(
        self, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=15)
        entered, release = threading.Event(), threading.Event()

        def handled_elsewhere(grant: object, now: object) -> bool:
            entered.set()
            release.wait(5)
            return False  # the keep-alive finds nothing to do: 15 minutes are left

        sweep = threading.Thread(
            target=lambda: world.service.tokens.refresh_now(binding_id, still_due=handled_elsewhere)
        )
        sweep.start()
        assert entered.wait(5)
        got: dict[str, FreshToken] = {}
        caller = threading.Thread(
            target=lambda: got.update(
                t=world.service.tokens.fresh_token(binding_id, min_valid_for=TWENTY)
            )
        )
        caller.start()
        release.set()
        sweep.join(5)
        caller.join(5)
        assert lives(world, got["t"]) >= TWENTY
        assert world.xero.refresh_calls == 1
