"""The composition root: builds the use cases from real adapters, or from whatever a test passes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from adapters.observability.metrics import Metrics
from adapters.observability.tracing import Tracing
from adapters.observability.xero import CountingTransport, InstrumentedXero
from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring
from adapters.persistence.listener import PgEventListener
from adapters.persistence.live_keyring import LiveKeyring
from adapters.persistence.loop_token_views import loop_token_views
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
    LoopTokenViews,
    PlanCatalogue,
    SecretGenerator,
    TaskRunner,
    TokenViews,
    UnitOfWorkFactory,
    WebhookSender,
    XeroProvider,
)
from domain.schedule import SweepSchedule
from domain.service import LedgerConnect
from domain.usecases.accounts import Accounts
from domain.usecases.audit import ReadAudit, ReadRecorder
from domain.usecases.connect import CompleteConnect, PickOrganisation, StartConnect
from domain.usecases.lifecycle import ConnectionChecker, Disconnect, SetEnvironment
from domain.usecases.pairing import CreateBinding, NewPairingCode, RedeemPairing, UpdateProfile
from domain.usecases.queries import Queries
from domain.usecases.reference import EgressReport, ReferenceService
from domain.usecases.sessions import Sessions
from domain.usecases.settings import SaveSettings
from domain.usecases.settle import ConnectionSettler
from domain.usecases.sweeps import Sweeps
from domain.usecases.sweeps.common import SweepContext
from domain.usecases.throttles import Throttles
from domain.usecases.tiers import ConnectionTiers
from domain.usecases.tokens import TokenService
from domain.usecases.tunables import Tunables
from domain.usecases.watch import EventReader, ListBindings
from domain.values import Environment


class StaticPlans(PlanCatalogue):
    """Plans come from configuration (LEDGER_PLANS), not the database."""

    def __init__(self, plans: Iterable[Plan]) -> None:
        self._plans = {plan.name: plan for plan in plans}

    def get(self, name: str) -> Plan | None:
        return self._plans.get(name)


@dataclass(frozen=True, slots=True)
class Ports:
    """What the use cases are built from; kept by the container for the sweeps and tests."""

    uow: UnitOfWorkFactory
    xero: XeroProvider
    clock: Clock
    ids: IdGenerator
    secrets: SecretGenerator
    plans: PlanCatalogue
    tasks: TaskRunner
    codes: CodeDigest
    read_log: CredentialReadLog
    views: TokenViews | None = None


@dataclass
class Container:
    settings: Settings
    service: LedgerConnect
    ports: Ports
    tunables: Tunables
    database: Database | None
    healthy: Callable[[], bool]
    closers: list[Callable[[], None]] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    tracing: Tracing = field(default_factory=Tracing.off)
    keyring: LiveKeyring | None = None
    # PostgreSQL's LISTEN for the outbox's NOTIFY; None: watch streams poll (SQLite, fakes).
    wakeups: EventWakeups | None = None
    webhooks: Webhooks | None = None
    # GetFreshToken's miss read on a gRPC server's own event loop: a new one per server.
    loop_views: Callable[[], LoopTokenViews | None] = lambda: None  # noqa: E731

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()

    def sweeps(self, schedule: SweepSchedule, holder: str) -> Sweeps:
        """One sweeper over this container's use cases; `holder` names it in its leases."""
        ports, service = self.ports, self.service
        context = SweepContext(ports.uow, ports.clock, self.tunables, schedule, holder)
        return Sweeps(
            context,
            tokens=service.tokens,
            checker=service.checker,
            reference=service.reference,
            settler=service.settler,
            tiers=service.tiers,
        )


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
    plans: PlanCatalogue | None = None,
    codes: CodeDigest | None = None,
    tunables: Tunables | None = None,
    tracing: Tracing | None = None,
    read_log: CredentialReadLog | None = None,
    webhook_sender: WebhookSender | None = None,
) -> Container:
    """Real adapters for every port not given (`uow` and `read_log` come together); tests
    pass fakes and get the same wiring."""
    closers: list[Callable[[], None]] = []
    if tracing is None:
        tracing = tracing_from(settings)
    closers.append(tracing.close)
    database: Database | None = None
    keyring: LiveKeyring | None = None
    views: SqlTokenViews | None = None
    wakeups: EventWakeups | None = None
    healthy: Callable[[], bool] = lambda: True  # noqa: E731 - fakes are always healthy
    loop_views: Callable[[], LoopTokenViews | None] = lambda: None  # noqa: E731 - nor with fakes
    if uow is None:
        database = Database(settings.database_url)
        closers.append(database.dispose)
        if migrate:
            database.migrate()
        keyring = live_keyring(settings, database, create_dev_keys)
        uow = SqlUnitOfWorkFactory(database, keyring, tracing.tracer)
        views = SqlTokenViews(database, Sealer(keyring))
        closers.append(views.dispose)
        # On the loop, a key the keyring lacks is the pool's to re-read for, not the loop's.
        loop_views = partial(loop_token_views, database, Sealer(keyring, reread=False))
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
            limiter=OrgLimiter(
                app_per_minute=settings.app_budget_per_minute,
                app_limit=settings.xero_app_per_minute,
            ),
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
    ports = Ports(
        uow=uow,
        xero=InstrumentedXero(xero, metrics, tracing.tracer),
        clock=clock or SystemClock(),
        ids=ids or UuidGenerator(),
        secrets=secrets or SystemSecrets(),
        plans=plans or StaticPlans(settings.plans),
        tasks=tasks,
        codes=codes or CodeDigest.derived(session_secret(settings)),
        read_log=read_log,
        views=views,
    )
    tunables = tunables or tunables_from(settings)
    service = wire(ports, tunables, audit_reads=settings.read_audit)
    if webhook_sender is None:
        http_sender = HttpWebhookSender(settings.webhooks.policy.timeout_s)
        closers.append(http_sender.close)
        webhook_sender = http_sender
    webhooks = build_webhooks(settings.webhooks, ports.uow, ports.clock, webhook_sender)
    metrics.watch_webhooks(webhooks.admin.status)
    return Container(
        settings,
        service,
        ports,
        tunables,
        database,
        healthy,
        closers,
        metrics,
        tracing,
        keyring,
        wakeups,
        webhooks,
        loop_views,
    )


