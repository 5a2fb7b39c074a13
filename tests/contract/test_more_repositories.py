"""The repository methods the domain uses that the older suites did not reach, and the orders
the SQL repositories promise: the same answers from the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.egress import EgressRow
from domain.grant import TokenView
from domain.ports import UnitOfWorkFactory
from domain.reference import OrganisationSummary
from domain.values import BindingStatus, Environment
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0

S, SBX = BindingStatus, Environment.SANDBOX
MINUTE = timedelta(minutes=1)


class TestAccounts:
    def test_lock_reads_the_account(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        with uow() as u:
            assert u.accounts.lock(b.ACCOUNT, 1.0) == b.account()
            assert u.accounts.lock("nobody", 1.0) is None


class TestBindingOrder:
    def test_lists_are_oldest_first_then_by_id(self, uow: UnitOfWorkFactory) -> None:
        later = b.binding("b-1", url="https://one.example.com", created_at=T0 + MINUTE)
        sooner = b.binding("b-3", url="https://three.example.com", connection="conn-1")
        tied = b.binding("b-2", url="https://two.example.com", connection="conn-1")
        b.store(uow, later, sooner, tied, grants=False)
        with uow() as u:
            assert [x.id for x in u.bindings.for_account(b.ACCOUNT)] == ["b-2", "b-3", "b-1"]
            assert u.bindings.connected_ids() == ["b-2", "b-3", "b-1"]
            assert [x.id for x in u.bindings.live_for_connection("conn-1")] == [
                "b-2",
                "b-3",
                "b-1",
            ]
            found = u.bindings.live_for_xero_user(SBX, "user-1")
            assert [x.id for x in found] == ["b-2", "b-3", "b-1"]

    def test_organisations_counted_for_the_cap_leave_out_demo_companies_and_the_dead(
        self, uow: UnitOfWorkFactory
    ) -> None:
        shared = [
            b.binding(f"b-{n}", url=f"https://s{n}.example.com", connection=f"c-{n}")
            for n in range(2)
        ]
        for item in shared:
            item.xero = replace(item.xero, tenant_id="tenant-shared")  # type: ignore[type-var]
        demo = b.binding("demo", url="https://demo.example.com", connection="c-demo")
        gone = b.binding("gone", url="https://gone.example.com", status=S.DISCONNECTED)
        waiting = b.binding("waiting", url="https://waiting.example.com", status=S.PAIRED)
        b.store(uow, *shared, demo, gone, waiting, grants=False)
        with uow() as u:
            cache = b.reference_cache("tenant-demo")
            u.references.save(replace(cache, organisation=OrganisationSummary("D", is_demo=True)))
            real = b.reference_cache("tenant-shared")
            u.references.save(replace(real, organisation=OrganisationSummary("R")))
            u.commit()
        with uow() as u:
            assert u.bindings.count_connected_organisations(SBX) == 1
            assert u.bindings.count_connected_organisations(Environment.PRODUCTION) == 0
        with uow() as u:  # the organisation stops being a demo company: a refetch says so
            u.references.save(replace(cache, organisation=OrganisationSummary("D")))
            u.commit()
        with uow() as u:
            assert u.bindings.count_connected_organisations(SBX) == 2


class TestTokenView:
    def test_joins_the_status_and_tenant_with_the_access_token(
        self, uow: UnitOfWorkFactory
    ) -> None:
        b.store(uow, b.binding("b-1"), b.binding("b-2", url="https://two.example.com"))
        with uow() as u:
            u.grants.delete("b-2")
            u.commit()
        grant = b.grant()
        with uow() as u:
            assert u.grants.view("b-1") == TokenView(
                "b-1",
                S.CONNECTED,
                "tenant-b-1",
                SBX,
                grant.access_token,
                grant.access_expires_at,
                grant.next_retry_at,
            )
            assert u.grants.view("b-2") is None and u.grants.view("b-404") is None


class TestConsume:
    def test_an_attempt_and_a_pairing_code_are_consumed_once(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        with uow() as u:
            u.attempts.add(replace(b.attempt("att-1"), used_at=None))
            u.pairing_codes.add(replace(b.pairing_code(), used_at=None))
            u.commit()
        for expected in (True, False):
            with uow() as u:
                assert u.attempts.consume("att-1", T0 + MINUTE) is expected
                assert u.pairing_codes.consume("code-hash-1", T0 + MINUTE) is expected
                u.commit()
        with uow() as u:
            assert u.attempts.consume("att-404", T0) is False
            assert u.pairing_codes.consume("code-404", T0) is False
            found = u.attempts.get("att-1")
            assert found is not None and found.used_at == T0 + MINUTE


class TestConnectAttempts:
    def test_abandoned_choices_and_callbacks_that_never_came(self, uow: UnitOfWorkFactory) -> None:
        b.store(uow, grants=False)
        with uow() as u:
            u.attempts.add(b.attempt("choosing"))
            u.attempts.add(replace(b.attempt("young"), created_at=T0 + 10 * MINUTE))
            u.attempts.add(replace(b.attempt("gone"), pending=None, used_at=None))
            u.attempts.add(replace(b.attempt("settled"), pending=None))
            u.commit()
        with uow() as u:
            before = T0 + MINUTE
            assert [a.id for a in u.attempts.abandoned_choices(before, 10)] == ["choosing"]
            assert [a.id for a in u.attempts.never_returned(before, 10)] == ["gone"]
            assert u.attempts.abandoned_choices(before, 0) == []


class TestLeases:
    def test_only_the_holder_releases(self, uow: UnitOfWorkFactory) -> None:
        with uow() as u:
            assert u.leases.acquire("k", "one", T0, T0 + MINUTE)
            u.leases.release("k", "two")
            assert not u.leases.acquire("k", "two", T0, T0 + MINUTE)
            u.leases.release("k", "one")
            assert u.leases.acquire("k", "two", T0, T0 + MINUTE)
            u.commit()


class TestEgress:
    def test_months_add_up_per_organisation_and_endpoint(self, uow: UnitOfWorkFactory) -> None:
        rows = [EgressRow(SBX, "t-1", "Accounts", 100), EgressRow(SBX, "t-1", "Items", 5, 2)]
        with uow() as u:
            u.egress.add("2026-03", rows)
            u.commit()
        with uow() as u:
            u.egress.add("2026-03", rows[:1])
            u.egress.add("2026-04", rows[1:])
            u.commit()
        with uow() as u:
            march = sorted(u.egress.month("2026-03"), key=lambda r: r.endpoint)
            assert march == [EgressRow(SBX, "t-1", "Accounts", 200, 2), rows[1]]
            assert u.egress.month("2026-04") == [rows[1]]
            assert u.egress.month("2026-05") == []
