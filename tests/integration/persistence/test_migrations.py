"""Alembic makes the schema; `tables.py` describes the same one; URLs are read one way."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url

from adapters.persistence import migrator
from adapters.persistence.database import Database
from adapters.persistence.errors import ConfigurationError
from adapters.persistence.tables import metadata
from adapters.persistence.urls import normalise_url, sqlite_file
from tests.integration.persistence.conftest import ADMIN_URL, _admin


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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of its own (PostgreSQL: created here, dropped after)."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
        yield database
        database.dispose()
        return
    name = f"ledger_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database = Database(make_url(ADMIN_URL).set(database=name).render_as_string(False))
    try:
        yield database
    finally:
        database.dispose()
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class TestDemoFlagMigration:
    def test_existing_caches_take_the_flag_from_their_payload(self, unmigrated: Database) -> None:
        migrator.upgrade(unmigrated, "0008_webhooks")
        payloads = {
            "t-demo": {"organisation": {"name": "Demo Company (AU)", "is_demo": True}},
            "t-real": {"organisation": {"name": "Real Ltd", "is_demo": False}},
            "t-unnamed": {"organisation": None},
            "t-older": {},
        }
        with unmigrated.engine.begin() as conn:
            for tenant, payload in payloads.items():
                conn.execute(
                    text(
                        "INSERT INTO reference_caches (tenant_id, environment, payload) "
                        "VALUES (:t, 'production', :p)"
                    ),
                    {"t": tenant, "p": json.dumps(payload)},
                )
        unmigrated.migrate()
        with unmigrated.engine.connect() as conn:
            flags: dict[str, object] = dict(
                conn.execute(text("SELECT tenant_id, is_demo FROM reference_caches")).all()
            )
        assert {tenant: bool(flag) for tenant, flag in flags.items()} == {
            "t-demo": True,
            "t-real": False,
            "t-unnamed": False,
            "t-older": False,
        }
