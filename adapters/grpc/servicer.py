"""XeroConnectService on `grpc.aio`: thin handlers that convert, call one use case, convert back.

The use cases block (database, Xero), so they run on a bounded pool of threads; the event
loop only waits, and a stream that waits costs no thread at all. The one exception is a
token still in the in-process cache: a dictionary read, answered on the loop without a hop.

`GetFreshToken` is the hot path of every sync service, so it is written for it: its answer
goes out as bytes (the method is registered without a serializer, `PRESERIALIZED`), and the
bytes of each binding's cached token are kept beside it (`WireCache`), so a cached call reads
two dictionaries, compares one identity and hands grpc the same bytes object again: nothing
is converted, serialized or allocated by us. A miss, and every caller of the same binding
that arrives while it runs, share one flight (`flights.LoopFlights`): one read awaited on the
loop itself (`LoopTokenViews`, no thread in between), and a call on the pool only for what
that read does not settle (a refusal, a backoff, a refresh). The waiters wait on the event
loop, so a refresh storm holds one thread, not one per caller. Every token
handed out is counted for the credential read audit, in memory (`ReadRecorder`).

Each blocking call is awaited at most until the caller's deadline. The work itself is
shielded: a refresh that outlives the deadline, or whose caller cancelled, finishes, commits
the rotated grant and leaves the new token for the next call (DESIGN §5), while the caller
gets DEADLINE_EXCEEDED on time.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, Future
from datetime import timedelta
from typing import Any, TypeVar

import grpc

from adapters.grpc import convert, filters
from adapters.grpc.auth import CALLER
from adapters.grpc.binding_ids import echoable, validated
from adapters.grpc.callers import SERVICE_NAME
from adapters.grpc.errors import DeadlinePassed, guarded, refuse
from adapters.grpc.flights import LoopFlights
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.grpc.watch import BindingWatches, Bookmark
from domain.errors import CorruptSecret, StorageUnavailable, ValidationFailed
from domain.ports import LoopTokenViews
from domain.service import LedgerConnect
from domain.usecases.tokens import FreshToken

# Above this, time_remaining() means "no deadline" (grpc reports an infinite one as huge).
NO_DEADLINE_S = 24 * 3600.0
AUTH_FAILURE_STATUSES = frozenset({401, 403})
# After the loop's miss read fails (or outlasts LOOP_READ_TIMEOUT_S), misses take the pool
# alone for this long.
LOOP_READ_REST_S = 1.0
LOOP_READ_TIMEOUT_S = 0.5
T = TypeVar("T")
_log = logging.getLogger(__name__)
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
# Methods whose behaviour returns its response already serialized (see GatedRegistry).
PRESERIALIZED = (f"/{SERVICE_NAME}/GetFreshToken",)
DEADLINE_PASSED = (
    "the deadline passed before the answer was ready; the work carries on "
    "(a refresh commits, and the next call gets its token)"
)


class WireCache:
    """The serialized answer for each binding's cached token, valid while the token cache
    still hands out that same token object. Bounded like the token cache: once it holds
    `prune_at` entries, those whose token the cache no longer hands out are dropped (and
    the threshold doubles with what stays)."""

    def __init__(self, current: Callable[[str], FreshToken | None], prune_at: int = 1024) -> None:
        self._current = current
        self._entries: dict[str, tuple[FreshToken, bytes]] = {}
        self._min_prune_at = self._prune_at = prune_at

    def get(self, binding_id: str, token: FreshToken) -> bytes | None:
        entry = self._entries.get(binding_id)
        return entry[1] if entry is not None and entry[0] is token else None

    def render(self, token: FreshToken) -> bytes:
        """The answer for `token`, kept if it is the token the cache hands out (a token that
        merely still works, handed out uncached, is serialized and forgotten)."""
        wire = self.get(token.binding_id, token)
        if wire is None:
            wire = convert.fresh_token(token).SerializeToString()
            if self._current(token.binding_id) is token:
                self._entries[token.binding_id] = (token, wire)
                if len(self._entries) >= self._prune_at:
                    self._prune()
        return wire

    def _prune(self) -> None:
        self._entries = {
            key: entry for key, entry in self._entries.items() if self._current(key) is entry[0]
        }
        self._prune_at = max(self._min_prune_at, 2 * len(self._entries))

    def __len__(self) -> int:
        return len(self._entries)


class XeroConnectServicer(pb_grpc.XeroConnectServiceServicer):
    def __init__(
        self,
        service: LedgerConnect,
        pool: Executor,
        watches: BindingWatches | None = None,
        loop_views: LoopTokenViews | None = None,
    ) -> None:
        self._fresh_token = service.tokens.fresh_token
        self._cached_token = service.tokens.cached_token
        self._from_view = service.tokens.from_view
        self._loop_views = loop_views
        self._loop_views_back_at = 0.0
        self._ref_data = service.reference.cached
        self._binding = service.queries.binding
        self._report_auth_failure = service.checker.report_auth_failure
        self._report_token_failure = service.checker.report_token_failure
        self._list_bindings = service.list_bindings
        self._record_read = service.reads.record
        self._pool = pool
        self._watches = watches
        self._flights: LoopFlights[FreshToken] = LoopFlights(pool)
        self._wire = WireCache(self._cached_token)

    async def GetFreshToken(  # answers bytes: PRESERIALIZED
        self, request: pb.GetFreshTokenRequest, context: grpc.aio.ServicerContext
    ) -> bytes:
        binding_id = request.binding_id
        try:
            if request.HasField("min_valid_for"):
                min_valid_for = _min_valid_for(request)
                token = self._cached_token(validated(binding_id), min_valid_for)
            else:
                min_valid_for = None
                token = self._cached_token(binding_id)
                if token is not None:
                    wire = self._wire.get(binding_id, token)
                    if wire is not None:
                        self._record_read(CALLER.get(), binding_id)
                        return wire  # the hot path: dictionary reads, one identity check
                else:
                    validated(binding_id)
            if token is None:
                token = await self._miss(binding_id, min_valid_for, context)
            self._record_read(CALLER.get(), binding_id)
            return self._wire.render(token)
        except Exception as error:
            refuse(context, error, "GetFreshToken", echoable(binding_id))
            return b""

    async def _miss(
        self,
        binding_id: str,
        min_valid_for: timedelta | None,
        context: grpc.aio.ServicerContext,
    ) -> FreshToken:
        """Not in the cache: one flight for this binding (and minimum life) at a time,
        whoever else is waiting for it; the loop read first where the server has one
        (`_resolve`), else the use case on the pool."""
        budget = _budget(context)
        key = (binding_id, min_valid_for)
        try:
            if self._loop_views is None:
                run = self._flights.run
                return await run(
                    key, self._fresh_token, binding_id, budget, min_valid_for, timeout=budget
                )
            run_on_loop = self._flights.run_on_loop
            return await run_on_loop(
                key, self._resolve, binding_id, budget, min_valid_for, timeout=budget
            )
        except TimeoutError:
            raise DeadlinePassed(DEADLINE_PASSED) from None

    async def _resolve(
        self, binding_id: str, budget: float, min_valid_for: timedelta | None
    ) -> FreshToken:
        """One read awaited on the loop; the use case on the pool for what it does not settle
        (a refusal, a backoff, a token to refresh) or when the read fails or stalls (past
        LOOP_READ_TIMEOUT_S, or the caller's budget if shorter). After a failure of the
        read itself (not one row's sealed token) the loop read rests for LOOP_READ_REST_S,
        so an outage costs each miss no extra wait; the pool gets what is left of the
        budget."""
        assert self._loop_views is not None
        began = time.monotonic()
        if began >= self._loop_views_back_at:
            try:
                async with asyncio.timeout(min(budget, LOOP_READ_TIMEOUT_S)):
                    view = await self._loop_views.view(binding_id)
            except CorruptSecret:
                pass  # this row's trouble (a key to re-read, say): the pool settles it
            except Exception as error:  # noqa: BLE001 - the pooled path is the authority
                self._loop_views_back_at = time.monotonic() + LOOP_READ_REST_S
                _log.warning(
                    "the cache miss read on the event loop failed (%s); misses take the "
                    "thread pool for %.0f s",
                    type(error).__name__,
                    LOOP_READ_REST_S,
                )
            else:
                token = self._from_view(view, min_valid_for)
                if token is not None:
                    return token
        left = max(0.0, budget - (time.monotonic() - began))
        work = self._pool.submit(self._fresh_token, binding_id, left, min_valid_for)
        return await asyncio.wrap_future(work)

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
            raise DeadlinePassed(DEADLINE_PASSED) from None


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
