"""An idle peer: opens many long-lived streams to a gRPC server and then just holds them.

    python -m bench.idle_peer TARGET STREAMS [--token T] [--hold-s S]

Half the streams are server reflection (one `list_services` request, its answer read, then
silence), half are health watches (the first status read, then silence), spread over
connections of at most 100 streams each (the server's HTTP/2 stream limit). Without
`--token` nothing authenticates. Prints one JSON line: how many streams are open and how
many were refused, by status code (a reflection stream refused while its request is on the
way may read INTERNAL: grpc's client reports the failed send, not the server's status).
Then holds them until stdin closes, SIGTERM, or `--hold-s` (default 120) passes, and exits:
a bounded attacker for tests and benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

PER_CONNECTION = 100
OPEN = "OPEN"


async def _reflection(channel: grpc.aio.Channel, metadata: Any) -> tuple[str, Any]:
    call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
        _one_request_then_silence(), metadata=metadata
    )
    return await _first_answer(call)


async def _one_request_then_silence() -> AsyncIterator[reflection_pb2.ServerReflectionRequest]:
    yield reflection_pb2.ServerReflectionRequest(list_services="")
    await asyncio.Event().wait()


async def _watch(channel: grpc.aio.Channel, metadata: Any) -> tuple[str, Any]:
    call = health_pb2_grpc.HealthStub(channel).Watch(
        health_pb2.HealthCheckRequest(service=""), metadata=metadata
    )
    return await _first_answer(call)


async def _first_answer(call: Any) -> tuple[str, Any]:
    """OPEN once the server has answered on the stream, else the status it ended with."""
    try:
        answer = await call.read()
    except grpc.aio.AioRpcError:
        answer = grpc.aio.EOF
    return (OPEN if answer is not grpc.aio.EOF else (await call.code()).name), call


async def hold(target: str, streams: int, token: str | None, hold_s: float) -> None:
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    options = [("grpc.use_local_subchannel_pool", 1)]
    connections = -(-streams // PER_CONNECTION)
    channels = [grpc.aio.insecure_channel(target, options=options) for _ in range(connections)]
    opening = [
        (_reflection if n % 2 == 0 else _watch)(channels[n // PER_CONNECTION], metadata)
        for n in range(streams)
    ]
    outcomes = await asyncio.gather(*opening)
    print(json.dumps(dict(Counter(code for code, _ in outcomes))), flush=True)
    await _until_released(hold_s)
    for _, call in outcomes:
        call.cancel()
    for channel in channels:
        await channel.close()


async def _until_released(hold_s: float) -> None:
    loop = asyncio.get_running_loop()
    released = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, released.set)
    loop.add_reader(sys.stdin.fileno(), released.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(released.wait(), hold_s)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.idle_peer")
    parser.add_argument("target")
    parser.add_argument("streams", type=int)
    parser.add_argument("--token")
    parser.add_argument("--hold-s", type=float, default=120.0)
    args = parser.parse_args()
    asyncio.run(hold(args.target, args.streams, args.token, args.hold_s))


if __name__ == "__main__":
    main()
