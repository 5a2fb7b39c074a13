"""A refresh storm on one replica: hundreds of callers of one expired grant wait for the one
refresh on the event loop, holding one pool thread between them, and all get its token."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from domain.grant import TokenSet
from domain.values import Environment
from tests.fakes.world import World
from tests.integration.grpc.conftest import SYNC_TOKEN, WorldLoopViews, bearer, serving

# Each connection carries at most 100 calls at once (the server's stream cap): 3 of 90.
CONNECTIONS, PER_CONNECTION = 3, 90
CALLERS = CONNECTIONS * PER_CONNECTION


def counting(calls: list[int], inner: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return inner(*args, **kwargs)

    return counted


def wait_for(condition: Callable[[], bool], within_s: float = 30.0) -> bool:
    deadline = time.monotonic() + within_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


@pytest.mark.parametrize("loop_read", [False, True], ids=["pool-read", "loop-read"])
def test_callers_of_one_refresh_share_one_pool_call(
    monkeypatch: pytest.MonkeyPatch, loop_read: bool
) -> None:
    world = World()
    views = WorldLoopViews(world) if loop_read else None
    binding_id = world.connected()
    tokens, looked_up, fresh_calls = world.service.tokens, [], []
    refresh, released = world.xero.refresh, threading.Event()

    def held_refresh(environment: Environment, refresh_token: str) -> TokenSet:
        released.wait(30)
        return refresh(environment, refresh_token)

    monkeypatch.setattr(world.xero, "refresh", held_refresh)
    # The servicer takes its references when it is built: the counters are what it gets.
    monkeypatch.setattr(tokens, "cached_token", counting(looked_up, tokens.cached_token))
    monkeypatch.setattr(tokens, "fresh_token", counting(fresh_calls, tokens.fresh_token))
    with serving(world, max_workers=2, loop_views=views) as running:
        world.clock.advance(minutes=29)
        request = pb.GetFreshTokenRequest(binding_id=binding_id)
        channels = [
            grpc.insecure_channel(running.target, options=(("test.connection", n),))
            for n in range(CONNECTIONS)
        ]
        try:
            calls = [
                pb_grpc.XeroConnectServiceStub(channel).GetFreshToken.future(  # type: ignore[no-untyped-call]
                    request, metadata=bearer(SYNC_TOKEN), timeout=30
                )
                for channel in channels
                for _ in range(PER_CONNECTION)
            ]
            # Every caller has looked in the cache (the refresh once more): all are waiting.
            assert wait_for(lambda: len(looked_up) > CALLERS)
            released.set()
            answers = [call.result() for call in calls]
        finally:
            for channel in channels:
                channel.close()

    assert {a.access_token for a in answers} == {world.grant(binding_id).access_token}
    assert world.xero.refresh_calls == 1
    assert len(fresh_calls) == 1, "each waiting caller took a pool thread of its own"
    assert views is None or len(views.reads) == 1, "each waiting caller read on its own"


def test_a_caller_gone_before_the_refresh_lands_leaves_the_others_served() -> None:
    with serving(max_workers=2) as running:
        world = running.world
        binding_id = world.connected()
        world.clock.advance(minutes=29)
        request = pb.GetFreshTokenRequest(binding_id=binding_id)
        patient = running.stub.GetFreshToken.future(request, metadata=bearer(SYNC_TOKEN))
        hasty = running.stub.GetFreshToken.future(request, metadata=bearer(SYNC_TOKEN))
        hasty.cancel()

        answer = patient.result(timeout=30)

        assert answer.access_token == world.grant(binding_id).access_token
        with pytest.raises(grpc.FutureCancelledError):
            hasty.result()
