"""Start-up refuses a keyring that is missing, malformed, or cannot open the stored tokens."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from adapters.persistence.database import Database
from adapters.persistence.errors import ConfigurationError
from adapters.persistence.keyring import Keyring, generate_entry
from adapters.persistence.uow import SqlUnitOfWorkFactory
from app.keyring_loader import KeyringError, load_keyring, verify_stored_key_ids
from app.settings import Settings
from tests.integration.persistence import builders as b
from tests.integration.persistence.conftest import KEYS


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"LEDGER_VAR_DIR": str(tmp_path / "var"), **env})


class TestLoadKeyring:
    def test_the_environment_wins_over_the_file(self, tmp_path: Path) -> None:
        (tmp_path / "var").mkdir()
        (tmp_path / "var" / "token-keys").write_text(generate_entry("file"))
        env_keyring = load_keyring(_settings(tmp_path, LEDGER_TOKEN_KEYS=generate_entry("env")))
        assert env_keyring.primary_id == "env"
        assert load_keyring(_settings(tmp_path)).primary_id == "file"

    def test_a_development_keyring_is_created_once_and_private(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        created = load_keyring(_settings(tmp_path), create_dev=True)
        path = tmp_path / "var" / "token-keys"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "created a development token keyring" in capsys.readouterr().err
        assert load_keyring(_settings(tmp_path), create_dev=True).key_ids == created.key_ids
        assert capsys.readouterr().err == ""

    def test_no_keyring_at_all_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(KeyringError, match="no token keyring: set LEDGER_TOKEN_KEYS"):
            load_keyring(_settings(tmp_path))

    def test_a_malformed_key_is_refused_naming_its_source(self, tmp_path: Path) -> None:
        with pytest.raises(KeyringError, match="^LEDGER_TOKEN_KEYS: the key of 'k1' is 3 bytes"):
            load_keyring(_settings(tmp_path, LEDGER_TOKEN_KEYS="k1:AAAA"))


class TestVerifyStoredKeyIds:
    def test_a_keyring_with_every_stored_key_passes(
        self, database: Database, uow: SqlUnitOfWorkFactory
    ) -> None:
        b.store(uow)
        verify_stored_key_ids(database, Keyring.parse(f"{generate_entry('k2')},{KEYS}"))

    def test_a_missing_key_id_is_refused(
        self, database: Database, uow: SqlUnitOfWorkFactory
    ) -> None:
        b.store(uow)
        with pytest.raises(KeyringError, match="sealed with key id\\(s\\) k1, which the keyring"):
            verify_stored_key_ids(database, Keyring.parse(generate_entry("k2")))

    def test_a_key_id_with_other_key_bytes_is_refused(
        self, database: Database, uow: SqlUnitOfWorkFactory
    ) -> None:
        b.store(uow)
        with pytest.raises(KeyringError, match="the key\\(s\\) k1 do not open"):
            verify_stored_key_ids(database, Keyring.parse(generate_entry("k1")))

    def test_an_empty_database_accepts_any_keyring(self, database: Database) -> None:
        verify_stored_key_ids(database, Keyring.parse(generate_entry("k9")))


def test_an_unmigrated_database_is_refused_before_anything_else(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    with pytest.raises(
        ConfigurationError, match="at revision none, .* run `ledger-connect migrate`"
    ):
        verify_stored_key_ids(database, Keyring.parse(KEYS))
    database.dispose()
