"""`ledger-connect emulator`: the Xero emulator on its own port, for dev and demos.

The emulator is a distribution of its own (emulator/), imported only when it is used: the
service runs without it wherever real Xero credentials are configured.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from app.errors import CommandError
from app.settings import Settings

if TYPE_CHECKING:
    from xero_emulator.settings import EmulatorSettings

STATE_FILE = "emulator-state.json"
MISSING = (
    "the Xero emulator is not installed: `make run` installs it, or pip install ./emulator "
    "(demo mode needs it; set LEDGER_XERO_PRODUCTION_CLIENT_ID and _CLIENT_SECRET to run "
    "against Xero instead)"
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("emulator", help="run the Xero emulator (the xero-emulator package)")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    parser.add_argument("--port", type=int, help="port (default LEDGER_EMULATOR_PORT, 8090)")
    try:
        from xero_emulator.server import add_platform_arguments
    except ModuleNotFoundError:
        parser.set_defaults(handler=_missing)
        return
    add_platform_arguments(parser)
    parser.set_defaults(handler=_run)


def emulator_settings(
    settings: Settings, args: argparse.Namespace | None = None
) -> EmulatorSettings:
    """The emulator knows our sandbox client and its exact redirect URI, as Xero would, and
    keeps its world in var/emulator-state.json across restarts."""
    try:
        from xero_emulator.settings import ClientRegistration, EmulatorSettings, RateLimitSettings
    except ModuleNotFoundError:
        raise CommandError(MISSING) from None
    sandbox = settings.sandbox
    client = ClientRegistration(sandbox.client_id, sandbox.client_secret, (settings.redirect_uri,))
    tier = {}
    if args is not None:
        tier = {
            "limits": RateLimitSettings(per_org_day=args.day_limit),
            "connection_cap": args.connection_cap,
        }
    return EmulatorSettings(clients=(client,), state_file=settings.var_dir / STATE_FILE, **tier)


def _run(args: argparse.Namespace) -> int:
    from xero_emulator.server import run

    settings = Settings.from_env()
    run(args.host, args.port or settings.emulator_port, emulator_settings(settings, args))
    return 0


def _missing(args: argparse.Namespace) -> int:
    raise CommandError(MISSING)
