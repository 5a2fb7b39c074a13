"""What `serve` keeps on disk is its own (issue 14, item 9): var/ and every directory in it
0700, the database, keys, secrets and state 0600, whatever the caller's umask, and an older
install's looser modes are tightened at start."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.integration.http.serve_process import serve

pytestmark = pytest.mark.slow


def loose(var: Path) -> list[str]:
    """Paths under `var` (and `var` itself) that anyone but the owner may touch."""
    found = []
    for path in [var, *var.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode & ~wanted:
            found.append(f"{path.relative_to(var.parent)} {oct(mode)}")
    return found


def test_var_and_everything_in_it_belong_to_the_service_alone(tmp_path: Path) -> None:
    var = tmp_path / "var"
    old = os.umask(0o022)
    try:
        with serve(var, LEDGER_TOKEN_KEYS=""):
            created = sorted(p.name for p in var.iterdir())
            assert {"ledger.db", "token-keys"} <= set(created), created
            assert loose(var) == []
    finally:
        os.umask(old)


def test_an_older_install_is_tightened_at_start(tmp_path: Path) -> None:
    var = tmp_path / "var"
    with serve(var, LEDGER_TOKEN_KEYS=""):
        pass
    var.chmod(0o755)
    for name in ("ledger.db", "token-keys"):
        (var / name).chmod(0o644)
    with serve(var, LEDGER_TOKEN_KEYS=""):
        assert loose(var) == []
