"""Database URLs: one spelling per backend, the SQLite file they name, a printable form."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from adapters.persistence.errors import ConfigurationError

PG_DRIVER = "postgresql+psycopg"


def normalise_url(raw: str) -> URL:
    """`postgresql://` and `postgres://` mean psycopg 3; SQLite must name a file."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise ConfigurationError(
            "LEDGER_DATABASE_URL is not a database URL "
            "(use sqlite:///var/ledger.db or postgresql://user@host/db)"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername=PG_DRIVER)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise ConfigurationError(
            "an in-memory SQLite database cannot be shared between connections; "
            "name a file, e.g. sqlite:///var/ledger.db"
        )
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"unsupported database {url.get_backend_name()!r}: use SQLite or PostgreSQL"
        )
    return url


def sqlite_file(raw: str) -> Path | None:
    """The file a SQLite URL names; None for PostgreSQL."""
    url = normalise_url(raw)
    if url.get_backend_name() != "sqlite":
        return None
    assert url.database is not None
    return Path(url.database)


def printable(url: URL) -> str:
    return url.render_as_string(hide_password=True)
