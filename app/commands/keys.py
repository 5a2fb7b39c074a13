"""`ledger-connect keys`: new key entries, which keys the database uses, and key rotation."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from adapters.persistence.database import Database
from adapters.persistence.key_usage import stored_key_counts
from adapters.persistence.keyring import Keyring, KeyringFormatError, generate_entry
from adapters.persistence.rotation import KeyRotation, RotationReport
from app.commands.migrate import open_database, unreachable
from app.errors import CommandError
from app.keyring_loader import load_keyring, verify_stored_key_ids
from app.settings import Settings
from domain.errors import StorageUnavailable


def register(subparsers: Any) -> None:
    keys = subparsers.add_parser("keys", help="manage the token encryption keyring")
    actions = keys.add_subparsers(dest="keys_action", required=True, metavar="ACTION")
    generate = actions.add_parser("generate", help="print a new kid:key entry, nothing else")
    generate.add_argument("--kid", help="key id (default: k + the UTC date and time)")
    generate.set_defaults(handler=run_generate)
    status = actions.add_parser("status", help="primary, known key ids, stored values per id")
    status.set_defaults(handler=run_status)
    rotate = actions.add_parser("rotate", help="re-seal every stored value under the primary")
    rotate.add_argument("--batch-size", type=int, default=200, help="rows per transaction")
    rotate.set_defaults(handler=run_rotate)


def run_generate(args: argparse.Namespace) -> int:
    kid = args.kid or "k" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    try:
        print(generate_entry(kid))
    except KeyringFormatError as error:
        raise CommandError(str(error)) from None
    return 0


def run_status(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    keyring = load_keyring(settings)
    counts = _with_database(settings, _counts)
    print(f"primary: {keyring.primary_id}")
    print(f"keyring: {', '.join(keyring.key_ids)}")
    print("stored values by key id:" if counts else "stored values: none")
    for kid, count in sorted(counts.items()):
        note = "" if kid in keyring else "  (missing from the keyring)"
        print(f"  {kid}: {count}{note}")
    behind = sum(count for kid, count in counts.items() if kid != keyring.primary_id)
    if behind:
        print(f"{behind} values are not under the primary: run `ledger-connect keys rotate`")
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1")
    settings = Settings.from_env()
    keyring = load_keyring(settings)
    report = _with_database(settings, lambda db: _rotate(db, keyring, args.batch_size))
    print(
        f"re-sealed {report.rewritten} rows under {keyring.primary_id}; "
        f"{report.changed_meanwhile} changed meanwhile and were left as their writer sealed them"
    )
    if report.remaining or report.unreadable:
        print(
            f"{report.remaining} rows are still under older keys ({report.unreadable} unreadable); "
            "once every replica runs with this primary, run `ledger-connect keys rotate` again",
            file=sys.stderr,
        )
        return 1
    return 0


def _rotate(database: Database, keyring: Keyring, batch_size: int) -> RotationReport:
    verify_stored_key_ids(database, keyring)
    return KeyRotation(database, keyring, batch_size).run()


def _counts(database: Database) -> dict[str, int]:
    database.require_current_schema()
    return stored_key_counts(database)


def _with_database(settings: Settings, work: Any) -> Any:
    database = open_database(settings)
    try:
        return work(database)
    except StorageUnavailable as error:
        raise unreachable(database, error) from None
    finally:
        database.dispose()
