"""The standard health service follows the health check, open to all; reflection lists the
services to known callers only."""

from __future__ import annotations

import time

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from adapters.grpc.callers import SERVICE_NAME
from tests.integration.grpc.conftest import READER_TOKEN, Running, bearer

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def status(running: Running, service: str) -> int:
    stub = health_pb2_grpc.HealthStub(running.channel)
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


def eventually(running: Running, service: str, wanted: int, within_s: float = 3.0) -> int:
    deadline = time.monotonic() + within_s
    while (seen := status(running, service)) != wanted and time.monotonic() < deadline:
        time.sleep(0.02)
    return seen


class TestHealth:
    def test_follows_the_health_check_without_credentials(self, running: Running) -> None:
        assert status(running, "") == SERVING
        assert status(running, SERVICE_NAME) == SERVING

        running.healthy[0] = False
        assert eventually(running, "", NOT_SERVING) == NOT_SERVING
        assert status(running, SERVICE_NAME) == NOT_SERVING

        running.healthy[0] = True
        assert eventually(running, SERVICE_NAME, SERVING) == SERVING


class TestReflection:
    def test_lists_the_service_health_and_reflection(self, running: Running) -> None:
        stub = reflection_pb2_grpc.ServerReflectionStub(running.channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")

        (answer,) = stub.ServerReflectionInfo(
            iter([request]), metadata=bearer(READER_TOKEN), timeout=5
        )

        names = {s.name for s in answer.list_services_response.service}
        assert names == {
            SERVICE_NAME,
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
        }

    def test_describes_the_contract_by_its_proto_path(self, running: Running) -> None:
        stub = reflection_pb2_grpc.ServerReflectionStub(running.channel)
        request = reflection_pb2.ServerReflectionRequest(file_containing_symbol=SERVICE_NAME)

        (answer,) = stub.ServerReflectionInfo(
            iter([request]), metadata=bearer(READER_TOKEN), timeout=5
        )

        files = [
            descriptor_pb2.FileDescriptorProto.FromString(raw)
            for raw in answer.file_descriptor_response.file_descriptor_proto
        ]
        assert files[0].name == "ledger/xero/v1/xero_connect.proto"
        assert [m.name for m in files[0].service[0].method] == [
            "GetFreshToken",
            "GetRefData",
            "GetBinding",
            "ReportXeroAuthFailure",
            "ListBindings",
            "WatchBindings",
        ]

    @pytest.mark.parametrize("token", [None, "not-a-caller-0123456789"])
    def test_an_unknown_peer_is_refused_before_it_sends_anything(
        self, running: Running, token: str | None
    ) -> None:
        stub = reflection_pb2_grpc.ServerReflectionStub(running.channel)
        never_sends = iter(())

        with pytest.raises(grpc.RpcError) as refused:
            list(
                stub.ServerReflectionInfo(
                    never_sends, metadata=bearer(token) if token else (), timeout=5
                )
            )

        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
