"""Caller authentication: a server interceptor that checks bearer tokens before any servicer runs.

Only XeroConnectService is guarded; health (probes carry no credentials) and reflection (it
reveals only the public contract) stay open. A call without a known token is UNAUTHENTICATED;
a known caller asking for a method it was not granted is PERMISSION_DENIED, decided here,
before anything looks the binding up, so refusals say nothing about which bindings exist.

The presented token is hashed once (SHA-256) and compared with `hmac.compare_digest` against
every configured caller, without stopping at a match: the time taken does not depend on
which caller matched or on the token's length. Everything else is precomputed, so the
per-call cost is one metadata scan, one hash and a few comparisons.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import grpc

from adapters.grpc.callers import SERVICE_NAME, CallerConfig

log = logging.getLogger(__name__)

Continuation = Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None]


@dataclass(frozen=True, slots=True)
class _Caller:
    name: str
    digest: bytes
    paths: frozenset[str]


class CallerAuthInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]  # no grpc stubs
    def __init__(self, callers: Sequence[CallerConfig], service_name: str = SERVICE_NAME) -> None:
        self._prefix = f"/{service_name}/"
        self._callers = tuple(
            _Caller(c.name, _digest(c.token), frozenset(self._prefix + m for m in c.allowed()))
            for c in callers
        )
        self._unauthenticated = _refusal(
            grpc.StatusCode.UNAUTHENTICATED, "send a known caller token as 'authorization: Bearer'"
        )
        self._forbidden = _refusal(
            grpc.StatusCode.PERMISSION_DENIED, "this caller may not use this method"
        )
        if not callers:
            log.warning("no gRPC callers are configured; every XeroConnectService call is refused")

    def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        if not method.startswith(self._prefix):
            return continuation(handler_call_details)
        caller = self.identify(handler_call_details.invocation_metadata)
        if caller is None:
            return self._unauthenticated
        if method not in caller.paths:
            log.warning("gRPC caller %s may not call %s", caller.name, method)
            return self._forbidden
        return continuation(handler_call_details)

    def identify(self, metadata: Sequence[tuple[str, str | bytes]] | None) -> _Caller | None:
        presented = _bearer_token(metadata or ())
        if presented is None:
            return None
        digest = _digest(presented)
        found = None
        for caller in self._callers:
            if hmac.compare_digest(digest, caller.digest):
                found = caller
        return found


def _bearer_token(metadata: Sequence[tuple[str, str | bytes]]) -> str | None:
    for key, value in metadata:
        if key == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _refusal(code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler:
    def refuse(request: object, context: grpc.ServicerContext) -> None:
        context.abort(code, message)

    return grpc.unary_unary_rpc_method_handler(refuse)
