"""Real replicas for multi-process tests: a scratch PostgreSQL database, one Xero emulator, and
`ledger-connect serve` subprocesses sharing both (DESIGN §5, §11).

Everything binds to 127.0.0.1 on ports picked free. Every subprocess is killed by the fixture
that started it (and, as a last resort, at interpreter exit); the database is dropped with
`WITH (FORCE)` even when a test failed. PostgreSQL unreachable: skipped locally, a failure
when CI is set. Waits poll with deadlines; the deadlines are generous for a loaded 2-core box.

The test process also runs the service in-process (`bootstrap`) on the same database: it
seeds the account, drives the connect flow through the use cases, and reads grants back
decrypted. Its background tasks run inline (see InlineTasks) and its Xero client has no
client-side rate limit.
"""

from __future__ import annotations

import atexit
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import grpc
import httpx
import psycopg
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.persistence.keyring import generate_entry
from adapters.xero.limits import OrgLimiter
from adapters.xero.provider import HttpXeroProvider
from app.bootstrap import Container, bootstrap, xero_configs
from app.demo import sample_profile
from app.settings import Settings
from domain.grant import OAuthGrant
from domain.magento import MagentoProfile
from domain.ports import XeroProvider
from domain.usecases.settle import Connected
from domain.usecases.tunables import Tunables
from domain.values import BindingStatus, Environment
from xero_emulator import ClientRegistration, EmulatorSettings, RunningEmulator, start_in_thread
from xero_emulator.seed import AVERY, UK
from xero_emulator.settings import RateLimitSettings
from xero_emulator.state import EXTENSION_KEY, EmulatorState

