"""Fakes for webhooks: the cursor table and delivery log (written at once, as the SQL
statements' row locks decide), and a sender that answers from a script."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from domain.webhooks import DeliveryQuery, DeliveryRecord, SendResult, WebhookCursor, WebhookMessage

if TYPE_CHECKING:
    from tests.fakes.store import FakeUnitOfWork

Row = tuple[WebhookCursor, str | None, datetime | None]


class FakeWebhooks:
    """Starting and forgetting cursors waits for the commit, like any write; claims, saves
    and releases are taken at once, as the single UPDATE's row lock would decide. Reads see
    this unit of work's own staged starts and deletions, as a transaction sees its writes."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self._store = uow.store
        # The store's tables hold any row; these two hold cursors and log lines.
        self._cursors = cast(dict[str, Row], self._store.tables["webhook_cursors"])
        self._log = cast(dict[int, DeliveryRecord], self._store.tables["webhook_deliveries"])

    def _visible(self) -> dict[str, Row]:
        """The committed cursors with this unit of work's staged writes applied."""
        rows = dict(self._cursors)
        for (table, key), item in self._uow.staged.items():
            if table == "webhook_cursors" and item is None:
                rows.pop(str(key), None)
            elif table == "webhook_cursors":
                rows[str(key)] = item
        return rows

    def _found(self, subscriber: str) -> Row | None:
        return self._visible().get(subscriber)

    def cursors(self) -> list[WebhookCursor]:
        with self._store.mutex:
            rows = self._visible()
            return [rows[name][0] for name in sorted(rows)]

    def start(self, subscriber: str, revision: int) -> None:
        with self._store.mutex:
            if subscriber not in self._visible():
                row = (WebhookCursor(subscriber, revision), None, None)
                self._uow.write("webhook_cursors", subscriber, row)

    def forget(self, subscriber: str) -> WebhookCursor | None:
        with self._store.mutex:
            found = self._found(subscriber)
        if found is not None:
            self._uow.write("webhook_cursors", subscriber, None)
        return None if found is None else found[0]

    def claim(
        self, subscriber: str, holder: str, now: datetime, until: datetime
    ) -> WebhookCursor | None:
        with self._store.mutex:
            found = self._found(subscriber)
            if found is None:
                return None
            cursor, held_by, held_until = found
            if held_by not in (None, holder) and held_until is not None and held_until > now:
                return None
            self._cursors[subscriber] = (cursor, holder, until)
            return cursor

    def save(self, cursor: WebhookCursor, holder: str, until: datetime) -> bool:
        with self._store.mutex:
            found = self._found(cursor.subscriber)
            if found is None or found[1] != holder:
                return False
            self._cursors[cursor.subscriber] = (cursor, holder, until)
            return True

    def release(self, subscriber: str, holder: str) -> None:
        with self._store.mutex:
            found = self._found(subscriber)
            if found is not None and found[1] == holder:
                self._cursors[subscriber] = (found[0], None, None)

    def enable(self, subscriber: str) -> WebhookCursor | None:
        with self._store.mutex:
            found = self._found(subscriber)
            if found is None:
                return None
            enabled = found[0].enabled()
            self._cursors[subscriber] = (enabled, found[1], found[2])
            return enabled

    def held_through(self) -> int | None:
        with self._store.mutex:
            rows = self._visible().values()
            live = [c.delivered_through for c, _, _ in rows if not c.disabled]
            return min(live) if live else None

    def log(self, record: DeliveryRecord) -> None:
        with self._store.mutex:
            number = len(self._log) + 1 + max(self._log, default=0)
            self._log[number] = replace(record, id=number)

    def deliveries(self, query: DeliveryQuery) -> list[DeliveryRecord]:
        with self._store.mutex:
            newest_first = [self._log[n] for n in sorted(self._log, reverse=True)]
        chosen = (
            r
            for r in newest_first
            if (not query.subscriber or r.subscriber == query.subscriber)
            and (not query.binding_id or r.binding_id == query.binding_id)
            and (not query.outcomes or r.outcome in query.outcomes)
            and (query.since is None or r.at >= query.since)
        )
        return list(itertools.islice(chosen, query.limit))

    def purge_log(self, before: datetime) -> int:
        with self._store.mutex:
            old = [n for n, r in self._log.items() if r.at < before]
            for number in old:
                del self._log[number]
            return len(old)


@dataclass
class ScriptedSender:
    """Answers each send with the next scripted result (200 once the script runs out) and
    keeps every message it was given."""

    script: list[SendResult] = field(default_factory=list)
    sent: list[WebhookMessage] = field(default_factory=list)

    def send(self, message: WebhookMessage) -> SendResult:
        self.sent.append(message)
        return self.script.pop(0) if self.script else SendResult(200)

    def fail(self, count: int, status: int | None = 503, **extra: Any) -> None:
        self.script += [SendResult(status, "refused", **extra) for _ in range(count)]
