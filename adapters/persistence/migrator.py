"""Alembic run from code: the only way the schema is made or changed (DESIGN §11)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text

from adapters.persistence import sqlite
from adapters.persistence.errors import ConfigurationError, translated

if TYPE_CHECKING:
    from adapters.persistence.database import Database

MIGRATIONS = Path(__file__).with_name("migrations")
# Replicas starting together must not migrate at once; any constant shared by them will do.
PG_MIGRATION_LOCK = 0x1ED6E7C0


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    return cfg


def upgrade(database: Database, revision: str) -> None:
    with database.connect() as conn:
        if database.is_sqlite:
            sqlite.begin_mode(conn, immediate=True, busy_ms=database.busy_timeout_ms)
        with translated(), conn.begin():
            if not database.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
            cfg = config()
            cfg.attributes["connection"] = conn
            try:
                command.upgrade(cfg, revision)
            except CommandError as error:
                raise ConfigurationError(
                    f"cannot migrate: {error} (is the database newer than this ledger-connect?)"
                ) from None


def current(database: Database) -> str | None:
    with database.connect() as conn, translated():
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str | None:
    return ScriptDirectory.from_config(config()).get_current_head()
