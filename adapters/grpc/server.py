"""Builds the gRPC server: XeroConnectService behind caller auth, health, and reflection.

`build_server(...)` only builds and binds (tests bind port 0); `server.start()` starts it and
the health polling; `stop(server, grace)` is the graceful shutdown for SIGTERM. Nothing is
kept in module state, so any number of processes (replicas) can each run their own server;
`grpc.so_reuseport` is off, so two processes never silently share one port.

Transport: plaintext by default, for loopback or a private network behind the callers'
bearer tokens. With `tls=TlsConfig(...)` the port speaks mutual TLS: the server presents its
certificate and requires a client certificate signed by `client_ca`; the bearer token is still
required and still decides which methods a caller may use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from adapters.grpc.auth import CallerAuthInterceptor
from adapters.grpc.callers import SERVICE_NAME, CallerConfig
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.grpc.health import HealthReporter
from adapters.grpc.servicer import XeroConnectServicer
from adapters.observability.request_ids import ContextThreadPool, RequestIdInterceptor
from domain.service import LedgerConnect

OPTIONS = (
    ("grpc.so_reuseport", 0),
    ("grpc.max_receive_message_length", 64 * 1024),
)


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """PEM bytes: the server's certificate chain and key, and the CA that signs client certs."""

    certificate_chain: bytes
    private_key: bytes = field(repr=False)
    client_ca: bytes

    @classmethod
    def from_files(cls, certificate_chain: Path, private_key: Path, client_ca: Path) -> TlsConfig:
        return cls(certificate_chain.read_bytes(), private_key.read_bytes(), client_ca.read_bytes())

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.private_key, self.certificate_chain)],
            root_certificates=self.client_ca,
            require_client_auth=True,
        )


class XeroConnectServer(grpc.Server):  # type: ignore[misc]  # grpc ships no type stubs
    """A grpc.Server that also owns the health polling and the token pool."""

    def __init__(
        self, server: grpc.Server, health_reporter: HealthReporter, token_pool: ThreadPoolExecutor
    ) -> None:
        self._server = server
        self._health = health_reporter
        self._token_pool = token_pool

    def start(self) -> None:
        self._health.start()
        self._server.start()

    def stop(self, grace: float | None) -> threading.Event:
        """NOT_SERVING for good, then grpc's own stop: no new calls, running ones get `grace`."""
        self._health.stop()
        stopped: threading.Event = self._server.stop(grace)
        return stopped

    def wait_for_refreshes(self) -> None:
        """After `stop`: block until refreshes that callers abandoned have committed."""
        self._token_pool.shutdown(wait=True)

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        terminated: bool = self._server.wait_for_termination(timeout)
        return terminated

    def add_generic_rpc_handlers(self, generic_rpc_handlers: Sequence[Any]) -> None:
        self._server.add_generic_rpc_handlers(generic_rpc_handlers)

    def add_registered_method_handlers(self, service_name: str, method_handlers: Any) -> None:
        self._server.add_registered_method_handlers(service_name, method_handlers)

    def add_insecure_port(self, address: str) -> int:
        port: int = self._server.add_insecure_port(address)
        return port

    def add_secure_port(self, address: str, server_credentials: grpc.ServerCredentials) -> int:
        port: int = self._server.add_secure_port(address, server_credentials)
        return port


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
    tracing: Sequence[grpc.ServerInterceptor] = (),
) -> tuple[XeroConnectServer, int]:
    """The server, bound but not started, and the port it bound (useful with port 0).
    `tracing` interceptors run first, so the trace spans the whole call."""
    token_pool = ContextThreadPool(max_workers, thread_name_prefix="grpc-token")
    server = grpc.server(
        ThreadPoolExecutor(max_workers, thread_name_prefix="grpc"),
        interceptors=[*tracing, RequestIdInterceptor(), CallerAuthInterceptor(callers)],
        options=OPTIONS,
    )
    pb_grpc.add_XeroConnectServiceServicer_to_server(  # type: ignore[no-untyped-call]
        XeroConnectServicer(service, token_pool), server
    )
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    bound: int = (
        server.add_secure_port(address, tls.credentials())
        if tls
        else server.add_insecure_port(address)
    )
    reporter = HealthReporter(
        health_servicer, health_check, (health.OVERALL_HEALTH, SERVICE_NAME), health_interval_s
    )
    return XeroConnectServer(server, reporter, token_pool), bound


def stop(server: XeroConnectServer, grace: float = 5.0) -> None:
    """Graceful shutdown (SIGTERM): NOT_SERVING, no new calls, running calls get `grace`
    seconds, then wait until abandoned refreshes have committed."""
    server.stop(grace).wait()
    server.wait_for_refreshes()
