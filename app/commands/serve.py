"""`ledger-connect serve`: dashboard, Magento API, gRPC, the background sweeps (unless
LEDGER_SWEEP=0), Prometheus metrics on LEDGER_METRICS_PORT when set, and (in demo mode) the
Xero emulator."""

from __future__ import annotations

import argparse
import threading
from contextlib import ExitStack
from typing import Any

from adapters.grpc.callers import parse_callers
from adapters.grpc.server import TlsConfig, build_server, stop
from adapters.grpc.watch import WatchSettings
from adapters.http import create_app
from adapters.http.config import HttpConfig
from adapters.observability.metrics import MetricsServer
from app.bootstrap import Container
from app.commands.context import service_process
from app.commands.emulator import emulator_settings
from app.demo import DemoLogin, demo_banner, demo_caller_token, prepare_demo
from app.errors import CommandError
from app.grpc_tls import server_tls
from app.http_server import create_http_server
from app.read_audit import ReadAuditFlusher
from app.runtime_files import session_secret
from app.settings import Settings
from app.sweeper import Sweeper, build_sweeps
from app.webhooks import start_webhooks


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("serve", help="run the service (HTTP, gRPC; the emulator in demo mode)")
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        settings, built, stopping = stack.enter_context(service_process("serve"))
        tls = server_tls(settings)  # refuses before anything listens
        lines = [f"dashboard   {settings.public_url}/dashboard"]
        callers, demo_binding = settings.grpc_callers, ""
        if settings.demo:
            demo_binding = _start_demo(settings, built, stack).binding_id
            callers = f"{callers};demo-cli={demo_caller_token(settings.var_dir)}:*"
        # Registered before the gRPC server: its last flush runs once the server has stopped.
        stack.callback(ReadAuditFlusher(built).start().stop)
        _start_grpc(settings, built, callers, tls, stack, lines)
        _start_http(settings, built, stack)
        _start_sweeps(settings, built, stack, lines)
        if settings.demo:
            print(demo_banner(settings, binding_id=demo_binding), flush=True)
        else:
            print("\n".join(["ledger-connect is running", *lines, "Ctrl-C stops."]), flush=True)
        stopping.wait()
        print("stopping ...", flush=True)
    return 0


def _start_demo(settings: Settings, built: Container, stack: ExitStack) -> DemoLogin:
    configured = emulator_settings(settings)  # refuses when the emulator is not installed
    from xero_emulator.server import start_in_thread

    try:
        emulator = start_in_thread(configured, port=settings.emulator_port)
    except OSError:
        raise CommandError(_busy("the emulator", "127.0.0.1", settings.emulator_port)) from None
    stack.callback(emulator.stop)
    return prepare_demo(built, settings.var_dir)


def _start_grpc(
    settings: Settings,
    built: Container,
    callers: str,
    tls: TlsConfig | None,
    stack: ExitStack,
    lines: list[str],
) -> None:
    try:
        server, port = build_server(
            built.service,
            callers=parse_callers(callers),
            health_check=built.healthy,
            host=settings.grpc_host,
            port=settings.grpc_port,
            tls=tls,
            tracing=built.tracing.grpc_aio_interceptors(),
            wakeups=built.wakeups,
            watch=WatchSettings(settings.watch_bookmark_s, settings.event_poll_s),
            event_loop=settings.grpc_event_loop,
            loop_views=built.loop_views(),
        )
    except RuntimeError:
        raise CommandError(_busy("gRPC", settings.grpc_host, settings.grpc_port)) from None
    server.start()
    stack.callback(stop, server)
    transport = "plaintext" if tls is None else "TLS"
    if tls is not None and tls.client_ca is not None:
        transport = "mutual TLS"
    lines.append(f"gRPC        {settings.grpc_host}:{port} ({transport}; reflection for callers)")


def wsgi_app(settings: Settings, built: Container) -> Any:
    """The dashboard and Magento API (metrics are on their own port, never here)."""
    config = HttpConfig(
        secret_key=session_secret(settings),
        cookie_secure=settings.cookie_secure,
        public_url=settings.public_url,
        trusted_proxies=settings.trusted_proxies,
        demo_banner="Demo mode: Xero is the bundled emulator." if settings.demo else None,
        xero_scopes=settings.production.scopes,
    )
    app = create_app(built.service, config)
    built.tracing.instrument_flask(app)
    return app


def _start_http(settings: Settings, built: Container, stack: ExitStack) -> None:
    try:
        server = create_http_server(wsgi_app(settings, built), settings)
    except OSError:
        raise CommandError(_busy("HTTP", settings.http_host, settings.http_port)) from None
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    stack.callback(server.close)


def _start_sweeps(settings: Settings, built: Container, stack: ExitStack, lines: list[str]) -> None:
    sweeps = build_sweeps(built)
    if settings.sweep:
        stack.callback(Sweeper(sweeps, built).start().stop)
        lines.append(f"sweeps      every {settings.sweep_tick_s:g} s")
        _start_webhooks(built, stack, lines)
    if not settings.metrics_port:
        lines.append("metrics     off (set LEDGER_METRICS_PORT)")
        return
    host, port = settings.metrics_host, settings.metrics_port
    try:
        server = MetricsServer(built.metrics, host, port)
    except OSError:
        raise CommandError(_busy("metrics", host, port)) from None
    stack.callback(server.stop)
    lines.append(f"metrics     http://{host}:{server.port}/metrics")


def _start_webhooks(built: Container, stack: ExitStack, lines: list[str]) -> None:
    assert built.webhooks is not None
    worker = start_webhooks(built.webhooks, built.metrics)
    if worker is not None:
        stack.callback(worker.stop)
        count = len(built.webhooks.admin.subscribers)
        lines.append(f"webhooks    {count} subscriber(s), every {built.webhooks.poll_s:g} s")


def _busy(what: str, host: str, port: int) -> str:
    return f"cannot listen for {what} on {host}:{port}: the port is taken or not allowed"
