"""WatchBindings streams on the server's event loop: one pump and one fan-out per process.

A stream holds no thread. It starts where the fan-out's memory covers its revision, or
reads the outbox on a small pool of its own (never the unary calls' pool) until it gets
there; then it waits on a queue that the fan-out fills from the pump's batches, which reach
the loop with one `call_soon_threadsafe` per batch whatever the number of watchers. A
bookmark (the revision delivered through) goes out when the stream is live and whenever
nothing else went out for `bookmark_s`; it is only ever sent with the queue empty, so it
never runs ahead of an event not yet sent. A watcher that stops reading is dropped by the
fan-out once its queue holds `QUEUE_LIMIT` batches and reads the outbox again from its own
cursor, so a slow reader costs memory in proportion to the limit, not to the traffic.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from domain.errors import ValidationFailed
from domain.events import BindingEvent, EventFilter
from domain.fanout import FanOut, Mailbox, Watcher
from domain.ports import EventWakeups
from domain.usecases.watch import READ_BATCH, EventPump, EventReader, EventSink, checked_scope

QUEUE_LIMIT = 256
CATCH_UP_READERS = 2


@dataclass(frozen=True, slots=True)
class Bookmark:
    revision: int


@dataclass(frozen=True, slots=True)
class WatchSettings:
    bookmark_s: float = 10.0
    poll_s: float = 1.0


class _Queue(Mailbox):
    def __init__(self) -> None:
        # None: the fan-out dropped this watcher.
        self.queue: asyncio.Queue[Sequence[BindingEvent] | None] = asyncio.Queue()

    def deliver(self, events: Sequence[BindingEvent]) -> bool:
        if self.queue.qsize() >= QUEUE_LIMIT:
            return False
        self.queue.put_nowait(events)
        return True

    def dropped(self) -> None:
        self.queue.put_nowait(None)


class _OnLoop(EventSink):
    """The pump's batches, handed to the fan-out on the event loop's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fanout: FanOut) -> None:
        self._loop = loop
        self._fanout = fanout
        self.ready = asyncio.Event()

    def publish(self, events: Sequence[BindingEvent], through: int) -> None:
        self._loop.call_soon_threadsafe(self._publish, events, through)

    def restart(self, head: int) -> None:
        self._loop.call_soon_threadsafe(self._fanout.restart, head)

    def _publish(self, events: Sequence[BindingEvent], through: int) -> None:
        self._fanout.publish(events, through)
        self.ready.set()


class BindingWatches:
    """Every WatchBindings stream of one server. `start` and `stop` run on its loop."""

    def __init__(
        self,
        reader: EventReader,
        wakeups: EventWakeups | None = None,
        settings: WatchSettings = WatchSettings(),  # noqa: B008 - frozen
    ) -> None:
        self._reader = reader
        self._wakeups = wakeups
        self._settings = settings
        self._fanout = FanOut()
        self._readers = ThreadPoolExecutor(CATCH_UP_READERS, thread_name_prefix="watch-read")
        self._sink: _OnLoop | None = None
        self._pump: EventPump | None = None
        self._closing = False
        # Streams the fan-out dropped for not reading (each then caught up on its own).
        self.dropped = 0

    @property
    def watchers(self) -> int:
        return self._fanout.watchers

    async def start(self) -> None:
        self._sink = _OnLoop(asyncio.get_running_loop(), self._fanout)
        self._pump = EventPump(self._reader, self._sink, self._wakeups, self._settings.poll_s)
        self._pump.start()

    async def stop(self) -> None:
        """End every stream now (OK: its client resumes elsewhere with its last revision)
        rather than at the end of the server's grace; then the pump."""
        self._closing = True
        self._fanout.restart(self._fanout.head or 0)
        if self._pump is not None:
            await asyncio.to_thread(self._pump.stop)
        self._readers.shutdown(wait=False, cancel_futures=True)

    async def follow(
        self, after: int, scope: EventFilter
    ) -> AsyncIterator[BindingEvent | Bookmark]:
        """Events after `after` that `scope` matches, then live, with bookmarks; raises the
        domain's refusals (a compacted or future revision)."""
        assert self._sink is not None, "start() first"
        checked_scope(scope)
        if after < 0:
            raise ValidationFailed("after_revision is never negative")
        await self._sink.ready.wait()
        loop = asyncio.get_running_loop()
        cursor, checked, quiet_since = after, False, time.monotonic()
        while not self._closing:
            mailbox = _Queue()
            watcher = Watcher(scope, cursor, mailbox)
            if self._fanout.join(watcher, checked):
                try:
                    async for item in self._live(watcher, mailbox):
                        yield item
                finally:
                    self._fanout.leave(watcher)
                self.dropped += not self._closing
                cursor, checked, quiet_since = watcher.cursor, False, time.monotonic()
                continue
            page = await loop.run_in_executor(self._readers, self._reader.after, cursor)
            for event in page.events:
                if scope.matches(event):
                    yield event
                    quiet_since = time.monotonic()
            cursor, checked = page.through, len(page.events) < READ_BATCH
            if time.monotonic() - quiet_since >= self._settings.bookmark_s:
                yield Bookmark(cursor)
                quiet_since = time.monotonic()

    async def _live(
        self, watcher: Watcher, mailbox: _Queue
    ) -> AsyncIterator[BindingEvent | Bookmark]:
        """Until the fan-out drops the watcher (it then catches up from its cursor)."""
        announced = False
        while True:
            if mailbox.queue.empty() and not announced:
                announced = True
                yield Bookmark(watcher.cursor)
            try:
                batch = await asyncio.wait_for(mailbox.queue.get(), self._settings.bookmark_s)
            except TimeoutError:
                if mailbox.queue.empty():
                    yield Bookmark(watcher.cursor)
                continue
            if batch is None:
                return
            for event in batch:
                yield event
