"""List, then watch (DESIGN §9, §12): pages of bindings with the revision they reflect, the
outbox read after a revision, and the pump that feeds one process's watchers.

Revisions become visible in commit order (the outbox numbers them at commit), so a reader
that sees revision N sees every event below it; these readers rely on that and never skip.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.binding import Binding
from domain.errors import RevisionCompacted, ValidationFailed
from domain.events import BindingEvent, EventFilter, EventPage
from domain.ports import EventWakeups, UnitOfWorkFactory

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_FILTER_IDS = 1000
READ_BATCH = 500


@dataclass(frozen=True, slots=True)
class BindingPage:
    """`revision`: every event up to it is reflected in the page (later ones may be too).
    `last_id`: where the next page starts; empty on the last page."""

    bindings: tuple[Binding, ...]
    revision: int
    last_id: str


def checked_scope(scope: EventFilter) -> EventFilter:
    if len(scope.binding_ids) > MAX_FILTER_IDS:
        raise ValidationFailed(f"a filter names at most {MAX_FILTER_IDS} binding ids")
    return scope


class ListBindings:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, after_id: str, page_size: int, scope: EventFilter) -> BindingPage:
        if page_size < 0:
            raise ValidationFailed("page_size must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        with self._uow() as uow:
            # The revision first: a change committed after it is in the page or in the
            # watch that follows, and a watch from it may show a change the page has.
            revision = uow.events.revision()
            found = uow.bindings.page(after_id, size + 1, checked_scope(scope))
        page = tuple(found[:size])
        last_id = page[-1].id if len(found) > size else ""
        return BindingPage(page, revision, last_id)


class EventReader:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def current(self) -> int:
        with self._uow() as uow:
            return uow.events.revision()

    def after(self, revision: int, limit: int = READ_BATCH) -> EventPage:
        """Events after `revision`, oldest first; `through` is the last one's revision, or
        `revision` when nothing newer is committed. Refuses a revision whose successors
        compaction removed, and one beyond the newest committed."""
        if revision < 0:
            raise ValidationFailed("a revision is never negative")
        with self._uow() as uow:
            events = uow.events.after(revision, limit)
            # Read after the events: a compaction that ran between the two only makes this
            # refuse a page that was in fact complete.
            if revision < uow.events.compacted_through():
                current = uow.events.revision()
                raise RevisionCompacted(
                    f"events after revision {revision} were compacted; list again and "
                    f"watch from the list's revision (now {current})",
                    current,
                )
            if not events and revision > uow.events.revision():
                raise ValidationFailed(f"revision {revision} is beyond the newest one")
        through = (events[-1].revision or revision) if events else revision
        return EventPage(tuple(events), through)


class EventSink(Protocol):
    """Where the pump hands what it read (the fan-out, on its own thread)."""

    def publish(self, events: Sequence[BindingEvent], through: int) -> None: ...

    def restart(self, head: int) -> None:
        """The pump lost its place (compaction overtook it): start again from `head`."""
        ...


class EventPump:
    """One thread per process that reads the outbox once for all its watchers: at start, on
    every wake-up (another replica committed; PostgreSQL NOTIFY) and every `poll_s` (the
    fallback, and all there is on SQLite). Each batch goes to `publish` (the fan-out)."""

    def __init__(
        self,
        reader: EventReader,
        sink: EventSink,
        wakeups: EventWakeups | None = None,
        poll_s: float = 1.0,
    ) -> None:
        self._reader = reader
        self._sink = sink
        self._wakeups = wakeups
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.head: int | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="event-pump", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def pump_once(self) -> None:
        """Hand on everything committed since the last batch (or the head, at first)."""
        if self.head is None:
            self.head = self._reader.current()
            self._sink.publish((), self.head)
        while True:
            try:
                page = self._reader.after(self.head)
            except RevisionCompacted as compacted:
                self.head = compacted.current_revision
                self._sink.restart(self.head)
                return
            if not page.events:
                return
            self.head = page.through
            self._sink.publish(page.events, page.through)
            if len(page.events) < READ_BATCH:
                return

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.pump_once()
            except Exception:
                log.exception("reading the event outbox failed; trying again")
            self._wait()

    def _wait(self) -> None:
        if self._wakeups is None:
            self._stop.wait(self._poll_s)
            return
        try:
            self._wakeups.wait(self._poll_s)
        except Exception:
            log.exception("waiting for event notifications failed; polling")
            self._stop.wait(self._poll_s)
