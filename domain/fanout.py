"""The watchers of one process and the newest events they share (DESIGN §12).

One `FanOut` per process holds the newest events read from the outbox and every watcher
following them; the pump (`usecases.watch.EventPump`) hands it each batch once, however many
watchers there are. Each watcher gets the events after its cursor that its filter matches,
exactly once and in revision order, and its cursor moves with every batch, matched or not,
so its bookmarks move on too. A watcher whose cursor lies before the events held here (it
starts far behind, or it stopped reading and was dropped) is not taken: it reads the outbox
itself until it is close, then joins. Not thread-safe: one thread (the gRPC server's event
loop) drives it.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from domain.events import BindingEvent, EventFilter

KEEP_EVENTS = 10_000


class Mailbox(Protocol):
    def deliver(self, events: Sequence[BindingEvent]) -> bool:
        """Take matching events; False when the watcher cannot take more now (it is then
        dropped and catches up from the outbox on its own)."""
        ...

    def dropped(self) -> None:
        """The fan-out let go of this watcher; it catches up from its cursor."""
        ...


@dataclass(eq=False)
class Watcher:
    scope: EventFilter
    cursor: int
    mailbox: Mailbox = field(repr=False)


class FanOut:
    def __init__(self, keep: int = KEEP_EVENTS) -> None:
        self._recent: deque[BindingEvent] = deque(maxlen=keep)
        self._head: int | None = None
        self._watchers: set[Watcher] = set()

    @property
    def head(self) -> int | None:
        """The newest revision handed on, None until the pump's first batch."""
        return self._head

    @property
    def watchers(self) -> int:
        return len(self._watchers)

    def covers(self, cursor: int) -> bool:
        """Whether every event after `cursor` is held here or yet to come."""
        return self._head is not None and self._oldest() - 1 <= cursor <= self._head

    def join(self, watcher: Watcher, checked: bool = False) -> bool:
        """Follow from the watcher's cursor: the held events after it at once, then every batch.
        A cursor beyond the head is taken only when `checked` (the outbox has it: another
        replica's pump is ahead of this one), and events up to it are skipped on arrival."""
        beyond = self._head is not None and watcher.cursor > self._head
        if not (self.covers(watcher.cursor) or (beyond and checked)):
            return False
        self._watchers.add(watcher)
        # The held revisions are consecutive, so the first one after the cursor is found
        # by arithmetic.
        skip = max(0, watcher.cursor - self._oldest() + 1)
        self._send(watcher, list(itertools.islice(self._recent, skip, None)))
        return True

    def leave(self, watcher: Watcher) -> None:
        self._watchers.discard(watcher)

    def publish(self, events: Sequence[BindingEvent], through: int) -> None:
        """The pump read these, the next revisions after the head, up to `through`."""
        if self._head is not None and events and events[0].revision != self._head + 1:
            self.restart(through)
            return
        self._recent.extend(events)
        self._head = max(self._head or 0, through)
        for watcher in list(self._watchers):
            self._send(watcher, events)

    def restart(self, head: int) -> None:
        """Forget what is held (the pump lost its place): every watcher catches up alone."""
        self._recent.clear()
        self._head = head
        dropped, self._watchers = self._watchers, set()
        for watcher in dropped:
            watcher.mailbox.dropped()

    def _send(self, watcher: Watcher, events: Sequence[BindingEvent]) -> None:
        matching = [
            e for e in events if (e.revision or 0) > watcher.cursor and watcher.scope.matches(e)
        ]
        if matching and not watcher.mailbox.deliver(matching):
            self._watchers.discard(watcher)
            watcher.mailbox.dropped()
            return
        watcher.cursor = max(watcher.cursor, self._head or 0)

    def _oldest(self) -> int:
        assert self._head is not None
        return (self._recent[0].revision or 0) if self._recent else self._head + 1
