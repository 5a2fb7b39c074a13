"""Every repository method stores and returns the same domain objects, on both backends."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest

from domain.errors import InstallAlreadyPaired, ValidationFailed
from domain.events import BindingEvent
from domain.grant import TokenSet
from domain.ports import UnitOfWorkFactory
from domain.sessions import BrowserSession
from domain.throttle import Rule
from domain.usecases.throttles import Throttles
from domain.values import BindingStatus, Environment, EventKind
from tests.fakes.misc import FakeClock
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0


class TestAccounts:
    def test_round_trip_by_id_and_email(self, uow: UnitOfWorkFactory) -> None:
        with uow() as u:
            u.accounts.add(b.account())
            u.commit()
        with uow() as u:
            assert u.accounts.get(b.ACCOUNT) == b.account()
            assert u.accounts.get_by_email(" MERCHANT@example.com") == b.account()
            assert u.accounts.get("nobody") is None

    def test_update(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        changed = replace(b.account(), plan="scale", environment=Environment.PRODUCTION)
        with uow() as u:
            u.accounts.update(changed)
            u.commit()
        with uow() as u:
            assert u.accounts.get(b.ACCOUNT) == changed

    def test_a_second_account_for_one_email_is_refused(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        with uow() as u, pytest.raises(ValidationFailed):
            u.accounts.add(b.account("acc-2", "merchant@example.com"))


class TestBindings:
    def test_round_trip_with_profile_link_and_policy(self, uow: UnitOfWorkFactory) -> None:
        awaiting = b.binding("b-2", url=None, status=BindingStatus.AWAITING_PAIRING)
        b.store(uow, b.binding(), awaiting, grants=False)
        with uow() as u:
            assert u.bindings.get("b-1") == b.binding()
            assert u.bindings.get("b-2") == awaiting
            assert u.bindings.get("b-3") is None

    def test_update_and_lookups(self, uow: UnitOfWorkFactory) -> None:
        later = T0 + timedelta(hours=1)
        gone = b.binding("b-2", url="https://old.example.com", status=BindingStatus.DISCONNECTED)
        b.store(uow, b.binding(), gone, grants=False)
        with uow() as u:
            moved = u.bindings.get("b-1")
            assert moved is not None
            event = moved.require_reconnect("Xero said no", later)
            assert event is not None
            u.events.add(event)
            u.bindings.update(moved)
            u.commit()
        with uow() as u:
            assert u.bindings.get("b-1") == moved
            assert [x.id for x in u.bindings.for_account(b.ACCOUNT)] == ["b-1", "b-2"]
            found = u.bindings.live_for_install("https://shop.example.com")
            assert found is not None and found.id == "b-1"
            assert u.bindings.live_for_install("https://old.example.com") is None
            assert [x.id for x in u.bindings.live_for_xero_user(Environment.SANDBOX, "user-1")] == [
                "b-1"
            ]
            assert u.bindings.live_for_xero_user(Environment.PRODUCTION, "user-1") == []
            assert [x.id for x in u.bindings.live_for_connection("conn-1")] == ["b-1"]
            assert u.bindings.find_by_secret_hash("hash-b-1") == moved
            assert u.bindings.find_by_secret_hash("") is None
            assert u.bindings.connected_ids() == ["b-1"]

    def test_a_second_live_binding_for_one_install_is_refused(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, b.binding("b-1"), grants=False)
        with uow() as u, pytest.raises(InstallAlreadyPaired):
            u.bindings.add(b.binding("b-2"))

    def test_http_and_https_of_one_shop_are_one_install(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, b.binding("b-1"), grants=False)
        with uow() as u:
            found = u.bindings.live_for_install("http://SHOP.example.com:80/")
            assert found is not None and found.id == "b-1"
            assert u.bindings.live_for_install("https://shop.example.com:8443") is None
        with uow() as u, pytest.raises(InstallAlreadyPaired):
            u.bindings.add(b.binding("b-2", url="http://shop.example.com"))

    def test_a_disconnected_binding_frees_its_install(self, uow: UnitOfWorkFactory) -> None:
        gone = b.binding("b-1", status=BindingStatus.DISCONNECTED)
        b.store(uow, gone, b.binding("b-2"), grants=False)
        with uow() as u:
            found = u.bindings.live_for_install("https://shop.example.com")
            assert found is not None and found.id == "b-2"


class TestGrants:
    def test_round_trip_with_every_field(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow)
        with uow() as u:
            assert u.grants.get("b-1") == b.grant()
            assert u.grants.lock("b-1", 1.0) == b.grant()
            assert u.grants.get("b-2") is None
        with uow() as u:
            assert u.grants.lock_or_follow("b-1", 1.0) == (b.grant(), True)
            assert u.grants.lock_or_follow("b-2", 1.0)[0] is None

    def test_save_replaces_and_delete_removes(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow)
        rotated = b.grant()
        rotated.rotate(TokenSet("new-access", "new-refresh", 1800), T0)
        with uow() as u:
            u.grants.save(rotated)
            u.commit()
        with uow() as u:
            assert u.grants.get("b-1") == rotated
            u.grants.delete("b-1")
            u.commit()
        with uow() as u:
            assert u.grants.get("b-1") is None

    def test_claim_due_returns_retries_and_keep_alives_of_refreshable_bindings(
        self, uow: UnitOfWorkFactory
    ) -> None:
        bindings = [
            b.binding(f"b-{n}", url=f"https://shop{n}.example.com", connection=f"c-{n}")
            for n in range(1, 5)
        ]
        bindings[3].status = BindingStatus.NEEDS_RECONNECT
        b.store(uow, *bindings)
        with uow() as u:
            for binding_id, retry, issued in [
                ("b-1", T0 - timedelta(seconds=1), T0),  # retry due
                ("b-2", None, T0 - timedelta(days=8)),  # keep-alive due
                ("b-3", T0 + timedelta(minutes=1), T0),  # not yet
                ("b-4", T0 - timedelta(seconds=1), T0),  # cannot refresh
            ]:
                item = replace(b.grant(binding_id), next_retry_at=retry, refresh_issued_at=issued)
                u.grants.save(item)
            u.commit()
        with uow() as u:
            claimed = u.grants.claim_due(T0, T0 - timedelta(days=7), limit=10)
            assert [g.binding_id for g in claimed] == ["b-1", "b-2"]
            assert len(u.grants.claim_due(T0, T0 - timedelta(days=7), limit=1)) == 1


class TestReferenceCaches:
    def test_round_trip_and_replace(self, uow: UnitOfWorkFactory) -> None:
        cache = b.reference_cache()
        with uow() as u:
            u.references.save(cache)
            u.commit()
        with uow() as u:
            assert u.references.get("tenant-b-1", Environment.SANDBOX) == replace(cache, revision=1)
            assert u.references.get("tenant-b-1", Environment.PRODUCTION) is None
            u.references.save(replace(cache, currencies=(), fetched_at=T0 + timedelta(hours=1)))
            u.commit()
        with uow() as u:
            stored = u.references.get("tenant-b-1", Environment.SANDBOX)
            assert stored is not None and stored.currencies == ()

    def test_stale_lists_missing_or_old_waves_that_a_binding_can_refresh(
        self, uow: UnitOfWorkFactory
    ) -> None:
        names = ("fresh", "old", "partial", "never", "reconnect")
        bindings = [b.binding(n, url=f"https://{n}.example.com", connection=n) for n in names]
        bindings[-1].status = BindingStatus.NEEDS_RECONNECT
        b.store(uow, *bindings, grants=False)
        two_days_ago = T0 - timedelta(days=2)
        with uow() as u:
            for cache in (
                b.reference_cache("tenant-fresh"),
                replace(b.reference_cache("tenant-old"), fetched_at=two_days_ago),
                replace(b.reference_cache("tenant-partial"), extended_fetched_at=None),
                replace(
                    b.reference_cache("tenant-never"), fetched_at=None, extended_fetched_at=None
                ),
                replace(b.reference_cache("tenant-reconnect"), fetched_at=two_days_ago),
                replace(b.reference_cache("tenant-orphan"), fetched_at=two_days_ago),
            ):
                u.references.save(cache)
            u.commit()
        with uow() as u:
            stale = u.references.stale(T0 - timedelta(hours=24), limit=10)
            assert [c.tenant_id for c in stale] == ["tenant-never", "tenant-old", "tenant-partial"]
            assert len(u.references.stale(T0 - timedelta(hours=24), limit=2)) == 2


class TestConnectAttempts:
    def test_round_trip_with_pending_consent(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        with uow() as u:
            u.attempts.add(b.attempt("att-1"))
            u.attempts.add(b.attempt("att-2", pending=False))
            u.commit()
        with uow() as u:
            assert u.attempts.get("att-1") == b.attempt("att-1")
            assert u.attempts.get_by_state("state-att-2") == b.attempt("att-2", pending=False)
            assert u.attempts.get_by_state("state-unknown") is None

    def test_update_and_expiry(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        with uow() as u:
            u.attempts.add(b.attempt("att-1"))
            u.commit()
        cleared = replace(b.attempt("att-1"), pending=None)
        with uow() as u:
            u.attempts.update(cleared)
            u.commit()
        with uow() as u:
            assert u.attempts.get("att-1") == cleared
            assert u.attempts.delete_created_before(T0) == 0
            assert u.attempts.delete_created_before(T0 + timedelta(seconds=1)) == 1
            u.commit()
        with uow() as u:
            assert u.attempts.get("att-1") is None


class TestPairingCodes:
    def test_round_trip_update_and_expiry(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        unused = replace(b.pairing_code(), used_at=None)
        with uow() as u:
            u.pairing_codes.add(unused)
            u.commit()
        with uow() as u:
            assert u.pairing_codes.get("code-hash-1") == unused
            u.pairing_codes.update(b.pairing_code())
            u.commit()
        with uow() as u:
            assert u.pairing_codes.get("code-hash-1") == b.pairing_code()
            assert u.pairing_codes.delete_created_before(T0 + timedelta(seconds=1)) == 1
            assert u.pairing_codes.get("code-hash-1") is None


class TestPairingCodeRevocation:
    def test_refusals_count_and_a_new_code_revokes_the_unused_ones(
        self, uow: UnitOfWorkFactory
    ) -> None:
        b.store(uow, grants=False)
        older = replace(b.pairing_code("old"), used_at=None)
        spent = b.pairing_code("spent")
        with uow() as u:
            u.pairing_codes.add(older)
            u.pairing_codes.add(spent)
            u.pairing_codes.refused("old")
            u.pairing_codes.refused("old")
            u.commit()
        with uow() as u:
            assert u.pairing_codes.get("old") == replace(older, refusals=2)
            assert u.pairing_codes.revoke_for_binding("b-1", T0 + timedelta(minutes=2)) == 1
            u.commit()
        with uow() as u:
            revoked = u.pairing_codes.get("old")
            assert revoked is not None and revoked.used_at == T0 + timedelta(minutes=2)
            assert u.pairing_codes.get("spent") == spent


class TestEvents:
    def test_newest_first_with_ids_and_limit(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        kinds = [EventKind.CREATED, EventKind.PAIRED, EventKind.CONNECTED]
        with uow() as u:
            for n, kind in enumerate(kinds):
                u.events.add(BindingEvent("b-1", kind, f"step {n}", T0 + timedelta(seconds=n)))
            u.commit()
        with uow() as u:
            events = u.events.for_binding("b-1")
            assert [e.kind for e in events] == kinds[::-1]
            stamped = (events[0].id, events[0].revision, b.ACCOUNT, b.binding().status)
            assert events[0] == BindingEvent("b-1", kinds[-1], "step 2", events[0].at, *stamped)
            assert events[0].at == T0 + timedelta(seconds=2)
            assert events[0].id is not None and events[0].id > (events[1].id or 0)
            assert [e.reason for e in u.events.for_binding("b-1", limit=2)] == ["step 2", "step 1"]
            assert u.events.for_binding("b-2") == []


class TestSessions:
    def test_round_trip_touch_and_deletes(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        mine = BrowserSession("h1", b.ACCOUNT, T0, T0)
        old = BrowserSession("h2", b.ACCOUNT, T0 - timedelta(hours=9), T0)
        idle = BrowserSession("h3", b.ACCOUNT, T0, T0 - timedelta(hours=1))
        with uow() as u:
            for session in (mine, old, idle):
                u.sessions.add(session)
            u.commit()
        with uow() as u:
            assert u.sessions.get("h1") == mine
            u.sessions.touch("h1", T0 + timedelta(minutes=5))
            ended = u.sessions.delete_expired(
                idle_before=T0 - timedelta(minutes=30), created_before=T0 - timedelta(hours=8)
            )
            u.commit()
        assert ended == 2
        with uow() as u:
            assert u.sessions.get("h1") == replace(mine, last_seen_at=T0 + timedelta(minutes=5))
            assert u.sessions.get("h2") is None and u.sessions.get("h3") is None
            u.sessions.add(BrowserSession("h4", b.ACCOUNT, T0, T0))
            u.sessions.delete("h1")
            u.commit()
        with uow() as u:
            assert u.sessions.get("h1") is None
            assert u.sessions.delete_for_account(b.ACCOUNT) == 1
            u.commit()


class TestThrottles:
    RULE = Rule(5, timedelta(minutes=15))

    def test_buckets_fill_drain_clear_and_purge(self, uow: UnitOfWorkFactory) -> None:
        clock = FakeClock(T0)
        throttles = Throttles(uow, clock, lock_timeout_s=5)
        assert [throttles.take("k", self.RULE) for _ in range(5)] == [None] * 5
        assert throttles.take("k", self.RULE) == timedelta(minutes=3)
        clock.advance(minutes=3)
        assert throttles.take("k", self.RULE) is None
        throttles.clear("k")
        assert throttles.take("k", self.RULE) is None
        with uow() as u:
            assert u.throttles.purge(T0 + timedelta(hours=1)) == 1
            u.commit()

    def test_concurrent_takes_are_counted_exactly(self, uow: UnitOfWorkFactory) -> None:
        throttles = Throttles(uow, FakeClock(T0), lock_timeout_s=10)
        barrier = threading.Barrier(12)

        def take(_: int) -> object:
            barrier.wait()
            return throttles.take("shared", self.RULE)

        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(take, range(12)))
        assert answers.count(None) == 5
