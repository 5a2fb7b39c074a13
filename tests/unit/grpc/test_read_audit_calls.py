"""Every token GetFreshToken hands out is counted for the caller who asked, cached or not;
refused calls and other methods are not credential reads."""

from __future__ import annotations

from datetime import timedelta

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from tests.fakes.world import World
from tests.unit.grpc.harness import READER_TOKEN, Harness

OK = grpc.StatusCode.OK


def code(rpc: Harness, method: str, request: Message, **options: str) -> grpc.StatusCode:
    return rpc.call(method, request, **options).code  # type: ignore[arg-type]


def counted(world: World) -> dict[tuple[str, str], int]:
    world.service.reads.flush()
    return {(r.caller, r.binding_id): r.count for r in world.read_log.rows.values()}


class TestCounted:
    def test_each_token_handed_out_counts_for_its_caller(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        for _ in range(2):
            assert code(rpc, "GetFreshToken", pb.GetFreshTokenRequest(binding_id=binding_id)) is OK
        world.clock.advance(seconds=5)  # the in-process cache has expired: the slow path
        assert code(rpc, "GetFreshToken", pb.GetFreshTokenRequest(binding_id=binding_id)) is OK

        assert counted(world) == {("sync", binding_id): 3}

    def test_refusals_and_other_methods_are_not_reads(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        too_long = Duration()
        too_long.FromTimedelta(timedelta(hours=2))
        refused = pb.GetFreshTokenRequest(binding_id=binding_id, min_valid_for=too_long)
        assert code(rpc, "GetFreshToken", refused) is grpc.StatusCode.INVALID_ARGUMENT
        unknown = pb.GetFreshTokenRequest(binding_id="b-unknown")
        assert code(rpc, "GetFreshToken", unknown) is not OK
        forbidden = pb.GetFreshTokenRequest(binding_id=binding_id)
        assert code(rpc, "GetFreshToken", forbidden, token=READER_TOKEN) is (
            grpc.StatusCode.PERMISSION_DENIED
        )
        assert code(rpc, "GetBinding", pb.GetBindingRequest(binding_id=binding_id)) is OK

        assert counted(world) == {}
