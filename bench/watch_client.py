"""The watch-latency client: its own process, so the replicas never share its GIL.

`python -m bench.watch_client` reads one JSON spec on stdin (it holds the caller token and
connector secrets, so never argv) and prints one JSON result. It opens `watchers_b`
WatchBindings streams on replica B (`target_b`) and one on replica A (`target_a`), all from
revision `after`, and waits until every one has sent its first bookmark (live). Then,
`writes` times, it sends one Magento profile update to replica A's HTTP API (`http_a`) for
the next binding in turn and waits until every watcher has that binding's event, noting
when the update was sent, when A answered, and when each watcher received the event (which
may come before A's answer: the commit precedes it). The
next write follows after `pause_s`. Every time is this process's monotonic clock.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

import grpc
import httpx

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from bench.stats import latency_summary

WAIT_S = 30.0


class Watcher(threading.Thread):
    """One stream: the first arrival time of each binding's next event."""

    def __init__(self, channel: grpc.Channel, token: str, after: int) -> None:
        super().__init__(daemon=True)
        self._after = after
        self._stub = pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]
        self._token = token
        self.live = threading.Event()
        self.arrivals: dict[int, float] = {}
        self.by_binding: dict[str, list[int]] = {}
        self._cond = threading.Condition()
        self._call: Any = None

    def run(self) -> None:
        metadata = (("authorization", f"Bearer {self._token}"),)
        self._call = self._stub.WatchBindings(
            pb.WatchBindingsRequest(after_revision=self._after), metadata=metadata
        )
        try:
            for item in self._call:
                now = time.monotonic()
                if item.WhichOneof("item") == "bookmark":
                    self.live.set()
                    continue
                with self._cond:
                    self.arrivals[item.event.revision] = now
                    self.by_binding.setdefault(item.event.binding_id, []).append(
                        item.event.revision
                    )
                    self._cond.notify_all()
        except grpc.RpcError as error:
            if error.code() is not grpc.StatusCode.CANCELLED:
                raise

    def wait_event(self, binding_id: str, count: int) -> float:
        """When the `count`-th event of `binding_id` arrived here."""
        with self._cond:
            got = self._cond.wait_for(
                lambda: len(self.by_binding.get(binding_id, [])) >= count, WAIT_S
            )
            if not got:
                raise TimeoutError(f"no event {count} for {binding_id}")
            return self.arrivals[self.by_binding[binding_id][count - 1]]

    def stop(self) -> None:
        if self._call is not None:
            self._call.cancel()


def watchers(spec: dict[str, Any], target: str, count: int, channels: int) -> list[Watcher]:
    pool = [grpc.insecure_channel(target, options=(("bench.channel", n),)) for n in range(channels)]
    return [Watcher(pool[n % channels], spec["token"], spec["after"]) for n in range(count)]


def run(spec: dict[str, Any]) -> dict[str, Any]:
    bindings = spec["bindings"]
    on_b = watchers(spec, spec["target_b"], spec["watchers_b"], spec.get("channels_b", 4))
    on_a = watchers(spec, spec["target_a"], 1, 1)
    everyone = on_b + on_a
    for watcher in everyone:
        watcher.start()
    for watcher in everyone:
        if not watcher.live.wait(WAIT_S):
            raise TimeoutError("a watcher never went live")
    http = httpx.Client(base_url=spec["http_a"], timeout=WAIT_S)
    counts: dict[str, int] = {}
    cross, local, writes, after_answer = [], [], [], []
    try:
        for n in range(spec["writes"]):
            shop = bindings[n % len(bindings)]
            counts[shop["id"]] = counts.get(shop["id"], 0) + 1
            sent = time.monotonic()
            answer = http.put(
                "/api/v1/pairings/self/profile",
                json=shop["profile"],
                headers={"Authorization": f"Bearer {shop['secret']}"},
            )
            answered = time.monotonic()
            answer.raise_for_status()
            writes.append(answered - sent)
            arrived = [w.wait_event(shop["id"], counts[shop["id"]]) for w in on_b]
            cross += [at - sent for at in arrived]
            after_answer += [at - answered for at in arrived]
            local.append(on_a[0].wait_event(shop["id"], counts[shop["id"]]) - sent)
            time.sleep(spec["pause_s"])
    finally:
        http.close()
        for watcher in everyone:
            watcher.stop()
    return {
        "cross_replica": latency_summary(cross),
        "same_replica": latency_summary(local),
        "write": latency_summary(writes),
        "cross_after_answer": latency_summary(after_answer),
        "watchers_b": len(on_b),
    }


def main() -> None:
    spec = json.load(sys.stdin)
    print(json.dumps(run(spec)))


if __name__ == "__main__":
    main()
