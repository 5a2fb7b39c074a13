"""The watch-latency client: its own process, so the replicas never share its GIL.

`python -m bench.watch_client` reads one JSON spec on stdin (it holds the caller token and
connector secrets, so never argv) and prints one JSON result. On one asyncio loop it opens
`watchers_b` WatchBindings streams on replica B (`target_b`, over `channels_b` connections)
and one on replica A (`target_a`), all from revision `after`, and waits until every one
has sent its first bookmark (live). Then, `writes` times, it sends one Magento profile
update to replica A's HTTP API (`http_a`) for the next binding in turn and waits until every
watcher has that binding's event; the next write follows after `pause_s`. Noted per event
and watcher: the arrival, against when the update was sent, when A answered (the event may
come first: the commit precedes the answer), and the event's own `occurred_at` (A's clock
when the change began, the same host's wall clock), and when a LISTEN connection of this
process's own heard the commit's NOTIFY: the commit, as near as an outsider can see it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import grpc
import httpx
import psycopg

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from bench.stats import latency_summary

WAIT_S = 30.0


class Watcher:
    """One stream: when (monotonic and wall clock) each event arrived."""

    def __init__(self, channel: grpc.aio.Channel, token: str, after: int) -> None:
        self._stub = pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]
        self._token = token
        self._after = after
        self.live = asyncio.Event()
        self.arrivals: dict[str, list[tuple[float, float, float, int]]] = {}
        self._changed = asyncio.Condition()
        self._call: Any = None

    async def run(self) -> None:
        metadata = (("authorization", f"Bearer {self._token}"),)
        request = pb.WatchBindingsRequest(after_revision=self._after)
        self._call = self._stub.WatchBindings(request, metadata=metadata)
        try:
            async for item in self._call:
                now, wall = time.monotonic(), time.time()
                if item.WhichOneof("item") == "bookmark":
                    self.live.set()
                    continue
                e = item.event
                began = e.occurred_at.ToNanoseconds() / 1e9
                async with self._changed:
                    seen = self.arrivals.setdefault(e.binding_id, [])
                    seen.append((now, wall, began, e.revision))
                    self._changed.notify_all()
        except asyncio.CancelledError:
            pass

    async def event(self, binding_id: str, count: int) -> tuple[float, float, float, int]:
        """The `count`-th event of `binding_id`: arrival (monotonic, wall), occurred_at,
        revision."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.arrivals.get(binding_id, [])) >= count),
                WAIT_S,
            )
            return self.arrivals[binding_id][count - 1]

    def stop(self) -> None:
        if self._call is not None:
            self._call.cancel()


class Commits:
    """The outbox's NOTIFY heard by a listener of this process's own, straight from
    PostgreSQL: when each revision was committed, give or take the notification's delivery
    (the payload is the committing transaction's last revision)."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn
        self._at: dict[int, float] = {}
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._listen())

    @classmethod
    async def listening(cls, url: str) -> Commits:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
        await conn.execute("LISTEN ledger_events")
        return cls(conn)

    async def _listen(self) -> None:
        async for note in self._conn.notifies():
            now = time.monotonic()
            async with self._changed:
                self._at[int(note.payload)] = now
                self._changed.notify_all()

    async def heard(self, revision: int) -> float:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: revision in self._at), WAIT_S)
            return self._at[revision]

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._conn.close()


def watchers(spec: dict[str, Any], target: str, count: int, channels: int) -> list[Watcher]:
    pool = [
        grpc.aio.insecure_channel(target, options=(("bench.channel", n),)) for n in range(channels)
    ]
    return [Watcher(pool[n % channels], spec["token"], spec["after"]) for n in range(count)]


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    bindings = spec["bindings"]
    on_b = watchers(spec, spec["target_b"], spec["watchers_b"], spec.get("channels_b", 4))
    on_a = watchers(spec, spec["target_a"], 1, 1)
    everyone = on_b + on_a
    tasks = [asyncio.create_task(w.run()) for w in everyone]
    await asyncio.wait_for(asyncio.gather(*(w.live.wait() for w in everyone)), WAIT_S)
    counts: dict[str, int] = {}
    figures: dict[str, list[float]] = {
        k: [] for k in ("cross", "local", "write", "after_answer", "from_change", "from_commit")
    }
    commits = await Commits.listening(spec["database_url"])
    async with httpx.AsyncClient(base_url=spec["http_a"], timeout=WAIT_S) as http:
        for n in range(spec["writes"]):
            shop = bindings[n % len(bindings)]
            counts[shop["id"]] = counts.get(shop["id"], 0) + 1
            sent = time.monotonic()
            answer = await http.put(
                "/api/v1/pairings/self/profile",
                json=shop["profile"],
                headers={"Authorization": f"Bearer {shop['secret']}"},
            )
            answered = time.monotonic()
            answer.raise_for_status()
            figures["write"].append(answered - sent)
            arrived = [await w.event(shop["id"], counts[shop["id"]]) for w in on_b]
            committed = await commits.heard(arrived[0][3])
            figures["cross"] += [at - sent for at, _, _, _ in arrived]
            figures["after_answer"] += [at - answered for at, _, _, _ in arrived]
            figures["from_change"] += [wall - began for _, wall, began, _ in arrived]
            figures["from_commit"] += [at - committed for at, _, _, _ in arrived]
            local, _, _, _ = await on_a[0].event(shop["id"], counts[shop["id"]])
            figures["local"].append(local - sent)
            await asyncio.sleep(spec["pause_s"])
    for watcher in everyone:
        watcher.stop()
    await commits.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "cross_replica": latency_summary(figures["cross"]),
        "same_replica": latency_summary(figures["local"]),
        "write": latency_summary(figures["write"]),
        "cross_after_answer": latency_summary(figures["after_answer"]),
        "cross_from_change": latency_summary(figures["from_change"]),
        "cross_from_commit": latency_summary(figures["from_commit"]),
        "watchers_b": len(on_b),
    }


def main() -> None:
    spec = json.load(sys.stdin)
    print(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
