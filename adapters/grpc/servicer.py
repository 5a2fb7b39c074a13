"""XeroConnectService: thin handlers that convert, call one use case, and convert back.

GetFreshToken runs the use case on a separate pool and waits for it at most until the
caller's deadline. A refresh that outlives the deadline is not abandoned: it finishes,
commits the rotated grant and leaves the new token for the next call (DESIGN §5), while the
caller gets DEADLINE_EXCEEDED on time.
"""

from __future__ import annotations

from concurrent.futures import Executor
from concurrent.futures import TimeoutError as FutureTimeout

import grpc

from adapters.grpc import convert
from adapters.grpc.errors import DeadlinePassed, guarded
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from domain.errors import ValidationFailed
from domain.service import LedgerConnect

MAX_ID_LENGTH = 128
# Above this, time_remaining() means "no deadline" (grpc reports an infinite one as huge).
NO_DEADLINE_S = 24 * 3600.0
AUTH_FAILURE_STATUSES = frozenset({401, 403})


class XeroConnectServicer(pb_grpc.XeroConnectServiceServicer):
    def __init__(self, service: LedgerConnect, token_pool: Executor) -> None:
        self._fresh_token = service.tokens.fresh_token
        self._cached_token = service.tokens.cached_token
        self._ref_data = service.reference.cached
        self._binding = service.queries.binding
        self._report_auth_failure = service.checker.report_auth_failure
        self._token_pool = token_pool

    @guarded(pb.GetFreshTokenResponse())
    def GetFreshToken(
        self, request: pb.GetFreshTokenRequest, context: grpc.ServicerContext
    ) -> pb.GetFreshTokenResponse:
        binding_id = _binding_id(request.binding_id)
        cached = self._cached_token(binding_id)
        if cached is not None:
            return convert.fresh_token(cached)
        budget = _budget(context)
        future = self._token_pool.submit(self._fresh_token, binding_id, budget)
        try:
            token = future.result(timeout=budget)
        except FutureTimeout:
            raise DeadlinePassed(
                "the deadline passed before the token was refreshed; the refresh carries on "
                "and the next call gets its token"
            ) from None
        return convert.fresh_token(token)

    @guarded(pb.GetRefDataResponse())
    def GetRefData(
        self, request: pb.GetRefDataRequest, context: grpc.ServicerContext
    ) -> pb.GetRefDataResponse:
        cache = self._ref_data(_binding_id(request.binding_id), request.force_refresh)
        return convert.ref_data(cache)

    @guarded(pb.GetBindingResponse())
    def GetBinding(
        self, request: pb.GetBindingRequest, context: grpc.ServicerContext
    ) -> pb.GetBindingResponse:
        return convert.binding(self._binding(_binding_id(request.binding_id)))

    @guarded(pb.ReportXeroAuthFailureResponse())
    def ReportXeroAuthFailure(
        self, request: pb.ReportXeroAuthFailureRequest, context: grpc.ServicerContext
    ) -> pb.ReportXeroAuthFailureResponse:
        binding_id = _binding_id(request.binding_id)
        if request.http_status not in AUTH_FAILURE_STATUSES:
            raise ValidationFailed("http_status must be 401 or 403, what Xero answered")
        status = self._report_auth_failure(binding_id, request.http_status)
        return pb.ReportXeroAuthFailureResponse(binding_status=convert.STATUS[status])


def _binding_id(value: str) -> str:
    if not value or len(value) > MAX_ID_LENGTH:
        raise ValidationFailed(f"binding_id is required, at most {MAX_ID_LENGTH} characters")
    return value


def _budget(context: grpc.ServicerContext) -> float | None:
    remaining = context.time_remaining()
    return None if remaining is None or remaining > NO_DEADLINE_S else remaining
