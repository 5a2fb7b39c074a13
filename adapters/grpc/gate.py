"""The one interceptor every call passes: request id, caller auth, stream caps.

One layer rather than three, because each `grpc.aio` interceptor costs a coroutine per call
on the hot path. In order: the method's handler is looked up (a dict read; nothing of the
servicer runs), the caller is judged (`auth.CallerAuth`), and a refused call gets a refusal
of the method's own shape, so a refused stream ends at once instead of waiting for a first
message. An allowed call runs with its request id bound for logs (a caller that sent
`x-request-id` gets it back as initial metadata); a streaming call first takes a slot
under the stream caps (`streams.OpenStreams`) and gives it back when it ends.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from adapters.grpc.auth import CALLER, CallerAuth, Verdict
from adapters.grpc.streams import OpenStreams, peer_host
from adapters.request_ids import METADATA_KEY, accepted, bound, metadata_value

Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]]
Behaviour = Callable[[Any, grpc.aio.ServicerContext], Any]

REFUSALS = {
    Verdict.UNAUTHENTICATED: (
        grpc.StatusCode.UNAUTHENTICATED,
        "send a known caller token as 'authorization: Bearer'",
    ),
    Verdict.FORBIDDEN: (grpc.StatusCode.PERMISSION_DENIED, "this caller may not use this method"),
}
TOO_MANY_STREAMS = "too many open streams from this peer or in all; close some and retry"
_KINDS = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")


class CallGate(grpc.aio.ServerInterceptor):  # type: ignore[misc]  # grpc ships no type stubs
    def __init__(self, auth: CallerAuth, streams: OpenStreams) -> None:
        self._auth = auth
        self._streams = streams
        self._refusals = {
            (verdict, kind): _refusal(kind, *refusal)
            for verdict, refusal in REFUSALS.items()
            for kind in _KINDS
        }

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        metadata = handler_call_details.invocation_metadata or ()
        sent = metadata_value(metadata, METADATA_KEY)
        request_id = accepted(sent)
        with bound(request_id):
            verdict, caller = self._auth.judge(handler_call_details.method, metadata)
        kind = _kind(handler)
        if verdict in REFUSALS:
            return self._refusals[verdict, kind]
        name = caller.name if caller else ""
        wrapped = _with_request_id(getattr(handler, kind), request_id, name, sent is not None)
        if kind != "unary_unary":
            wrapped = _capped(wrapped, self._streams)
        return handler._replace(**{kind: wrapped})


def _kind(handler: grpc.RpcMethodHandler) -> str:
    streaming = (handler.request_streaming, handler.response_streaming)
    return {
        (False, False): "unary_unary",
        (False, True): "unary_stream",
        (True, False): "stream_unary",
        (True, True): "stream_stream",
    }[streaming]


def _with_request_id(behaviour: Behaviour, request_id: str, caller: str, echo: bool) -> Behaviour:
    """The call runs with its request id bound for logs and its caller's name in `CALLER`."""
    if inspect.isasyncgenfunction(behaviour):

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            token = CALLER.set(caller)
            try:
                with bound(request_id):
                    if echo:
                        await context.send_initial_metadata(((METADATA_KEY, request_id),))
                    async for response in behaviour(request, context):
                        yield response
            finally:
                CALLER.reset(token)

        return stream

    async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
        token = CALLER.set(caller)
        try:
            with bound(request_id):
                if echo:
                    await context.send_initial_metadata(((METADATA_KEY, request_id),))
                return await behaviour(request, context)
        finally:
            CALLER.reset(token)

    return call


def _capped(behaviour: Behaviour, streams: OpenStreams) -> Behaviour:
    if inspect.isasyncgenfunction(behaviour):

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            peer = peer_host(context.peer())
            if not streams.admit(peer):
                await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, TOO_MANY_STREAMS)
            try:
                async for response in behaviour(request, context):
                    yield response
            finally:
                streams.release(peer)

        return stream

    async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
        peer = peer_host(context.peer())
        if not streams.admit(peer):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, TOO_MANY_STREAMS)
        try:
            return await behaviour(request, context)
        finally:
            streams.release(peer)

    return call


def _refusal(kind: str, code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler:
    async def refuse(request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(code, message)

    make = getattr(grpc, f"{kind}_rpc_method_handler")
    handler: grpc.RpcMethodHandler = make(refuse)
    return handler
