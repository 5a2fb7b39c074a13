"""SQLite serves one replica: a second `serve` on the same file is refused, clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.persistence.single_process import AlreadyServing, hold_single_process_lock


def test_a_second_holder_of_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    with (
        hold_single_process_lock(url),
        pytest.raises(AlreadyServing, match="another ledger-connect serve is using .*ledger.db"),
    ):
        hold_single_process_lock(url)
    hold_single_process_lock(url).release()


def test_postgres_needs_no_lock() -> None:
    url = "postgresql://postgres@127.0.0.1/ledger"
    with hold_single_process_lock(url), hold_single_process_lock(url) as second:
        assert second.path is None
