"""Correlation ids: one per HTTP request (`X-Request-ID` in and out) and per gRPC call
(`x-request-id` metadata in and out), held in a context variable and put on every log record
by `RequestIdFilter`. A presented id is kept when it is short and plain; otherwise, or when
none is presented, a new random one is made, so a caller cannot inject text into the logs.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

HEADER = "X-Request-ID"
METADATA_KEY = "x-request-id"
_SAFE = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
T = TypeVar("T")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def current() -> str | None:
    return _current.get()


# A new id is this process's random prefix and a counter: 32 hex digits like a UUID's, unique
# across replicas and restarts, at the cost of a format rather than a read of the OS's random
# source on every call (ids correlate log lines; they are not secrets).
_PREFIX = secrets.token_hex(8)
_COUNTER = itertools.count(int.from_bytes(secrets.token_bytes(4), "big") << 16)


def new_id() -> str:
    return f"{_PREFIX}{next(_COUNTER) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


def accepted(presented: str | None) -> str:
    """The caller's id if it is plain enough to log, else a new one."""
    return presented if presented and _SAFE.match(presented) else new_id()


@contextmanager
def bound(request_id: str) -> Iterator[str]:
    """Log records made inside carry `request_id`."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


def bind(request_id: str) -> contextvars.Token[str | None]:
    """`bound` without the context manager, for the gRPC hot path: `unbind` the token after."""
    return _current.set(request_id)


def unbind(token: contextvars.Token[str | None]) -> None:
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record (None outside a request, call or sweep tick)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _current.get()
        return True


class RequestIds:
    """WSGI middleware: binds the request's id and answers it in `X-Request-ID`."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = accepted(environ.get("HTTP_X_REQUEST_ID"))

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            kept = [(k, v) for k, v in headers if k.lower() != HEADER.lower()]
            return start_response(status, [*kept, (HEADER, request_id)], *exc_info)

        with bound(request_id):
            return self._app(environ, start)


class ContextThreadPool(ThreadPoolExecutor):
    """A pool whose tasks run in the submitter's context, so they log its request id."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        run: Callable[..., T] = contextvars.copy_context().run
        return super().submit(run, fn, *args, **kwargs)


def metadata_value(metadata: Sequence[tuple[str, str | bytes]], key: str) -> str | None:
    for name, value in metadata:
        if name == key and isinstance(value, str):
            return value
    return None
