"""GetFreshToken(min_valid_for) and ReportXeroAuthFailure(token_sha256) over the servicer."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import grpc
from google.protobuf.duration_pb2 import Duration

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from tests.fakes.world import World
from tests.unit.grpc.harness import Harness

OK = grpc.StatusCode.OK
INVALID = grpc.StatusCode.INVALID_ARGUMENT


def token_request(binding_id: str, seconds: int, nanos: int = 0) -> pb.GetFreshTokenRequest:
    duration = Duration(seconds=seconds, nanos=nanos)
    return pb.GetFreshTokenRequest(binding_id=binding_id, min_valid_for=duration)


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TestMinValidFor:
    def test_a_token_that_lives_long_enough_for_the_job(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        world.clock.advance(minutes=15)  # 15 minutes left: enough for a skew, not for 20
        outcome = rpc.call("GetFreshToken", token_request(binding_id, 20 * 60))
        assert outcome.code is OK
        expires = outcome.response.expires_at.ToDatetime().replace(tzinfo=world.clock.now().tzinfo)
        assert expires - world.clock.now() >= timedelta(minutes=20)
        assert world.xero.refresh_calls == 1

    def test_the_cap_itself_is_accepted(self, rpc: Harness, binding_id: str) -> None:
        assert rpc.call("GetFreshToken", token_request(binding_id, 25 * 60)).code is OK

    def test_above_the_cap_is_invalid_and_says_the_cap(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        outcome = rpc.call("GetFreshToken", token_request(binding_id, 25 * 60, 1000))
        assert outcome.code is INVALID
        assert "1500 s" in outcome.details
        assert world.xero.refresh_calls == 0

    def test_a_negative_duration_is_invalid(self, rpc: Harness, binding_id: str) -> None:
        assert rpc.call("GetFreshToken", token_request(binding_id, -1)).code is INVALID

    def test_zero_means_no_minimum(self, rpc: Harness, world: World, binding_id: str) -> None:
        world.clock.advance(minutes=20)
        assert rpc.call("GetFreshToken", token_request(binding_id, 0)).code is OK
        assert world.xero.refresh_calls == 0


class TestTokenSha256:
    def test_a_report_of_the_stored_token_refreshes_and_says_a_newer_one_exists(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        failing = world.grant(binding_id).access_token
        world.xero.reject(failing)
        request = pb.ReportXeroAuthFailureRequest(
            binding_id=binding_id, http_status=401, token_sha256=sha256(failing).upper()
        )
        outcome = rpc.call("ReportXeroAuthFailure", request)
        assert outcome.code is OK
        assert outcome.response.binding_status == pb.BINDING_STATUS_CONNECTED
        assert outcome.response.newer_token_available
        assert world.grant(binding_id).access_token != failing
        again = rpc.call("ReportXeroAuthFailure", request)
        assert again.response.newer_token_available and world.xero.refresh_calls == 1

    def test_a_report_without_the_hash_answers_as_before(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        request = pb.ReportXeroAuthFailureRequest(binding_id=binding_id, http_status=403)
        outcome = rpc.call("ReportXeroAuthFailure", request)
        assert outcome.code is OK and not outcome.response.newer_token_available
        assert world.xero.refresh_calls == 0

    def test_a_malformed_hash_is_invalid(self, rpc: Harness, world: World, binding_id: str) -> None:
        for bad in ("abc", "g" * 64, sha256("x") + "0"):
            request = pb.ReportXeroAuthFailureRequest(
                binding_id=binding_id, http_status=401, token_sha256=bad
            )
            outcome = rpc.call("ReportXeroAuthFailure", request)
            assert outcome.code is INVALID, bad
            assert "token_sha256" in outcome.details
        assert world.xero.refresh_calls == 0
