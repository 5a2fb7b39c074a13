"""`ledger-connect worker` as operators run it: three workers on one PostgreSQL database share
200 due grants and refresh each exactly once at Xero (the emulator counts); SIGTERM stops each
cleanly; on SQLite a worker refuses to run beside a `serve`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from adapters.persistence.single_process import hold_single_process_lock
from domain.grant import OAuthGrant
from domain.values import Environment
from tests.integration.persistence import builders as b
from tests.integration.sweeps.stack import (
    REPO,
    Stack,
    free_port,
    ledger_connect,
    ledger_env,
    process_env,
    running_stack,
)
from xero_emulator import RunningEmulator

ADMIN_URL = os.environ.get("LEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
BINDINGS = 200
WORKERS = 3
REFRESHED = re.compile(r'ledger_sweep_items_total\{outcome="refreshed",sweep="tokens"\} (\S+)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database of our own, dropped afterwards; unreachable: skipped, or failed under CI."""
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        reason = f"PostgreSQL at {ADMIN_URL} is unreachable: {str(error).splitlines()[0]}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must run the multi-worker test)")
        pytest.skip(reason)
    name = f"ledger_sweeps_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Worker:
    def __init__(self, name: str, env: dict[str, str], workdir: Path) -> None:
        self.name, self.metrics_port = name, free_port()
        self.log = workdir / f"{name}.log"
        ledger = {**env, "LEDGER_METRICS_PORT": str(self.metrics_port)}
        with self.log.open("w") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own CLI
                [*ledger_connect(), "worker"],
                env=process_env(ledger),
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def metrics(self) -> str | None:
        try:
            return httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return None

    def refreshed(self) -> float:
        found = REFRESHED.search(self.metrics() or "")
        return float(found.group(1)) if found else 0.0

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return -9


def wait_until(probe: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


def seed(stack: Stack, count: int) -> list[str]:
    """Connected bindings whose grants hold real refresh tokens of the emulator."""
    uow = stack.built.ports.uow
    ids = [f"b-{n:03d}" for n in range(count)]
    bindings = [b.binding(i, url=f"https://{i}.ledger.test", connection=f"c-{i}") for i in ids]
    b.store(uow, *bindings, grants=False)
    now = stack.clock.now()
    with uow() as u:
        for binding_id in ids:
            u.grants.save(
                OAuthGrant.issue(binding_id, Environment.SANDBOX, stack.new_tokens(), now)
            )
        u.commit()
    return ids


def sql(stack: Stack, statement: str, **params: Any) -> Any:
    assert stack.built.database is not None
    with stack.built.database.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return result.scalar() if result.returns_rows else None


@pytest.mark.slow
@pytest.mark.postgres
def test_three_workers_refresh_200_due_grants_exactly_once(
    emulator: RunningEmulator, postgres_url: str, tmp_path: Path
) -> None:
    with running_stack(emulator, postgres_url, tmp_path / "var") as stack:
        seed(stack, BINDINGS)
        env = {
            **stack.env,
            "LEDGER_SWEEP_TICK_S": "0.5",
            "LEDGER_REPLICAS": str(WORKERS),
            "LEDGER_CONNECTION_CHECK_H": "0",
        }
        workers = [
            Worker(f"worker-{n}", {**env, "LEDGER_VAR_DIR": str(tmp_path / f"w{n}")}, tmp_path)
            for n in range(WORKERS)
        ]
        try:
            wait_until(lambda: all(w.metrics() for w in workers), 60, "the workers to start")
            assert stack.refreshes() == {}
            # Every grant falls due at once, with all three workers sweeping.
            week_ago = stack.clock.now() - timedelta(days=8)
            sql(stack, "UPDATE grants SET refresh_issued_at = :at", at=week_ago)
            wait_until(lambda: stack.refreshes()["success"] >= BINDINGS, 60, "200 refreshes")
            time.sleep(1.5)
            assert stack.refreshes() == {"success": BINDINGS}
            assert sql(stack, "SELECT count(*) FROM grants WHERE version = 2") == BINDINGS
            shares = [w.refreshed() for w in workers]
            assert sum(shares) == BINDINGS
            assert sum(1 for share in shares if share) >= 2, shares
        finally:
            codes = [w.stop() for w in workers]
        logs = {w.name: w.log.read_text() for w in workers}
        assert codes == [0] * WORKERS, logs
        assert all("stopping" in log for log in logs.values()), logs


def test_a_worker_refuses_to_run_beside_a_serve_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    env = ledger_env(url, "http://127.0.0.1:9", "k1:unused", tmp_path / "var")
    with hold_single_process_lock(url):
        done = subprocess.run(  # noqa: S603 - our own CLI
            [*ledger_connect(), "worker"],
            env=process_env(env),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert "another ledger-connect serve is using" in done.stderr
