"""Builds the gRPC server on `grpc.aio`: XeroConnectService, health and reflection behind one gate.

`build_server(...)` only builds and binds (tests bind port 0); `server.start()` starts it and
the health polling; `stop(server, grace)` is the graceful shutdown for SIGTERM. The server
runs on an event loop in a thread of its own, so `serve` stays a plain threaded program.

Staying responsive whatever a peer does (DESIGN §9): streams (reflection, health watch,
WatchBindings: `watch.py`) are coroutines that hold no thread while they wait, and the blocking
use cases run on a bounded pool that only unary calls use, so no number of idle streams can
take the threads a `GetFreshToken` needs. Streams are capped per peer and in all
(`streams.StreamLimits`); each HTTP/2 connection carries at most 100 concurrent streams; the
server pings a quiet connection every minute and drops it if the ping goes unanswered for 20 s,
refuses client pings more often than every 10 s, closes connections idle for 5 minutes, and
ends every connection after 30 minutes (plus a minute's grace for calls in flight), so a load
balancer can rebalance and no connection lives for ever. Nothing is kept in module state, so
any number of processes (replicas) each run their own server; `grpc.so_reuseport` is off, so
two processes never silently share one port.

Transport: plaintext by default, for loopback (`serve` refuses anything else unless told,
`app/grpc_tls.py`). With `tls=TlsConfig(...)` the port speaks TLS; with its `client_ca`,
mutual TLS: a client certificate signed by that CA is required at the handshake. The bearer
token is required either way and still decides which methods a caller may use.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc

from adapters.grpc.auth import CallerAuth
from adapters.grpc.callers import SERVICE_NAME, CallerConfig
from adapters.grpc.event_loops import DEFAULT_EVENT_LOOP, new_event_loop
from adapters.grpc.gate import CallGate, GatedRegistry
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.grpc.health import HealthReporter
from adapters.grpc.servicer import PRESERIALIZED, XeroConnectServicer
from adapters.grpc.streams import OpenStreams, StreamLimits
from adapters.grpc.watch import BindingWatches, WatchSettings
from adapters.request_ids import ContextThreadPool
from domain.ports import EventWakeups, LoopTokenViews
from domain.service import LedgerConnect

T = TypeVar("T")
DEFAULT_STREAM_LIMITS = StreamLimits()
DEFAULT_WATCH = WatchSettings()
OPTIONS = (
    ("grpc.so_reuseport", 0),
    ("grpc.max_receive_message_length", 64 * 1024),
    ("grpc.max_concurrent_streams", 100),
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_ping_strikes", 2),
    ("grpc.max_connection_idle_ms", 5 * 60_000),
    ("grpc.max_connection_age_ms", 30 * 60_000),
    ("grpc.max_connection_age_grace_ms", 60_000),
)


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """PEM bytes: the server's certificate chain and key, and, for mutual TLS, the CA whose
    client certificates are required (without it, any client that trusts us may connect)."""

    certificate_chain: bytes
    private_key: bytes = field(repr=False)
    client_ca: bytes | None = None

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.private_key, self.certificate_chain)],
            root_certificates=self.client_ca,
            require_client_auth=self.client_ca is not None,
        )


class EventLoopThread:
    """An asyncio loop running in a daemon thread; other threads hand it coroutines.
    `kind` is one of `event_loops.EVENT_LOOPS`."""

    def __init__(self, name: str, kind: str = DEFAULT_EVENT_LOOP) -> None:
        self._loop = new_event_loop(kind)
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


class XeroConnectServer:
    """The aio server with its loop, its health polling and the pool of the use cases."""

    def __init__(
        self,
        loop: EventLoopThread,
        server: grpc.aio.Server,
        health_reporter: HealthReporter,
        pool: ContextThreadPool,
        watches: BindingWatches,
        loop_views: LoopTokenViews | None = None,
    ) -> None:
        self._loop = loop
        self._server = server
        self._health = health_reporter
        self._pool = pool
        self.watches = watches
        self._loop_views = loop_views
        self._stopped = False

    def start(self) -> None:
        self._loop.run(self._start())

    def stop(self, grace: float | None) -> None:
        """NOT_SERVING for good; no new calls, running ones get `grace` seconds; then wait
        until the work callers abandoned (a refresh) has committed, and end the loop. A second
        call does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self._loop.run(self._stop(grace))
        self._pool.shutdown(wait=True)
        self._loop.close()

    async def _start(self) -> None:
        await self._health.start()
        await self.watches.start()
        await self._server.start()

    async def _stop(self, grace: float | None) -> None:
        await self._health.stop()
        await self.watches.stop()
        await self._server.stop(grace)
        if self._loop_views is not None:
            await self._loop_views.close()


def build_server(
    service: LedgerConnect,
    *,
    callers: Sequence[CallerConfig],
    health_check: Callable[[], bool],
    host: str = "127.0.0.1",
    port: int = 0,
    max_workers: int = 16,
    tls: TlsConfig | None = None,
    health_interval_s: float = 5.0,
    stream_limits: StreamLimits = DEFAULT_STREAM_LIMITS,
    tracing: Sequence[Any] = (),
    wakeups: EventWakeups | None = None,
    watch: WatchSettings = DEFAULT_WATCH,
    event_loop: str = DEFAULT_EVENT_LOOP,
    loop_views: LoopTokenViews | None = None,
) -> tuple[XeroConnectServer, int]:
    """The server, bound but not started, and the port it bound (useful with port 0).
    `tracing` (`grpc.aio` interceptors) run before the gate, so the trace spans the whole
    call; without them the server has no interceptor at all (see `gate`). `wakeups` tells
    the watch streams' pump that another replica committed events (without it, the pump
    polls every `watch.poll_s`). `event_loop` names the loop it runs on (`EVENT_LOOPS`).
    `loop_views` reads GetFreshToken's misses on that loop (this server's own: it opens
    there, and closes when the server stops); without it, misses read on the pool."""
    loop = EventLoopThread("grpc-aio", event_loop)
    pool = ContextThreadPool(max_workers, thread_name_prefix="grpc-work")
    watches = BindingWatches(service.events, wakeups, watch)
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    async def build() -> tuple[grpc.aio.Server, HealthReporter, int]:
        server = grpc.aio.server(interceptors=list(tracing) or None, options=OPTIONS)
        gate = CallGate(CallerAuth(callers), OpenStreams(stream_limits))
        registry = GatedRegistry(server, gate, preserialized=PRESERIALIZED)
        pb_grpc.add_XeroConnectServiceServicer_to_server(  # type: ignore[no-untyped-call]
            XeroConnectServicer(service, pool, watches, loop_views), registry
        )
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, registry)
        names = (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME)
        reflection_pb2_grpc.add_ServerReflectionServicer_to_server(
            reflection.aio.ReflectionServicer(names), registry
        )
        bound = (
            server.add_secure_port(address, tls.credentials())
            if tls
            else (server.add_insecure_port(address))
        )
        services = (health.OVERALL_HEALTH, SERVICE_NAME)
        reporter = HealthReporter(health_servicer, health_check, services, health_interval_s)
        return server, reporter, bound

    try:
        server, reporter, bound = loop.run(build())
    except BaseException:
        pool.shutdown(wait=False)
        loop.close()
        raise
    return XeroConnectServer(loop, server, reporter, pool, watches, loop_views), bound


def stop(server: XeroConnectServer, grace: float = 5.0) -> None:
    """Graceful shutdown (SIGTERM): NOT_SERVING, no new calls, running calls get `grace`
    seconds, then wait until abandoned refreshes have committed."""
    server.stop(grace)
