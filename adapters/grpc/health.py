"""Publishes the service's health on grpc.health.v1 from a polled check.

`check` answers whether the database and the keyring work. Xero being down is not ill
health: the service still answers (cached tokens, binding state, retry info), so it stays
SERVING. The status is set for the whole server ("") and for XeroConnectService, and only
when it changes, so watchers are not woken every poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from grpc_health.v1 import health, health_pb2

log = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthReporter:
    def __init__(
        self,
        servicer: health.HealthServicer,
        check: Callable[[], bool],
        services: Sequence[str],
        interval_s: float = 5.0,
    ) -> None:
        self._servicer = servicer
        self._check = check
        self._services = tuple(services)
        self._interval_s = interval_s
        self._status: int | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="grpc-health", daemon=True)

    def start(self) -> None:
        self.poll()
        self._thread.start()

    def poll(self) -> None:
        status = SERVING if self._healthy() else NOT_SERVING
        if status == self._status:
            return
        if self._status is not None:
            log.warning(
                "gRPC health is now %s", health_pb2.HealthCheckResponse.ServingStatus.Name(status)
            )
        self._status = status
        for service in self._services:
            self._servicer.set(service, status)

    def stop(self) -> None:
        """Report NOT_SERVING for good (the server is shutting down) and stop polling."""
        self._stopped.set()
        self._servicer.enter_graceful_shutdown()

    def _healthy(self) -> bool:
        try:
            return bool(self._check())
        except Exception:
            log.exception("the health check failed")
            return False

    def _run(self) -> None:
        while not self._stopped.wait(self._interval_s):
            self.poll()
