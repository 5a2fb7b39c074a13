"""`ledger-connect migrate`, `keys ...`, `accounts ...` and `bindings list`: output, exit
codes, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring
from adapters.persistence.migrator import head
from adapters.persistence.uow import SqlUnitOfWorkFactory
from app.bootstrap import bootstrap
from app.cli import main
from app.settings import Settings
from tests.integration.persistence import builders as b
from tests.integration.persistence.conftest import KEYS

Capture = pytest.CaptureFixture[str]


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    monkeypatch.setenv("LEDGER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    monkeypatch.setenv("LEDGER_TOKEN_KEYS", KEYS)
    return url


def _stored(url: str) -> None:
    database = Database(url)
    b.store(SqlUnitOfWorkFactory(database, Keyring.parse(KEYS)))
    database.dispose()


class TestMigrate:
    def test_migrates_then_reports_current(self, url: str, capsys: Capture) -> None:
        assert main(["migrate"]) == 0
        assert f"schema at revision {head()} (upgraded from empty)" in capsys.readouterr().out
        assert main(["migrate"]) == 0
        assert "(already current)" in capsys.readouterr().out

    def test_an_unreachable_database_is_one_line(
        self, monkeypatch: pytest.MonkeyPatch, capsys: Capture
    ) -> None:
        monkeypatch.setenv("LEDGER_DATABASE_URL", "postgresql://me:pw@127.0.0.1:9/ledger")
        assert main(["migrate"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("ledger-connect migrate: cannot use the database postgresql")
        assert err.count("\n") == 1 and "pw" not in err and "Traceback" not in err


class TestKeys:
    def test_generate_prints_one_entry(self, capsys: Capture) -> None:
        assert main(["keys", "generate", "--kid", "k7"]) == 0
        out = capsys.readouterr().out
        assert Keyring.parse(out).key_ids == ("k7",) and out.count("\n") == 1

    def test_a_bad_kid_is_one_line(self, capsys: Capture) -> None:
        assert main(["keys", "generate", "--kid", "no spaces"]) == 2
        assert "key id must be 1-32 characters" in capsys.readouterr().err

    def test_status_counts_values_per_key_without_key_material(
        self, url: str, capsys: Capture
    ) -> None:
        main(["migrate"])
        _stored(url)
        assert main(["keys", "status"]) == 0
        out = capsys.readouterr().out
        assert "primary: k1" in out and "k1: 2" in out
        assert KEYS.split(":")[1] not in out

    def test_rotate_moves_everything_under_the_new_primary(
        self, url: str, monkeypatch: pytest.MonkeyPatch, capsys: Capture
    ) -> None:
        main(["migrate"])
        _stored(url)
        capsys.readouterr()
        main(["keys", "generate", "--kid", "k2"])
        new = capsys.readouterr().out.strip()
        monkeypatch.setenv("LEDGER_TOKEN_KEYS", f"{new},{KEYS}")
        assert main(["keys", "rotate", "--batch-size", "1"]) == 0
        assert "re-sealed 1 rows under k2" in capsys.readouterr().out
        monkeypatch.setenv("LEDGER_TOKEN_KEYS", new)
        assert main(["keys", "status"]) == 0
        assert "k2: 2" in capsys.readouterr().out

    def test_rotate_refuses_a_keyring_missing_a_stored_key(
        self, url: str, monkeypatch: pytest.MonkeyPatch, capsys: Capture
    ) -> None:
        main(["migrate"])
        _stored(url)
        capsys.readouterr()
        main(["keys", "generate", "--kid", "k2"])
        monkeypatch.setenv("LEDGER_TOKEN_KEYS", capsys.readouterr().out.strip())
        assert main(["keys", "rotate"]) == 2
        assert "key id(s) k1, which the keyring lacks" in capsys.readouterr().err


class TestAccountSessions:
    def test_logout_all_ends_every_session_of_the_account(
        self, url: str, capsys: Capture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert main(["migrate"]) == 0
        assert main(["accounts", "create", "--email", "m@example.com", "--plan", "growth"]) == 0
        settings = Settings.from_env()
        built = bootstrap(settings)
        try:
            account = built.service.accounts.by_email("m@example.com")
            assert account is not None
            tokens = [built.service.sessions.open(account.id) for _ in range(2)]
            capsys.readouterr()
            assert main(["accounts", "logout-all", "m@example.com"]) == 0
            assert "ended 2 browser session(s) of m@example.com" in capsys.readouterr().out
            assert [built.service.sessions.resume(t) for t in tokens] == [None, None]
        finally:
            built.close()


class TestBindingsList:
    def test_a_binding_without_an_organisation_says_so(self, url: str, capsys: Capture) -> None:
        assert main(["migrate"]) == 0
        assert main(["accounts", "create", "--email", "m@example.com", "--plan", "growth"]) == 0
        built = bootstrap(Settings.from_env())
        try:
            account = built.service.accounts.by_email("m@example.com")
            assert account is not None
            binding_id = built.service.create_binding(account.id).binding_id
        finally:
            built.close()
        capsys.readouterr()

        assert main(["bindings", "list", "--account", "m@example.com"]) == 0

        line = capsys.readouterr().out.strip()
        assert line.startswith(binding_id)
        assert line.endswith("not connected to Xero")
        assert "(-)" not in line
