"""Writers that race one another on a real database: each rule holds on both backends."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from adapters.persistence.repositories.grants import SqlTokenStore
from adapters.persistence.uow import SqlUnitOfWorkFactory
from adapters.system import SystemSecrets, UuidGenerator  # noqa: I001 - real ids across threads
from app.bootstrap import bootstrap
from domain.digests import CodeDigest
from domain.errors import (
    ConnectAttemptInvalid,
    InvalidGrant,
    PairingCodeInvalid,
    ReauthRequired,
)
from domain.service import LedgerConnect
from domain.usecases.tunables import Tunables
from domain.values import BindingStatus
from tests.fakes.misc import FakeClock, FakePlans, QueuedTasks, SequentialIds
from tests.fakes.reads import FakeCredentialReadLog
from tests.fakes.world import SETTINGS, TENANTS, profile
from tests.fakes.xero import FakeXero


def service(uow: SqlUnitOfWorkFactory) -> tuple[LedgerConnect, FakeXero]:
    clock = FakeClock()
    xero = FakeXero(clock, tenants=dict(TENANTS))
    built = bootstrap(
        SETTINGS,
        uow=uow,
        xero=xero,
        clock=clock,
        ids=UuidGenerator(),
        secrets=SystemSecrets(),
        plans=FakePlans(),
        tasks=QueuedTasks(),
        codes=CodeDigest.random(),
        tunables=Tunables(),
        read_log=FakeCredentialReadLog(),
    )
    return built.service, xero


def connected(svc: LedgerConnect, xero: FakeXero) -> str:
    account = svc.accounts.create(f"m-{SequentialIds().new_id()}@example.com", "growth", "h")
    created = svc.create_binding(account.id)
    svc.redeem_pairing(created.pairing_code, profile())
    url = svc.start_connect(account.id, created.binding_id, "browser")
    state = url.split("state=")[1]
    svc.complete_connect("browser", state, xero.consent(state, "user-avery", ["tenant-uk"]))
    return created.binding_id


class TestPairingCode:
    def test_two_redemptions_at_once_pair_exactly_once(self, uow: SqlUnitOfWorkFactory) -> None:
        svc, _ = service(uow)
        account = svc.accounts.create("race@example.com", "growth", "h")
        code = svc.create_binding(account.id).pairing_code
        barrier = threading.Barrier(2)

        def redeem(install: int) -> object:
            barrier.wait()
            try:
                return svc.redeem_pairing(code, profile(f"https://shop{install}.example.com"))
            except PairingCodeInvalid as refused:
                return refused

        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(redeem, range(2)))
        refused = [o for o in outcomes if isinstance(o, PairingCodeInvalid)]
        assert len(refused) == 1, outcomes


class TestStaleBinding:
    def test_a_refresh_never_undoes_a_needs_reconnect_written_meanwhile(
        self, uow: SqlUnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        svc, xero = service(uow)
        binding_id = connected(svc, xero)
        # The refresh's first locked read (it locks, or follows another writer).
        original: Callable[..., object] = SqlTokenStore.lock_or_follow
        fired: list[bool] = []

        def lock_after_another_writer(store: SqlTokenStore, key: str, timeout_s: float) -> object:
            if not fired:
                fired.append(True)
                marker = threading.Thread(target=svc.checker._mark_gone, args=(binding_id,))
                marker.start()
                marker.join()
            return original(store, key, timeout_s)

        monkeypatch.setattr(SqlTokenStore, "lock_or_follow", lock_after_another_writer)
        with pytest.raises(ReauthRequired):
            svc.tokens.refresh_now(binding_id)
        view = svc.queries.binding(binding_id)
        assert view.binding.status is BindingStatus.NEEDS_RECONNECT
        assert xero.refresh_calls == 0


class TestTokenView:
    def test_the_fast_path_read_matches_the_full_grant(self, uow: SqlUnitOfWorkFactory) -> None:
        svc, xero = service(uow)
        binding_id = connected(svc, xero)
        with uow() as unit:
            view = unit.grants.view(binding_id)
            grant = unit.grants.get(binding_id)
        assert view is not None and grant is not None
        assert view.access_token == grant.access_token
        assert view.access_expires_at == grant.access_expires_at
        assert (view.status, view.tenant_id) == (BindingStatus.CONNECTED, "tenant-uk")
        assert grant.access_token not in repr(view)

    def test_a_binding_without_xero_has_no_view(self, uow: SqlUnitOfWorkFactory) -> None:
        svc, _ = service(uow)
        account = svc.accounts.create("view@example.com", "growth", "h")
        created = svc.create_binding(account.id)
        with uow() as unit:
            assert unit.grants.view(created.binding_id) is None


class TestConnectState:
    def test_eight_callbacks_with_one_state_reach_the_token_endpoint_once(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        svc, xero = service(uow)
        account = svc.accounts.create("state@example.com", "growth", "h")
        created = svc.create_binding(account.id)
        svc.redeem_pairing(created.pairing_code, profile())
        url = svc.start_connect(account.id, created.binding_id, "browser")
        state = url.split("state=")[1]
        code = xero.consent(state, "user-avery", ["tenant-uk"])
        exchanges: list[str] = []
        exchange = xero.exchange_code

        def counting(environment: object, **kwargs: str) -> object:
            exchanges.append(kwargs["code"])
            return exchange(environment, **kwargs)  # type: ignore[arg-type]

        xero.exchange_code = counting  # type: ignore[method-assign, assignment]
        barrier = threading.Barrier(8)

        def callback(_: int) -> object:
            barrier.wait()
            try:
                return svc.complete_connect("browser", state, code)
            except (ConnectAttemptInvalid, InvalidGrant) as refused:
                return refused

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(callback, range(8)))
        refused = [o for o in outcomes if isinstance(o, ConnectAttemptInvalid)]
        assert len(exchanges) == 1, outcomes
        assert len(refused) == 7