REPO = Path(__file__).resolve().parents[3]
ADMIN_URL = os.environ.get("LEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
CLIENT_ID = "REPLICATESTCLIENT0000000000000000"
CLIENT_SECRET = "replica-test-client-secret"
PUBLIC_URL = "http://127.0.0.1:8080"
REDIRECT_URI = f"{PUBLIC_URL}/oauth/xero/callback"
CALLER_TOKEN = "replica-tests-" + secrets.token_urlsafe(24)
SESSION_SECRET = secrets.token_urlsafe(48)
START_TIMEOUT_S = 90.0
# The application name of the test process's own sessions (its container), in pg_stat_activity.
TEST_SESSIONS = "ledger-connect-test"
# What serve's log says when another process took a port between our check and its bind.
PORT_TAKEN = ("Failed to bind", "Address already in use")
CALL_TIMEOUT_S = 30.0
# Xero's own published limits would throttle a suite that connects a binding per test.
GENEROUS_LIMITS = RateLimitSettings(
    per_org_minute=1_000_000, per_org_day=10_000_000, concurrent=1_000, app_minute=10_000_000
)
HEALTH = {
    health_pb2.HealthCheckResponse.SERVING: "SERVING",
    health_pb2.HealthCheckResponse.NOT_SERVING: "NOT_SERVING",
}
T = TypeVar("T")


def wait_until(
    probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05
) -> T:
    """Poll `probe` until it answers something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


_PORTS_TAKEN: set[int] = set()


def free_port() -> int:
    """A loopback port nobody listens on now, never the same twice in this session."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in _PORTS_TAKEN:
            _PORTS_TAKEN.add(port)
            return port


# --- PostgreSQL ---------------------------------------------------------------------------


def admin_connection() -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        reason = f"PostgreSQL at {ADMIN_URL} is unreachable: {str(error).splitlines()[0]}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must run the multi-replica and fault suites)")
        pytest.skip(reason)


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A uniquely named, empty database; dropped on exit whatever happened."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def via_port(url: str, port: int) -> str:
    """The same database reached through another loopback port (a proxy)."""
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def ledger_connect() -> list[str]:
    script = Path(sys.executable).with_name("ledger-connect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


def clean_env(**ledger: str) -> dict[str, str]:
    """This process's environment without any LEDGER_* variable, plus `ledger`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(ledger, PYTHONUNBUFFERED="1")
    return env


def run_migrate(database_url: str, keys: str) -> None:
    env = clean_env(LEDGER_DATABASE_URL=database_url, LEDGER_TOKEN_KEYS=keys)
    done = subprocess.run(  # noqa: S603 - our own CLI
        [*ledger_connect(), "migrate"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"ledger-connect migrate failed:\n{done.stdout}\n{done.stderr}"


# --- The Xero emulator --------------------------------------------------------------------


class Gate:
    """WSGI middleware around the in-process emulator that can hold the next request to a
    path until the test releases it.

    A held request has fully reached Xero and waits there, deterministically, where an
    injected latency would only make that likely: the test can kill the process that sent it,
    or let another writer queue up, before Xero acts on it. With `queue_others`, requests to
    the same path that arrive meanwhile wait until the held one is done (Xero handles them in
    order)."""

    def __init__(self, app: Any) -> None:
        self._inner = app.wsgi_app
        self._cond = threading.Condition()
        self._armed: tuple[str, bool] | None = None
        self._held: str | None = None
        self._queue_others = False
        self._released = False
        app.wsgi_app = self

    def hold_next(self, path: str, queue_others: bool = True) -> None:
        with self._cond:
            self._armed, self._released = (path, queue_others), False

    def holding(self, path: str) -> bool:
        """A request to `path` has arrived and is held."""
        with self._cond:
            return self._held == path and not self._released

    def release(self) -> None:
        with self._cond:
            self._armed, self._released = None, True
            self._cond.notify_all()

    def wait_done(self, timeout: float) -> None:
        """Until the held request has been handled (Xero acted on it)."""
        with self._cond:
            assert self._cond.wait_for(lambda: self._held is None, timeout), "still held"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        held = False
        with self._cond:
            if self._armed is not None and self._armed[0] == path:
                self._queue_others = self._armed[1]
                self._armed, self._held, held = None, path, True
                self._cond.wait_for(lambda: self._released, timeout=120)
            elif self._queue_others:
                self._cond.wait_for(lambda: self._held != path, timeout=120)
        try:
            return self._inner(environ, start_response)
        finally:
            if held:
                with self._cond:
                    self._held = None
                    self._cond.notify_all()


NO_FAULTS: dict[str, Any] = {
    "latency_ms": 0,
    "latency_paths": [],
    "error_rate": 0.0,
    "error_paths": [],
    "fail_next_token_calls": 0,
    "fail_mode": "5xx",
    "drop_answer_after_rotation": 0,
}


class Emulator:
    """One in-process emulator with our sandbox client registered, and its control API."""

    def __init__(self, timeout_sleep_s: float = 12.0) -> None:
        client = ClientRegistration(CLIENT_ID, CLIENT_SECRET, (REDIRECT_URI,))
        settings = EmulatorSettings(
            clients=(client,), limits=GENEROUS_LIMITS, timeout_sleep_s=timeout_sleep_s
        )
        self._timeout_sleep_s = timeout_sleep_s
        self.running: RunningEmulator = start_in_thread(settings)
        self.gate = Gate(self.running.app)
        self.http = httpx.Client(base_url=self.running.base_url, timeout=30)

    @property
    def base_url(self) -> str:
        return self.running.base_url

    @property
    def state(self) -> EmulatorState:
        state: EmulatorState = self.running.app.extensions[EXTENSION_KEY]
        return state

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(f"/_emulator/{path}", json=body or {})
        assert response.status_code == 200, f"/_emulator/{path}: {response.text}"
        return response.json()

    def faults(self, **changes: Any) -> None:
        self.control("faults", changes)

    def clear_faults(self) -> None:
        self.control("faults", {**NO_FAULTS, "timeout_sleep_s": self._timeout_sleep_s})

    def advance(self, seconds: float) -> None:
        self.control("clock", {"advance_seconds": seconds})

    def refreshes(self) -> Counter[str]:
        """refresh_token grant requests so far: success and failure."""
        stats = self.http.get("/_emulator/stats").json()
        return Counter(stats["token_requests"].get("refresh_token", {}))

    def consent(self, authorize_url: str, user_id: str, tenant_id: str) -> str:
        """Press Allow for the authorize URL our service built; Xero's code."""
        params = dict(parse_qsl(urlsplit(authorize_url).query))
        body = {**params, "user_id": user_id, "tenant_ids": [tenant_id]}
        code: str = self.control("consent", body)["code"]
        return code

    def disconnect(self, tenant_id: str, user_id: str) -> None:
        assert self.control("disconnect", {"tenant_id": tenant_id, "user_id": user_id})[
            "disconnected"
        ], "nothing was connected"

    def token_call(self, **form: str) -> httpx.Response:
        """The token endpoint, as another client of the same app would call it."""
        return self.http.post("/connect/token", data=form, auth=(CLIENT_ID, CLIENT_SECRET))

    def revoke(self, refresh_token: str) -> None:
        form = {"token": refresh_token, "token_type_hint": "refresh_token"}
        answer = self.http.post("/connect/revocation", data=form, auth=(CLIENT_ID, CLIENT_SECRET))
        assert answer.status_code == 200, answer.text

    def connections(self, access_token: str) -> httpx.Response:
        return self.http.get("/connections", headers={"Authorization": f"Bearer {access_token}"})

    def standing(self, refresh_token: str) -> str:
        """What Xero would make of a refresh token now: "head" (the newest of its chain),
        "grace" (its predecessor, inside the grace window) or "refused" (invalid_grant)."""
        state = self.state
        with state.lock:
            chain = state.store.chains.get(state.store.refresh_index.get(refresh_token, ""))
            if chain is not None and refresh_token == chain.head:
                return "head"
            if (
                chain is not None
                and refresh_token == chain.prev
                and state.clock.now() < chain.grace_until
            ):
                return "grace"
            return "refused"

    def stop(self) -> None:
        self.gate.release()
        self.http.close()
        self.running.stop()


# --- gRPC calls ---------------------------------------------------------------------------


def bearer(token: str = CALLER_TOKEN) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@dataclass(frozen=True)
class Answer:
    """One gRPC call's outcome, with the rich error details read from the trailers."""

    code: grpc.StatusCode
    response: Any = None
    message: str = ""
    reason: str = ""
    retry_delay_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.code is grpc.StatusCode.OK

    def describe(self) -> str:
        return f"{self.code.name} {self.reason}: {self.message}"


def answer_of(error: grpc.RpcError) -> Answer:
    reason, retry = "", None
    status = rpc_status.from_call(error)
    for packed in status.details if status else ():
        if packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            packed.Unpack(info)
            reason = info.reason
        elif packed.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            delay = error_details_pb2.RetryInfo()
            packed.Unpack(delay)
            retry = delay.retry_delay.ToTimedelta().total_seconds()
    return Answer(error.code(), None, str(error.details() or ""), reason, retry)


def invoke(method: Callable[..., Any], request: Any, timeout: float = CALL_TIMEOUT_S) -> Answer:
    try:
        return Answer(grpc.StatusCode.OK, method(request, metadata=bearer(), timeout=timeout))
    except grpc.RpcError as error:
        return answer_of(error)


def fresh_token(channel: grpc.Channel, binding_id: str, timeout: float = CALL_TIMEOUT_S) -> Answer:
    stub = pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]
    return invoke(stub.GetFreshToken, pb.GetFreshTokenRequest(binding_id=binding_id), timeout)


