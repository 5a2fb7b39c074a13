"""Servicer tests without sockets: grpcio-testing in front of the real servicer and auth
interceptor, on a World of fakes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import grpc
import grpc_testing
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from adapters.grpc.auth import CallerAuthInterceptor
from adapters.grpc.callers import SERVICE, SERVICE_NAME, parse_callers
from adapters.grpc.servicer import XeroConnectServicer
from tests.fakes.world import World

SYNC_TOKEN = "sync-token-0123456789abcdef"
READER_TOKEN = "reader-token-0123456789abcdef"
CALLERS = parse_callers(f"sync={SYNC_TOKEN}:*; reader={READER_TOKEN}:GetBinding")
DETAILS_KEY = "grpc-status-details-bin"


class _CallDetails(NamedTuple):
    method: str
    invocation_metadata: Sequence[tuple[str, str]]


class ThroughInterceptor:
    """Hands grpcio-testing (which knows no interceptors) each servicer method wrapped in the
    interceptor, so the real auth code decides before the servicer runs."""

    def __init__(self, servicer: object, interceptor: grpc.ServerInterceptor) -> None:
        self._servicer = servicer
        self._interceptor = interceptor

    def __getattr__(self, name: str) -> Callable[[Any, grpc.ServicerContext], Any]:
        implementation = getattr(self._servicer, name)

        def call(request: Any, context: grpc.ServicerContext) -> Any:
            details = _CallDetails(f"/{SERVICE_NAME}/{name}", context.invocation_metadata())
            handler = self._interceptor.intercept_service(
                lambda _: grpc.unary_unary_rpc_method_handler(implementation), details
            )
            return handler.unary_unary(request, context)

        return call


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
        self.pool = ThreadPoolExecutor(4, thread_name_prefix="test-token")
        servicer = XeroConnectServicer(world.service, self.pool)
        self._server = grpc_testing.server_from_dictionary(
            {SERVICE: ThroughInterceptor(servicer, CallerAuthInterceptor(CALLERS))},
            grpc_testing.strict_real_time(),
        )

    def call(
        self,
        method: str,
        request: Message,
        token: str | None = SYNC_TOKEN,
        timeout: float | None = None,
    ) -> Outcome:
        metadata = (("authorization", f"Bearer {token}"),) if token else ()
        rpc = self._server.invoke_unary_unary(
            SERVICE.methods_by_name[method], metadata, request, timeout
        )
        return Outcome(*rpc.termination())

    def close(self) -> None:
        self.pool.shutdown(wait=True)
