"""The service under test: one database per backend, its configuration, and `serve` replicas.

Everything is configured the way an operator would, through LEDGER_* variables: production
Xero unset, demo mode off, the sandbox environment pointing at the benchmark's emulator.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from adapters.passwords import hash_password
from adapters.persistence.keyring import generate_entry
from app.bootstrap import Container, bootstrap
from app.demo import sample_profile
from app.settings import Settings
from bench.context import Context
from bench.emulator import CLIENT_ID, PUBLIC_URL, Emulator
from bench.pg import temporary_database
from bench.procs import PY, Proc, clean_env, free_port
from bench.report import Outcome
from domain.magento import MagentoProfile
from domain.ports import XeroProvider
from domain.values import Environment

BACKENDS = ("sqlite", "postgres")


@contextmanager
def database_url(backend: str, workdir: Path, label: str) -> Iterator[str]:
    """A fresh, empty database on `backend`, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / f'{label}-{uuid.uuid4().hex[:8]}.db'}"
    else:
        with temporary_database(label) as url:
            yield url


class Service:
    """One deployment of ledger-connect: a database, a keyring, a caller and an emulator."""

    def __init__(self, workdir: Path, url: str, emulator: Emulator, **extra: str) -> None:
        self.workdir, self.url, self.emulator = workdir, url, emulator
        self.caller_token = secrets.token_urlsafe(24)
        self._keys = generate_entry("bench1")
        self._extra = extra

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env() | {
            "LEDGER_VAR_DIR": str(self.workdir / "var"),
            "LEDGER_DATABASE_URL": self.url,
            "LEDGER_TOKEN_KEYS": self._keys,
            "LEDGER_SECRET_KEY": "bench-" + "s" * 40,
            "LEDGER_PUBLIC_URL": PUBLIC_URL,
            "LEDGER_DEMO": "0",
            "LEDGER_GRPC_CALLERS": f"bench={self.caller_token}:*",
            "LEDGER_XERO_SANDBOX_BASE_URL": self.emulator.base_url,
            "LEDGER_XERO_SANDBOX_CLIENT_ID": CLIENT_ID,
            "LEDGER_XERO_SANDBOX_CLIENT_SECRET": self.emulator.client_secret,
            "LEDGER_LOG_LEVEL": "WARNING",
            **self._extra,
            **extra,
        }

    def settings(self) -> Settings:
        return Settings.from_env(self.env())

    @contextmanager
    def container(self, xero: XeroProvider | None = None) -> Iterator[Container]:
        """The composition root in this process (migrates the schema)."""
        built = bootstrap(self.settings(), migrate=True, xero=xero)
        try:
            yield built
        finally:
            built.close()

    @contextmanager
    def serve(self, name: str, module: str = "app", **extra: str) -> Iterator[tuple[Proc, str]]:
        """A `ledger-connect serve` replica (with `extra` LEDGER_* settings, which may name
        its LEDGER_HTTP_PORT), run as `python -m <module> serve`; yields it and its gRPC
        target."""
        grpc_port = free_port()
        ports = {"LEDGER_GRPC_PORT": str(grpc_port), "LEDGER_HTTP_PORT": str(free_port())}
        env = self.env(**(ports | extra))
        with Proc(name, [PY, "-m", module, "serve"], env, self.workdir / f"{name}.log") as proc:
            proc.wait_for("ledger-connect is running")
            yield proc, f"127.0.0.1:{grpc_port}"


@contextmanager
def worker(service: Service, name: str, **env: str) -> Iterator[Proc]:
    """A `ledger-connect worker` (the sweeps alone) with extra LEDGER_* settings."""
    argv = [PY, "-m", "app", "worker"]
    with Proc(name, argv, service.env(**env), service.workdir / f"{name}.log") as proc:
        proc.wait_for("ledger-connect worker is running")
        yield proc


def connect_binding(built: Container, emulator: Emulator, label: str) -> str:
    """A binding taken through the real use cases: account, pairing, Xero consent, callback
    (code exchange, connections, critical reference set). Returns the binding id."""
    service = built.service
    email = f"{label}-{uuid.uuid4().hex[:6]}@bench.test"
    account = service.accounts.create(email, "scale", hash_password(secrets.token_urlsafe(12)))
    service.set_environment(account.id, Environment.SANDBOX)
    created = service.create_binding(account.id)
    shop = f"https://{label}-{uuid.uuid4().hex[:6]}.shop.test"
    service.redeem_pairing(created.pairing_code, MagentoProfile.from_dict(sample_profile(shop)))
    session = secrets.token_urlsafe(16)
    authorize = service.start_connect(account.id, created.binding_id, session)
    params = dict(parse_qsl(urlsplit(authorize).query))
    user_id, tenant_id = emulator.a_user_and_tenant()
    code = emulator.consent(params, user_id, tenant_id)
    service.complete_connect(session, params["state"], code)
    return created.binding_id


def settle(built: Container, binding_id: str, timeout_s: float = 15.0) -> None:
    """Wait until the background (second) prefetch wave of a new connection has landed, so
    closing the container does not cut it off."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        cache = built.service.queries.binding(binding_id).reference
        if cache is not None and cache.extended_fetched_at is not None:
            return
        time.sleep(0.05)
    raise TimeoutError(f"the second prefetch wave of {binding_id} did not land")


def lacks_postgres(ctx: Context, outcome: Outcome) -> bool:
    """Several replicas need PostgreSQL (SQLite refuses more than one): note the skip."""
    if "postgres" in ctx.backends:
        return False
    outcome.note("skipped: needs PostgreSQL (SQLite refuses more than one replica)")
    return True
