"""Blocking work on the use-case pool, awaited on the event loop, one flight per key.

`LoopFlights.run(key, work, *args, timeout=...)` starts `work(*args)` on the pool unless a
call for the same key is already running, and awaits its outcome until `timeout`. Callers
who arrive while it runs wait for that same outcome as futures on the event loop, not as
threads: a thousand callers of one binding whose token is being refreshed hold one pool
thread between them (the refresh) and cost the loop a callback each when it lands.

The work itself is never cancelled: a caller whose deadline passes, or who goes away, stops
waiting (`TimeoutError`, or its cancellation), while the work runs to its end, commits (a
rotated grant) and leaves its result for the next call. Only the event loop's thread uses
a `LoopFlights`. `run_on_loop` is the same for work that is a coroutine on the loop itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import Executor, Future
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class LoopFlights(Generic[T]):
    def __init__(self, pool: Executor) -> None:
        self._pool = pool
        self._running: dict[Hashable, asyncio.Future[T]] = {}

    async def run(
        self, key: Hashable, work: Callable[..., T], *args: object, timeout: float | None
    ) -> T:
        flight = self._running.get(key)
        if flight is None or flight.done():  # done: landed, its clean-up not yet run
            flight = self._start(key, work, args)
        return await asyncio.wait_for(asyncio.shield(flight), timeout)

    async def run_on_loop(
        self, key: Hashable, work: Callable[..., Awaitable[T]], *args: object, timeout: float | None
    ) -> T:
        """The same, for work that is itself a coroutine: it runs as a task on this loop
        (and may hand part of itself to the pool), shared and never cancelled alike."""
        flight = self._running.get(key)
        if flight is None or flight.done():
            flight = self._track(key, asyncio.ensure_future(work(*args)))
        return await asyncio.wait_for(asyncio.shield(flight), timeout)

    def running(self) -> int:
        return len(self._running)

    def _start(
        self, key: Hashable, work: Callable[..., T], args: tuple[object, ...]
    ) -> asyncio.Future[T]:
        done: Future[T] = self._pool.submit(work, *args)
        done.add_done_callback(_retrieve)
        return self._track(key, asyncio.wrap_future(done))

    def _track(self, key: Hashable, flight: asyncio.Future[T]) -> asyncio.Future[T]:
        flight.add_done_callback(_retrieve_loop)
        self._running[key] = flight

        def landed(_: asyncio.Future[T]) -> None:
            if self._running.get(key) is flight:
                del self._running[key]

        flight.add_done_callback(landed)
        return flight


def _retrieve(done: Future[Any]) -> None:
    """Nobody may be waiting any more (the callers left); read the outcome so it is not
    reported as never retrieved. The use case has already logged what matters."""
    if not done.cancelled():
        done.exception()


def _retrieve_loop(flight: asyncio.Future[Any]) -> None:
    if not flight.cancelled():
        flight.exception()
