"""A real `ledger-connect serve` process on free loopback ports (SQLite, demo emulator, no sweeps),
started with a file-descriptor soft limit of 512, below what 1,000 clients need.

The limit is set by a small Python launcher that then execs the command, not by a
`preexec_fn`: a `preexec_fn` makes `subprocess` fork instead of vfork, so grpc's fork
handlers run in the child, and with grpc busy in this process (grpcio 1.85, grpc/grpc#43055)
the child's restarted poller meets the descriptors `close_fds` closed and aborts before it
execs (`serve exited with -6`, about 1 spawn in 250 under load).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from adapters.persistence.keyring import generate_entry
from tests.integration.replicas.cluster import free_port, ledger_connect

START_TIMEOUT_S = 60.0
LOW_FD_LIMIT = 512


@dataclass(frozen=True)
class Served:
    http_url: str
    metrics_port: int
    var_dir: Path
    process: subprocess.Popen[bytes]


_LAUNCHER = (
    "import os, resource, sys\n"
    "_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
    "resource.setrlimit(resource.RLIMIT_NOFILE, (min(int(sys.argv[1]), hard), hard))\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def with_low_fd_limit(command: list[str], limit: int = LOW_FD_LIMIT) -> list[str]:
    """`command` run under a soft descriptor limit of `limit` (the hard one kept)."""
    return [sys.executable, "-c", _LAUNCHER, str(limit), *command]


@contextmanager
def serve(var_dir: Path, **extra: str) -> Iterator[Served]:
    http_port, metrics_port = free_port(), free_port()
    env = dict(
        os.environ,
        LEDGER_VAR_DIR=str(var_dir),
        LEDGER_TOKEN_KEYS=generate_entry("http"),
        LEDGER_HTTP_PORT=str(http_port),
        LEDGER_GRPC_PORT=str(free_port()),
        LEDGER_EMULATOR_PORT=str(free_port()),
        LEDGER_METRICS_PORT=str(metrics_port),
        LEDGER_DEMO="1",
        LEDGER_SWEEP="0",
        LEDGER_SECRET_KEY="s" * 48,
    )
    env.update(extra)
    log = (var_dir.parent / f"serve-{http_port}.log").open("wb")
    process = subprocess.Popen(
        with_low_fd_limit(ledger_connect() + ["serve"]),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{http_port}"
    try:
        _wait_ready(url, process)
        yield Served(url, metrics_port, var_dir, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode} before answering")
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"serve did not answer {url}/login within {START_TIMEOUT_S:g} s")
