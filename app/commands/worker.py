"""`ledger-connect worker`: the background sweeps alone, without HTTP or gRPC.

Any number of workers (and `serve` replicas) may share one PostgreSQL database; each due item
is handled once. On SQLite a worker holds the same single-process lock as `serve`, so it
refuses to run beside one (the sweeps run inside `serve` there). With LEDGER_METRICS_PORT set
it serves Prometheus metrics on that port. SIGINT or SIGTERM stops it after the item at hand.
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack

from adapters.observability.metrics import MetricsServer
from app.commands.context import service_process
from app.sweeper import Sweeper, build_sweeps
from app.webhooks import start_webhooks


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "worker",
        help="run the background sweeps only (token retries and keep-alive, reference data, "
        "connection checks, housekeeping, webhook delivery)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=_work)


def _work(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        settings, built, stopping = stack.enter_context(service_process("worker"))
        lines = [f"sweeping every {settings.sweep_tick_s:g} s"]
        if settings.metrics_port:
            server = MetricsServer(built.metrics, settings.metrics_host, settings.metrics_port)
            stack.callback(server.stop)
            lines.append(f"metrics     http://{settings.metrics_host}:{server.port}/metrics")
        sweeper = Sweeper(build_sweeps(built), built).start()
        stack.callback(sweeper.stop)
        assert built.webhooks is not None
        webhooks = start_webhooks(built.webhooks, built.metrics)
        if webhooks is not None:
            stack.callback(webhooks.stop)
            lines.append(f"webhooks    {len(built.webhooks.admin.subscribers)} subscriber(s)")
        print("\n".join(["ledger-connect worker is running", *lines]), flush=True)
        stopping.wait()
        print("stopping ...", flush=True)
    return 0
