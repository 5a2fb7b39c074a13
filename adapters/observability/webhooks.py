"""Webhook gauges read when Prometheus scrapes (at most every `ttl_s`): per subscriber, how
many events it has not acknowledged yet and whether it is disabled."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from domain.webhooks import SubscriberStatus

log = logging.getLogger(__name__)


class WebhookCollector(Collector):
    def __init__(
        self,
        status: Callable[[], Sequence[SubscriberStatus]],
        ttl_s: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._status, self._ttl_s, self._clock = status, ttl_s, clock
        self._lock = threading.Lock()
        self._cached: tuple[float, Sequence[SubscriberStatus]] | None = None

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        statuses = self._snapshot()
        behind = GaugeMetricFamily(
            "ledger_webhook_behind_events",
            "Events committed that the subscriber has not acknowledged yet",
            labels=["subscriber"],
        )
        disabled = GaugeMetricFamily(
            "ledger_webhook_disabled",
            "1 when the subscriber is disabled after failing (ledger-connect webhooks enable)",
            labels=["subscriber"],
        )
        for status in statuses:
            if status.configured:
                behind.add_metric([status.subscriber], status.behind)
                off = status.cursor is not None and status.cursor.disabled
                disabled.add_metric([status.subscriber], 1.0 if off else 0.0)
        yield behind
        yield disabled

    def _snapshot(self) -> Sequence[SubscriberStatus]:
        with self._lock:
            now = self._clock()
            if self._cached is None or now - self._cached[0] >= self._ttl_s:
                try:
                    self._cached = (now, self._status())
                except Exception:
                    log.warning("webhook gauges: the database did not answer", exc_info=True)
                    return () if self._cached is None else self._cached[1]
            return self._cached[1]
