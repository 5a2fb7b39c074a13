"""The credential read log in memory: rows merged as storage merges them, writes counted."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date

from domain.errors import StorageUnavailable
from domain.reads import CredentialReads


class FakeCredentialReadLog:
    def __init__(self) -> None:
        self.rows: dict[tuple[date, str, str], CredentialReads] = {}
        self.writes = 0
        self.failing = False
        self._mutex = threading.Lock()

    def add(self, reads: Sequence[CredentialReads]) -> None:
        if self.failing:
            raise StorageUnavailable("the database is unavailable")
        with self._mutex:
            self.writes += 1
            for row in reads:
                old = self.rows.get(row.key)
                self.rows[row.key] = old.merged(row) if old else row

    def query(
        self,
        *,
        since: date,
        binding_id: str | None = None,
        caller: str | None = None,
        limit: int = 1000,
    ) -> list[CredentialReads]:
        with self._mutex:
            rows = [
                r
                for r in self.rows.values()
                if r.day >= since
                and binding_id in (None, r.binding_id)
                and caller in (None, r.caller)
            ]
        rows.sort(key=lambda r: (r.day, r.count, r.caller), reverse=True)
        return rows[:limit]
