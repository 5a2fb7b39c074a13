"""The server runs on either event loop `LEDGER_GRPC_EVENT_LOOP` names: uvloop (the default,
which every other test here uses) and the standard library's, kept working as the fallback."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from adapters.grpc.event_loops import EVENT_LOOPS
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.server import EventLoopThread
from tests.integration.grpc.conftest import SYNC_TOKEN, bearer, serving


async def _running_loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


@pytest.mark.parametrize(("kind", "module"), [("uvloop", "uvloop"), ("asyncio", "asyncio")])
def test_the_loop_thread_runs_the_loop_it_was_asked_for(kind: str, module: str) -> None:
    thread = EventLoopThread("test-loop", kind)
    try:
        assert thread.run(_running_loop_module()).split(".")[0] == module
    finally:
        thread.close()


def test_an_unknown_loop_is_refused() -> None:
    with pytest.raises(ValueError, match="trio"):
        EventLoopThread("test-loop", "trio")


@pytest.mark.parametrize("kind", EVENT_LOOPS)
def test_unary_calls_streams_and_refusals_work_on_each_loop(kind: str) -> None:
    with serving(event_loop=kind) as running:
        binding_id = running.world.connected()

        token = running.stub.GetFreshToken(
            pb.GetFreshTokenRequest(binding_id=binding_id), metadata=bearer(SYNC_TOKEN), timeout=5
        )
        health = health_pb2_grpc.HealthStub(running.channel)
        first = next(iter(health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=5)))
        with pytest.raises(grpc.RpcError) as refused:
            running.stub.GetFreshToken(pb.GetFreshTokenRequest(binding_id=binding_id), timeout=5)

    assert token.access_token and token.binding_status == pb.BINDING_STATUS_CONNECTED
    assert first.status == health_pb2.HealthCheckResponse.SERVING
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
