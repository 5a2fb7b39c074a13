"""XeroConnectService on `grpc.aio`: thin handlers that convert, call one use case, convert back.

The use cases block (database, Xero), so they run on a bounded pool of threads; the event
loop only waits, and a stream that waits costs no thread at all. The one exception is a
token still in the in-process cache: a dictionary read, answered on the loop without a hop.
Every token handed out is counted for the credential read audit, in memory (`ReadRecorder`).

Each blocking call is awaited at most until the caller's deadline. The work itself is
shielded: a refresh that outlives the deadline, or whose caller cancelled, finishes, commits
the rotated grant and leaves the new token for the next call (DESIGN §5), while the caller
gets DEADLINE_EXCEEDED on time.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, Future
from datetime import timedelta
from typing import Any, TypeVar

import grpc

from adapters.grpc import convert, filters
from adapters.grpc.auth import CALLER
from adapters.grpc.binding_ids import validated
from adapters.grpc.errors import DeadlinePassed, guarded, refuse
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.grpc.watch import BindingWatches, Bookmark
from domain.errors import StorageUnavailable, ValidationFailed
from domain.service import LedgerConnect

# Above this, time_remaining() means "no deadline" (grpc reports an infinite one as huge).
NO_DEADLINE_S = 24 * 3600.0
AUTH_FAILURE_STATUSES = frozenset({401, 403})
T = TypeVar("T")
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


class XeroConnectServicer(pb_grpc.XeroConnectServiceServicer):
    def __init__(
        self, service: LedgerConnect, pool: Executor, watches: BindingWatches | None = None
    ) -> None:
        self._fresh_token = service.tokens.fresh_token
        self._cached_token = service.tokens.cached_token
        self._ref_data = service.reference.cached
        self._binding = service.queries.binding
        self._report_auth_failure = service.checker.report_auth_failure
        self._report_token_failure = service.checker.report_token_failure
        self._list_bindings = service.list_bindings
        self._record_read = service.reads.record
        self._pool = pool
        self._watches = watches

    @guarded(pb.GetFreshTokenResponse())
    async def GetFreshToken(
        self, request: pb.GetFreshTokenRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetFreshTokenResponse:
        binding_id = validated(request.binding_id)
        min_valid_for = _min_valid_for(request)
        cached = self._cached_token(binding_id, min_valid_for)
        if cached is None:
            budget = _budget(context)
            work = self._fresh_token
            cached = await self._blocking(context, work, binding_id, budget, min_valid_for)
        self._record_read(CALLER.get(), binding_id)
        return convert.fresh_token(cached)

    @guarded(pb.GetRefDataResponse())
    async def GetRefData(
        self, request: pb.GetRefDataRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetRefDataResponse:
        binding_id = validated(request.binding_id)
        cache = await self._blocking(context, self._ref_data, binding_id, request.force_refresh)
        if request.if_revision and request.if_revision == cache.revision:
            return convert.ref_data_unchanged(cache)
        return convert.ref_data(cache)

    @guarded(pb.GetBindingResponse())
    async def GetBinding(
        self, request: pb.GetBindingRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetBindingResponse:
        view = await self._blocking(context, self._binding, validated(request.binding_id))
        return convert.binding(view)

    @guarded(pb.ReportXeroAuthFailureResponse())
    async def ReportXeroAuthFailure(
        self, request: pb.ReportXeroAuthFailureRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReportXeroAuthFailureResponse:
        binding_id = validated(request.binding_id)
        if request.http_status not in AUTH_FAILURE_STATUSES:
            raise ValidationFailed("http_status must be 401 or 403, what Xero answered")
        if request.token_sha256:
            fingerprint = _sha256(request.token_sha256)
            found = await self._blocking(
                context, self._report_token_failure, binding_id, fingerprint
            )
            return pb.ReportXeroAuthFailureResponse(
                binding_status=convert.STATUS[found.status],
                newer_token_available=found.newer_token,
            )
        report = self._report_auth_failure
        status = await self._blocking(context, report, binding_id, request.http_status)
        return pb.ReportXeroAuthFailureResponse(binding_status=convert.STATUS[status])

    @guarded(pb.ListBindingsResponse())
    async def ListBindings(
        self, request: pb.ListBindingsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListBindingsResponse:
        after_id = filters.after_id(request.page_token)
        scope = filters.scope(request.filter)
        work = self._list_bindings
        page = await self._blocking(context, work, after_id, request.page_size, scope)
        return pb.ListBindingsResponse(
            bindings=map(convert.binding_summary, page.bindings),
            next_page_token=filters.page_token(page.last_id),
            revision=page.revision,
        )

    async def WatchBindings(
        self, request: pb.WatchBindingsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchBindingsResponse]:
        """On the loop all along: the stream never takes a thread of the unary pool."""
        try:
            if self._watches is None:
                raise StorageUnavailable("this server does not stream events")
            scope = filters.scope(request.filter)
            async for item in self._watches.follow(request.after_revision, scope):
                if isinstance(item, Bookmark):
                    yield pb.WatchBindingsResponse(bookmark=pb.Bookmark(revision=item.revision))
                else:
                    yield pb.WatchBindingsResponse(event=convert.event(item))
        except Exception as error:
            refuse(context, error, "WatchBindings", "")

    async def _blocking(
        self, context: grpc.aio.ServicerContext, work: Callable[..., T], *args: object
    ) -> T:
        """`work(*args)` on the pool, awaited until the deadline; it runs to its end anyway."""
        done: Future[T] = self._pool.submit(work, *args)
        done.add_done_callback(_retrieve)
        try:
            return await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(done)), _budget(context)
            )
        except TimeoutError:
            raise DeadlinePassed(
                "the deadline passed before the answer was ready; the work carries on "
                "(a refresh commits, and the next call gets its token)"
            ) from None


def _retrieve(done: Future[Any]) -> None:
    """Nobody may be waiting any more (the caller left); read the outcome so it is not
    reported as never retrieved. The use case has already logged what matters."""
    if not done.cancelled():
        done.exception()


def _min_valid_for(request: pb.GetFreshTokenRequest) -> timedelta | None:
    """Unset or zero: no minimum beyond the skew; the use case checks the range."""
    if not request.HasField("min_valid_for"):
        return None
    try:
        value = request.min_valid_for.ToTimedelta()
    except (OverflowError, ValueError):
        raise ValidationFailed("min_valid_for is not a valid duration") from None
    return value or None


def _sha256(value: str) -> str:
    fingerprint = value.strip().lower()
    if not HEX_SHA256.fullmatch(fingerprint):
        raise ValidationFailed("token_sha256 must be the 64 hex digits of a SHA-256")
    return fingerprint


def _budget(context: grpc.aio.ServicerContext) -> float | None:
    remaining = context.time_remaining()
    return None if remaining is None or remaining > NO_DEADLINE_S else remaining