# --- serve replicas -----------------------------------------------------------------------


_LIVE: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_LIVE):
        with suppress(ProcessLookupError):
            process.kill()


@dataclass
class Replica:
    """One `ledger-connect serve` subprocess, its ports, log file and a gRPC channel to it."""

    name: str
    env: dict[str, str] = field(repr=False)
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    grpc_port: int = 0
    http_port: int = 0
    _channel: grpc.Channel | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, attempts: int = 3) -> Replica:
        """Start and wait until gRPC health says SERVING; new ports if one was taken meanwhile."""
        for attempt in range(1, attempts + 1):
            self._launch()
            try:
                self.wait_for_health("SERVING", START_TIMEOUT_S)
                return self
            except ReplicaExited:
                if attempt == attempts or not any(m in self.log() for m in PORT_TAKEN):
                    raise
        raise AssertionError("unreachable")

    def _launch(self) -> None:
        self.grpc_port, self.http_port = free_port(), free_port()
        env = dict(self.env, LEDGER_GRPC_PORT=str(self.grpc_port))
        env["LEDGER_HTTP_PORT"] = str(self.http_port)
        env["LEDGER_VAR_DIR"] = str(self.workdir / f"{self.name}-var")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own CLI
                [*ledger_connect(), "serve"],
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _LIVE.add(self.process)
        self._close_channel()

    @property
    def channel(self) -> grpc.Channel:
        if self._channel is None:
            self._channel = grpc.insecure_channel(self.target)
        return self._channel

    @property
    def stub(self) -> pb_grpc.XeroConnectServiceStub:
        return pb_grpc.XeroConnectServiceStub(self.channel)  # type: ignore[no-untyped-call]

    def health(self, timeout: float = 3.0) -> str:
        stub = health_pb2_grpc.HealthStub(self.channel)
        try:
            answer = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.RpcError as error:
            return f"UNREACHABLE ({error.code().name})"
        return HEALTH.get(answer.status, str(answer.status))

    def wait_for_health(self, wanted: str, timeout: float) -> None:
        def reached() -> bool:
            if not self.alive:
                raise ReplicaExited(f"{self.name} exited early:\n{self.log()[-3000:]}")
            return self.health() == wanted

        wait_until(reached, timeout, f"{self.name} to report {wanted}", interval=0.1)

    def fresh_token(self, binding_id: str, timeout: float = CALL_TIMEOUT_S) -> Answer:
        return fresh_token(self.channel, binding_id, timeout)

    def binding(self, binding_id: str) -> Answer:
        return invoke(self.stub.GetBinding, pb.GetBindingRequest(binding_id=binding_id))

    def report_auth_failure(self, binding_id: str, http_status: int) -> Answer:
        request = pb.ReportXeroAuthFailureRequest(binding_id=binding_id, http_status=http_status)
        return invoke(self.stub.ReportXeroAuthFailure, request)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, open transactions die with the sockets."""
        if self.process is not None and self.alive:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM (serve's graceful stop), SIGKILL if it is not gone within `grace_s`."""
        process = self.process
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=grace_s)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=30)
            _LIVE.discard(process)
        self._close_channel()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _close_channel(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None


# Each replica may hand out a token from its in-process cache for this long after the binding
# changed elsewhere (DESIGN §5 step 1; domain Tunables.token_cache_ttl); plus scheduling slack.
CACHE_LAG_S = Tunables().token_cache_ttl.total_seconds()
LAG_SLACK_S = 3.0


def refused_within(
    replica: Replica, binding_id: str, reason: str, within: float = CACHE_LAG_S + LAG_SLACK_S
) -> float:
    """Seconds until `replica` refuses GetFreshToken with FAILED_PRECONDITION / `reason`; a
    refusal is then final: the next call is refused too."""
    started = time.monotonic()

    def refused() -> bool:
        answer = replica.fresh_token(binding_id)
        if answer.ok:
            return False
        assert answer.code is grpc.StatusCode.FAILED_PRECONDITION, answer.describe()
        assert answer.reason == reason, answer.describe()
        return True

    wait_until(refused, within, f"{replica.name} to refuse {binding_id} with {reason}")
    lag = time.monotonic() - started
    again = replica.fresh_token(binding_id)
    assert again.code is grpc.StatusCode.FAILED_PRECONDITION and again.reason == reason
    return lag


class ReplicaExited(AssertionError):
    """A serve process ended while the test waited for it."""


# --- the whole cluster --------------------------------------------------------------------


class InlineTasks:
    """The in-process TaskRunner: background work (the second prefetch wave after a connect)
    runs at once, inside the call that submits it. Nothing then runs behind a test's back,
    and every reference cache is complete, so the replicas' reference sweep has nothing to
    refetch (it would refresh the token of whichever binding it picked, maybe one a test has
    just expired on purpose)."""

    def submit(self, name: str, task: Callable[[], None]) -> None:
        task()


@dataclass
class Cluster:
    """A database, an emulator, the service in this process, and serve replicas on top."""

    database_url: str
    keys: str = field(repr=False)
    emulator: Emulator
    workdir: Path
    replicas: list[Replica] = field(default_factory=list)
    extra: list[Replica] = field(default_factory=list)
    _account_id: str = ""
    _shops: Iterator[int] = field(default_factory=lambda: iter(range(1, 10_000)))
    _numbers: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000)))
    _container: Container | None = None

    def env(self, database_url: str | None = None, **overrides: str) -> dict[str, str]:
        ledger = dict(
            LEDGER_DATABASE_URL=database_url or self.database_url,
            LEDGER_TOKEN_KEYS=self.keys,
            LEDGER_DEMO="0",
            LEDGER_PUBLIC_URL=PUBLIC_URL,
            LEDGER_SECRET_KEY=SESSION_SECRET,
            LEDGER_XERO_SANDBOX_BASE_URL=self.emulator.base_url,
            LEDGER_XERO_SANDBOX_CLIENT_ID=CLIENT_ID,
            LEDGER_XERO_SANDBOX_CLIENT_SECRET=CLIENT_SECRET,
            LEDGER_EMULATOR_PORT=str(free_port()),
            LEDGER_GRPC_CALLERS=f"replica-tests={CALLER_TOKEN}:*",
            # Above the default 5 s: a loaded 2-core machine can be slow to hand a lock on.
            LEDGER_LOCK_TIMEOUT_S="10",
            # The sweeps run (serve's default), except the connection check: it visits each
            # binding at a hashed moment of a 6-hour window, and one landing inside a test
            # would refresh a grant the test had just expired, while the tests count
            # refreshes exactly. Retries and keep-alives only touch grants the tests make due.
            LEDGER_CONNECTION_CHECK_H="0",
            LEDGER_LOG_LEVEL="INFO",
        )
        return clean_env(**(ledger | overrides))

    @property
    def container(self) -> Container:
        if self._container is None:
            self._container = self.build(self.database_url, self.keys)
        return self._container

    def build(
        self,
        database_url: str,
        keys: str,
        wrap: Callable[[XeroProvider], XeroProvider] = lambda provider: provider,
    ) -> Container:
        """The service in this process, on `database_url`, as a replica with `keys` would be;
        `wrap` may put something around its Xero provider."""
        settings = Settings.from_env(self.env(database_url, LEDGER_TOKEN_KEYS=keys))
        provider = HttpXeroProvider(
            xero_configs(settings), limiter=OrgLimiter(concurrent=100, per_minute=1_000_000)
        )
        built = bootstrap(settings, xero=wrap(provider), tasks=InlineTasks())
        built.closers.append(provider.close)
        if built.database is not None and not built.database.is_sqlite:
            _name_sessions(built.database.engine, TEST_SESSIONS)
        return built

    # replicas

    def start_replicas(self, count: int, database_url: str | None = None) -> list[Replica]:
        """Start `count` replicas at once (they start in parallel) and wait for each."""
        started = [self._new_replica(database_url) for _ in range(count)]
        self.replicas += started
        for replica in started:
            replica._launch()
        for replica in started:
            try:
                replica.wait_for_health("SERVING", START_TIMEOUT_S)
            except ReplicaExited:
                replica.start()
        return started

    def spawn(self, database_url: str | None = None) -> Replica:
        """One more replica for a single test (a victim to kill); stopped with the cluster."""
        replica = self._new_replica(database_url)
        self.extra.append(replica)
        return replica.start()

    def _new_replica(self, database_url: str | None) -> Replica:
        return Replica(f"serve-{next(self._numbers)}", self.env(database_url), self.workdir)

    def close(self) -> None:
        everyone = self.replicas + self.extra
        for replica in everyone:
            if replica.alive:
                assert replica.process is not None
                replica.process.send_signal(signal.SIGTERM)
        for replica in everyone:
            replica.stop()
        if self._container is not None:
            self._container.close()

    # data

    def seed_account(self) -> str:
        service = self.container.service
        account = service.accounts.create(
            f"replicas-{uuid.uuid4().hex[:8]}@ledger.test", "scale", "x"
        )
        service.set_environment(account.id, Environment.SANDBOX)
        self._account_id = account.id
        return account.id

    def connect(self, user_id: str = AVERY.user_id, tenant_id: str = UK.tenant_id) -> str:
        """A new binding, paired and connected to Xero through the real flow; its id."""
        service = self.container.service
        created = service.create_binding(self._account_id)
        shop = f"https://shop-{next(self._shops)}-{uuid.uuid4().hex[:6]}.ledger.test"
        service.redeem_pairing(created.pairing_code, MagentoProfile.from_dict(sample_profile(shop)))
        self.reconnect(created.binding_id, user_id, tenant_id)
        return created.binding_id

    def reconnect(self, binding_id: str, user_id: str, tenant_id: str) -> Connected:
        """The merchant (re)connects Xero: authorize URL, consent at Xero, our callback."""
        service = self.container.service
        browser_session = secrets.token_urlsafe(16)
        url = service.start_connect(self._account_id, binding_id, browser_session)
        code = self.emulator.consent(url, user_id, tenant_id)
        state = dict(parse_qsl(urlsplit(url).query))["state"]
        outcome = service.complete_connect(browser_session, state, code)
        assert isinstance(outcome, Connected), outcome
        return outcome

    def grant(self, binding_id: str) -> OAuthGrant:
        with self.container.ports.uow() as uow:
            grant = uow.grants.get(binding_id)
        assert grant is not None, f"no grant for {binding_id}"
        return grant

    def status(self, binding_id: str) -> BindingStatus:
        with self.container.ports.uow() as uow:
            binding = uow.bindings.get(binding_id)
        assert binding is not None
        return binding.status

    def events(self, binding_id: str) -> list[str]:
        with self.container.ports.uow() as uow:
            return [e.kind.value for e in uow.events.for_binding(binding_id)]

    def set_expiry(self, binding_id: str, at: datetime) -> None:
        """Move the stored access token's expiry, as if time had passed on our side."""
        self.sql_write(
            "UPDATE grants SET access_expires_at = :at WHERE binding_id = :id", at=at, id=binding_id
        )

    def expire(self, binding_id: str) -> None:
        """The access token's 30 minutes are over, here and at Xero."""
        self.emulator.advance(1801)
        self.set_expiry(binding_id, datetime.now(UTC) - timedelta(minutes=1))

    def sql(self, statement: str, **params: Any) -> list[Any]:
        assert self.container.database is not None
        with self.container.database.engine.connect() as conn:
            return list(conn.execute(text(statement), params))

    def lock_waiters(self, statement: str = "SELECT grants.%", *, ours: bool = False) -> int:
        """Sessions of this database waiting for a lock in a statement LIKE `statement`: by
        default a grant's row lock (only the locking SELECT of grants ever waits), not the
        other locks the replicas' sweeps wait on now and then. `ours`: only this test
        process's own sessions (its container's), never a replica's."""
        rows = self.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE :pattern "
            "AND (NOT :ours OR application_name = :name)",
            pattern=statement,
            ours=ours,
            name=TEST_SESSIONS,
        )
        return int(rows[0][0])

    def sql_write(self, statement: str, **params: Any) -> None:
        assert self.container.database is not None
        with self.container.database.engine.begin() as conn:
            conn.execute(text(statement), params)


