"""`ledger-connect migrate`: create or upgrade the database schema (Alembic, to the latest)."""

from __future__ import annotations

import argparse
from typing import Any

from adapters.persistence.database import Database
from adapters.persistence.errors import ConfigurationError
from app.errors import CommandError
from app.settings import Settings
from domain.errors import StorageUnavailable


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("migrate", help="create or upgrade the database schema")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    database = open_database(Settings.from_env())
    try:
        before = database.current_revision()
        after = database.migrate()
    except StorageUnavailable as error:
        raise unreachable(database, error) from None
    finally:
        database.dispose()
    change = "already current" if before == after else f"upgraded from {before or 'empty'}"
    print(f"{database.display_url}: schema at revision {after} ({change})")
    return 0


def open_database(settings: Settings) -> Database:
    try:
        return Database(settings.database_url)
    except ConfigurationError as error:
        raise CommandError(str(error)) from None


def unreachable(database: Database, error: StorageUnavailable) -> CommandError:
    """One line naming the database (never its password) and the driver's first line."""
    cause = error.__cause__
    detail = str(getattr(cause, "orig", None) or cause or error.message).strip().splitlines()
    reason = detail[0] if detail else error.message
    return CommandError(f"cannot use the database {database.display_url}: {reason}")
