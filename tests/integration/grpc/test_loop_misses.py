"""GetFreshToken's cache miss read on the server's event loop (`LoopTokenViews`): a fresh token
is handed out from that one read with no pool thread; whatever it does not settle (an expired
token, a refusal) and any failure of the read itself take the use case on the pool."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
import pytest

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.servicer import LOOP_READ_REST_S, LOOP_READ_TIMEOUT_S
from domain.errors import CorruptSecret
from tests.fakes.world import World
from tests.integration.grpc.conftest import SYNC_TOKEN, Running, WorldLoopViews, bearer, serving
from tests.integration.grpc.test_storm import counting, wait_for


def ask(running: Running, binding_id: str) -> Any:
    request = pb.GetFreshTokenRequest(binding_id=binding_id)
    return running.stub.GetFreshToken(request, metadata=bearer(SYNC_TOKEN), timeout=10)


def two_bindings(world: World) -> tuple[str, str]:
    """Two connected bindings of one account, each its own organisation."""
    account = world.account()
    first = world.connected(account)
    return first, world.connected(account, url="https://two.example.com", tenant="tenant-nz")


@pytest.fixture
def world_and_calls(monkeypatch: pytest.MonkeyPatch) -> tuple[World, list[int], WorldLoopViews]:
    """A world whose pooled path (`fresh_token`) counts its calls (the servicer takes its
    references when it is built, so this is what it gets), and its loop read."""
    world = World()
    pooled: list[int] = []
    tokens = world.service.tokens
    monkeypatch.setattr(tokens, "fresh_token", counting(pooled, tokens.fresh_token))
    return world, pooled, WorldLoopViews(world)


def test_a_fresh_token_is_read_on_the_loop_and_no_pool_thread_is_taken(
    world_and_calls: tuple[World, list[int], WorldLoopViews],
) -> None:
    world, pooled, views = world_and_calls
    binding_id = world.connected()
    with serving(world, loop_views=views) as running:
        answer = ask(running, binding_id)
        again = ask(running, binding_id)  # now from the token cache: no read at all
    grant = world.grant(binding_id)
    assert grant is not None
    assert answer.access_token == again.access_token == grant.access_token
    assert answer.tenant_id == "tenant-uk"
    assert views.reads == [binding_id]
    assert views.threads == {"grpc-aio"}
    assert pooled == []
    assert views.closed, "the server closes its loop read when it stops"


def test_an_expiring_token_is_refreshed_on_the_pool_after_the_loop_read(
    world_and_calls: tuple[World, list[int], WorldLoopViews],
) -> None:
    world, pooled, views = world_and_calls
    binding_id = world.connected()
    before = world.grant(binding_id)
    assert before is not None
    with serving(world, loop_views=views) as running:
        world.clock.advance(minutes=29)
        answer = ask(running, binding_id)
    after = world.grant(binding_id)
    assert after is not None and after.access_token != before.access_token
    assert answer.access_token == after.access_token
    assert world.xero.refresh_calls == 1
    assert views.reads == [binding_id] and pooled == [1]


def test_a_refused_binding_is_refused_in_the_pooled_path_s_words(
    world_and_calls: tuple[World, list[int], WorldLoopViews],
) -> None:
    world, pooled, views = world_and_calls
    binding_id = world.connected()
    world.needs_reconnect(binding_id)
    pooled.clear()  # reporting the 403 asked for a token itself
    with serving(world, loop_views=views) as running, pytest.raises(grpc.RpcError) as refused:
        ask(running, binding_id)
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "reconnect" in (refused.value.details() or "").lower()
    assert views.reads == [binding_id] and pooled == [1]


def test_a_failing_loop_read_falls_back_to_the_pool_and_rests(
    world_and_calls: tuple[World, list[int], WorldLoopViews], caplog: pytest.LogCaptureFixture
) -> None:
    world, pooled, views = world_and_calls
    first, second = two_bindings(world)
    views.failing = ConnectionRefusedError("postgresql://ledger:hunter2@db/ledger refused")
    with serving(world, loop_views=views) as running:
        answers = [ask(running, first), ask(running, second)]
    assert [a.access_token for a in answers] == [
        world.grant(b).access_token  # type: ignore[union-attr]
        for b in (first, second)
    ]
    # The second miss came within the rest: it went straight to the pool.
    assert views.reads == [first] and pooled == [1, 1]
    logged = [r.getMessage() for r in caplog.records if "event loop failed" in r.getMessage()]
    assert logged == [
        "the cache miss read on the event loop failed (ConnectionRefusedError); misses take "
        "the thread pool for 1 s"
    ]
    assert "hunter2" not in caplog.text


def test_callers_of_one_missing_binding_share_one_loop_read(
    world_and_calls: tuple[World, list[int], WorldLoopViews],
) -> None:
    world, pooled, views = world_and_calls
    binding_id = world.connected()
    with serving(world, loop_views=views) as running:
        # The read waits until every caller has arrived; the event is the loop's.
        loop_event: list[asyncio.Event] = []

        async def hold() -> None:
            loop_event.append(asyncio.Event())
            views.held = loop_event[0]

        running.server._loop.run(hold())
        request = pb.GetFreshTokenRequest(binding_id=binding_id)
        calls = [
            running.stub.GetFreshToken.future(  # type: ignore[no-untyped-call]
                request, metadata=bearer(SYNC_TOKEN), timeout=10
            )
            for _ in range(40)
        ]
        assert wait_for(lambda: len(views.reads) == 1, within_s=5)
        running.server._loop.run(_set(loop_event[0]))
        answers = [call.result() for call in calls]
    assert {a.access_token for a in answers} == {world.grant(binding_id).access_token}  # type: ignore[union-attr]
    assert views.reads == [binding_id] and pooled == []


async def _set(event: asyncio.Event) -> None:
    event.set()


def test_a_stalled_loop_read_gives_way_to_the_pool_within_its_timeout(
    world_and_calls: tuple[World, list[int], WorldLoopViews],
) -> None:
    """A read that never answers (a connection black-holed) must not hold the flight: past
    LOOP_READ_TIMEOUT_S the pool answers, and the loop read rests."""
    world, pooled, views = world_and_calls
    binding_id = world.connected()
    with serving(world, loop_views=views) as running:

        async def hold() -> None:
            views.held = asyncio.Event()  # never set

        running.server._loop.run(hold())
        started = time.monotonic()
        answer = ask(running, binding_id)
        took = time.monotonic() - started
    assert answer.access_token == world.grant(binding_id).access_token  # type: ignore[union-attr]
    assert views.reads == [binding_id] and pooled == [1]
    assert LOOP_READ_TIMEOUT_S <= took < LOOP_READ_TIMEOUT_S + 5


def test_the_loop_read_resumes_after_its_rest(
    world_and_calls: tuple[World, list[int], WorldLoopViews],
) -> None:
    world, pooled, views = world_and_calls
    first, second = two_bindings(world)
    views.failing = ConnectionRefusedError("refused")
    with serving(world, loop_views=views) as running:
        ask(running, first)
        views.failing = None
        time.sleep(LOOP_READ_REST_S + 0.1)
        ask(running, second)
    assert views.reads == [first, second] and pooled == [1]


def test_one_row_s_sealed_token_sends_that_miss_to_the_pool_without_a_rest(
    world_and_calls: tuple[World, list[int], WorldLoopViews],
) -> None:
    """A key the loop may not re-read for is that row's trouble, not the database's: the
    next miss still reads on the loop."""
    world, pooled, views = world_and_calls
    first, second = two_bindings(world)
    views.failing = CorruptSecret("grants.access_token of row b-1 is sealed with key id k9")
    with serving(world, loop_views=views) as running:
        ask(running, first)
        views.failing = None
        ask(running, second)
    assert views.reads == [first, second] and pooled == [1]
