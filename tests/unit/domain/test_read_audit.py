"""The audit of credential reads on fakes: counted in memory, written in batches, merged."""

from __future__ import annotations

import gc
import sys
import threading
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.errors import NotFound, StorageUnavailable
from domain.reads import CredentialReads
from domain.usecases.audit import ReadRecorder
from tests.fakes.misc import FakeClock
from tests.fakes.reads import FakeCredentialReadLog
from tests.fakes.world import World

T0 = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
DAY = T0.date()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def log() -> FakeCredentialReadLog:
    return FakeCredentialReadLog()


@pytest.fixture
def recorder(log: FakeCredentialReadLog, clock: FakeClock) -> ReadRecorder:
    return ReadRecorder(log, clock)


def stored(
    log: FakeCredentialReadLog,
) -> dict[tuple[date, str, str], tuple[int, datetime, datetime]]:
    return {key: (r.count, r.first_at, r.last_at) for key, r in log.rows.items()}


class Discarding(FakeCredentialReadLog):
    """A log that counts what each write held and keeps none of it."""

    def __init__(self, sizes: list[int]) -> None:
        super().__init__()
        self._sizes = sizes

    def add(self, reads: Sequence[CredentialReads]) -> None:
        self._sizes.append(len(reads))


class TestCounting:
    def test_one_row_per_caller_and_binding_with_the_first_and_last_read(
        self, recorder: ReadRecorder, log: FakeCredentialReadLog, clock: FakeClock
    ) -> None:
        for _ in range(3):
            recorder.record("sync-invoices", "b-1")
            clock.advance(minutes=1)
        recorder.record("sync-stock", "b-1")
        recorder.record("sync-invoices", "b-2")

        written = recorder.flush()

        assert [(r.caller, r.binding_id, r.count) for r in written] == [
            ("sync-invoices", "b-1", 3),
            ("sync-invoices", "b-2", 1),
            ("sync-stock", "b-1", 1),
        ]
        assert stored(log)[DAY, "sync-invoices", "b-1"] == (3, T0, T0 + timedelta(minutes=2))

    def test_reads_are_written_in_one_batch_never_one_write_per_read(
        self, recorder: ReadRecorder, log: FakeCredentialReadLog
    ) -> None:
        for _ in range(1_000):
            recorder.record("sync-invoices", "b-1")
        assert log.writes == 0, "recording writes nothing"

        recorder.flush()
        recorder.flush()

        assert log.writes == 1, "one write for the batch; nothing new, nothing written"
        assert stored(log)[DAY, "sync-invoices", "b-1"][0] == 1_000

    def test_a_flush_writes_only_what_was_counted_since_the_last(
        self, recorder: ReadRecorder, log: FakeCredentialReadLog, clock: FakeClock
    ) -> None:
        recorder.record("sync-invoices", "b-1")
        recorder.flush()
        clock.advance(minutes=5)
        recorder.record("sync-invoices", "b-1")
        recorder.record("sync-invoices", "b-1")

        (written,) = recorder.flush()

        assert written.count == 2
        assert stored(log)[DAY, "sync-invoices", "b-1"] == (3, T0, T0 + timedelta(minutes=5))

    def test_reads_either_side_of_midnight_count_on_their_own_day(
        self, recorder: ReadRecorder, log: FakeCredentialReadLog, clock: FakeClock
    ) -> None:
        clock.current = datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)
        recorder.record("sync-invoices", "b-1")
        clock.advance(seconds=2)
        recorder.record("sync-invoices", "b-1")
        recorder.record("sync-invoices", "b-1")
        clock.current = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a clock stepped back
        recorder.record("sync-invoices", "b-1")

        recorder.flush()

        counts = {day: count for (day, _, _), (count, _, _) in stored(log).items()}
        assert counts == {date(2026, 12, 1): 2, date(2026, 12, 2): 2}

    def test_written_days_leave_memory_once_every_thread_moved_on(
        self, recorder: ReadRecorder, clock: FakeClock
    ) -> None:
        recorder.record("sync-invoices", "b-1")
        recorder.flush()
        clock.advance(days=3)
        recorder.flush()
        held = recorder._threads[0].days  # memory, which only this test looks at
        assert list(held) == [DAY], "kept: this thread still counts into it"

        recorder.record("sync-invoices", "b-1")
        recorder.flush()

        assert list(held) == [DAY + timedelta(days=3)]

    def test_a_clock_stepped_back_into_a_day_already_written_still_counts(
        self, recorder: ReadRecorder, log: FakeCredentialReadLog, clock: FakeClock
    ) -> None:
        recorder.record("sync-invoices", "b-1")
        recorder.flush()
        clock.advance(days=3)
        recorder.record("sync-invoices", "b-1")
        recorder.flush()
        clock.current = T0

        recorder.record("sync-invoices", "b-1")
        recorder.flush()

        assert stored(log)[DAY, "sync-invoices", "b-1"][0] == 2

    def test_what_is_kept_per_binding_stays_small_once_written(self, clock: FakeClock) -> None:
        # At 100,000 bindings read in a day this is serve's memory. The recorder's own part
        # (the ids and the clock's one datetime are shared here): 291 bytes a binding with a
        # written-marks dictionary beside the tallies, 85 with one entry and one tally.
        ids = [f"binding-{n:06d}-0000-0000-000000000000" for n in range(10_000)]
        written: list[int] = []
        recorder = ReadRecorder(Discarding(written), clock)
        gc.collect()
        tracemalloc.start()
        try:
            for _ in range(2):
                for binding_id in ids:
                    recorder.record("sync-invoices", binding_id)
                clock.advance(seconds=10)
                recorder.flush()
            gc.collect()
            kept, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert written == [10_000, 10_000]
        assert kept / len(ids) < 150, f"{kept / len(ids):.0f} bytes kept per binding"

    def test_off_records_nothing(self, log: FakeCredentialReadLog, clock: FakeClock) -> None:
        recorder = ReadRecorder(log, clock, enabled=False)
        recorder.record("sync-invoices", "b-1")

        assert recorder.flush() == []
        assert log.writes == 0


