"""The connect flow of DESIGN §4: state, PKCE, code exchange, choosing the organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.account import Account
from domain.digests import pkce_challenge
from domain.errors import (
    ConnectAttemptInvalid,
    ConsentDenied,
    EnvironmentNotConfigured,
    InvalidGrant,
    InvalidTransition,
    NoOrganisation,
    NotFound,
    ProviderUnavailable,
)
from domain.reference import CRITICAL, EXTENDED
from domain.usecases.connect import ChooseOrganisation
from domain.usecases.settle import Connected
from domain.values import BindingStatus, Environment
from tests.fakes.world import World

USER = "user-avery"


@pytest.fixture
def paired(world: World, account: Account) -> str:
    return world.paired(account)


def assert_untouched(world: World, binding_id: str) -> None:
    binding = world.binding(binding_id)
    assert (binding.status, binding.xero) == (BindingStatus.PAIRED, None)
    assert world.grant(binding_id) is None
    assert world.events(binding_id) == ["created", "paired"]


class TestStartConnect:
    def test_records_a_single_use_attempt_with_a_pkce_challenge(
        self, world: World, account: Account, paired: str
    ) -> None:
        url = world.service.start_connect(account.id, paired, "browser-1")
        (attempt,) = world.store.rows("attempts")
        assert url.endswith(f"state={attempt.state}")
        assert world.xero.authorize_requests[attempt.state] == (
            pkce_challenge(attempt.code_verifier),
            Environment.PRODUCTION,
        )
        assert (attempt.binding_id, attempt.used_at) == (paired, None)

    def test_an_unpaired_binding_cannot_connect(self, world: World, account: Account) -> None:
        created = world.service.create_binding(account.id)
        with pytest.raises(InvalidTransition):
            world.service.start_connect(account.id, created.binding_id, "browser-1")

    def test_only_the_owner_connects(self, world: World, paired: str) -> None:
        stranger = world.account("stranger@example.com")
        with pytest.raises(NotFound):
            world.service.start_connect(stranger.id, paired, "browser-1")

    def test_an_environment_without_credentials_gives_a_clear_refusal(
        self, world: World, account: Account, paired: str
    ) -> None:
        world.xero.configured = {Environment.PRODUCTION}
        world.service.set_environment(account.id, Environment.SANDBOX)
        with pytest.raises(EnvironmentNotConfigured, match="sandbox"):
            world.service.start_connect(account.id, paired, "browser-1")
        assert world.store.rows("attempts") == []


class TestCallbackState:
    def test_an_unknown_state_is_refused(self, world: World) -> None:
        with pytest.raises(ConnectAttemptInvalid):
            world.service.complete_connect("browser-1", "forged-state", "code")

    def test_a_state_is_used_once(self, world: World, account: Account, paired: str) -> None:
        state, code = world.authorize(account, paired, USER, ["tenant-uk"])
        world.service.complete_connect("browser-1", state, code)
        with pytest.raises(ConnectAttemptInvalid):
            world.service.complete_connect("browser-1", state, code)

    def test_a_state_lives_ten_minutes(self, world: World, account: Account, paired: str) -> None:
        state, code = world.authorize(account, paired, USER, ["tenant-uk"])
        world.clock.advance(minutes=10, seconds=1)
        with pytest.raises(ConnectAttemptInvalid, match="expired"):
            world.service.complete_connect("browser-1", state, code)
        assert_untouched(world, paired)

    def test_a_state_of_another_browser_session_is_refused_and_kept(
        self, world: World, account: Account, paired: str
    ) -> None:
        state, code = world.authorize(account, paired, USER, ["tenant-uk"])
        with pytest.raises(ConnectAttemptInvalid, match="another session"):
            world.service.complete_connect("browser-evil", state, code)
        assert_untouched(world, paired)
        assert isinstance(world.service.complete_connect("browser-1", state, code), Connected)

    def test_access_denied_writes_nothing_but_uses_the_state(
        self, world: World, account: Account, paired: str
    ) -> None:
        url = world.service.start_connect(account.id, paired, "browser-1")
        state = url.split("state=")[1]
        with pytest.raises(ConsentDenied, match="cancelled"):
            world.service.complete_connect("browser-1", state, None, error="access_denied")
        assert_untouched(world, paired)
        with pytest.raises(ConnectAttemptInvalid):
            world.service.complete_connect("browser-1", state, "code")

    def test_a_callback_without_a_code_is_not_a_consent(
        self, world: World, account: Account, paired: str
    ) -> None:
        url = world.service.start_connect(account.id, paired, "browser-1")
        with pytest.raises(ConsentDenied, match="try again"):
            world.service.complete_connect("browser-1", url.split("state=")[1], None)
        assert_untouched(world, paired)


class TestCodeExchange:
    def test_stores_the_grant_and_connects_the_binding(
        self, world: World, account: Account, paired: str
    ) -> None:
        outcome = world.consent(account, paired, USER, ["tenant-uk"])
        assert outcome == Connected(paired, "Demo Company (UK)", reference_ready=True)
        binding, grant = world.binding(paired), world.grant(paired)
        assert binding.status is BindingStatus.CONNECTED
        assert binding.xero is not None and grant is not None
        assert (binding.xero.tenant_id, binding.xero.xero_user_id) == ("tenant-uk", USER)
        assert binding.xero.connection_id == f"conn-production-{USER}-tenant-uk"
        assert world.xero.accepts(grant.refresh_token)
        assert grant.access_expires_at == world.clock.now() + timedelta(minutes=30)
        assert (grant.version, grant.xero_user_id) == (1, USER)
        assert grant.auth_event_id != ""
        assert world.events(paired) == ["created", "paired", "connected", "settings_changed"]

    def test_the_verifier_of_the_attempt_goes_to_xero(
        self, world: World, account: Account, paired: str
    ) -> None:
        state, code = world.authorize(account, paired, USER, ["tenant-uk"])
        with world.uow() as uow:
            (attempt,) = uow.attempts.all()
            attempt.code_verifier = "a-verifier-xero-never-saw"
            uow.attempts.update(attempt)
            uow.commit()
        with pytest.raises(InvalidGrant):
            world.service.complete_connect("browser-1", state, code)
        assert_untouched(world, paired)


class TestChoosingTheOrganisation:
    def test_only_the_organisations_of_this_consent_count(
        self, world: World, account: Account, paired: str
    ) -> None:
        world.xero.grant_tokens(USER, ["tenant-nz", "tenant-au"])
        outcome = world.consent(account, paired, USER, ["tenant-uk"])
        assert isinstance(outcome, Connected)
        assert world.binding(paired).xero.tenant_id == "tenant-uk"  # type: ignore[union-attr]
        earlier = {c.tenant_id for c in world.xero.connections_of(USER)}
        assert earlier == {"tenant-uk", "tenant-nz", "tenant-au"}

    def test_several_organisations_wait_for_the_merchant(
        self, world: World, account: Account, paired: str
    ) -> None:
        outcome = world.consent(account, paired, USER, ["tenant-uk", "tenant-nz"])
        assert isinstance(outcome, ChooseOrganisation)
        assert [o.tenant_id for o in outcome.organisations] == ["tenant-uk", "tenant-nz"]
        assert_untouched(world, paired)
        connected = world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-nz")
        assert connected.tenant_name == "Kiwi Kitchenware Ltd"
        assert world.binding(paired).xero.tenant_id == "tenant-nz"  # type: ignore[union-attr]
        assert world.xero.deleted == [f"conn-production-{USER}-tenant-uk"]

    def test_an_organisation_outside_the_consent_is_refused(
        self, world: World, account: Account, paired: str
    ) -> None:
        outcome = world.consent(account, paired, USER, ["tenant-uk", "tenant-nz"])
        assert isinstance(outcome, ChooseOrganisation)
        with pytest.raises(ConnectAttemptInvalid, match="not part of this consent"):
            world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-au")
        assert_untouched(world, paired)
        assert world.xero.connections_of(USER) == []

    def test_the_choice_expires_with_the_attempt(
        self, world: World, account: Account, paired: str
    ) -> None:
        outcome = world.consent(account, paired, USER, ["tenant-uk", "tenant-nz"])
        assert isinstance(outcome, ChooseOrganisation)
        world.clock.advance(minutes=10, seconds=1)
        with pytest.raises(ConnectAttemptInvalid, match="expired"):
            world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-uk")
        assert_untouched(world, paired)

    def test_the_pending_tokens_serve_one_choice(
        self, world: World, account: Account, paired: str
    ) -> None:
        outcome = world.consent(account, paired, USER, ["tenant-uk", "tenant-nz"])
        assert isinstance(outcome, ChooseOrganisation)
        world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-uk")
        with pytest.raises(ConnectAttemptInvalid):
            world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-uk")
        assert world.grant(paired).version == 1  # type: ignore[union-attr]
        (attempt,) = world.store.rows("attempts")
        assert attempt.pending is None

    def test_the_choice_belongs_to_the_browser_session(
        self, world: World, account: Account, paired: str
    ) -> None:
        outcome = world.consent(account, paired, USER, ["tenant-uk", "tenant-nz"])
        assert isinstance(outcome, ChooseOrganisation)
        with pytest.raises(ConnectAttemptInvalid):
            world.service.pick_organisation("browser-evil", outcome.attempt_id, "tenant-uk")
        world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-uk")

    @pytest.mark.parametrize("tenants", [[], ["practice-1"]], ids=["none", "practice-only"])
    def test_no_organisation_is_a_clear_refusal(
        self, world: World, account: Account, paired: str, tenants: list[str]
    ) -> None:
        with pytest.raises(NoOrganisation, match="try again"):
            world.consent(account, paired, USER, tenants)
        assert_untouched(world, paired)


class TestReferenceDuringConnect:
    def test_the_critical_set_is_fetched_and_defaults_chosen(
        self, world: World, account: Account, paired: str
    ) -> None:
        world.consent(account, paired, USER, ["tenant-uk"])
        assert world.xero.fetches == [("tenant-uk", CRITICAL)]
        cache = world.service.reference.cached(paired)
        assert cache.critical_ready and cache.extended_fetched_at is None
        policy = world.binding(paired).policy
        assert (policy.default_income_account, policy.default_bank_account) == (
            "acc-sales",
            "acc-bank",
        )
        assert world.tasks.run_all() == 1
        assert world.xero.fetches == [("tenant-uk", CRITICAL), ("tenant-uk", EXTENDED)]
        assert world.service.reference.cached(paired).currencies != ()

    def test_a_failed_critical_fetch_still_connects_and_fetches_later(
        self, world: World, account: Account, paired: str
    ) -> None:
        world.xero.fail_fetch = [ProviderUnavailable("Xero answered 503")]
        outcome = world.consent(account, paired, USER, ["tenant-uk"])
        assert outcome == Connected(paired, "Demo Company (UK)", reference_ready=False)
        assert world.binding(paired).status is BindingStatus.CONNECTED
        assert not world.service.reference.cached(paired).critical_ready
        assert world.binding(paired).policy.default_income_account == ""
        world.tasks.run_all()
        assert world.xero.fetches[1:] == [("tenant-uk", CRITICAL), ("tenant-uk", EXTENDED)]
        assert world.service.reference.cached(paired).critical_ready
        assert world.binding(paired).policy.default_bank_account == "acc-bank"


class TestReconnectDropsTheCachedToken:
    def test_the_new_grant_is_handed_out_at_once(self, world: World) -> None:
        account = world.account()
        binding_id = world.connected(account)
        before = world.service.tokens.fresh_token(binding_id)
        outcome = world.consent(account, binding_id, "user-avery", ["tenant-uk"])
        assert isinstance(outcome, Connected)
        after = world.service.tokens.fresh_token(binding_id)
        assert after.access_token != before.access_token
        assert after.access_token == world.grant(binding_id).access_token  # type: ignore[union-attr]
