"""Prometheus metrics, each container with its own registry (tests build many containers).

What feeds them, none of it needing the domain to know about Prometheus: `InstrumentedXero`
and `CountingTransport` (adapters.observability.xero) for token refreshes and Xero calls,
`FleetCollector` (adapters.observability.fleet) for gauges read at scrape time, and
`record_sweeps`, fed by the sweeper after every tick, and `record_reads`, fed by each flush of
the credential read audit (labelled by caller only: bindings would be unbounded).
`MetricsServer` serves them on a port of their own, for `serve` and `worker` alike.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import waitress
from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app

from adapters.observability.fleet import FleetCollector
from adapters.observability.webhooks import WebhookCollector
from adapters.web_headers import HEADERS
from domain.reads import CredentialReads
from domain.usecases.sweeps import FleetStatus, SweepResult
from domain.webhooks import SubscriberStatus

NO_STORE = {"Cache-Control": "no-store"}
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.refreshes = Counter(
            "ledger_token_refreshes", "Token refreshes at Xero by outcome", ["outcome"], registry=r
        )
        self.refresh_seconds = Histogram(
            "ledger_token_refresh_seconds",
            "Token refresh latency",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.xero_calls = Counter(
            "ledger_xero_calls",
            "Calls to Xero by endpoint and HTTP status",
            ["endpoint", "status"],
            registry=r,
        )
        self.received_bytes = Counter(
            "ledger_xero_received_bytes",
            "Bytes received from Xero's Accounting API, by environment, endpoint and organisation",
            ["environment", "endpoint", "tenant"],
            registry=r,
        )
        self.rate_limited = Counter(
            "ledger_xero_rate_limited", "429 answers from Xero", ["endpoint"], registry=r
        )
        self.sweep_runs = Counter(
            "ledger_sweep_runs", "Sweep runs by result", ["sweep", "result"], registry=r
        )
        self.sweep_items = Counter(
            "ledger_sweep_items",
            "Items sweeps handled, by outcome",
            ["sweep", "outcome"],
            registry=r,
        )
        self.sweep_seconds = Histogram(
            "ledger_sweep_duration_seconds",
            "Time one sweep run took",
            ["sweep"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

        self.credential_reads = Counter(
            "ledger_credential_reads",
            "Access tokens handed out, by gRPC caller (counted when the audit is flushed)",
            ["caller"],
            registry=r,
        )
        self.webhook_deliveries = Counter(
            "ledger_webhook_deliveries",
            "Webhook delivery attempts by subscriber and outcome",
            ["subscriber", "outcome"],
            registry=r,
        )

    def watch_fleet(self, status: Callable[[], FleetStatus], ttl_s: float = 15.0) -> None:
        self.registry.register(FleetCollector(status, ttl_s))

    def watch_webhooks(self, status: Callable[[], Sequence[SubscriberStatus]]) -> None:
        self.registry.register(WebhookCollector(status))

    def record_webhooks(self, outcomes: Mapping[tuple[str, str], int]) -> None:
        for (subscriber, outcome), count in outcomes.items():
            self.webhook_deliveries.labels(subscriber, outcome).inc(count)

    def record_sweeps(self, results: Iterable[SweepResult]) -> None:
        for result in results:
            self.sweep_runs.labels(result.sweep, "error" if result.failed else "ok").inc()
            self.sweep_seconds.labels(result.sweep).observe(result.seconds)
            for outcome, count in result.outcomes.items():
                self.sweep_items.labels(result.sweep, outcome).inc(count)

    def record_reads(self, reads: Iterable[CredentialReads]) -> None:
        for row in reads:
            self.credential_reads.labels(row.caller).inc(row.count)

    def wsgi_app(self) -> Any:
        return make_wsgi_app(self.registry)


class MetricsApp:
    """WSGI: GET /metrics from the registry and nothing else, with the dashboard's headers."""

    def __init__(self, metrics: Metrics, path: str = "/metrics") -> None:
        self._exposition, self._path = metrics.wsgi_app(), path

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        def with_headers(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            names = {name.lower() for name, _ in headers}
            extra = [(n, v) for n, v in {**HEADERS, **NO_STORE}.items() if n.lower() not in names]
            return start_response(status, headers + extra, *exc)

        if environ.get("PATH_INFO", "").rstrip("/") != self._path:
            with_headers("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found\n"]
        return self._exposition(environ, with_headers)


class MetricsServer:
    """Prometheus metrics on a port of their own (LEDGER_METRICS_HOST:LEDGER_METRICS_PORT),
    never the merchant-facing one: scrapes stay off the internet and off its thread pool."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self._server = waitress.create_server(
            MetricsApp(metrics), host=host, port=port, threads=2, ident="ledger-connect"
        )
        self._thread = threading.Thread(target=self._server.run, name="metrics", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def stop(self) -> None:
        self._server.close()
        self._thread.join(timeout=5)
