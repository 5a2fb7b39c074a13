"""The gate every call passes: request id, caller auth, stream caps, inside the method itself.

The gate is not a `grpc.aio` interceptor: an interceptor runs per call as coroutines of its
own (grpc's continuation, the interceptor, a handler rebuilt around a new closure), which on
the cached `GetFreshToken` cost more than the method. Instead each method's behaviour is
wrapped once, when it is registered (`GatedRegistry`, which the generated `add_*_to_server`
helpers take in place of the server), and the wrapper does per call, in one coroutine: bind
the request id for logs (a caller that sent a plain `x-request-id` keeps it and gets it back
as initial metadata; any other gets a new one), judge the caller (`auth.CallerAuth`), refuse
with UNAUTHENTICATED or PERMISSION_DENIED before the method runs, and, for a streaming call,
take a slot under the stream caps (`streams.OpenStreams`) and give it back when it ends. A
refused stream ends at once, before it reads a message. The caller's name is bound in `auth.CALLER`,
for the credential read audit.

Nothing is allocated per call beyond what grpc hands over: the wrappers, the refusals and the
echo metadata's key are made at registration.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any

import grpc

from adapters.grpc.auth import CALLER, CallerAuth, Verdict
from adapters.grpc.streams import OpenStreams, peer_host
from adapters.request_ids import METADATA_KEY, accepted, bind, metadata_value, unbind

Behaviour = Callable[[Any, grpc.aio.ServicerContext], Any]

REFUSALS = {
    Verdict.UNAUTHENTICATED: (
        grpc.StatusCode.UNAUTHENTICATED,
        "send a known caller token as 'authorization: Bearer'",
    ),
    Verdict.FORBIDDEN: (grpc.StatusCode.PERMISSION_DENIED, "this caller may not use this method"),
}
TOO_MANY_STREAMS = "too many open streams from this peer or in all; close some and retry"


class CallGate:
    def __init__(self, auth: CallerAuth, streams: OpenStreams) -> None:
        self._auth = auth
        self._streams = streams

    def gated(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """`handler` (of the method at path `method`) behind the gate; done once per method."""
        kind = _kind(handler)
        behaviour = getattr(handler, kind)
        if kind == "unary_unary":
            wrapped = self._unary(method, behaviour)
        elif inspect.isasyncgenfunction(behaviour):
            wrapped = self._stream(method, behaviour)
        else:
            wrapped = self._stream_call(method, behaviour)
        return handler._replace(**{kind: wrapped})

    def _admit(
        self, method: str, metadata: Any
    ) -> tuple[contextvars.Token[str | None], contextvars.Token[str], str | None, Verdict]:
        """Bind the request id, then judge the caller under it (a refusal logs its id)."""
        sent = metadata_value(metadata, METADATA_KEY)
        request_id = accepted(sent)
        id_token = bind(request_id)
        verdict, caller = self._auth.judge(method, metadata)
        caller_token = CALLER.set(caller.name if caller is not None else "")
        return id_token, caller_token, request_id if sent is not None else None, verdict

    def _unary(self, method: str, behaviour: Behaviour) -> Behaviour:
        admit, refusals = self._admit, REFUSALS

        async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
            id_token, caller_token, echo, verdict = admit(method, context.invocation_metadata())
            try:
                if verdict in refusals:
                    await context.abort(*refusals[verdict])
                if echo is not None:
                    await context.send_initial_metadata(((METADATA_KEY, echo),))
                return await behaviour(request, context)
            finally:
                CALLER.reset(caller_token)
                unbind(id_token)

        return call

    @contextlib.asynccontextmanager
    async def _open_stream(
        self, method: str, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[None]:
        """A streaming call's admission, whichever way its method is written: the request id
        and caller bound, a refusal or a full stream cap aborted before the method runs, a
        slot under the caps held until the stream ends."""
        id_token, caller_token, echo, verdict = self._admit(method, context.invocation_metadata())
        try:
            if verdict in REFUSALS:
                await context.abort(*REFUSALS[verdict])
            peer = peer_host(context.peer())
            if not self._streams.admit(peer):
                await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, TOO_MANY_STREAMS)
            try:
                if echo is not None:
                    await context.send_initial_metadata(((METADATA_KEY, echo),))
                yield
            finally:
                self._streams.release(peer)
        finally:
            CALLER.reset(caller_token)
            unbind(id_token)

    def _stream(self, method: str, behaviour: Behaviour) -> Behaviour:
        """A method that answers with a stream (an async generator)."""
        opened = self._open_stream

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async with opened(method, context):
                async for response in behaviour(request, context):
                    yield response

        return stream

    def _stream_call(self, method: str, behaviour: Behaviour) -> Behaviour:
        """A streaming method written as a coroutine (reads and writes on its context)."""
        opened = self._open_stream

        async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async with opened(method, context):
                return await behaviour(request, context)

        return call


class GatedRegistry:
    """Stands in for the server in the generated `add_*_to_server(servicer, registry)` helpers:
    every handler they register reaches the server behind the gate. `preserialized` names
    methods (full paths) whose behaviour returns the response's bytes already serialized."""

    def __init__(
        self, server: grpc.aio.Server, gate: CallGate, preserialized: Iterable[str] = ()
    ) -> None:
        self._server = server
        self._gate = gate
        self._preserialized = frozenset(preserialized)

    def add_registered_method_handlers(
        self, service_name: str, method_handlers: Mapping[str, grpc.RpcMethodHandler]
    ) -> None:
        gated = {
            name: self._gate.gated(
                f"/{service_name}/{name}", self._serializing(service_name, name, h)
            )
            for name, h in method_handlers.items()
        }
        self._server.add_registered_method_handlers(service_name, gated)

    def add_generic_rpc_handlers(self, generic_handlers: Iterable[grpc.GenericRpcHandler]) -> None:
        """Registered methods never reach these; any other call they answer is gated too."""
        self._server.add_generic_rpc_handlers(
            tuple(_GatedGeneric(h, self._gate) for h in generic_handlers)
        )

    def _serializing(
        self, service_name: str, name: str, handler: grpc.RpcMethodHandler
    ) -> grpc.RpcMethodHandler:
        if f"/{service_name}/{name}" in self._preserialized:
            return handler._replace(response_serializer=None)
        return handler


class _GatedGeneric(grpc.GenericRpcHandler):  # type: ignore[misc]  # grpc ships no stubs
    def __init__(self, inner: grpc.GenericRpcHandler, gate: CallGate) -> None:
        self._inner = inner
        self._gate = gate
        self._gated: dict[str, grpc.RpcMethodHandler] = {}

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        gated = self._gated.get(method)
        if gated is None:
            handler = self._inner.service(handler_call_details)
            if handler is None:
                return None  # not remembered: a peer may send any number of unknown names
            gated = self._gated[method] = self._gate.gated(method, handler)
        return gated


def _kind(handler: grpc.RpcMethodHandler) -> str:
    streaming = (handler.request_streaming, handler.response_streaming)
    return {
        (False, False): "unary_unary",
        (False, True): "unary_stream",
        (True, False): "stream_unary",
        (True, True): "stream_stream",
    }[streaming]
