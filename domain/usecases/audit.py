"""The audit of credential reads (DESIGN §13): counted in memory on the hot path, written in
batches, shown to the merchant and to operators.

`record` runs on every token handed out, so it takes no lock and does no I/O: each thread
counts into a dictionary of its own (one writer per dictionary, so no increment is lost), and
the counts only ever grow. `flush` (every few seconds, and at shutdown) writes what grew
since the last successful flush as one row per day, caller and binding, and only then
remembers it as written: a flush that fails leaves it for the next.

A flush reads only the tallies that grew, not every one held (100,000 after a busy day, a
scan that cost 2% of `serve`'s CPU): a thread appends a tally to its `grown` list when it
creates it or counts into it while all of it is written, and the flusher takes the list's
head (`del grown[:n]` after copying it: one step each, and appends only lengthen the
tail, so none is lost). A count that lands while the flusher writes the tally is seen by
the flusher itself, which reads the count again after marking it written and keeps the
tally for the next flush if it moved.

Replicas flush the same rows; storage merges them (counts added, earliest first read, latest
last read).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

from domain.ports import Clock, CredentialReadLog, UnitOfWorkFactory
from domain.reads import CredentialReads
from domain.usecases.access import owned_binding

# (day, caller, binding id)
Key = tuple[date, str, str]
# How long counts stay in memory once written: today's and yesterday's keep growing.
KEPT_DAYS = 1
_NEVER = datetime.min.replace(tzinfo=UTC)


class _Tally:
    """One thread's reads of one caller and binding on one day, and how many of them are
    written (`written` is the flusher's alone)."""

    __slots__ = ("count", "first", "last", "written")

    def __init__(self, now: datetime) -> None:
        self.count = 1
        self.first = self.last = now
        self.written = 0


# caller -> binding id -> tally: no tuple per binding, the caller's name shared by all.
_DayCounts = dict[str, dict[str, _Tally]]


# A tally that grew since it was last all written, under its key.
_Grown = tuple[date, str, str, _Tally]


class _ThreadReads:
    """One thread's tallies by day, then caller, then binding id; only that thread adds to
    them. `today` is the day being counted (`day`), from `since` until `until`; `grown` the
    tallies that began to grow since the flusher last took the list's head."""

    __slots__ = ("days", "today", "day", "since", "until", "grown")

    def __init__(self) -> None:
        self.days: dict[date, _DayCounts] = {}
        self.today: _DayCounts = {}
        self.day = date.min
        self.since = self.until = _NEVER
        self.grown: list[_Grown] = []

    def count_on(self, now: datetime) -> None:
        day = self.day = now.date()
        self.today = self.days.setdefault(day, {})
        self.since = datetime.combine(day, time.min, tzinfo=now.tzinfo)
        self.until = self.since + timedelta(days=1)


class ReadRecorder:
    """Each tally holds its own written mark, so what the recorder keeps per binding and day
    is one dictionary entry and one four-field tally (about 85 bytes, 200 with the binding's
    id and the two read times each holds), and a flush holds only what grew."""

    def __init__(self, log: CredentialReadLog, clock: Clock, *, enabled: bool = True) -> None:
        """`enabled=False` records nothing (the fast-path benchmark's baseline)."""
        self._log = log
        self._clock = clock
        self._enabled = enabled
        self._local = threading.local()
        self._threads: list[_ThreadReads] = []
        self._joining = threading.Lock()
        self._flushing = threading.Lock()
        self._carried: list[tuple[Key, _Tally]] = []  # the flusher's: for the next flush

    def record(self, caller: str, binding_id: str) -> None:
        """`caller` was handed a credential of `binding_id`, now."""
        if not self._enabled:
            return
        now = self._clock.now()
        try:
            mine: _ThreadReads = self._local.reads
        except AttributeError:
            mine = self._join()
        if not mine.since <= now < mine.until:
            mine.count_on(now)
        by_binding = mine.today.get(caller)
        if by_binding is None:
            by_binding = mine.today[caller] = {}
        tally = by_binding.get(binding_id)
        if tally is None:
            tally = by_binding[binding_id] = _Tally(now)
            mine.grown.append((mine.day, caller, binding_id, tally))
        else:
            tally.count += 1
            tally.last = now
            if tally.count - 1 == tally.written:  # all of it was written: it grows again
                mine.grown.append((mine.day, caller, binding_id, tally))

    def flush(self) -> list[CredentialReads]:
        """Write the reads counted since the last flush and return them; storage trouble is
        raised, and those reads are written by the next flush instead."""
        with self._flushing:
            grown = self._grown()
            try:
                unwritten, marks = self._unwritten(grown)
                if unwritten:
                    self._log.add(unwritten)
            except BaseException:
                self._carried = grown
                raise
            carried = []
            for key, tally, count in marks:
                tally.written = count
                if tally.count != count:  # counted into while it was written
                    carried.append((key, tally))
            self._carried = carried
            self._forget(self._clock.now().date() - timedelta(days=KEPT_DAYS))
        return unwritten

    def _join(self) -> _ThreadReads:
        mine = _ThreadReads()
        with self._joining:
            self._threads.append(mine)
        self._local.reads = mine
        return mine

    def _grown(self) -> list[tuple[Key, _Tally]]:
        """The tallies that grew since the last flush, each once: what that flush carried
        over and the head of every thread's list, taken while the threads go on counting."""
        with self._joining:
            threads = list(self._threads)
        grown = {id(tally): (key, tally) for key, tally in self._carried}
        for mine in threads:
            head = mine.grown[:]
            del mine.grown[: len(head)]
            for day, caller, binding_id, tally in head:
                grown[id(tally)] = ((day, caller, binding_id), tally)
        return list(grown.values())

    @staticmethod
    def _unwritten(
        grown: list[tuple[Key, _Tally]],
    ) -> tuple[list[CredentialReads], list[tuple[Key, _Tally, int]]]:
        merged: dict[Key, CredentialReads] = {}
        marks: list[tuple[Key, _Tally, int]] = []
        for key, tally in grown:
            count, first, last = tally.count, tally.first, tally.last
            if count > tally.written:
                # A clock stepped back may have put the last read before the first.
                first, last = min(first, last), max(first, last)
                grown_by = CredentialReads(*key, count - tally.written, first, last)
                merged[key] = merged[key].merged(grown_by) if key in merged else grown_by
                marks.append((key, tally, count))
        return sorted(merged.values(), key=lambda r: r.key), marks

    def _forget(self, before: date) -> None:
        """Drop days before `before` once all their counts are written, except the day a
        thread still counts into (one idle since then, or whose clock stepped back)."""
        with self._joining:
            threads = list(self._threads)
        for mine in threads:
            for day, counts in list(mine.days.items()):
                if day >= before or counts is mine.today:
                    continue
                tallies = [t for by_binding in counts.values() for t in by_binding.values()]
                if all(t.count == t.written for t in tallies):
                    del mine.days[day]


class ReadAudit:
    """Credential reads as the merchant (one binding, today) and operators see them."""

    def __init__(self, log: CredentialReadLog, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._log = log
        self._uow = uow
        self._clock = clock

    def today(self, account_id: str, binding_id: str) -> list[CredentialReads]:
        """Today's reads (UTC) of one of the account's bindings, most read first."""
        with self._uow() as uow:
            owned_binding(uow, account_id, binding_id)
        return self._log.query(since=self._clock.now().date(), binding_id=binding_id)

    def search(
        self,
        *,
        binding_id: str | None = None,
        caller: str | None = None,
        days: int = 7,
        limit: int = 1000,
    ) -> list[CredentialReads]:
        """The last `days` days (today included), newest first."""
        since = self._clock.now().date() - timedelta(days=max(1, days) - 1)
        return self._log.query(since=since, binding_id=binding_id, caller=caller, limit=limit)
