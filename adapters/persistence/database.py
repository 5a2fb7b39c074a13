"""The database: engine per backend (SQLite file or PostgreSQL), health, migrations."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, text

from adapters.persistence import migrator, sqlite
from adapters.persistence.errors import ConfigurationError, translated
from adapters.persistence.urls import normalise_url, printable
from domain.errors import StorageUnavailable


class Database:
    """One engine and its pool, shared by every unit of work of the process (thread-safe)."""

    def __init__(self, url: str, *, pool_size: int = 10, busy_timeout_s: float = 5.0) -> None:
        self._url = normalise_url(url)
        self.busy_timeout_ms = max(1, int(busy_timeout_s * 1000))
        # SQLite has one writer at a time: this process's queue for it (transaction.Tx).
        self.sqlite_writers = threading.Lock() if self.is_sqlite else None
        self._engine = (
            self._sqlite_engine(pool_size) if self.is_sqlite else self._postgres_engine(pool_size)
        )

    @property
    def is_sqlite(self) -> bool:
        return self._url.get_backend_name() == "sqlite"

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def url(self) -> URL:
        return self._url

    def connect_options(self) -> dict[str, Any]:
        """`create_engine` arguments every engine on this database needs."""
        if self.is_sqlite:
            timeout = self.busy_timeout_ms / 1000
            return {"connect_args": {"check_same_thread": False, "timeout": timeout}}
        return {"connect_args": {"connect_timeout": 5, "application_name": "ledger-connect"}}

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return printable(self._url)

    def connect(self) -> Connection:
        with translated():
            return self._engine.connect()

    def ping(self) -> bool:
        """True when a trivial query answers; for health checks, never raises."""
        try:
            with self.connect() as conn, translated():
                conn.execute(text("SELECT 1"))
            return True
        except StorageUnavailable:
            return False

    def migrate(self, revision: str = "head") -> str | None:
        """Bring the schema to `revision` (Alembic); returns the revision now in place."""
        migrator.upgrade(self, revision)
        return self.current_revision()

    def current_revision(self) -> str | None:
        return migrator.current(self)

    def require_current_schema(self) -> None:
        """Raise a one-line ConfigurationError unless the schema is at the latest revision."""
        current, head = self.current_revision(), migrator.head()
        if current != head:
            raise ConfigurationError(
                f"the database schema is at revision {current or 'none'}, this ledger-connect "
                f"needs {head}: run `ledger-connect migrate`"
            )

    def dispose(self) -> None:
        self._engine.dispose()

    def _sqlite_engine(self, pool_size: int) -> Engine:
        assert self._url.database is not None
        Path(self._url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            self._url, pool_size=pool_size, max_overflow=pool_size, **self.connect_options()
        )
        sqlite.install(engine, self.busy_timeout_ms)
        return engine

    def _postgres_engine(self, pool_size: int) -> Engine:
        return create_engine(
            self._url, pool_size=pool_size, max_overflow=pool_size, **self.connect_options()
        )
