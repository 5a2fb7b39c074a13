"""Real gRPC servers on port 0, on a World of fakes, with two callers and a switchable health;
the cache miss read on the loop over the same world."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest

from adapters.grpc.callers import parse_callers
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.grpc.server import XeroConnectServer, build_server, stop
from domain.grant import TokenView
from domain.ports import LoopTokenViews
from tests.fakes.world import World

SYNC_TOKEN = "sync-token-0123456789abcdef"
READER_TOKEN = "reader-token-0123456789abcdef"
CALLERS = parse_callers(f"sync={SYNC_TOKEN}:*; reader={READER_TOKEN}:GetBinding")


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@dataclass
class Running:
    world: World
    server: XeroConnectServer
    port: int
    channel: grpc.Channel
    healthy: list[bool] = field(default_factory=lambda: [True])

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def stub(self) -> pb_grpc.XeroConnectServiceStub:
        return pb_grpc.XeroConnectServiceStub(self.channel)


class WorldLoopViews(LoopTokenViews):
    """The world's own view of a binding, read on the loop; counts reads, can be made to fail
    or to wait, and remembers which thread read."""

    def __init__(self, world: World) -> None:
        self._world = world
        self.reads: list[str] = []
        self.threads: set[str] = set()
        self.failing: Exception | None = None
        self.held: asyncio.Event | None = None
        self.closed = False

    async def view(self, binding_id: str) -> TokenView | None:
        self.reads.append(binding_id)
        self.threads.add(threading.current_thread().name)
        if self.held is not None:
            await self.held.wait()
        if self.failing is not None:
            raise self.failing
        with self._world.uow() as unit:
            found: TokenView | None = unit.grants.view(binding_id)
            return found

    async def close(self) -> None:
        self.closed = True


@contextmanager
def serving(world: World | None = None, **options: Any) -> Iterator[Running]:
    """A real server on port 0 over `world` (a fresh one by default); `options` go to
    `build_server`."""
    world = world or World()
    healthy = [True]
    server, port = build_server(
        world.service,
        callers=CALLERS,
        health_check=lambda: healthy[0],
        port=0,
        **({"max_workers": 4, "health_interval_s": 0.05} | options),
    )
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Running(world, server, port, channel, healthy)
    finally:
        channel.close()
        stop(server, grace=0)


@pytest.fixture
def running() -> Iterator[Running]:
    with serving() as started:
        yield started
