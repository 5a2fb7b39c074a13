"""A binding id that cannot be one is INVALID_ARGUMENT on the wire, and is never echoed.

Before: a 10 KB id came back inside the ErrorInfo of the error trailers, the client refused
trailers that large, and the caller read RESOURCE_EXHAUSTED instead of the refusal."""

from __future__ import annotations

import logging

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from tests.integration.grpc.conftest import SYNC_TOKEN, Running, bearer

REQUESTS = {
    "GetFreshToken": lambda b: pb.GetFreshTokenRequest(binding_id=b),
    "GetRefData": lambda b: pb.GetRefDataRequest(binding_id=b, force_refresh=True),
    "GetBinding": lambda b: pb.GetBindingRequest(binding_id=b),
    "ReportXeroAuthFailure": lambda b: pb.ReportXeroAuthFailureRequest(
        binding_id=b, http_status=401
    ),
}
BAD_IDS = {
    "10 KB": "b" * 10_000,
    "129 characters": "b" * 129,
    "a new line": "binding\nFAKE LOG LINE",
    "a NUL": "binding\x00id",
    "markup": "<script>alert(1)</script>",
}


def refusal(running: Running, method: str, binding_id: str) -> grpc.RpcError:
    call = getattr(running.stub, method)
    with pytest.raises(grpc.RpcError) as refused:
        call(REQUESTS[method](binding_id), metadata=bearer(SYNC_TOKEN), timeout=5)
    return refused.value


@pytest.mark.parametrize("method", REQUESTS)
@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_binding_id_is_invalid_argument_and_not_echoed(
    running: Running, method: str, bad: str, caplog: pytest.LogCaptureFixture
) -> None:
    binding_id = BAD_IDS[bad]
    with caplog.at_level(logging.DEBUG):
        error = refusal(running, method, binding_id)

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(error)
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.reason == "INVALID_ARGUMENT"
    assert "binding_id" not in info.metadata
    assert binding_id not in (error.details() or "")
    assert binding_id not in caplog.text


def test_a_plain_unknown_id_is_still_echoed_for_the_caller(running: Running) -> None:
    error = refusal(running, "GetBinding", "no-such-binding")

    status = rpc_status.from_call(error)
    assert error.code() is grpc.StatusCode.NOT_FOUND and status is not None
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert dict(info.metadata) == {"binding_id": "no-such-binding"}
