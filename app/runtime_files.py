"""Small secrets the service makes for itself on first start, kept under LEDGER_VAR_DIR."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

from adapters.persistence.urls import sqlite_file
from app.settings import Settings

PRIVATE_UMASK = 0o077


def make_private(settings: Settings) -> None:
    """From now on this process creates files 0600 and directories 0700, and what an older
    release left under LEDGER_VAR_DIR (or the SQLite file elsewhere) is tightened to match:
    tokens, keys and secrets are nobody else's business on a shared host."""
    os.umask(PRIVATE_UMASK)
    var = settings.var_dir
    var.mkdir(parents=True, exist_ok=True)
    for path in [var, *var.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)
    database = sqlite_file(settings.database_url) if settings.is_sqlite else None
    if database is None:
        return
    for path in (database, *(database.with_name(database.name + s) for s in SQLITE_SIDES)):
        if path.exists() and not path.is_symlink():
            path.chmod(0o600)


SQLITE_SIDES = ("-wal", "-shm", "-journal", ".lock")


def session_secret(settings: Settings) -> str:
    """LEDGER_SECRET_KEY, or a key generated once into var/secret-key (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.var_dir / "secret-key"
    key, created = kept_secret(path, lambda: secrets.token_urlsafe(48))
    if created:
        print(
            f"created a session signing key in {path} (set LEDGER_SECRET_KEY in production)",
            file=sys.stderr,
        )
    return key


def kept_secret(path: Path, make: Callable[[], str]) -> tuple[str, bool]:
    """The secret stored in `path`, or a new one from `make()` written there (mode 0600);
    returns it and whether it is new."""
    if path.exists():
        kept = path.read_text().strip()
        if kept:
            return kept, False
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    path.chmod(0o600)
    return value, True
