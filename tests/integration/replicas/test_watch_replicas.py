"""No event skipped across replicas (issue 15 item 3, DESIGN §12): three real `serve`
processes on one PostgreSQL database commit profile updates for many bindings at once (the
Magento API, spread over the replicas), while watchers on every replica follow the outbox.
Each watcher must see exactly the events the database holds after its starting revision,
each once and in revision order; one watcher drops its stream halfway and resumes, on
another replica, from the last revision it received."""

from __future__ import annotations

import itertools
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import grpc
import httpx
import pytest

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from app.demo import sample_profile
from domain.magento import MagentoProfile
from tests.integration.replicas.cluster import Cluster, Replica, bearer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ACCOUNTS = 4
BINDINGS_EACH = 6
UPDATES_EACH = 5
WRITERS = 12
DEADLINE_S = 120.0


@dataclass
class Shop:
    binding_id: str
    account_id: str
    url: str
    secret: str = field(repr=False)


def shops(cluster: Cluster) -> list[Shop]:
    service = cluster.container.service
    made = []
    for _ in range(ACCOUNTS):
        account = service.accounts.create(f"watch-{uuid.uuid4().hex[:8]}@ledger.test", "scale", "x")
        for _ in range(BINDINGS_EACH):
            created = service.create_binding(account.id)
            url = f"https://watch-{uuid.uuid4().hex[:10]}.ledger.test"
            paired = service.redeem_pairing(
                created.pairing_code, MagentoProfile.from_dict(sample_profile(url))
            )
            made.append(Shop(created.binding_id, account.id, url, paired.connector_secret))
    return made


def current_revision(cluster: Cluster) -> int:
    return int(cluster.sql("SELECT revision FROM event_revision")[0][0])


def committed_after(cluster: Cluster, revision: int) -> list[tuple[int, str, str]]:
    rows = cluster.sql(
        "SELECT revision, binding_id, account_id FROM binding_events WHERE revision > :r "
        "ORDER BY revision",
        r=revision,
    )
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


class Watch:
    """One WatchBindings stream in a thread: what it received, and where it got to."""

    def __init__(self, replica: Replica, after: int, account_id: str = "") -> None:
        self.replica = replica
        self.after = after
        self.account_id = account_id
        self.events: list[tuple[int, str, str]] = []
        self.reached = after
        self.live = threading.Event()
        self.error: BaseException | None = None
        self._cond = threading.Condition()
        self._channel = grpc.insecure_channel(replica.target)
        self._call: Any = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Watch:
        self._thread.start()
        return self

    def _run(self) -> None:
        stub = pb_grpc.XeroConnectServiceStub(self._channel)  # type: ignore[no-untyped-call]
        scope = pb.BindingFilter(account_id=self.account_id)
        request = pb.WatchBindingsRequest(after_revision=self.after, filter=scope)
        self._call = stub.WatchBindings(request, metadata=bearer(), timeout=DEADLINE_S)
        try:
            for item in self._call:
                if item.WhichOneof("item") == "event":
                    e = item.event
                    with self._cond:
                        self.events.append((e.revision, e.binding_id, e.account_id))
                        self.reached = e.revision
                        self._cond.notify_all()
                else:
                    with self._cond:
                        self.reached = max(self.reached, item.bookmark.revision)
                        self._cond.notify_all()
                    self.live.set()
        except grpc.RpcError as error:
            if error.code() is not grpc.StatusCode.CANCELLED:
                self.error = error
        finally:
            with self._cond:
                self._cond.notify_all()

    def wait_for(self, predicate: object, what: str) -> None:
        with self._cond:
            done = self._cond.wait_for(
                lambda: self.error is not None or predicate(self),  # type: ignore[operator]
                DEADLINE_S,
            )
        assert self.error is None, f"{self.replica.name}: {self.error}"
        assert done, f"{self.replica.name} watcher never {what}: reached {self.reached}"

    def stop(self) -> None:
        if self._call is not None:
            self._call.cancel()
        self._thread.join(DEADLINE_S)
        self._channel.close()


def update_profiles(cluster: Cluster, made: list[Shop]) -> None:
    """Every shop's Magento module reports its profile UPDATES_EACH times, each report to
    the next replica in turn, WRITERS at once."""
    clients = [
        httpx.Client(base_url=f"http://127.0.0.1:{r.http_port}", timeout=60)
        for r in cluster.replicas
    ]
    turns = itertools.cycle(range(len(clients)))
    jobs = [(shop, next(turns)) for _ in range(UPDATES_EACH) for shop in made]

    def send(job: tuple[Shop, int]) -> None:
        shop, replica = job
        answer = clients[replica].put(
            "/api/v1/pairings/self/profile",
            json=sample_profile(shop.url),
            headers={"Authorization": f"Bearer {shop.secret}"},
        )
        assert answer.status_code == 200, answer.text

    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(send, jobs))
    finally:
        for client in clients:
            client.close()


def test_every_watcher_on_every_replica_gets_every_event_once_in_order(
    cluster: Cluster,
) -> None:
    made = shops(cluster)
    followed = made[0].account_id
    start = current_revision(cluster)
    watchers = [Watch(r, start).start() for r in cluster.replicas]
    watchers += [Watch(r, start, followed).start() for r in cluster.replicas]
    resumed = Watch(cluster.replicas[0], start).start()
    again: Watch | None = None
    try:
        for watch in [*watchers, resumed]:
            assert watch.live.wait(DEADLINE_S), f"{watch.replica.name} watcher never went live"
        half = threading.Thread(target=update_profiles, args=(cluster, made[: len(made) // 2]))
        half.start()
        resumed.wait_for(lambda w: len(w.events) >= 10, "received 10 events")
        resumed.stop()
        again = Watch(cluster.replicas[1], resumed.reached).start()
        half.join(DEADLINE_S)
        update_profiles(cluster, made[len(made) // 2 :])
        final = current_revision(cluster)
        for watch in [*watchers, again]:
            watch.wait_for(lambda w: w.reached >= final, f"reached revision {final}")
    finally:
        for watch in [*watchers, resumed, *([again] if again else [])]:
            watch.stop()

    assert again is not None
    expected = committed_after(cluster, start)
    assert [r for r, _, _ in expected] == list(range(start + 1, final + 1)), "gapless"
    assert len(expected) >= len(made) * UPDATES_EACH
    for watch in watchers:
        wanted = [e for e in expected if not watch.account_id or e[2] == watch.account_id]
        assert watch.events == wanted, f"{watch.replica.name} account={watch.account_id!r}"
    assert resumed.events + again.events == expected, "across a reconnect to another replica"
