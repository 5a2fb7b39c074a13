"""No unauthenticated or idle peer can stall authenticated callers (issue 14, item 1).

A separate process opens 1,000 long-lived streams (reflection and health watch) and holds
them; meanwhile GetFreshToken must keep answering. On the old thread-per-call server,
sixteen such streams took every thread and each GetFreshToken ran into its deadline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.streams import StreamLimits
from tests.integration.grpc.conftest import SYNC_TOKEN, Running, bearer, serving

STREAMS = 1000
ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def idle_peer(target: str, token: str | None = None) -> Iterator[dict[str, int]]:
    """The streams held open by another process, and how many of each outcome it saw."""
    argv = [sys.executable, "-m", "bench.idle_peer", target, str(STREAMS), "--hold-s", "90"]
    argv += ["--token", token] if token else []
    peer = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert peer.stdout is not None
        line = peer.stdout.readline()
        assert line, "the idle peer exited before opening its streams"
        yield json.loads(line)
    finally:
        assert peer.stdin is not None
        peer.stdin.close()
        try:
            peer.wait(timeout=20)
        except subprocess.TimeoutExpired:
            peer.kill()
            peer.wait()


def token_calls(running: Running, binding_id: str, calls: int = 20) -> list[float]:
    """Seconds each GetFreshToken took; any failure (a deadline, too) fails the test."""
    request = pb.GetFreshTokenRequest(binding_id=binding_id)
    taken = []
    for _ in range(calls):
        started = time.monotonic()
        answer = running.stub.GetFreshToken(request, metadata=bearer(SYNC_TOKEN), timeout=2)
        taken.append(time.monotonic() - started)
        assert answer.access_token == running.world.grant(binding_id).access_token
    return taken


def refreshing_calls(running: Running, binding_id: str) -> None:
    """A call that needs the pool (the token is about to expire): a refresh, then answered."""
    running.world.clock.advance(minutes=29)
    request = pb.GetFreshTokenRequest(binding_id=binding_id)
    running.stub.GetFreshToken(request, metadata=bearer(SYNC_TOKEN), timeout=2)
    assert running.world.grant(binding_id).version == 2


class TestUnauthenticatedPeer:
    def test_a_thousand_streams_leave_get_fresh_token_answering(self, running: Running) -> None:
        binding_id = running.world.connected()

        with idle_peer(running.target) as seen:
            taken = token_calls(running, binding_id)
            refreshing_calls(running, binding_id)

        # Reflection needs a caller, so only health watches stay open, up to the peer's cap;
        # the rest are refused (how each refusal reads on the peer's side is its business).
        assert sum(seen.values()) == STREAMS
        assert seen["OPEN"] == StreamLimits().per_peer
        assert max(taken) < 2

    def test_the_streams_it_was_refused_it_gets_once_others_close(self, running: Running) -> None:
        with idle_peer(running.target) as first:
            assert first["OPEN"] == StreamLimits().per_peer
        with idle_peer(running.target) as second:
            assert second["OPEN"] == StreamLimits().per_peer


class TestIdlePeerWithinGenerousCaps:
    def test_a_thousand_open_idle_streams_take_no_thread_from_unary_calls(self) -> None:
        generous = StreamLimits(per_peer=2 * STREAMS, total=2 * STREAMS)
        with serving(stream_limits=generous) as running:
            binding_id = running.world.connected()

            with idle_peer(running.target, token=SYNC_TOKEN) as seen:
                taken = token_calls(running, binding_id)
                refreshing_calls(running, binding_id)

        assert seen == {"OPEN": STREAMS}
        assert max(taken) < 2


def test_a_refused_stream_is_told_why(running: Running) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with idle_peer(running.target):
        watch = health_pb2_grpc.HealthStub(running.channel).Watch(
            health_pb2.HealthCheckRequest(service=""), timeout=5
        )
        try:
            next(watch)
            refused = None
        except grpc.RpcError as error:
            refused = error
    assert refused is not None and refused.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "too many open streams" in (refused.details() or "")
