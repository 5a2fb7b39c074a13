"""Every row of the error table, each reached the way a caller would reach it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import grpc
import pytest
from google.rpc.error_details_pb2 import ErrorInfo

from adapters.grpc.errors import ERROR_DOMAIN, INTERNAL_MESSAGE
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from domain.errors import (
    CorruptSecret,
    InvalidGrant,
    ProviderUnavailable,
    RateLimited,
)
from domain.usecases.tunables import Tunables
from tests.fakes.world import World
from tests.unit.grpc.harness import DETAILS_KEY, READER_TOKEN, Harness

Code = grpc.StatusCode


def token_request(binding_id: str) -> pb.GetFreshTokenRequest:
    return pb.GetFreshTokenRequest(binding_id=binding_id)


class _Unreadable:
    """A stored grant row that fails as it is loaded, the way the persistence adapter fails
    on a ciphertext that does not authenticate."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __deepcopy__(self, memo: object) -> None:
        raise self.error


class TestCallers:
    def test_a_call_without_a_token_is_unauthenticated(self, rpc: Harness, binding_id: str) -> None:
        outcome = rpc.call("GetFreshToken", token_request(binding_id), token=None)

        assert outcome.code is Code.UNAUTHENTICATED
        assert outcome.response is None

    def test_an_unknown_token_is_unauthenticated(self, rpc: Harness, binding_id: str) -> None:
        outcome = rpc.call("GetFreshToken", token_request(binding_id), token="x" * 27)

        assert outcome.code is Code.UNAUTHENTICATED

    def test_a_forbidden_method_is_refused_before_the_binding_is_looked_up(
        self, rpc: Harness
    ) -> None:
        outcome = rpc.call("GetFreshToken", token_request("no-such-binding"), token=READER_TOKEN)

        assert outcome.code is Code.PERMISSION_DENIED

    def test_an_allowed_method_reaches_the_servicer(self, rpc: Harness) -> None:
        outcome = rpc.call(
            "GetBinding", pb.GetBindingRequest(binding_id="no-such-binding"), token=READER_TOKEN
        )

        assert outcome.code is Code.NOT_FOUND


class TestArguments:
    def test_an_unknown_binding_is_not_found(self, rpc: Harness) -> None:
        outcome = rpc.call("GetFreshToken", token_request("no-such-binding"))

        assert outcome.code is Code.NOT_FOUND
        assert outcome.reason == "NOT_FOUND"
        info = outcome.detail(ErrorInfo)
        assert info.domain == ERROR_DOMAIN
        assert dict(info.metadata) == {"binding_id": "no-such-binding"}

    def test_an_empty_binding_id_is_an_invalid_argument(self, rpc: Harness) -> None:
        outcome = rpc.call("GetRefData", pb.GetRefDataRequest())

        assert outcome.code is Code.INVALID_ARGUMENT
        assert outcome.reason == "INVALID_ARGUMENT"

    def test_only_401_and_403_can_be_reported(self, rpc: Harness, binding_id: str) -> None:
        request = pb.ReportXeroAuthFailureRequest(binding_id=binding_id, http_status=500)

        outcome = rpc.call("ReportXeroAuthFailure", request)

        assert outcome.code is Code.INVALID_ARGUMENT
        assert "401 or 403" in outcome.details


