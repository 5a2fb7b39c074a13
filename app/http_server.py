"""The dashboard's WSGI server: waitress, sized so idle connections cannot lock people out.

Waitress reads every request whole before a worker thread sees it, so idle or slow clients
cost a socket, not a thread. Its defaults still let ~100 idle connections stop it accepting
(`connection_limit`), and its select() loop breaks past 1,024 descriptors; so it runs with
poll(), a connection limit in the thousands, idle connections dropped after
LEDGER_HTTP_IDLE_TIMEOUT_S, and this process's descriptor soft limit raised to fit.
Per-client connection caps belong to the reverse proxy in front (README, "Reverse proxy").
"""

from __future__ import annotations

import logging
import resource
from typing import Any

import waitress

from app.settings import Settings

log = logging.getLogger(__name__)
# Descriptors kept for everything but HTTP clients: database, gRPC, emulator, logs.
RESERVED_FDS = 256
HTTP_THREADS = 8


def create_http_server(app: Any, settings: Settings) -> Any:
    """A waitress server bound to LEDGER_HTTP_HOST:LEDGER_HTTP_PORT; raises OSError if taken."""
    wanted = settings.http_connection_limit
    available = raise_fd_limit(wanted + RESERVED_FDS) - RESERVED_FDS
    if available < wanted:
        log.warning(
            "LEDGER_HTTP_CONNECTION_LIMIT lowered to %d: the file-descriptor limit is too low",
            available,
        )
    return waitress.create_server(
        app,
        host=settings.http_host,
        port=settings.http_port,
        threads=HTTP_THREADS,
        ident="ledger-connect",
        connection_limit=max(16, min(wanted, available)),
        channel_timeout=settings.http_idle_timeout_s,
        cleanup_interval=max(1, min(30, settings.http_idle_timeout_s // 2)),
        asyncore_use_poll=True,
    )


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE towards `wanted` (never above the hard limit); the result."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
        return ceiling
    return wanted if soft == resource.RLIM_INFINITY else soft
