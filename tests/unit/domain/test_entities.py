"""The binding status machine of DESIGN §3: every allowed move, every refused one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.binding import Binding, XeroLink
from domain.errors import BindingDisconnected, InvalidTransition, OrganisationLocked
from domain.values import BindingStatus, Environment, EventKind
from tests.fakes.world import profile

S = BindingStatus
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
UK = XeroLink(Environment.PRODUCTION, "tenant-uk", "Demo (UK)", "conn-1", "user-1")
NZ = XeroLink(Environment.PRODUCTION, "tenant-nz", "Kiwi Ltd", "conn-2", "user-1")
SANDBOX_NZ = XeroLink(Environment.SANDBOX, "tenant-nz", "Kiwi Ltd", "conn-3", "user-1")


def binding_in(status: BindingStatus) -> Binding:
    binding = Binding(id="b-1", account_id="a-1", created_at=NOW)
    if status is S.AWAITING_PAIRING:
        return binding
    binding.pair(profile(), "secret-hash", NOW)
    if status in (S.CONNECTED, S.DEGRADED, S.NEEDS_RECONNECT):
        binding.connect(UK, NOW)
    if status is S.DEGRADED:
        binding.degrade("Xero timed out", NOW)
    if status is S.NEEDS_RECONNECT:
        binding.require_reconnect("invalid_grant", NOW)
    if status is S.DISCONNECTED:
        binding.disconnect("merchant", NOW)
    assert binding.status is status
    return binding


class TestPairing:
    def test_awaiting_pairing_becomes_paired_with_its_profile(self) -> None:
        binding = binding_in(S.AWAITING_PAIRING)
        event = binding.pair(profile(), "hash", NOW)
        assert binding.status is S.PAIRED
        assert binding.magento == profile()
        assert event.kind is EventKind.PAIRED

    @pytest.mark.parametrize("status", [S.PAIRED, S.CONNECTED, S.DEGRADED, S.NEEDS_RECONNECT])
    def test_only_an_unpaired_binding_pairs(self, status: BindingStatus) -> None:
        with pytest.raises(InvalidTransition):
            binding_in(status).pair(profile(), "hash", NOW)

    def test_a_profile_update_needs_a_paired_binding(self) -> None:
        with pytest.raises(InvalidTransition):
            binding_in(S.AWAITING_PAIRING).update_profile(profile(), NOW)


class TestConnecting:
    @pytest.mark.parametrize("status", [S.PAIRED, S.CONNECTED, S.DEGRADED, S.NEEDS_RECONNECT])
    def test_a_paired_binding_connects(self, status: BindingStatus) -> None:
        binding = binding_in(status)
        event = binding.connect(UK, NOW)
        assert (binding.status, binding.xero) == (S.CONNECTED, UK)
        assert event.kind is EventKind.CONNECTED

    def test_an_unpaired_binding_cannot_connect(self) -> None:
        binding = binding_in(S.AWAITING_PAIRING)
        with pytest.raises(InvalidTransition):
            binding.connect(UK, NOW)
        assert binding.xero is None

    @pytest.mark.parametrize("status", [S.CONNECTED, S.DEGRADED, S.NEEDS_RECONNECT])
    def test_another_organisation_in_the_same_environment_is_refused(
        self, status: BindingStatus
    ) -> None:
        binding = binding_in(status)
        with pytest.raises(OrganisationLocked, match="Demo \\(UK\\)"):
            binding.connect(NZ, NOW)
        assert (binding.status, binding.xero) == (status, UK)

    def test_the_lock_holds_only_in_its_own_environment(self) -> None:
        binding = binding_in(S.CONNECTED)
        assert binding.locked_tenant(Environment.PRODUCTION) == "tenant-uk"
        assert binding.locked_tenant(Environment.SANDBOX) is None


class TestTransientTrouble:
    def test_connected_degrades_and_recovers(self) -> None:
        binding = binding_in(S.CONNECTED)
        assert binding.degrade("timeout", NOW) is not None
        assert binding.status is S.DEGRADED
        recovered = binding.recover(NOW)
        assert recovered is not None and recovered.kind is EventKind.RECOVERED
        assert binding.status is S.CONNECTED  # type: ignore[comparison-overlap]

    @pytest.mark.parametrize(
        "status", [S.AWAITING_PAIRING, S.PAIRED, S.DEGRADED, S.NEEDS_RECONNECT, S.DISCONNECTED]
    )
    def test_only_a_connected_binding_degrades(self, status: BindingStatus) -> None:
        binding = binding_in(status)
        assert binding.degrade("timeout", NOW) is None
        assert binding.status is status

    @pytest.mark.parametrize(
        "status", [S.AWAITING_PAIRING, S.PAIRED, S.CONNECTED, S.NEEDS_RECONNECT, S.DISCONNECTED]
    )
    def test_only_a_degraded_binding_recovers(self, status: BindingStatus) -> None:
        binding = binding_in(status)
        assert binding.recover(NOW) is None
        assert binding.status is status


class TestNeedsReconnect:
    @pytest.mark.parametrize("status", [S.CONNECTED, S.DEGRADED])
    def test_a_binding_with_xero_needs_reconnect(self, status: BindingStatus) -> None:
        binding = binding_in(status)
        event = binding.require_reconnect("organisation gone", NOW)
        assert event is not None and event.kind is EventKind.NEEDS_RECONNECT
        assert (binding.status, binding.status_reason) == (S.NEEDS_RECONNECT, "organisation gone")

    @pytest.mark.parametrize(
        "status", [S.AWAITING_PAIRING, S.PAIRED, S.NEEDS_RECONNECT, S.DISCONNECTED]
    )
    def test_other_statuses_do_not_move(self, status: BindingStatus) -> None:
        binding = binding_in(status)
        assert binding.require_reconnect("gone", NOW) is None
        assert binding.status is status


class TestEnvironmentFlip:
    @pytest.mark.parametrize("status", [S.CONNECTED, S.DEGRADED, S.NEEDS_RECONNECT])
    def test_clears_the_lock_and_needs_reconnect(self, status: BindingStatus) -> None:
        binding = binding_in(status)
        event = binding.flip_environment(Environment.SANDBOX, NOW)
        assert event is not None and event.kind is EventKind.ENVIRONMENT_CHANGED
        assert (binding.status, binding.xero) == (S.NEEDS_RECONNECT, None)
        assert "sandbox" in binding.status_reason
        binding.connect(SANDBOX_NZ, NOW)
        assert binding.status is S.CONNECTED

    @pytest.mark.parametrize("status", [S.AWAITING_PAIRING, S.PAIRED, S.DISCONNECTED])
    def test_leaves_bindings_without_xero_alone(self, status: BindingStatus) -> None:
        binding = binding_in(status)
        assert binding.flip_environment(Environment.SANDBOX, NOW) is None
        assert binding.status is status

    def test_the_same_environment_changes_nothing(self) -> None:
        binding = binding_in(S.CONNECTED)
        assert binding.flip_environment(Environment.PRODUCTION, NOW) is None
        assert binding.xero == UK


class TestDisconnected:
    @pytest.mark.parametrize(
        "status", [S.AWAITING_PAIRING, S.PAIRED, S.CONNECTED, S.DEGRADED, S.NEEDS_RECONNECT]
    )
    def test_every_live_status_disconnects(self, status: BindingStatus) -> None:
        binding = binding_in(status)
        event = binding.disconnect("merchant", NOW)
        assert event.kind is EventKind.DISCONNECTED
        assert binding.status is S.DISCONNECTED
        assert binding.connector_secret_hash == ""

    def test_unpairing_is_recorded_as_such(self) -> None:
        event = binding_in(S.CONNECTED).disconnect("module", NOW, unpaired=True)
        assert event.kind is EventKind.UNPAIRED

    @pytest.mark.parametrize(
        "move",
        [
            lambda b: b.pair(profile(), "hash", NOW),
            lambda b: b.connect(UK, NOW),
            lambda b: b.update_profile(profile(), NOW),
            lambda b: b.change_policy(b.policy, NOW),
            lambda b: b.disconnect("again", NOW),
        ],
        ids=["pair", "connect", "update_profile", "change_policy", "disconnect"],
    )
    def test_is_terminal(self, move) -> None:  # type: ignore[no-untyped-def]
        binding = binding_in(S.DISCONNECTED)
        with pytest.raises(BindingDisconnected):
            move(binding)
        assert binding.status is S.DISCONNECTED

    def test_keeps_its_xero_side_for_history(self) -> None:
        assert binding_in(S.DISCONNECTED).xero is None
        binding = binding_in(S.CONNECTED)
        binding.disconnect("merchant", NOW)
        assert binding.xero == UK
