"""Property-based fuzzing of the gRPC API on a real replica (real PostgreSQL): arbitrary binding
ids, http_status values, force_refresh flags and caller tokens, on every method.

Properties: never INTERNAL or UNKNOWN (nothing here is corrupt ciphertext), the documented
refusal for malformed input, and no secret (caller token, OAuth tokens) in any refusal.
Bounded: 150 examples, no deadline (the box may be loaded).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.grpc import binding_ids
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from tests.faults.conftest import FaultWorld
from tests.integration.replicas.cluster import (
    CALLER_TOKEN,
    CLIENT_SECRET,
    Answer,
    answer_of,
    bearer,
)

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.slow]

NEVER = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS}
METHODS = ("GetFreshToken", "GetRefData", "GetBinding", "ReportXeroAuthFailure")
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=140)


@dataclass
class Target:
    world: FaultWorld
    binding_id: str
    secrets: tuple[str, ...]

    def call(self, method: str, binding_id: str, extra: int, token: str) -> Answer:
        stub = self.world.steady.stub
        if method == "GetFreshToken":
            call, request = stub.GetFreshToken, pb.GetFreshTokenRequest(binding_id=binding_id)
        elif method == "GetRefData":
            # Forced reference refreshes of the one real binding would only test our own
            # Xero rate limiter (60 calls a minute per organisation).
            force = bool(extra % 2) and binding_id != self.binding_id
            call = stub.GetRefData
            request = pb.GetRefDataRequest(binding_id=binding_id, force_refresh=force)
        elif method == "GetBinding":
            call, request = stub.GetBinding, pb.GetBindingRequest(binding_id=binding_id)
        else:
            call = stub.ReportXeroAuthFailure
            request = pb.ReportXeroAuthFailureRequest(binding_id=binding_id, http_status=extra)
        try:
            return Answer(grpc.StatusCode.OK, call(request, metadata=bearer(token), timeout=30))
        except grpc.RpcError as error:
            return answer_of(error)


@pytest.fixture(scope="module")
def target(world: FaultWorld) -> Iterator[Target]:
    binding_id = world.cluster.connect()
    grant = world.cluster.grant(binding_id)
    yield Target(world, binding_id, (CALLER_TOKEN, CLIENT_SECRET, grant.refresh_token))


@FUZZ
@given(
    method=st.sampled_from(METHODS),
    binding_id=st.one_of(
        any_text,
        st.uuids().map(str),
        st.just("real"),
        st.sampled_from(["", "x" * 129, "x" * 10_000]),
    ),
    extra=st.one_of(st.sampled_from([401, 403, 0, 200, 500]), st.integers(-(2**31), 2**31 - 1)),
    token=st.one_of(
        st.just(CALLER_TOKEN),
        st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60),
    ),
)
@example(method="GetFreshToken", binding_id="é" * 100, extra=0, token=CALLER_TOKEN)
@example(method="GetBinding", binding_id="' OR '1'='1", extra=0, token=CALLER_TOKEN)
@example(method="ReportXeroAuthFailure", binding_id="real", extra=403, token=CALLER_TOKEN)
@example(method="ReportXeroAuthFailure", binding_id="real", extra=-1, token=CALLER_TOKEN)
def test_any_request_gets_a_clean_answer(
    target: Target, method: str, binding_id: str, extra: int, token: str
) -> None:
    binding_id = target.binding_id if binding_id == "real" else binding_id
    answer = target.call(method, binding_id, extra, token)

    assert answer.code not in NEVER, (method, binding_id, answer.describe())
    for secret in target.secrets:
        assert secret not in answer.message
    if token != CALLER_TOKEN:
        assert answer.code is grpc.StatusCode.UNAUTHENTICATED, answer.describe()
    elif malformed(method, binding_id, extra):
        assert answer.code is grpc.StatusCode.INVALID_ARGUMENT, answer.describe()
    elif binding_id != target.binding_id:
        assert answer.code is grpc.StatusCode.NOT_FOUND, answer.describe()
    else:
        assert answer.ok, answer.describe()
        serialized = answer.response.SerializeToString()
        assert target.secrets[2].encode() not in serialized, "never the refresh token"


def malformed(method: str, binding_id: str, http_status: int) -> bool:
    if not binding_ids.is_valid(binding_id):
        return True
    return method == "ReportXeroAuthFailure" and http_status not in (401, 403)


@pytest.mark.parametrize("method", METHODS)
def test_a_nul_in_the_binding_id_is_refused_cleanly(target: Target, method: str) -> None:
    answer = target.call(method, "binding\x00id", 403, CALLER_TOKEN)
    assert answer.code is grpc.StatusCode.INVALID_ARGUMENT
