"""The token keyring from configuration, and the start-up check that it fits the database (§8).

`load_keyring` reads LEDGER_TOKEN_KEYS, else the file LEDGER_TOKEN_KEYS_FILE (default
`var/token-keys`); the format is in `adapters/persistence/keyring.py`. `verify_stored_key_ids`
refuses a keyring that cannot open what the database holds.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from adapters.persistence.database import Database
from adapters.persistence.key_usage import stored_key_counts, unopenable_key_ids
from adapters.persistence.keyring import Keyring, KeyringFormatError, generate_entry
from app.settings import Settings, SettingsError

DEV_KEY_ID = "dev1"


class KeyringError(SettingsError):
    """The keyring is missing, malformed or does not fit the stored values; one line."""


def load_keyring(settings: Settings, create_dev: bool = False) -> Keyring:
    """The configured keyring; with `create_dev`, a new development keyring file if none is."""
    if settings.token_keys.strip():
        return _parse(settings.token_keys, "LEDGER_TOKEN_KEYS")
    path = settings.token_keys_file
    if path.exists():
        return _parse(_read(path), str(path))
    if not create_dev:
        raise KeyringError(
            f"no token keyring: set LEDGER_TOKEN_KEYS, or write one to {path} "
            f"(`umask 077; ledger-connect keys generate > {path}`)"
        )
    return _create_dev_keyring(path)


def verify_stored_key_ids(database: Database, keyring: Keyring) -> None:
    """Refuse to start when a stored value is sealed under a key the keyring lacks or
    under a key id whose key bytes changed (and before that, an unmigrated schema)."""
    database.require_current_schema()
    missing = sorted(kid for kid in stored_key_counts(database) if kid not in keyring)
    if missing:
        raise KeyringError(
            f"stored tokens are sealed with key id(s) {', '.join(missing)}, which the keyring "
            "lacks; add those entries back after the primary (retire a key only once "
            "`ledger-connect keys status` counts nothing under it)"
        )
    failing = unopenable_key_ids(database, keyring)
    if failing:
        raise KeyringError(
            f"the key(s) {', '.join(failing)} do not open the tokens stored under those ids: "
            "the key bytes changed; restore the original entries"
        )


def _parse(text: str, source: str) -> Keyring:
    try:
        return Keyring.parse(text)
    except KeyringFormatError as error:
        raise KeyringError(f"{source}: {error}") from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KeyringError(f"cannot read the token keyring {path}: {error}") from None


def _create_dev_keyring(path: Path) -> Keyring:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _parse(_read(path), str(path))  # another process created it just now
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(generate_entry(DEV_KEY_ID) + "\n")
    print(
        f"ledger-connect: created a development token keyring in {path}; "
        "in production set LEDGER_TOKEN_KEYS instead",
        file=sys.stderr,
    )
    return _parse(_read(path), str(path))
