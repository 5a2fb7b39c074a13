"""Caller authentication on a real server: tokens in metadata, methods per caller."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from tests.integration.grpc.conftest import READER_TOKEN, SYNC_TOKEN, Running, bearer


class TestCallerAuth:
    def test_a_call_without_a_token_is_unauthenticated(self, running: Running) -> None:
        with pytest.raises(grpc.RpcError) as refused:
            running.stub.GetBinding(pb.GetBindingRequest(binding_id="b"), timeout=5)

        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED

    def test_a_wrong_token_is_unauthenticated(self, running: Running) -> None:
        with pytest.raises(grpc.RpcError) as refused:
            running.stub.GetBinding(
                pb.GetBindingRequest(binding_id="b"), metadata=bearer(SYNC_TOKEN + "x"), timeout=5
            )

        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED

    def test_an_allowed_caller_gets_its_answer(self, running: Running) -> None:
        binding_id = running.world.connected()

        response = running.stub.GetBinding(
            pb.GetBindingRequest(binding_id=binding_id), metadata=bearer(READER_TOKEN), timeout=5
        )

        assert response.binding.status == pb.BINDING_STATUS_CONNECTED

    def test_a_forbidden_method_is_denied_even_for_an_unknown_binding(
        self, running: Running
    ) -> None:
        with pytest.raises(grpc.RpcError) as refused:
            running.stub.GetFreshToken(
                pb.GetFreshTokenRequest(binding_id="no-such"),
                metadata=bearer(READER_TOKEN),
                timeout=5,
            )

        assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED

    def test_errors_carry_error_info_over_the_wire(self, running: Running) -> None:
        with pytest.raises(grpc.RpcError) as refused:
            running.stub.GetFreshToken(
                pb.GetFreshTokenRequest(binding_id="no-such"),
                metadata=bearer(SYNC_TOKEN),
                timeout=5,
            )

        status = rpc_status.from_call(refused.value)
        info = error_details_pb2.ErrorInfo()
        status.details[0].Unpack(info)
        assert refused.value.code() is grpc.StatusCode.NOT_FOUND
        assert (info.reason, info.domain) == ("NOT_FOUND", "ledger.xero.v1")
