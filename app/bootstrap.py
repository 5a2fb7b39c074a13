"""The composition root: builds the use cases from real adapters, or from whatever a test passes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from adapters.observability.metrics import Metrics
from adapters.observability.tracing import Tracing
from adapters.observability.xero import CountingTransport, InstrumentedXero
from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring
from adapters.persistence.listener import PgEventListener
from adapters.persistence.live_keyring import LiveKeyring
from adapters.persistence.read_log import SqlCredentialReadLog
from adapters.persistence.token_views import SqlTokenViews
from adapters.persistence.uow import SqlUnitOfWorkFactory
from adapters.system import SystemClock, SystemSecrets, ThreadTaskRunner, UuidGenerator
from adapters.webhooks.sender import HttpWebhookSender
from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.limits import OrgLimiter
from adapters.xero.provider import HttpXeroProvider
from app.keyring_loader import load_keyring, verify_stored_key_ids
from app.runtime_files import session_secret
from app.settings import Settings
from app.webhooks import Webhooks, build_webhooks
from domain.account import Plan
from domain.digests import CodeDigest
from domain.ports import (
    Clock,
    CredentialReadLog,
    EventWakeups,
    IdGenerator,
    PlanCatalogue,
    SecretGenerator,
    TaskRunner,
    UnitOfWorkFactory,
    WebhookSender,
    XeroProvider,
)
from domain.service import LedgerConnect
from domain.usecases.deps import Deps, Tunables
from domain.values import Environment


class StaticPlans(PlanCatalogue):
    """Plans come from configuration (LEDGER_PLANS), not the database."""

    def __init__(self, plans: Iterable[Plan]) -> None:
        self._plans = {plan.name: plan for plan in plans}

    def get(self, name: str) -> Plan | None:
        return self._plans.get(name)


@dataclass
class Container:
    settings: Settings
    service: LedgerConnect
    database: Database | None
    healthy: Callable[[], bool]
    closers: list[Callable[[], None]] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    tracing: Tracing = field(default_factory=Tracing.off)
    keyring: LiveKeyring | None = None
    # PostgreSQL's LISTEN for the outbox's NOTIFY; None: watch streams poll (SQLite, fakes).
    wakeups: EventWakeups | None = None
    webhooks: Webhooks | None = None

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()


def bootstrap(
    settings: Settings,
    *,
    create_dev_keys: bool = False,
    migrate: bool = False,
    uow: UnitOfWorkFactory | None = None,
    xero: XeroProvider | None = None,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    secrets: SecretGenerator | None = None,
    tasks: TaskRunner | None = None,
    tracing: Tracing | None = None,
    read_log: CredentialReadLog | None = None,
    webhook_sender: WebhookSender | None = None,
) -> Container:
    """Real adapters for every port not given; `uow` and `read_log` come together."""
    closers: list[Callable[[], None]] = []
    if tracing is None:
        tracing = tracing_from(settings)
    closers.append(tracing.close)
    database: Database | None = None
    keyring: LiveKeyring | None = None
    views: SqlTokenViews | None = None
    wakeups: EventWakeups | None = None
    healthy: Callable[[], bool] = lambda: True  # noqa: E731 - fakes are always healthy
    if uow is None:
        database = Database(settings.database_url)
        closers.append(database.dispose)
        if migrate:
            database.migrate()
        keyring = live_keyring(settings, database, create_dev_keys)
        uow = SqlUnitOfWorkFactory(database, keyring, tracing.tracer)
        views = SqlTokenViews(database, Sealer(keyring))
        closers.append(views.dispose)
        healthy = database.ping
        if not database.is_sqlite:
            wakeups = PgEventListener(database.url)
            closers.append(wakeups.close)
        read_log = read_log or SqlCredentialReadLog(database)
    if read_log is None:
        raise ValueError("a unit of work factory needs a credential read log beside it")
    metrics = Metrics()
    if xero is None:
        provider = HttpXeroProvider(
            xero_configs(settings),
            limiter=OrgLimiter(app_per_minute=settings.app_budget_per_minute),
            transport=tracing.http_transport(CountingTransport(metrics)),
            identity_timeout_s=min(10.0, 0.8 * settings.lock_timeout_s),
        )
        closers.append(provider.close)
        xero = provider
    if tasks is None:
        # Closers run in reverse: background tasks drain before the Xero client closes.
        runner = ThreadTaskRunner()
        closers.append(runner.shutdown)
        tasks = runner
    deps = Deps(
        uow=uow,
        xero=InstrumentedXero(xero, metrics, tracing.tracer),
        clock=clock or SystemClock(),
        ids=ids or UuidGenerator(),
        secrets=secrets or SystemSecrets(),
        plans=StaticPlans(settings.plans),
        tasks=tasks,
        codes=CodeDigest.derived(session_secret(settings)),
        views=views,
        tunables=Tunables(
            token_skew=timedelta(seconds=settings.token_skew_s),
            lock_timeout_s=settings.lock_timeout_s,
            keepalive_after=timedelta(days=settings.keepalive_days),
            reference_max_age=timedelta(hours=settings.reference_max_age_h),
            sessions=settings.session_lifetimes,
            tiers=settings.tiers,
            event_retention=timedelta(days=settings.event_retention_days),
        ),
    )
    service = LedgerConnect(deps, read_log, audit_reads=settings.read_audit)
    if webhook_sender is None:
        http_sender = HttpWebhookSender(settings.webhooks.policy.timeout_s)
        closers.append(http_sender.close)
        webhook_sender = http_sender
    webhooks = build_webhooks(settings.webhooks, deps.uow, deps.clock, webhook_sender)
    metrics.watch_webhooks(webhooks.admin.status)
    return Container(
        settings,
        service,
        database,
        healthy,
        closers,
        metrics,
        tracing,
        keyring,
        wakeups,
        webhooks,
    )


def live_keyring(settings: Settings, database: Database, create_dev: bool) -> LiveKeyring:
    """The checked keyring; re-read (and checked again) from its file when it comes from one."""

    def read() -> Keyring:
        keyring = load_keyring(settings, create_dev=create_dev)
        verify_stored_key_ids(database, keyring)
        return keyring

    from_file = not settings.token_keys.strip()
    return LiveKeyring(read(), reread=read if from_file else None)


def tracing_from(settings: Settings) -> Tracing:
    """OTLP export when LEDGER_OTLP_ENDPOINT is set; off otherwise."""
    if not settings.otlp_endpoint:
        return Tracing.off()
    return Tracing.to_otlp(settings.otlp_endpoint, settings.trace_sample_ratio)


def xero_configs(settings: Settings) -> dict[Environment, XeroEnvironmentConfig]:
    return {Environment.PRODUCTION: settings.production, Environment.SANDBOX: settings.sandbox}
