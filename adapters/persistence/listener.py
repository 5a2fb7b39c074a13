"""PostgreSQL LISTEN for the outbox's NOTIFY: a replica hears at once that another committed
events (DESIGN §12), instead of at its next poll.

One connection per process, outside the engine's pool (a listening session must stay open
and idle), used only by the event pump's thread. The payload (the committing transaction's
last revision) is not trusted for anything: a notification only says "read the outbox now".
A dropped connection is opened again at the next wait, and reported as a notification, so
the pump reads whatever it may have missed meanwhile.
"""

from __future__ import annotations

import logging
import time

import psycopg
from sqlalchemy import URL

from adapters.persistence.repositories.events import NOTIFY_CHANNEL
from domain.ports import EventWakeups

log = logging.getLogger(__name__)


class PgEventListener(EventWakeups):
    def __init__(self, url: URL, connect_timeout_s: int = 5) -> None:
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._connect_timeout_s = connect_timeout_s
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def wait(self, timeout_s: float) -> bool:
        conn = self._connection()
        if conn is None:
            time.sleep(timeout_s)
            return True
        try:
            heard = any(True for _ in conn.notifies(timeout=timeout_s, stop_after=1))
            # Many commits in a burst are one read of the outbox: take what else is queued.
            while heard and any(True for _ in conn.notifies(timeout=0.001, stop_after=1)):
                pass
            return heard
        except psycopg.Error:
            log.warning("the LISTEN connection dropped; reconnecting at the next wait")
            self.close()
            return True

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _connection(self) -> psycopg.Connection[tuple[object, ...]] | None:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        try:
            conn = psycopg.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=self._connect_timeout_s,
                application_name="ledger-connect-listen",
            )
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except psycopg.Error as error:
            log.warning("cannot LISTEN for events (%s); polling meanwhile", type(error).__name__)
            return None
        self._conn = conn
        return conn
