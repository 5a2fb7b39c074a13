"""`ledger-connect`: one entry point; each command lives in `app/commands/` and registers itself."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from adapters.grpc.callers import CallerConfigError
from adapters.persistence.errors import ConfigurationError
from app.errors import CommandError
from app.settings import SettingsError
from domain.errors import DomainError

__all__ = ["CommandError", "build_parser", "main"]

COMMANDS = (
    "serve",
    "migrate",
    "keys",
    "accounts",
    "bindings",
    "pair",
    "emulator",
    "token",
    "worker",
    "demo",
    "status",
    "audit",
    "webhooks",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ledger-connect", description="The Xero connection service of the ledger chassis."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"app.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (
        CommandError,
        SettingsError,
        DomainError,
        ConfigurationError,
        CallerConfigError,
    ) as error:
        print(f"ledger-connect {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
