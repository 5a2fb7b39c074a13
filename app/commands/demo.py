"""`ledger-connect demo`: print the demo's banner again (addresses, login, where logs go)."""

from __future__ import annotations

import argparse
import socket

from app.demo import demo_banner
from app.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("demo", help="print the demo's addresses and login again")
    parser.set_defaults(handler=_show)


def _show(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    print(demo_banner(settings, running=_listening(settings.http_host, settings.http_port)))
    return 0


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
