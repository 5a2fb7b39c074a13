"""Alembic makes the schema; `tables.py` describes the same one; URLs are read one way."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from adapters.persistence import migrator
from adapters.persistence.database import Database
from adapters.persistence.errors import ConfigurationError
from adapters.persistence.tables import metadata
from adapters.persistence.urls import normalise_url, sqlite_file


class TestMigrations:
    def test_the_migrated_schema_matches_the_tables(self, database: Database) -> None:
        with database.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []

    def test_migrating_again_changes_nothing(self, database: Database) -> None:
        assert database.current_revision() == migrator.head()
        assert database.migrate() == migrator.head()

    def test_a_new_sqlite_file_gets_its_directory_and_downgrades_cleanly(
        self, tmp_path: Path
    ) -> None:
        database = Database(f"sqlite:///{tmp_path / 'deep' / 'var' / 'ledger.db'}")
        assert database.current_revision() is None
        database.migrate()
        database.require_current_schema()
        with database.engine.begin() as conn:
            cfg = migrator.config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert database.current_revision() is None
        assert database.migrate() == migrator.head()
        database.dispose()


class TestUrls:
    def test_postgres_urls_mean_psycopg_3(self) -> None:
        for raw in ("postgresql://u:pw@db/ledger", "postgres://u:pw@db/ledger"):
            assert normalise_url(raw).drivername == "postgresql+psycopg"
        assert Database("postgresql://u:pw@db/ledger").display_url == (
            "postgresql+psycopg://u:***@db/ledger"
        )

    def test_sqlite_names_a_file(self) -> None:
        assert sqlite_file("sqlite:///var/ledger.db") == Path("var/ledger.db")
        assert sqlite_file("postgresql://db/ledger") is None
        for bad in ("sqlite://", "sqlite:///:memory:", "mysql://db/x", "not a url"):
            with pytest.raises(ConfigurationError):
                normalise_url(bad)


class TestInstallKeyMigration:
    def test_existing_bindings_get_install_keys_without_a_conflict(self, tmp_path: Path) -> None:
        database = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
        migrator.upgrade(database, "0004_throttles")
        rows = [
            ("b-1", "https://shop.example.com", "PAIRED"),
            ("b-2", "http://shop.example.com", "PAIRED"),
            ("b-3", "http://gone.example.com", "DISCONNECTED"),
        ]
        with database.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (id, email, plan, password_hash, environment) "
                    "VALUES ('a-1', 'm@example.com', 'growth', 'x', 'production')"
                )
            )
            for n, (binding_id, url, status) in enumerate(rows):
                conn.execute(
                    text(
                        "INSERT INTO bindings (id, account_id, created_at, status, status_reason,"
                        " magento_base_url, magento, connector_secret_hash, policy) VALUES "
                        "(:id, 'a-1', :at, :status, '', :url, '{}', '', '{}')"
                    ),
                    {
                        "id": binding_id,
                        "at": f"2026-11-0{n + 1} 09:00:00",
                        "status": status,
                        "url": url,
                    },
                )
        database.migrate()
        with database.engine.connect() as conn:
            keys: dict[str, str] = dict(
                conn.execute(text("SELECT id, magento_install FROM bindings")).all()
            )
        assert keys == {
            "b-1": "shop.example.com",
            "b-2": "http://shop.example.com",
            "b-3": "gone.example.com",
        }
        database.dispose()
