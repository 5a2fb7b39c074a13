"""The sweeps against the Xero emulator over HTTP, days passing on both sides: keep-alive,
reference data at 24 h (seen by the settings page and GetRefData), revocation detection,
injected faults, housekeeping."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import grpc
import pytest
from sqlalchemy import text

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from app.demo import sample_profile
from domain.magento import MagentoProfile
from domain.usecases.lifecycle import GONE_REASON
from domain.usecases.sweeps import Sweeps
from domain.values import BindingStatus
from tests.integration.sweeps.stack import Stack, grpc_channel
from xero_emulator.seed import AVERY, UK

S = BindingStatus
CALLER = "sweep-tests-caller-token-0123456789"


@pytest.fixture
def stub(stack: Stack) -> Iterator[pb_grpc.XeroConnectServiceStub]:
    with grpc_channel(stack, CALLER) as channel:
        yield pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]


def metadata() -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {CALLER}"),)


class TestKeepAlive:
    def test_a_grant_unused_for_seven_days_is_rotated_at_xero(
        self, stack: Stack, sweeps: Sweeps
    ) -> None:
        binding_id = stack.connect()
        before = stack.grant(binding_id)
        stack.advance(days=6, hours=23)
        assert sweeps.tokens() == {}
        stack.advance(hours=1, seconds=1)
        assert sweeps.tokens() == {"refreshed": 1}
        after = stack.grant(binding_id)
        assert after.version == before.version + 1
        assert after.refresh_token != before.refresh_token
        assert stack.refreshes() == {"success": 1}


class TestReferenceData:
    def test_data_older_than_a_day_is_refetched_and_served(
        self, stack: Stack, sweeps: Sweeps, stub: pb_grpc.XeroConnectServiceStub
    ) -> None:
        binding_id = stack.connect()
        stack.advance(hours=24, minutes=1)
        assert sweeps.reference_data() == {"refreshed": 1}
        now = stack.clock.now()
        view = stack.service.queries.binding(binding_id)
        assert view.reference is not None
        assert now - view.reference.fetched_at < timedelta(seconds=5)
        assert now - view.reference.extended_fetched_at < timedelta(seconds=5)
        answer = stub.GetRefData(pb.GetRefDataRequest(binding_id=binding_id), metadata=metadata())
        assert answer.fetched_at.ToDatetime().replace(
            microsecond=0
        ) == view.reference.fetched_at.replace(tzinfo=None, microsecond=0)
        assert [a.code for a in answer.income_accounts]


class TestRevocation:
    def test_an_organisation_removed_in_xero_needs_reconnect(
        self, stack: Stack, sweeps: Sweeps, stub: pb_grpc.XeroConnectServiceStub
    ) -> None:
        binding_id = stack.connect()
        sweeps.connections()
        stack.control("disconnect", {"tenant_id": UK.tenant_id, "user_id": AVERY.user_id})
        stack.advance(hours=6, seconds=1)
        assert sweeps.connections() == {"needs_reconnect": 1}
        binding = stack.binding(binding_id)
        assert (binding.status, binding.status_reason) == (S.NEEDS_RECONNECT, GONE_REASON)
        assert stack.events(binding_id)[0] == "needs_reconnect"
        with pytest.raises(grpc.RpcError) as refused:
            stub.GetFreshToken(pb.GetFreshTokenRequest(binding_id=binding_id), metadata=metadata())
        assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION

    def test_a_403_on_reference_data_is_confirmed_by_connections(
        self, stack: Stack, sweeps: Sweeps
    ) -> None:
        binding_id = stack.connect()
        stack.control("disconnect", {"tenant_id": UK.tenant_id, "user_id": AVERY.user_id})
        stack.advance(hours=24, minutes=1)
        assert sweeps.reference_data() == {"failed": 1}
        assert stack.binding(binding_id).status is S.NEEDS_RECONNECT

    def test_a_connected_organisation_stays_connected(self, stack: Stack, sweeps: Sweeps) -> None:
        binding_id = stack.connect()
        sweeps.connections()
        stack.advance(hours=6, seconds=1)
        assert sweeps.connections() == {"present": 1}
        assert stack.binding(binding_id).status is S.CONNECTED


class TestFaults:
    def test_failing_refreshes_degrade_then_the_retries_recover(
        self, stack: Stack, sweeps: Sweeps
    ) -> None:
        binding_id = stack.connect()
        stack.advance(days=7, seconds=1)
        stack.control("faults", {"fail_next_token_calls": 2, "fail_mode": "5xx"})
        assert sweeps.tokens() == {"failed": 1}
        assert stack.binding(binding_id).status is S.DEGRADED
        stack.advance(seconds=30)
        assert sweeps.tokens() == {"failed": 1}
        stack.advance(seconds=59)
        assert sweeps.tokens() == {}
        stack.advance(seconds=1)
        assert sweeps.tokens() == {"refreshed": 1}
        assert stack.binding(binding_id).status is S.CONNECTED
        assert "recovered" in stack.events(binding_id)
        assert stack.refreshes() == {"success": 1, "failure": 2}

    def test_a_lost_answer_is_retried_with_the_old_token_inside_the_grace(
        self, stack: Stack, sweeps: Sweeps
    ) -> None:
        binding_id = stack.connect()
        stored = stack.grant(binding_id).refresh_token
        stack.advance(days=7, seconds=1)
        stack.control("faults", {"drop_answer_after_rotation": 1})
        assert sweeps.tokens() == {"failed": 1}
        assert stack.grant(binding_id).refresh_token == stored
        stack.advance(seconds=30)
        assert sweeps.tokens() == {"refreshed": 1}
        assert stack.binding(binding_id).status is S.CONNECTED


class TestHousekeeping:
    def test_expired_attempts_and_codes_are_deleted(self, stack: Stack, sweeps: Sweeps) -> None:
        created = stack.service.create_binding(stack.account_id)
        profile = MagentoProfile.from_dict(sample_profile("https://housekeeping.ledger.test"))
        stack.service.redeem_pairing(created.pairing_code, profile)
        stack.service.create_binding(stack.account_id)
        stack.service.start_connect(stack.account_id, created.binding_id, "browser-1")
        stack.advance(minutes=16)
        # The attempt never came back: recorded on its binding before it goes.
        expected = {"attempts": 1, "pairing_codes": 2, "never_returned": 1}
        assert sweeps.housekeeping() == expected
        database = stack.built.database
        assert database is not None
        with database.engine.connect() as conn:
            left = [
                conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
                for table in ("connect_attempts", "pairing_codes")
            ]
        assert left == [0, 0]
