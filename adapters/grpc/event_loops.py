"""The event loops the gRPC server can run on: uvloop (libuv; grpc's per-call work on the loop
costs less there, README "Performance") or the standard library's. uvloop is imported only
when asked for, so `asyncio` works wherever uvloop does not install."""

from __future__ import annotations

import asyncio

EVENT_LOOPS = ("uvloop", "asyncio")
DEFAULT_EVENT_LOOP = EVENT_LOOPS[0]


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        import uvloop  # only when asked for

        return uvloop.new_event_loop()
    if kind == "asyncio":
        return asyncio.new_event_loop()
    raise ValueError(f"event loop {kind!r} is not one of {', '.join(EVENT_LOOPS)}")
