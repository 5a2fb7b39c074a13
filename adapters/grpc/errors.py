"""Every refusal of the gRPC API, mapped from domain errors to status codes through ONE table.

Explained refusals carry the error's message and a `google.rpc.Status` with an `ErrorInfo`
(reason = the domain error's stable code, domain "ledger.xero.v1", metadata binding_id);
UNAVAILABLE adds a `RetryInfo`. INTERNAL says nothing beyond "internal error" (the cause is
logged here). UNAUTHENTICATED and PERMISSION_DENIED come from the auth interceptor, before a
servicer runs.

Statuses are set on the context and an empty response returned, rather than
`context.abort_with_status`, because grpcio-testing implements only the former; on a real
server both put the same code, message and `grpc-status-details-bin` trailer on the wire.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from adapters.grpc.binding_ids import echoable
from domain.errors import (
    BindingDisconnected,
    BindingNotConnected,
    CorruptSecret,
    DomainError,
    NotFound,
    ProviderUnavailable,
    ReauthRequired,
    StorageUnavailable,
    ValidationFailed,
)

log = logging.getLogger(__name__)

ERROR_DOMAIN = "ledger.xero.v1"
INTERNAL_MESSAGE = "internal error"


class DeadlinePassed(DomainError):
    """The caller's deadline passed first; the work it started carries on to the end."""

    code = "DEADLINE_EXCEEDED"


@dataclass(frozen=True, slots=True)
class Rule:
    """`explained`: the caller gets the message and an ErrorInfo (else "internal error" and
    a log line here); `retry_after_s`: a RetryInfo, unless the error knows its own delay."""

    code: grpc.StatusCode
    explained: bool = True
    retry_after_s: float | None = None


Code = grpc.StatusCode
RULES: dict[type[Exception], Rule] = {
    NotFound: Rule(Code.NOT_FOUND),
    ValidationFailed: Rule(Code.INVALID_ARGUMENT),
    ReauthRequired: Rule(Code.FAILED_PRECONDITION),
    BindingNotConnected: Rule(Code.FAILED_PRECONDITION),
    BindingDisconnected: Rule(Code.FAILED_PRECONDITION),
    ProviderUnavailable: Rule(Code.UNAVAILABLE, retry_after_s=30.0),
    StorageUnavailable: Rule(Code.UNAVAILABLE, retry_after_s=1.0),
    DeadlinePassed: Rule(Code.DEADLINE_EXCEEDED),
    CorruptSecret: Rule(Code.INTERNAL, explained=False),
    # Any other refusal (Xero refused the organisation, environment not configured, ...):
    # retrying will not help until something changes; the reason says what.
    DomainError: Rule(Code.FAILED_PRECONDITION),
}
UNEXPECTED = Rule(Code.INTERNAL, explained=False)


def rule_for(error: BaseException) -> Rule:
    return next((RULES[t] for t in type(error).__mro__ if t in RULES), UNEXPECTED)


def refuse(context: grpc.ServicerContext, error: Exception, method: str, binding_id: str) -> None:
    """Put the status for `error` on `context`; the servicer then returns an empty response.
    `binding_id` is echoed and logged, so it must have passed `binding_ids.echoable`."""
    rule = rule_for(error)
    if not (rule.explained and isinstance(error, DomainError)):
        _log_internal(error, method, binding_id)
        context.set_code(rule.code)
        context.set_details(INTERNAL_MESSAGE)
        return
    status = rpc_status.to_status(_rich_status(rule, error, binding_id))
    context.set_code(status.code)
    context.set_details(status.details)
    context.set_trailing_metadata(status.trailing_metadata)


def _rich_status(rule: Rule, error: DomainError, binding_id: str) -> status_pb2.Status:
    metadata = {"binding_id": binding_id} if binding_id else {}
    metadata.update(getattr(error, "metadata", {}))
    info = error_details_pb2.ErrorInfo(reason=error.code, domain=ERROR_DOMAIN, metadata=metadata)
    details = [_packed(info)]
    if rule.retry_after_s is not None:
        delay = getattr(error, "retry_after", None) or rule.retry_after_s
        retry = error_details_pb2.RetryInfo(retry_delay=_duration(delay))
        details.append(_packed(retry))
    return status_pb2.Status(code=rule.code.value[0], message=error.message, details=details)


def _packed(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def _duration(seconds: float) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(round(seconds * 1e9))
    return duration


def _log_internal(error: Exception, method: str, binding_id: str) -> None:
    if isinstance(error, CorruptSecret):
        log.error("%s for binding %s: a stored secret failed authentication", method, binding_id)
    else:
        log.exception("%s for binding %s failed unexpectedly", method, binding_id, exc_info=error)


Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


def guarded(empty: Message) -> Callable[[Handler], Handler]:
    """Wrap an async servicer method so that any exception becomes a refusal and `empty` is
    returned. Cancellation (the caller went away) is not an exception here and passes."""

    def wrap(handler: Handler) -> Handler:
        method = handler.__name__

        @functools.wraps(handler)
        async def run(self: object, request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                return await handler(self, request, context)
            except Exception as error:
                refuse(context, error, method, echoable(getattr(request, "binding_id", "")))
                return empty

        return run  # type: ignore[return-value]

    return wrap
