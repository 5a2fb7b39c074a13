"""`credential_reads` on both backends: flushes merge (counts added, earliest first, latest
last), also when replicas flush the same rows at the same moment."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from adapters.persistence.database import Database
from adapters.persistence.read_log import SqlCredentialReadLog
from domain.reads import CredentialReads
from domain.usecases.audit import ReadRecorder
from tests.fakes.misc import FakeClock

T0 = datetime(2026, 12, 1, 19, 31, 5, 250_000, tzinfo=UTC)
DAY = T0.date()


def reads(
    caller: str, binding_id: str, count: int, first: datetime, last: datetime
) -> CredentialReads:
    return CredentialReads(first.date(), caller, binding_id, count, first, last)


class TestMerging:
    def test_a_flush_adds_to_the_stored_row_and_widens_its_times(self, database: Database) -> None:
        log = SqlCredentialReadLog(database)
        log.add([reads("sync-invoices", "b-1", 3, T0, T0 + timedelta(minutes=1))])
        log.add(
            [
                reads("sync-invoices", "b-1", 2, T0 - timedelta(hours=1), T0),
                reads("sync-stock", "b-1", 1, T0, T0),
            ]
        )
        log.add([reads("sync-invoices", "b-1", 1, T0, T0 + timedelta(hours=2))])

        rows = log.query(since=DAY, binding_id="b-1")

        assert [(r.caller, r.count, r.first_at, r.last_at) for r in rows] == [
            ("sync-invoices", 6, T0 - timedelta(hours=1), T0 + timedelta(hours=2)),
            ("sync-stock", 1, T0, T0),
        ]

    def test_query_filters_by_day_binding_and_caller(self, database: Database) -> None:
        log = SqlCredentialReadLog(database)
        yesterday = T0 - timedelta(days=1)
        log.add(
            [
                reads("sync-invoices", "b-1", 1, yesterday, yesterday),
                reads("sync-invoices", "b-2", 4, T0, T0),
                reads("sync-stock", "b-2", 9, T0, T0),
            ]
        )

        def seen(**query: object) -> list[tuple[date, str, str]]:
            return [r.key for r in log.query(**query)]  # type: ignore[arg-type]

        assert seen(since=DAY) == [(DAY, "sync-stock", "b-2"), (DAY, "sync-invoices", "b-2")]
        assert seen(since=yesterday.date(), caller="sync-invoices") == [
            (DAY, "sync-invoices", "b-2"),
            (yesterday.date(), "sync-invoices", "b-1"),
        ]
        assert seen(since=yesterday.date(), binding_id="b-1") == [
            (yesterday.date(), "sync-invoices", "b-1")
        ]
        assert len(seen(since=yesterday.date(), limit=2)) == 2


class TestReplicas:
    def test_replicas_flushing_the_same_rows_at_once_lose_nothing(self, database: Database) -> None:
        replicas, rounds, bindings = 3, 10, 20
        clock = FakeClock(T0)
        recorders = [ReadRecorder(SqlCredentialReadLog(database), clock) for _ in range(replicas)]
        start = threading.Barrier(replicas)
        failures: list[BaseException] = []

        def work(recorder: ReadRecorder) -> None:
            start.wait()
            try:
                for _ in range(rounds):
                    for n in range(bindings):
                        recorder.record("sync-invoices", f"b-{n}")
                    recorder.flush()
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)

        threads = [threading.Thread(target=work, args=(r,)) for r in recorders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert failures == []
        rows = SqlCredentialReadLog(database).query(since=DAY)
        assert len(rows) == bindings
        assert {r.count for r in rows} == {replicas * rounds}
