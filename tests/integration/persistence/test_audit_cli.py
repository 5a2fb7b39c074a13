"""`ledger-connect audit reads`: what was flushed, filtered by binding and caller, as text or
JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.persistence.database import Database
from adapters.persistence.read_log import SqlCredentialReadLog
from app.cli import main
from domain.reads import CredentialReads
from tests.integration.persistence.conftest import KEYS

Capture = pytest.CaptureFixture[str]


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    monkeypatch.setenv("LEDGER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    monkeypatch.setenv("LEDGER_TOKEN_KEYS", KEYS)
    assert main(["migrate"]) == 0
    return url


@pytest.fixture
def now(url: str) -> datetime:
    """Reads of today and of ten days ago, as `serve` would have flushed them."""
    now = datetime.now(UTC).replace(microsecond=0)
    old = now - timedelta(days=10)
    database = Database(url)
    SqlCredentialReadLog(database).add(
        [
            CredentialReads(now.date(), "sync-invoices", "b-1", 1204, now, now),
            CredentialReads(now.date(), "sync-stock", "b-1", 3, now, now),
            CredentialReads(now.date(), "sync-invoices", "b-2", 7, now, now),
            CredentialReads(old.date(), "sync-invoices", "b-1", 5, old, old),
        ]
    )
    database.dispose()
    return now


class TestAuditReads:
    def test_one_line_per_day_caller_and_binding(self, now: datetime, capsys: Capture) -> None:
        assert main(["audit", "reads", "--binding", "b-1"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 2
        assert lines[0].startswith(f"{now.date().isoformat()}  sync-invoices")
        assert "b-1      1,204 reads" in lines[0]
        assert f"last {now:%H:%M:%S} UTC" in lines[0]
        assert "sync-stock" in lines[1]

    def test_by_caller_over_more_days_as_json(self, now: datetime, capsys: Capture) -> None:
        assert main(["audit", "reads", "--caller", "sync-invoices", "--days", "30", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert [(r["binding_id"], r["count"]) for r in rows] == [
            ("b-1", 1204),
            ("b-2", 7),
            ("b-1", 5),
        ]
        assert rows[0]["last_at"] == now.isoformat()

    def test_nothing_recorded_says_so(self, url: str, capsys: Capture) -> None:
        assert main(["audit", "reads", "--caller", "nobody"]) == 0
        assert capsys.readouterr().out == "no credential reads recorded in that time\n"
