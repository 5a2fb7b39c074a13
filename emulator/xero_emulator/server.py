"""Serve the emulator over HTTP: in a background thread for tests, or blocking for demos."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from xero_emulator.app import create_app
from xero_emulator.settings import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REDIRECT_URI,
    ClientRegistration,
    EmulatorSettings,
    RateLimitSettings,
)


class QuietHandler(WSGIRequestHandler):
    """Logs nothing, so codes, states and tokens in URLs never reach a log."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Drop the access log line."""


class PathOnlyHandler(WSGIRequestHandler):
    """Logs method, path and status without the query string."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the request line minus its query string."""
        path = self.path.split("?", 1)[0]
        self.log("info", '"%s %s" %s', self.command, path, code)


@dataclass
class RunningEmulator:
    """An emulator serving on a background thread."""

    base_url: str
    app: Flask
    server: BaseWSGIServer = field(repr=False)
    thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_in_thread(
    settings: EmulatorSettings | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningEmulator:
    """Start an emulator on host:port (0 picks a free port) without request logging."""
    app = create_app(settings)
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="xero-emulator",
        daemon=True,
    )
    thread.start()
    return RunningEmulator(f"http://{host}:{server.server_port}", app, server, thread)


def run(
    host: str = "127.0.0.1", port: int = 8090, settings: EmulatorSettings | None = None
) -> None:
    """Serve until interrupted, printing the URL."""
    server = make_server(
        host, port, create_app(settings), threaded=True, request_handler=PathOnlyHandler
    )
    print(f"Xero emulator listening on http://{host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def settings_from_args(args: argparse.Namespace) -> EmulatorSettings:
    """Settings for the single client described on the command line."""
    redirects = tuple(args.redirect_uri or [DEFAULT_REDIRECT_URI])
    client = ClientRegistration(args.client_id, args.client_secret, redirects)
    return EmulatorSettings(
        clients=(client,),
        limits=RateLimitSettings(per_org_day=args.day_limit),
        connection_cap=args.connection_cap,
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options of `python -m xero_emulator`."""
    parser = argparse.ArgumentParser(prog="xero_emulator", description="Run the Xero emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument(
        "--redirect-uri", action="append", help="registered redirect URI (repeatable)"
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    add_platform_arguments(parser)
    return parser.parse_args(argv)


def add_platform_arguments(parser: argparse.ArgumentParser) -> None:
    """The developer tier's limits, which the control API can also change at run time."""
    parser.add_argument(
        "--day-limit", type=int, default=5000, help="calls per organisation per day (5000)"
    )
    parser.add_argument(
        "--connection-cap",
        type=int,
        default=None,
        help="organisations the app may connect, demo companies aside (default: no cap)",
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of `python -m xero_emulator`."""
    args = parse_args(argv)
    run(args.host, args.port, settings_from_args(args))
