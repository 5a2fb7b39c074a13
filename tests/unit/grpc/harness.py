"""Servicer tests without sockets: the real gate (auth, request ids) in front of the real
`grpc.aio` servicer, on a World of fakes, with a stand-in for grpc's servicer context."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from adapters.grpc.auth import CallerAuth
from adapters.grpc.callers import SERVICE_NAME, parse_callers
from adapters.grpc.gate import CallGate, GatedRegistry
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.grpc.servicer import PRESERIALIZED, XeroConnectServicer
from adapters.grpc.streams import OpenStreams, StreamLimits
from tests.fakes.world import World

SYNC_TOKEN = "sync-token-0123456789abcdef"
READER_TOKEN = "reader-token-0123456789abcdef"
CALLERS = parse_callers(f"sync={SYNC_TOKEN}:*; reader={READER_TOKEN}:GetBinding")
DETAILS_KEY = "grpc-status-details-bin"


class _Captured:
    """Stands in for the server: keeps the handlers registered on it, by path."""

    def __init__(self) -> None:
        self.handlers: dict[str, grpc.RpcMethodHandler] = {}

    def add_registered_method_handlers(
        self, service_name: str, handlers: dict[str, grpc.RpcMethodHandler]
    ) -> None:
        self.handlers |= {f"/{service_name}/{name}": h for name, h in handlers.items()}

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        pass


class Aborted(Exception):
    """What `context.abort` raises on a real server, too: the handler stops there."""


class FakeContext:
    """The part of `grpc.aio.ServicerContext` that the gate and the servicer use."""

    def __init__(self, metadata: Sequence[tuple[str, str]], timeout: float | None) -> None:
        self._metadata = tuple(metadata)
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self.code: grpc.StatusCode = grpc.StatusCode.OK
        self.details = ""
        self.trailing_metadata: Sequence[tuple[str, Any]] = ()
        self.initial_metadata: Sequence[tuple[str, str]] = ()

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def peer(self) -> str:
        return "ipv4:127.0.0.1:50000"

    def time_remaining(self) -> float | None:
        return None if self._deadline is None else max(0.0, self._deadline - time.monotonic())

    def set_code(self, code: grpc.StatusCode) -> None:
        self.code = code

    def set_details(self, details: str) -> None:
        self.details = details

    def set_trailing_metadata(self, metadata: Sequence[tuple[str, Any]]) -> None:
        self.trailing_metadata = metadata

    async def send_initial_metadata(self, metadata: Sequence[tuple[str, str]]) -> None:
        self.initial_metadata = metadata

    async def abort(self, code: grpc.StatusCode, details: str = "") -> None:
        self.code, self.details = code, details
        raise Aborted(code)


@dataclass
class Outcome:
    response: Any
    trailing_metadata: Sequence[tuple[str, Any]]
    code: grpc.StatusCode
    details: str

    @property
    def status(self) -> status_pb2.Status | None:
        raw = dict(self.trailing_metadata).get(DETAILS_KEY)
        return status_pb2.Status.FromString(raw) if raw else None

    def detail(self, kind: type[Message]) -> Any:
        assert self.status is not None, "no google.rpc.Status in the trailers"
        for packed in self.status.details:
            if packed.Is(kind.DESCRIPTOR):
                found = kind()
                packed.Unpack(found)
                return found
        return None

    @property
    def reason(self) -> str:
        return self.detail(error_details_pb2.ErrorInfo).reason

    @property
    def retry_delay_s(self) -> float:
        return self.detail(error_details_pb2.RetryInfo).retry_delay.ToNanoseconds() / 1e9


class Harness:
    def __init__(self, world: World) -> None:
        self.world = world
        self.pool = ThreadPoolExecutor(4, thread_name_prefix="test-work")
        self._servicer = XeroConnectServicer(world.service, self.pool)
        gate = CallGate(CallerAuth(CALLERS), OpenStreams(StreamLimits()))
        self._server = _Captured()
        registry = GatedRegistry(self._server, gate, PRESERIALIZED)  # type: ignore[arg-type]
        pb_grpc.add_XeroConnectServiceServicer_to_server(  # type: ignore[no-untyped-call]
            self._servicer, registry
        )

    def call(
        self,
        method: str,
        request: Message,
        token: str | None = SYNC_TOKEN,
        timeout: float | None = None,
    ) -> Outcome:
        metadata = (("authorization", f"Bearer {token}"),) if token else ()
        return asyncio.run(self._call(method, request, metadata, timeout))

    async def _call(
        self,
        method: str,
        request: Message,
        metadata: Sequence[tuple[str, str]],
        timeout: float | None,
    ) -> Outcome:
        handler = self._server.handlers[f"/{SERVICE_NAME}/{method}"]
        context = FakeContext(metadata, timeout)
        try:
            response = await handler.unary_unary(request, context)
        except Aborted:
            response = None
        if isinstance(response, bytes):  # a PRESERIALIZED method: what goes on the wire
            response = getattr(pb, f"{method}Response").FromString(response)
        return Outcome(response, context.trailing_metadata, context.code, context.details)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
