"""A caller's deadline bounds its wait, never the refresh: the rotated grant is committed
and the next call gets the new token without refreshing again."""

from __future__ import annotations

import time
from collections.abc import Callable

import grpc
import pytest

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.server import stop
from domain.grant import TokenSet
from domain.values import Environment
from tests.integration.grpc.conftest import SYNC_TOKEN, Running, bearer

XERO_TAKES_S = 1.0


@pytest.fixture
def slow_xero(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    refresh = running.world.xero.refresh

    def slow_refresh(environment: Environment, refresh_token: str) -> TokenSet:
        time.sleep(XERO_TAKES_S)
        return refresh(environment, refresh_token)

    monkeypatch.setattr(running.world.xero, "refresh", slow_refresh)


def wait_for(condition: Callable[[], bool], within_s: float = 3.0) -> bool:
    deadline = time.monotonic() + within_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return bool(condition())


@pytest.mark.usefixtures("slow_xero")
class TestDeadlines:
    def test_an_abandoned_refresh_still_commits_and_serves_the_next_call(
        self, running: Running
    ) -> None:
        world = running.world
        binding_id = world.connected()
        world.clock.advance(minutes=29)
        request = pb.GetFreshTokenRequest(binding_id=binding_id)

        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as late:
            running.stub.GetFreshToken(request, metadata=bearer(SYNC_TOKEN), timeout=0.2)
        waited = time.monotonic() - started

        assert late.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
        assert waited < XERO_TAKES_S
        assert wait_for(lambda: world.grant(binding_id).version == 2)
        answer = running.stub.GetFreshToken(request, metadata=bearer(SYNC_TOKEN), timeout=5)
        assert answer.access_token == world.grant(binding_id).access_token
        assert world.xero.refresh_calls == 1

    def test_a_graceful_stop_waits_for_the_abandoned_refresh_to_commit(
        self, running: Running
    ) -> None:
        world = running.world
        binding_id = world.connected()
        world.clock.advance(minutes=29)
        with pytest.raises(grpc.RpcError):
            running.stub.GetFreshToken(
                pb.GetFreshTokenRequest(binding_id=binding_id),
                metadata=bearer(SYNC_TOKEN),
                timeout=0.2,
            )

        stop(running.server, grace=0)

        assert world.grant(binding_id).version == 2

    def test_a_generous_deadline_waits_for_the_refresh(self, running: Running) -> None:
        world = running.world
        binding_id = world.connected()
        world.clock.advance(minutes=29)

        answer = running.stub.GetFreshToken(
            pb.GetFreshTokenRequest(binding_id=binding_id), metadata=bearer(SYNC_TOKEN), timeout=5
        )

        assert answer.access_token == world.grant(binding_id).access_token
        assert world.grant(binding_id).version == 2

    def test_a_call_without_a_deadline_waits_as_long_as_it_takes(self, running: Running) -> None:
        world = running.world
        binding_id = world.connected()
        world.clock.advance(minutes=29)

        answer = running.stub.GetFreshToken(
            pb.GetFreshTokenRequest(binding_id=binding_id), metadata=bearer(SYNC_TOKEN)
        )

        assert answer.access_token == world.grant(binding_id).access_token