def wire(p: Ports, t: Tunables, *, audit_reads: bool = True) -> LedgerConnect:
    """Every use case from the ports it names; the only place that knows them all.
    `audit_reads=False` leaves credential reads uncounted (a benchmark's baseline)."""
    timeout = t.lock_timeout_s
    tokens = TokenService(
        p.uow,
        p.xero,
        p.clock,
        skew=t.token_skew,
        lock_timeout_s=timeout,
        cache_ttl=t.token_cache_ttl,
        views=p.views,
    )
    checker = ConnectionChecker(
        p.uow, p.xero, p.clock, tokens, lock_timeout_s=timeout, check_interval=t.auth_check_interval
    )
    reference = ReferenceService(
        p.uow,
        p.xero,
        p.clock,
        p.tasks,
        tokens,
        checker,
        lock_timeout_s=timeout,
        forced_interval=t.forced_reference_interval,
    )
    settler = ConnectionSettler(p.uow, p.xero, p.clock, p.plans, timeout, tokens, reference)
    return LedgerConnect(
        tokens=tokens,
        checker=checker,
        reference=reference,
        settler=settler,
        create_binding=CreateBinding(p.uow, p.clock, p.ids, p.secrets, p.plans, p.codes),
        new_pairing_code=NewPairingCode(p.uow, p.clock, p.secrets, p.codes),
        redeem_pairing=RedeemPairing(p.uow, p.clock, p.secrets, p.plans, p.codes, timeout),
        update_profile=UpdateProfile(p.uow, p.clock, p.plans, timeout),
        start_connect=StartConnect(p.uow, p.xero, p.clock, p.ids, p.secrets, p.plans, t.tier),
        complete_connect=CompleteConnect(p.uow, p.xero, p.clock, p.plans, settler),
        pick_organisation=PickOrganisation(p.uow, p.clock, settler),
        disconnect=Disconnect(p.uow, p.xero, p.clock, tokens, timeout),
        set_environment=SetEnvironment(p.uow, p.clock, p.plans, tokens, timeout),
        save_settings=SaveSettings(p.uow, p.clock, timeout),
        queries=Queries(p.uow, p.plans),
        accounts=Accounts(p.uow, p.ids, p.plans),
        sessions=Sessions(p.uow, p.clock, p.secrets, t.sessions),
        throttles=Throttles(p.uow, p.clock, timeout),
        tiers=ConnectionTiers(p.uow, p.plans, t.tier),
        egress=EgressReport(p.uow, p.clock),
        list_bindings=ListBindings(p.uow),
        events=EventReader(p.uow),
        reads=ReadRecorder(p.read_log, p.clock, enabled=audit_reads),
        read_audit=ReadAudit(p.read_log, p.uow, p.clock),
    )


def tunables_from(settings: Settings) -> Tunables:
    return Tunables(
        token_skew=timedelta(seconds=settings.token_skew_s),
        lock_timeout_s=settings.lock_timeout_s,
        keepalive_after=timedelta(days=settings.keepalive_days),
        reference_max_age=timedelta(hours=settings.reference_max_age_h),
        sessions=settings.session_lifetimes,
        tiers=settings.tiers,
        event_retention=timedelta(days=settings.event_retention_days),
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
