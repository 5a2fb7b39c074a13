"""A whole service on fakes, with shortcuts to put bindings into each state of their life."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.bootstrap import Container, bootstrap
from app.settings import Settings
from domain.account import Account
from domain.binding import Binding
from domain.digests import CodeDigest
from domain.grant import OAuthGrant
from domain.magento import MagentoProfile, MagentoStore, NamedCode
from domain.service import LedgerConnect
from domain.usecases.connect import ChooseOrganisation
from domain.usecases.settle import Connected
from domain.usecases.tunables import Tunables
from domain.values import BindingStatus, Environment
from tests.fakes.misc import FakeClock, FakePlans, QueuedTasks, SequentialIds, SequentialSecrets
from tests.fakes.reads import FakeCredentialReadLog
from tests.fakes.store import FakeStore, FakeUnitOfWork
from tests.fakes.xero import FakeXero

# Nothing here is read but what bootstrap needs when every port is given (tracing: off).
SETTINGS = Settings.from_env({})
TENANTS = {
    "tenant-uk": "Demo Company (UK)",
    "tenant-nz": "Kiwi Kitchenware Ltd",
    "tenant-au": "Wombat Wares Pty",
    "tenant-partner": "Partner Practice Ltd",
    "practice-1": "Avery & Co (practice)",
}


def profile(url: str = "https://shop.example.com", websites: int = 1) -> MagentoProfile:
    sites = tuple(NamedCode(f"site{i}", f"Website {i}") for i in range(1, websites + 1))
    return MagentoProfile(
        base_url=url,
        label="Example shop",
        websites=sites,
        stores=tuple(
            MagentoStore(f"store{i}", f"Store {i}", s.code) for i, s in enumerate(sites, 1)
        ),
        payment_methods=(NamedCode("checkmo", "Check / Money order"), NamedCode("stripe", "Card")),
        product_types=(NamedCode("simple", "Simple"), NamedCode("virtual", "Virtual")),
    )


@dataclass
class World:
    clock: FakeClock = field(default_factory=FakeClock)
    store: FakeStore = field(default_factory=FakeStore)
    tasks: QueuedTasks = field(default_factory=QueuedTasks)
    plans: FakePlans = field(default_factory=FakePlans)
    tunables: Tunables = field(default_factory=Tunables)

    def __post_init__(self) -> None:
        self.xero = FakeXero(
            self.clock,
            tenants=dict(TENANTS),
            editions={"tenant-partner": "PARTNER"},
            tenant_types={"practice-1": "PRACTICE"},
        )
        self.ids = SequentialIds()
        self.secrets = SequentialSecrets()
        self.codes = CodeDigest.random()
        self.read_log = FakeCredentialReadLog()
        self.container = self.boot()
        self.service = self.container.service

    def boot(self) -> Container:
        """The production wiring (app.bootstrap) over this world's fakes."""
        return bootstrap(
            SETTINGS,
            uow=self.uow,
            xero=self.xero,
            clock=self.clock,
            ids=self.ids,
            secrets=self.secrets,
            tasks=self.tasks,
            plans=self.plans,
            codes=self.codes,
            tunables=self.tunables,
            read_log=self.read_log,
        )

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    def replica(self) -> LedgerConnect:
        """Another process of the service: same database and Xero, its own memory."""
        return self.boot().service

    def account(
        self,
        email: str = "merchant@example.com",
        plan: str = "growth",
        environment: Environment = Environment.PRODUCTION,
    ) -> Account:
        account = self.service.accounts.create(email, plan, "hash")
        if environment is not Environment.PRODUCTION:
            self.service.set_environment(account.id, environment)
        return account

    def paired(
        self, account: Account, url: str = "https://shop.example.com", websites: int = 1
    ) -> str:
        created = self.service.create_binding(account.id)
        self.service.redeem_pairing(created.pairing_code, profile(url, websites))
        return created.binding_id

    def consent(
        self,
        account: Account,
        binding_id: str,
        user: str,
        tenants: list[str],
        session: str = "browser-1",
    ) -> Connected | ChooseOrganisation:
        state, code = self.authorize(account, binding_id, user, tenants, session)
        return self.service.complete_connect(session, state, code)

    def authorize(
        self,
        account: Account,
        binding_id: str,
        user: str,
        tenants: list[str],
        session: str = "browser-1",
    ) -> tuple[str, str]:
        """Start connecting and press Allow at Xero: the `state` and `code` of the callback."""
        url = self.service.start_connect(account.id, binding_id, session)
        state = url.split("state=")[1]
        return state, self.xero.consent(state, user, tenants)

    def connected(
        self,
        account: Account | None = None,
        user: str = "user-avery",
        tenant: str = "tenant-uk",
        url: str = "https://shop.example.com",
    ) -> str:
        account = account or self.account()
        binding_id = self.paired(account, url)
        outcome = self.consent(account, binding_id, user, [tenant])
        assert isinstance(outcome, Connected), outcome
        return binding_id

    def needs_reconnect(self, binding_id: str) -> None:
        """The merchant removed the app in Xero and a sync service reported the 403."""
        link = self.binding(binding_id).xero
        assert link is not None
        self.xero.remove_app(link.xero_user_id, link.tenant_id, link.environment)
        self.service.checker.report_auth_failure(binding_id, 403)
        assert self.binding(binding_id).status is BindingStatus.NEEDS_RECONNECT

    def binding(self, binding_id: str) -> Binding:
        found: Binding | None = self.uow().bindings.get(binding_id)
        assert found is not None, binding_id
        return found

    def grant(self, binding_id: str) -> OAuthGrant | None:
        found: OAuthGrant | None = self.uow().grants.get(binding_id)
        return found

    def events(self, binding_id: str) -> list[str]:
        """The binding's event kinds, oldest first (the log answers newest first)."""
        return [e.kind.value for e in reversed(self.uow().events.for_binding(binding_id))]