def count_while_flushing(
    recorder: ReadRecorder, count: Callable[[int], None], threads: int
) -> None:
    """`count(n)` on `threads` threads started at once, flushing until all are done, then
    once more."""
    start = threading.Barrier(threads + 1)

    def counting(number: int) -> None:
        start.wait()
        count(number)

    workers = [threading.Thread(target=counting, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    while any(w.is_alive() for w in workers):
        recorder.flush()
    recorder.flush()


class TestThreadsAndFailures:
    def test_no_read_is_lost_while_threads_count_and_flushes_run(
        self, recorder: ReadRecorder, log: FakeCredentialReadLog
    ) -> None:
        threads, each = 8, 5_000

        def count(number: int) -> None:
            for _ in range(each):
                recorder.record(f"caller-{number % 2}", "b-1")

        count_while_flushing(recorder, count, threads)

        counts = {caller: count for (_, caller, _), (count, _, _) in stored(log).items()}
        assert counts == {"caller-0": threads // 2 * each, "caller-1": threads // 2 * each}

    def test_no_read_is_lost_when_threads_switch_at_every_step(
        self, recorder: ReadRecorder, log: FakeCredentialReadLog
    ) -> None:
        """Counts landing while the flusher takes a thread's list or marks a tally written:
        the interpreter switches threads every microsecond, so they land between any two
        steps of a flush."""
        threads, each, bindings = 4, 3_000, 7

        def count(number: int) -> None:
            for n in range(each):
                recorder.record("caller", f"b-{(n + number) % bindings}")

        switch = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        try:
            count_while_flushing(recorder, count, threads)
        finally:
            sys.setswitchinterval(switch)

        assert sum(count for count, _, _ in stored(log).values()) == threads * each
        assert recorder.flush() == []

    def test_a_flush_reads_only_the_tallies_that_grew(
        self, recorder: ReadRecorder, log: FakeCredentialReadLog
    ) -> None:
        for n in range(1_000):
            recorder.record("caller", f"b-{n}")
        recorder.flush()
        recorder.record("caller", "b-7")

        assert len(recorder._grown()) == 1  # not the thousand it holds

    def test_a_failed_flush_keeps_its_reads_for_the_next(
        self, recorder: ReadRecorder, log: FakeCredentialReadLog
    ) -> None:
        recorder.record("sync-invoices", "b-1")
        log.failing = True
        with pytest.raises(StorageUnavailable):
            recorder.flush()
        recorder.record("sync-invoices", "b-1")
        log.failing = False

        recorder.flush()

        assert stored(log)[DAY, "sync-invoices", "b-1"][0] == 2


class TestReplicas:
    def test_two_replicas_flushing_one_row_merge_counts_first_and_last(
        self, log: FakeCredentialReadLog, clock: FakeClock
    ) -> None:
        early, late = ReadRecorder(log, clock), ReadRecorder(log, clock)
        early.record("sync-invoices", "b-1")
        clock.advance(minutes=10)
        late.record("sync-invoices", "b-1")
        late.record("sync-invoices", "b-1")
        clock.advance(minutes=10)
        early.record("sync-invoices", "b-1")

        late.flush()
        early.flush()

        assert stored(log)[DAY, "sync-invoices", "b-1"] == (4, T0, T0 + timedelta(minutes=20))

    def test_tallies_merge_only_within_one_day_caller_and_binding(self) -> None:
        one = CredentialReads(DAY, "sync-invoices", "b-1", 1, T0, T0)
        with pytest.raises(ValueError):
            one.merged(CredentialReads(DAY, "sync-stock", "b-1", 1, T0, T0))


class TestWhatPeopleSee:
    def test_the_merchant_sees_today_for_their_own_binding_only(self) -> None:
        world = World()
        world.clock.current = T0
        account = world.account()
        binding_id = world.connected(account)
        other = world.account("other@example.com")
        world.service.reads.record("sync-invoices", binding_id)
        world.clock.advance(days=1)
        world.service.reads.record("sync-invoices", binding_id)
        world.service.reads.record("sync-stock", binding_id)
        world.service.reads.flush()

        today = world.service.read_audit.today(account.id, binding_id)

        assert sorted((r.caller, r.count) for r in today) == [
            ("sync-invoices", 1),
            ("sync-stock", 1),
        ]
        with pytest.raises(NotFound):
            world.service.read_audit.today(other.id, binding_id)

    def test_operators_filter_by_binding_caller_and_days(self) -> None:
        world = World()
        world.clock.current = T0
        reads = world.service.reads
        reads.record("sync-invoices", "b-1")
        reads.record("sync-stock", "b-2")
        world.clock.advance(days=2)
        reads.record("sync-invoices", "b-2")
        reads.flush()
        audit = world.service.read_audit

        def seen(**query: object) -> list[tuple[str, str]]:
            return sorted((r.caller, r.binding_id) for r in audit.search(**query))  # type: ignore[arg-type]

        assert seen() == [("sync-invoices", "b-1"), ("sync-invoices", "b-2"), ("sync-stock", "b-2")]
        assert seen(caller="sync-invoices") == [("sync-invoices", "b-1"), ("sync-invoices", "b-2")]
        assert seen(binding_id="b-2") == [("sync-invoices", "b-2"), ("sync-stock", "b-2")]
        assert seen(days=1) == [("sync-invoices", "b-2")]
