"""The baselines: bare grpcio XeroConnectService servers answering GetFreshToken with a constant.

`python -m bench.bare_server PORT SIZES_JSON [sync|aio|uvloop|storm HOLD_MS]` serves until
SIGTERM. The answer is the real response message with constant fields of the sizes the real
service answered with (passed in SIZES_JSON by the benchmark), so all put the same bytes on the
wire (about 1,200). `sync` is grpcio's threaded server (16 workers); `aio` is a `grpc.aio`
server on the standard library's event loop in the main thread; `uvloop` the same on uvloop (the
loop `serve` runs its server on). All take the real server's channel options
(`adapters.grpc.server.OPTIONS`); no interceptor, no domain, no database: the floor that
grpcio itself sets on this machine, for each kind of server.

`storm` is the refresh storm's floor: the `uvloop` server, whose first GetFreshToken after
start or SIGUSR1 ("the grant expired") starts one shared wait of HOLD_MS, as a coalesced
refresh would; every call that arrives meanwhile waits for it, later ones answer at once.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import uvloop
from google.protobuf.timestamp_pb2 import Timestamp

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.grpc.server import OPTIONS

WORKERS = 16
KINDS = ("sync", "aio", "uvloop", "storm")


def constant_answer(sizes: dict[str, int]) -> pb.GetFreshTokenResponse:
    return pb.GetFreshTokenResponse(
        access_token="a" * sizes["access_token_len"],
        expires_at=Timestamp(seconds=sizes["expires_at_seconds"]),
        tenant_id="t" * sizes["tenant_id_len"],
        api_base_url="u" * sizes["api_base_url_len"],
        binding_status=sizes["binding_status"],
    )


class Bare(pb_grpc.XeroConnectServiceServicer):
    def __init__(self, answer: pb.GetFreshTokenResponse) -> None:
        self._answer = answer

    def GetFreshToken(
        self, request: pb.GetFreshTokenRequest, context: grpc.ServicerContext
    ) -> pb.GetFreshTokenResponse:
        return self._answer


class BareAio(pb_grpc.XeroConnectServiceServicer):
    def __init__(self, answer: pb.GetFreshTokenResponse) -> None:
        self._answer = answer

    async def GetFreshToken(  # type: ignore[override]
        self, request: pb.GetFreshTokenRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetFreshTokenResponse:
        return self._answer


class StormFloor(pb_grpc.XeroConnectServiceServicer):
    def __init__(self, answer: pb.GetFreshTokenResponse, hold_s: float) -> None:
        self._answer = answer
        self._hold_s = hold_s
        self._landed: asyncio.Future[None] | None = None  # None: expired, the next call waits

    def expire(self) -> None:
        self._landed = None

    async def GetFreshToken(  # type: ignore[override]
        self, request: pb.GetFreshTokenRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetFreshTokenResponse:
        if self._landed is None:
            loop = asyncio.get_running_loop()
            self._landed = loop.create_future()
            loop.call_later(self._hold_s, self._landed.set_result, None)
        await self._landed
        return self._answer


def serve_sync(port: int, answer: pb.GetFreshTokenResponse) -> None:
    server = grpc.server(ThreadPoolExecutor(WORKERS), options=OPTIONS)
    pb_grpc.add_XeroConnectServiceServicer_to_server(Bare(answer), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server.start()
    print(f"bare server ready on {port} (sync), {answer.ByteSize()} bytes", flush=True)
    stopping.wait()
    server.stop(0).wait()


async def serve_aio(
    port: int, answer: pb.GetFreshTokenResponse, hold_ms: float | None = None
) -> None:
    server = grpc.aio.server(options=OPTIONS)
    loop = asyncio.get_running_loop()
    servicer: pb_grpc.XeroConnectServiceServicer = BareAio(answer)
    if hold_ms is not None:
        servicer = floor = StormFloor(answer, hold_ms / 1000)
        loop.add_signal_handler(signal.SIGUSR1, floor.expire)
    pb_grpc.add_XeroConnectServiceServicer_to_server(servicer, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    stopping = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    await server.start()
    loop_kind = type(loop).__module__.split(".")[0]
    kind = f"aio, {loop_kind}" if hold_ms is None else f"storm, {hold_ms:g} ms, {loop_kind}"
    print(f"bare server ready on {port} ({kind}), {answer.ByteSize()} bytes", flush=True)
    await stopping.wait()
    await server.stop(0)


def main() -> None:
    port, sizes = int(sys.argv[1]), json.loads(sys.argv[2])
    kind = sys.argv[3] if len(sys.argv) > 3 else "sync"
    answer = constant_answer(sizes)
    if kind == "aio":
        asyncio.run(serve_aio(port, answer))
    elif kind == "uvloop":
        uvloop.run(serve_aio(port, answer))
    elif kind == "storm":
        uvloop.run(serve_aio(port, answer, float(sys.argv[4])))
    else:
        serve_sync(port, answer)


if __name__ == "__main__":
    main()
