"""The gate wraps each method once, at registration: who is calling is known inside the call,
and only there; generic handlers (never used by registered methods) are gated too."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

from adapters.grpc.auth import CALLER, CallerAuth
from adapters.grpc.callers import SERVICE_NAME
from adapters.grpc.gate import CallGate, GatedRegistry
from adapters.grpc.streams import OpenStreams, StreamLimits
from adapters.request_ids import current
from tests.unit.grpc.harness import CALLERS, READER_TOKEN, SYNC_TOKEN, Aborted, FakeContext

PATH = f"/{SERVICE_NAME}/GetBinding"


def gate() -> CallGate:
    return CallGate(CallerAuth(CALLERS), OpenStreams(StreamLimits()))


def seen_inside() -> grpc.RpcMethodHandler:
    async def behaviour(request: Any, context: Any) -> tuple[str | None, str | None]:
        return CALLER.get(), current()

    return grpc.unary_unary_rpc_method_handler(behaviour)


def run(handler: grpc.RpcMethodHandler, context: FakeContext) -> Any:
    return asyncio.run(handler.unary_unary(None, context))


@pytest.mark.parametrize("token, name", [(SYNC_TOKEN, "sync"), (READER_TOKEN, "reader")])
def test_the_caller_and_the_request_id_are_bound_inside_the_call(token: str, name: str) -> None:
    handler = gate().gated(PATH, seen_inside())
    metadata = (("authorization", f"Bearer {token}"), ("x-request-id", "edge-7"))

    assert run(handler, FakeContext(metadata, None)) == (name, "edge-7")
    assert CALLER.get() == "" and current() is None


def test_a_refused_call_never_reaches_the_method() -> None:
    handler = gate().gated(PATH, seen_inside())
    context = FakeContext((("authorization", "Bearer nobody-0123456789abcdef"),), None)

    with pytest.raises(Aborted):
        run(handler, context)
    assert context.code is grpc.StatusCode.UNAUTHENTICATED


class Server:
    def __init__(self) -> None:
        self.generic: tuple[grpc.GenericRpcHandler, ...] = ()

    def add_generic_rpc_handlers(self, handlers: tuple[grpc.GenericRpcHandler, ...]) -> None:
        self.generic = handlers

    def add_registered_method_handlers(self, name: str, handlers: dict[str, Any]) -> None:
        pass


class Details:
    def __init__(self, method: str) -> None:
        self.method, self.invocation_metadata = method, ()


def test_a_generic_handler_answers_through_the_gate_and_forgets_unknown_names() -> None:
    server = Server()
    inner = grpc.method_handlers_generic_handler(SERVICE_NAME, {"GetBinding": seen_inside()})
    GatedRegistry(server, gate()).add_generic_rpc_handlers((inner,))  # type: ignore[arg-type]
    (generic,) = server.generic

    handler = generic.service(Details(PATH))
    for n in range(100):
        assert generic.service(Details(f"/{SERVICE_NAME}/Nothing{n}")) is None

    assert generic.service(Details(PATH)) is handler
    assert len(generic._gated) == 1
    with pytest.raises(Aborted):
        run(handler, FakeContext((), None))
