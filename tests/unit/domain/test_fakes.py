"""The fakes are honest: FakeXero behaves as xero-facts §2/§5 say, FakeStore as a database."""

from __future__ import annotations

import threading

import pytest

from domain.digests import pkce_challenge
from domain.errors import AccessTokenRejected, InvalidGrant, LockTimeout, OrganisationDisconnected
from domain.grant import OAuthGrant, TokenSet
from domain.reference import CRITICAL
from domain.values import Environment
from tests.fakes.misc import FakeClock
from tests.fakes.store import FakeStore, FakeUnitOfWork
from tests.fakes.xero import FakeXero

P, SBX = Environment.PRODUCTION, Environment.SANDBOX


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def xero(clock: FakeClock) -> FakeXero:
    return FakeXero(clock, tenants={"t-1": "One", "t-2": "Two"})


class TestRotation:
    def test_every_refresh_rotates(self, xero: FakeXero) -> None:
        first = xero.grant_tokens("u", ["t-1"])
        second = xero.refresh(P, first.refresh_token)
        assert second.refresh_token != first.refresh_token
        assert second.access_token != first.access_token

    def test_the_predecessor_works_for_thirty_minutes_until_its_successor_is_used(
        self, xero: FakeXero, clock: FakeClock
    ) -> None:
        first = xero.grant_tokens("u", ["t-1"])
        lost = xero.refresh(P, first.refresh_token)
        clock.advance(minutes=30)
        second = xero.refresh(P, first.refresh_token)
        assert not xero.accepts(lost.refresh_token)
        xero.refresh(P, second.refresh_token)
        with pytest.raises(InvalidGrant):
            xero.refresh(P, first.refresh_token)

    def test_the_grace_ends_after_thirty_minutes(self, xero: FakeXero, clock: FakeClock) -> None:
        first = xero.grant_tokens("u", ["t-1"])
        xero.refresh(P, first.refresh_token)
        clock.advance(minutes=30, seconds=1)
        with pytest.raises(InvalidGrant):
            xero.refresh(P, first.refresh_token)

    def test_an_unused_refresh_token_dies_after_sixty_days(
        self, xero: FakeXero, clock: FakeClock
    ) -> None:
        tokens = xero.grant_tokens("u", ["t-1"])
        clock.advance(days=60, seconds=1)
        with pytest.raises(InvalidGrant):
            xero.refresh(P, tokens.refresh_token)

    def test_a_token_of_one_environment_is_unknown_to_the_other(self, xero: FakeXero) -> None:
        tokens = xero.grant_tokens("u", ["t-1"], SBX)
        with pytest.raises(InvalidGrant):
            xero.refresh(P, tokens.refresh_token)
        with pytest.raises(AccessTokenRejected):
            xero.list_connections(P, tokens.access_token)

    def test_access_tokens_last_thirty_minutes(self, xero: FakeXero, clock: FakeClock) -> None:
        tokens = xero.grant_tokens("u", ["t-1"])
        clock.advance(minutes=29, seconds=59)
        xero.list_connections(P, tokens.access_token)
        clock.advance(seconds=1)
        with pytest.raises(AccessTokenRejected):
            xero.list_connections(P, tokens.access_token)


class TestConsentAndConnections:
    def test_a_code_needs_its_verifier_and_works_once(self, xero: FakeXero) -> None:
        xero.authorization_url(P, state="s", code_challenge=pkce_challenge("verifier"))
        code = xero.consent("s", "u", ["t-1"])
        with pytest.raises(InvalidGrant):
            xero.exchange_code(P, code=code, code_verifier="wrong")
        xero.authorization_url(P, state="s2", code_challenge=pkce_challenge("verifier"))
        code = xero.consent("s2", "u", ["t-1"])
        xero.exchange_code(P, code=code, code_verifier="verifier")
        with pytest.raises(InvalidGrant):
            xero.exchange_code(P, code=code, code_verifier="verifier")

    def test_connections_list_every_consent_unless_filtered(self, xero: FakeXero) -> None:
        xero.grant_tokens("u", ["t-1"])
        xero.authorization_url(P, state="s", code_challenge=pkce_challenge("v"))
        tokens = xero.exchange_code(P, code=xero.consent("s", "u", ["t-2"]), code_verifier="v")
        every = xero.list_connections(P, tokens.access_token)
        this = xero.list_connections(P, tokens.access_token, tokens.auth_event_id)
        assert [c.tenant_id for c in every] == ["t-1", "t-2"]
        assert [c.tenant_id for c in this] == ["t-2"]

    def test_revocation_removes_every_connection_of_the_user(self, xero: FakeXero) -> None:
        tokens = xero.grant_tokens("u", ["t-1", "t-2"])
        xero.revoke(P, tokens.refresh_token)
        assert xero.list_connections(P, tokens.access_token) == []
        assert not xero.accepts(tokens.refresh_token)

    def test_an_organisation_without_connection_answers_403(self, xero: FakeXero) -> None:
        tokens = xero.grant_tokens("u", ["t-1"])
        xero.fetch_reference(P, tokens.access_token, "t-1", CRITICAL)
        xero.remove_app("u", "t-1")
        with pytest.raises(OrganisationDisconnected):
            xero.fetch_reference(P, tokens.access_token, "t-1", CRITICAL)
        assert xero.accepts(tokens.refresh_token)


class TestStore:
    def test_nothing_lands_without_commit(self) -> None:
        store = FakeStore()
        with FakeUnitOfWork(store) as uow:
            uow.write("t", "k", "v")
            assert uow.read("t", "k") == "v"
            assert FakeUnitOfWork(store).read("t", "k") is None
        assert store.read("t", "k") is None

    def test_a_row_lock_holds_until_the_unit_of_work_ends(self) -> None:
        store = FakeStore()
        with FakeUnitOfWork(store) as holder:
            holder.grants.lock("b-1", 1.0)
            with pytest.raises(LockTimeout):
                FakeUnitOfWork(store).grants.lock("b-1", 0.01)
        with FakeUnitOfWork(store) as later:
            later.grants.lock("b-1", 0.01)

    def test_writing_a_locked_grant_waits_for_the_lock(self) -> None:
        store = FakeStore()
        store.write_timeout_s = 0.05
        with FakeUnitOfWork(store) as holder:
            holder.grants.lock("b-1", 1.0)
            writer = FakeUnitOfWork(store)
            writer.grants.delete("b-1")
            with pytest.raises(LockTimeout):
                writer.commit()

    def test_a_waiting_write_lands_after_the_holder_commits(self) -> None:
        store = FakeStore()
        grant = OAuthGrant.issue("b-1", P, TokenSet("a", "r", 1800), FakeClock().now())
        holder = FakeUnitOfWork(store)
        holder.grants.lock("b-1", 1.0)
        holder.grants.save(grant)
        deleter = FakeUnitOfWork(store)
        deleter.grants.delete("b-1")
        done = threading.Thread(target=deleter.commit)
        done.start()
        holder.commit()
        done.join(1.0)
        assert store.read("grants", "b-1") is None