class TestBindingState:
    def test_a_binding_without_xero_is_not_connected(self, rpc: Harness, world: World) -> None:
        binding_id = world.paired(world.account())

        outcome = rpc.call("GetFreshToken", token_request(binding_id))

        assert outcome.code is Code.FAILED_PRECONDITION
        assert outcome.reason == "BINDING_NOT_CONNECTED"

    def test_a_refused_grant_requires_reauthorisation(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=31)
        world.xero.fail_next.append(InvalidGrant("invalid_grant"))

        outcome = rpc.call("GetFreshToken", token_request(binding_id))

        assert outcome.code is Code.FAILED_PRECONDITION
        assert outcome.reason == "BINDING_REAUTH_REQUIRED"
        again = rpc.call("GetRefData", pb.GetRefDataRequest(binding_id=binding_id))
        assert again.reason == "BINDING_REAUTH_REQUIRED"

    def test_a_disconnected_binding_says_so(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        world.service.disconnect(world.binding(binding_id).account_id, binding_id)

        outcome = rpc.call("GetFreshToken", token_request(binding_id))

        assert outcome.code is Code.FAILED_PRECONDITION
        assert outcome.reason == "BINDING_DISCONNECTED"

    def test_an_organisation_removed_in_xero_is_a_failed_precondition_with_its_reason(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        world.xero.remove_app("user-avery", "tenant-uk")
        world.clock.advance(minutes=2)  # past the forced-refresh interval
        request = pb.GetRefDataRequest(binding_id=binding_id, force_refresh=True)

        outcome = rpc.call("GetRefData", request)

        assert outcome.code is Code.FAILED_PRECONDITION
        assert outcome.reason == "XERO_ORGANISATION_DISCONNECTED"
        assert world.binding(binding_id).status.value == "NEEDS_RECONNECT"


class TestTransientTrouble:
    def test_xero_down_with_an_expired_token_is_unavailable_with_retry_info(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=31)
        world.xero.fail_next.append(ProviderUnavailable("Xero token endpoint timed out"))

        outcome = rpc.call("GetFreshToken", token_request(binding_id))

        assert outcome.code is Code.UNAVAILABLE
        assert outcome.reason == "XERO_UNAVAILABLE"
        assert outcome.retry_delay_s == 30.0
        assert world.binding(binding_id).status.value == "DEGRADED"

    def test_a_rate_limit_passes_on_xeros_retry_after(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=31)
        world.xero.fail_next.append(RateLimited("Xero rate limit", retry_after=90))

        outcome = rpc.call("GetFreshToken", token_request(binding_id))

        assert outcome.code is Code.UNAVAILABLE
        assert outcome.retry_delay_s == 90.0

    def test_a_grant_locked_by_another_refresh_is_unavailable_briefly(self) -> None:
        world = World(tunables=Tunables(lock_timeout_s=0.05))
        binding_id = world.connected()
        world.clock.advance(minutes=29)
        rpc = Harness(world)
        lock = world.store.row_locks[binding_id]
        lock.acquire()
        try:
            outcome = rpc.call("GetFreshToken", token_request(binding_id))
        finally:
            lock.release()
            rpc.close()

        assert outcome.code is Code.UNAVAILABLE
        assert outcome.reason == "LOCK_TIMEOUT"
        assert outcome.retry_delay_s == 1.0


class TestInternal:
    @pytest.fixture
    def unreadable(self, world: World, binding_id: str) -> Iterator[str]:
        world.clock.advance(seconds=10)
        yield binding_id

    def test_a_corrupt_secret_is_internal_without_detail(
        self, rpc: Harness, world: World, unreadable: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        world.store.tables["grants"][unreadable] = _Unreadable(CorruptSecret("tag mismatch"))

        outcome = rpc.call("GetFreshToken", token_request(unreadable))

        assert outcome.code is Code.INTERNAL
        assert outcome.details == INTERNAL_MESSAGE
        assert DETAILS_KEY not in dict(outcome.trailing_metadata)
        assert "tag mismatch" not in outcome.details
        assert any("failed authentication" in r.getMessage() for r in caplog.records)

    def test_an_unexpected_error_is_internal_without_detail_and_logged(
        self, rpc: Harness, world: World, unreadable: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        world.store.tables["grants"][unreadable] = _Unreadable(RuntimeError("driver exploded"))

        with caplog.at_level(logging.ERROR, logger="adapters.grpc.errors"):
            outcome = rpc.call("GetFreshToken", token_request(unreadable))

        assert outcome.code is Code.INTERNAL
        assert outcome.details == INTERNAL_MESSAGE
        assert DETAILS_KEY not in dict(outcome.trailing_metadata)
        logged = [r for r in caplog.records if r.name == "adapters.grpc.errors"]
        assert logged and logged[0].exc_info is not None