def _name_sessions(engine: Engine, name: str) -> None:
    """Give every session of `engine` the application name `name` (in pg_stat_activity), so a
    test can tell its own sessions from the replicas'."""

    @event.listens_for(engine, "connect")
    def _name(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a SET inside a transaction would be rolled back
        dbapi_connection.execute("SELECT set_config('application_name', %s, false)", (name,))
        dbapi_connection.autocommit = autocommit

    engine.dispose()  # sessions opened before the listener are replaced by named ones


@contextmanager
def running_cluster(
    workdir: Path, replicas: int, prefix: str, keys: str | None = None
) -> Iterator[Cluster]:
    """Database + migrate + emulator + account + `replicas` serve processes; all torn down."""
    keys = keys or generate_entry("k1")
    with scratch_database(prefix) as url:
        run_migrate(url, keys)
        emulator = Emulator()
        cluster = Cluster(url, keys, emulator, workdir)
        try:
            cluster.start_replicas(replicas)
            cluster.seed_account()
            yield cluster
        finally:
            try:
                cluster.close()
            finally:
                emulator.stop()


@pytest.hookimpl(wrapper=True)
def keep_reports(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """`pytest_runtest_makereport` for the conftests: keeps each phase's report on the item,
    so a fixture can tell that its test failed."""
    report: pytest.TestReport = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "rep_call", None)
    return bool(report is not None and report.failed)


def print_logs(replicas: Iterable[Replica]) -> None:
    """On failure the replicas' logs help; pytest shows what a failing test printed."""
    for replica in replicas:
        print(f"--- {replica.name} (pid {replica.process.pid if replica.process else '-'})")
        print(replica.log()[-4000:])
