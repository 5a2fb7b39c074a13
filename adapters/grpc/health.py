"""Publishes the service's health on grpc.health.v1 (the `grpc.aio` servicer) from a polled check.

`check` answers whether the database and the keyring work. Xero being down is not ill
health: the service still answers (cached tokens, binding state, retry info), so it stays
SERVING. The status is set for the whole server ("") and for XeroConnectService, and only
when it changes, so watchers are not woken every poll. The check blocks (it pings the
database), so it runs on a thread of its own, never on the event loop nor on the pool that
the use cases need.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from grpc_health.v1 import health_pb2
from grpc_health.v1.health import aio

log = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthReporter:
    def __init__(
        self,
        servicer: aio.HealthServicer,
        check: Callable[[], bool],
        services: Sequence[str],
        interval_s: float = 5.0,
    ) -> None:
        self._servicer = servicer
        self._check = check
        self._services = tuple(services)
        self._interval_s = interval_s
        self._status: int | None = None
        self._checker = ThreadPoolExecutor(1, thread_name_prefix="grpc-health")
        self._polling: asyncio.Task[None] | None = None
        self._stopped = False

    async def start(self) -> None:
        await self.poll()
        self._polling = asyncio.create_task(self._run(), name="grpc-health")

    async def poll(self) -> None:
        if self._stopped:
            return
        healthy = await asyncio.get_running_loop().run_in_executor(self._checker, self._healthy)
        status = SERVING if healthy else NOT_SERVING
        if status == self._status:
            return
        if self._status is not None:
            log.warning(
                "gRPC health is now %s", health_pb2.HealthCheckResponse.ServingStatus.Name(status)
            )
        self._status = status
        for service in self._services:
            await self._servicer.set(service, status)

    async def stop(self) -> None:
        """Report NOT_SERVING for good (the server is shutting down) and stop polling."""
        self._stopped = True
        if self._polling is not None:
            self._polling.cancel()
        await self._servicer.enter_graceful_shutdown()
        self._checker.shutdown(wait=False)

    def _healthy(self) -> bool:
        try:
            return bool(self._check())
        except Exception:
            log.exception("the health check failed")
            return False

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self.poll()
