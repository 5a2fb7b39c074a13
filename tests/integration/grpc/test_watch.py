"""ListBindings and WatchBindings on a real server on port 0 (over a World of fakes).

The watch tests poll the fakes every 50 ms (there is no NOTIFY here) and send bookmarks
often, so nothing waits long; every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from adapters.grpc import watch
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.grpc.streams import StreamLimits
from adapters.grpc.watch import WatchSettings
from domain.policy import SyncPolicy
from tests.integration.grpc.conftest import (
    READER_TOKEN,
    SYNC_TOKEN,
    Running,
    bearer,
    serving,
)

FAST = WatchSettings(bookmark_s=0.2, poll_s=0.05)
WAIT_S = 20.0


@pytest.fixture
def running() -> Iterator[Running]:
    with serving(watch=FAST) as started:
        yield started


def shops(running: Running, count: int, email: str = "m@example.com") -> list[str]:
    account = running.world.account(email)
    return [
        running.world.paired(account, f"https://{email[0]}{n}.example.com") for n in range(count)
    ]


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    for packed in status.details:
        if packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            packed.Unpack(info)
            return info
    raise AssertionError("no ErrorInfo")


def rename(running: Running, binding_id: str, website: str = "site1") -> None:
    """A settings change: one event. Each call really changes the settings (Check is left
    "not mapped", then that choice is cleared, in turn): a save that changes nothing writes
    nothing, so no event."""
    binding = running.world.binding(binding_id)
    methods = {} if binding.policy.payment_method_map.get("checkmo") == "" else {"checkmo": ""}
    running.world.service.save_settings(
        binding.account_id,
        binding_id,
        SyncPolicy(website_filter=(website,), store_filter=("store1",), payment_method_map=methods),
    )


class TestListBindings:
    def test_pages_with_a_token_and_the_revision_they_reflect(self, running: Running) -> None:
        ids = shops(running, 3)
        seen: list[str] = []
        token = ""
        while True:
            request = pb.ListBindingsRequest(page_size=2, page_token=token)
            page = running.stub.ListBindings(request, metadata=bearer(SYNC_TOKEN), timeout=5)
            assert page.revision == running.world.uow().events.revision()
            seen += [b.binding_id for b in page.bindings]
            assert all(b.status == pb.BINDING_STATUS_PAIRED for b in page.bindings)
            assert all(b.account_id and b.magento_host for b in page.bindings)
            token = page.next_page_token
            if not token:
                break
        assert seen == sorted(ids)

    def test_the_filter_and_the_token_are_checked(self, running: Running) -> None:
        ids = shops(running, 2)
        one = pb.ListBindingsRequest(filter=pb.BindingFilter(binding_ids=[ids[1]]))
        page = running.stub.ListBindings(one, metadata=bearer(SYNC_TOKEN), timeout=5)
        assert [b.binding_id for b in page.bindings] == [ids[1]]
        for bad in (
            pb.ListBindingsRequest(page_token="not-ours"),
            pb.ListBindingsRequest(filter=pb.BindingFilter(statuses=[0])),  # type: ignore[list-item]
            pb.ListBindingsRequest(page_size=-1),
        ):
            with pytest.raises(grpc.RpcError) as refused:
                running.stub.ListBindings(bad, metadata=bearer(SYNC_TOKEN), timeout=5)
            assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT

    def test_both_methods_are_in_the_caller_permission_model(self, running: Running) -> None:
        for call, request in (
            (running.stub.ListBindings, pb.ListBindingsRequest()),
            (
                lambda r, **kw: next(iter(running.stub.WatchBindings(r, **kw))),
                pb.WatchBindingsRequest(),
            ),
        ):
            with pytest.raises(grpc.RpcError) as refused:
                call(request, metadata=bearer(READER_TOKEN), timeout=5)
            assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED


class TestWatchBindings:
    def test_list_then_watch_sees_each_later_change_once_in_order(self, running: Running) -> None:
        ids = shops(running, 2)
        listed = running.stub.ListBindings(
            pb.ListBindingsRequest(), metadata=bearer(SYNC_TOKEN), timeout=5
        )
        stream = running.stub.WatchBindings(
            pb.WatchBindingsRequest(after_revision=listed.revision),
            metadata=bearer(SYNC_TOKEN),
            timeout=WAIT_S,
        )
        first = next(stream)
        assert first.WhichOneof("item") == "bookmark"
        assert first.bookmark.revision == listed.revision
        rename(running, ids[0])
        rename(running, ids[1])
        events = []
        for item in stream:
            if item.WhichOneof("item") == "event":
                events.append(item.event)
            if len(events) == 2:
                break
        stream.cancel()
        assert [e.revision for e in events] == [listed.revision + 1, listed.revision + 2]
        assert [e.binding_id for e in events] == ids
        assert {e.kind for e in events} == {pb.EVENT_KIND_SETTINGS_CHANGED}
        assert all(e.status == pb.BINDING_STATUS_PAIRED and e.account_id for e in events)

    def test_a_watch_from_zero_replays_the_log_then_filters(self, running: Running) -> None:
        ids = shops(running, 2)
        request = pb.WatchBindingsRequest(
            filter=pb.BindingFilter(binding_ids=[ids[1]], kinds=[pb.EVENT_KIND_PAIRED])
        )
        stream = running.stub.WatchBindings(request, metadata=bearer(SYNC_TOKEN), timeout=WAIT_S)
        first = next(item for item in stream if item.WhichOneof("item") == "event")
        stream.cancel()
        assert first.event.binding_id == ids[1]
        assert first.event.kind == pb.EVENT_KIND_PAIRED

    def test_an_idle_stream_gets_bookmarks(self, running: Running) -> None:
        shops(running, 1)
        current = running.world.uow().events.revision()
        stream = running.stub.WatchBindings(
            pb.WatchBindingsRequest(after_revision=current),
            metadata=bearer(SYNC_TOKEN),
            timeout=WAIT_S,
        )
        items = [next(stream) for _ in range(3)]
        stream.cancel()
        assert [i.bookmark.revision for i in items] == [current] * 3

    def test_a_compacted_revision_is_failed_precondition_with_the_current_one(
        self, running: Running
    ) -> None:
        shops(running, 2)
        world = running.world
        world.clock.advance(days=40)
        with world.uow() as uow:
            uow.events.compact(world.clock.now() - timedelta(days=30), 2)
        stream = running.stub.WatchBindings(
            pb.WatchBindingsRequest(after_revision=1), metadata=bearer(SYNC_TOKEN), timeout=5
        )
        with pytest.raises(grpc.RpcError) as refused:
            next(stream)
        assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        info = error_info(refused.value)
        assert info.reason == "REVISION_COMPACTED"
        assert info.metadata["current_revision"] == str(world.uow().events.revision())

    def test_a_revision_from_the_future_a_negative_one_or_a_huge_filter_is_invalid(
        self, running: Running
    ) -> None:
        shops(running, 1)
        ahead = running.world.uow().events.revision() + 5
        too_many = pb.BindingFilter(binding_ids=[f"b-{n}" for n in range(1001)])
        for request in (
            pb.WatchBindingsRequest(after_revision=ahead),
            pb.WatchBindingsRequest(after_revision=-1),
            pb.WatchBindingsRequest(filter=too_many),
        ):
            stream = running.stub.WatchBindings(request, metadata=bearer(SYNC_TOKEN), timeout=5)
            with pytest.raises(grpc.RpcError) as refused:
                next(stream)
            assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT


MAX_CHANGES = 20_000


class TestSlowReader:
    def test_a_stream_that_stopped_reading_is_dropped_and_catches_up_exactly(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(watch, "QUEUE_LIMIT", 1)
        with serving(watch=FAST) as running:
            ids = shops(running, 1)
            start = running.world.uow().events.revision()
            stream = running.stub.WatchBindings(
                pb.WatchBindingsRequest(after_revision=start),
                metadata=bearer(SYNC_TOKEN),
                timeout=WAIT_S * 3,
            )
            assert next(stream).WhichOneof("item") == "bookmark"
            watches = running.server.watches
            for _ in range(MAX_CHANGES):  # the stream is not read meanwhile
                rename(running, ids[0])
                if watches.dropped:
                    break
            assert watches.dropped == 1, "the unread stream was never dropped"
            final = running.world.uow().events.revision()
            got = []
            for item in stream:
                if item.WhichOneof("item") == "event":
                    got.append(item.event.revision)
                if got and got[-1] == final:
                    break
            stream.cancel()
        assert got == list(range(start + 1, final + 1))


class TestShutdown:
    def test_a_graceful_stop_ends_live_streams_with_ok_rather_than_at_its_grace(self) -> None:
        with serving(watch=FAST) as running:
            shops(running, 1)
            stream = running.stub.WatchBindings(
                pb.WatchBindingsRequest(after_revision=running.world.uow().events.revision()),
                metadata=bearer(SYNC_TOKEN),
                timeout=WAIT_S,
            )
            assert next(stream).WhichOneof("item") == "bookmark"
            stopping = threading.Thread(target=running.server.stop, args=(WAIT_S * 3,))
            stopping.start()
            rest = list(stream)  # ends when the server ends it
            stopping.join()
        assert all(item.WhichOneof("item") == "bookmark" for item in rest)
        assert stream.code() is grpc.StatusCode.OK, (
            "a cancelled stream would mean the grace ran out"
        )


WATCHERS = 1000
CHANNELS = 20  # each HTTP/2 connection carries at most 100 streams


class TestThousandWatchers:
    def test_all_get_the_event_and_unary_calls_still_answer(self) -> None:
        limits = StreamLimits(per_peer=WATCHERS + 10, total=WATCHERS + 10)
        with serving(
            watch=WatchSettings(bookmark_s=10, poll_s=0.05), stream_limits=limits
        ) as running:
            binding_id = shops(running, 1)[0]
            start = running.world.uow().events.revision()
            crowd = Crowd(running.target, start, WATCHERS)
            crowd.start()
            try:
                crowd.live.wait_until(WATCHERS)
                assert running.server.watches.watchers == WATCHERS
                answered = running.stub.GetBinding(
                    pb.GetBindingRequest(binding_id=binding_id),
                    metadata=bearer(SYNC_TOKEN),
                    timeout=5,
                )
                assert answered.binding.binding_id == binding_id
                rename(running, binding_id)
                crowd.got_event.wait_until(WATCHERS)
            finally:
                crowd.stop()
            assert crowd.revisions == {start + 1}


class Count:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.value = 0

    def add(self) -> None:
        with self._cond:
            self.value += 1
            self._cond.notify_all()

    def wait_until(self, target: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.value >= target, WAIT_S * 3), (
                f"{self.value} of {target}"
            )


class Crowd:
    """`count` watchers on grpc.aio channels of their own loop and thread."""

    def __init__(self, target: str, after: int, count: int) -> None:
        self._target = target
        self._after = after
        self._count = count
        self.live = Count()
        self.got_event = Count()
        self.revisions: set[int] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._task: Any = None
        self._closed = threading.Event()

    def start(self) -> None:
        self._thread.start()
        self._task = asyncio.run_coroutine_threadsafe(self._run(), self._loop)

    def stop(self) -> None:
        """Once every watcher has its event the channels close by themselves; a watcher
        still waiting (the test failed) is cancelled."""
        if not self._closed.wait(WAIT_S):
            self._task.cancel()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT_S)
        self._loop.close()

    async def _run(self) -> None:
        options = [("grpc.use_local_subchannel_pool", 1)]
        channels = [
            grpc.aio.insecure_channel(self._target, options=options) for _ in range(CHANNELS)
        ]
        try:
            await asyncio.gather(*(self._watch(channels[n % CHANNELS]) for n in range(self._count)))
        finally:
            for channel in channels:
                await channel.close()
            self._closed.set()

    async def _watch(self, channel: grpc.aio.Channel) -> None:
        stub = pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]
        request = pb.WatchBindingsRequest(after_revision=self._after)
        call = stub.WatchBindings(request, metadata=bearer(SYNC_TOKEN))
        live = False
        async for item in call:
            if item.WhichOneof("item") == "bookmark" and not live:
                live = True
                self.live.add()
            elif item.WhichOneof("item") == "event":
                self.revisions.add(item.event.revision)
                self.got_event.add()
                return
