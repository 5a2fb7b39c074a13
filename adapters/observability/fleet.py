"""Gauges read from the database when Prometheus scrapes, at most every 15 s: bindings by
status, refresh-exhausted bindings, and the backlog and lag of the token and reference sweeps."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from domain.usecases.sweeps import FleetStatus

log = logging.getLogger(__name__)


class FleetCollector(Collector):
    """Gauges read from the database when scraped, cached for `ttl_s` so scrapes stay cheap."""

    def __init__(
        self,
        status: Callable[[], FleetStatus],
        ttl_s: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._status, self._ttl_s, self._clock = status, ttl_s, clock
        self._lock = threading.Lock()
        self._cached: tuple[float, FleetStatus] | None = None

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        status = self._snapshot()
        up = GaugeMetricFamily("ledger_fleet_status_up", "Whether the database answered")
        up.add_metric([], 0.0 if status is None else 1.0)
        yield up
        if status is None:
            return
        bindings = GaugeMetricFamily("ledger_bindings", "Bindings by status", labels=["status"])
        for name, count in sorted(status.bindings.items()):
            bindings.add_metric([name.value], count)
        yield bindings
        yield GaugeMetricFamily(
            "ledger_refresh_exhausted_bindings",
            "Bindings whose token refresh has failed for days (still DEGRADED and retried)",
            value=status.exhausted,
        )
        backlog = GaugeMetricFamily("ledger_sweep_backlog", "Items due", labels=["sweep"])
        lag = GaugeMetricFamily(
            "ledger_sweep_lag_seconds", "Age of the oldest due item", labels=["sweep"]
        )
        now = status.at
        for sweep, due in (("tokens", status.tokens), ("reference", status.reference)):
            backlog.add_metric([sweep], due.count)
            lag.add_metric([sweep], due.lag(now).total_seconds())
        yield backlog
        yield lag
        live = GaugeMetricFamily(
            "ledger_xero_connected_organisations",
            "Distinct organisations connected to the Xero app (demo companies aside)",
            labels=["environment"],
        )
        cap = GaugeMetricFamily(
            "ledger_xero_connection_cap",
            "The Xero app's connection cap by its tier (absent when unlimited)",
            labels=["environment"],
        )
        for env, usage in sorted(status.connections.items()):
            live.add_metric([env.value], usage.live)
            if usage.cap is not None:
                cap.add_metric([env.value], usage.cap)
        yield live
        yield cap

    def _snapshot(self) -> FleetStatus | None:
        with self._lock:
            now = self._clock()
            if self._cached is not None and now - self._cached[0] < self._ttl_s:
                return self._cached[1]
            try:
                status = self._status()
            except Exception as error:  # noqa: BLE001 - a scrape reports it as a gauge
                log.warning("fleet status unavailable for /metrics: %s", type(error).__name__)
                return None
            self._cached = (now, status)
            return status
