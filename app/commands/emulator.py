"""`ledger-connect emulator`: the bundled Xero stand-in on its own port, for dev and demos."""

from __future__ import annotations

import argparse

from app.settings import Settings
from xero_emulator.server import add_platform_arguments, run
from xero_emulator.settings import ClientRegistration, EmulatorSettings, RateLimitSettings

STATE_FILE = "emulator-state.json"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("emulator", help="run the bundled Xero emulator")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    parser.add_argument("--port", type=int, help="port (default LEDGER_EMULATOR_PORT, 8090)")
    add_platform_arguments(parser)
    parser.set_defaults(handler=_run)


def emulator_settings(
    settings: Settings, args: argparse.Namespace | None = None
) -> EmulatorSettings:
    """The emulator knows our sandbox client and its exact redirect URI, as Xero would, and
    keeps its world in var/emulator-state.json across restarts."""
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
    settings = Settings.from_env()
    run(args.host, args.port or settings.emulator_port, emulator_settings(settings, args))
    return 0
