"""Replicas whose LEDGER_WEBHOOKS differ (a rolling deploy that adds or removes a subscriber)
on one database, SQLite and PostgreSQL: a replica without a subscriber neither drops its
cursor nor lets housekeeping compact what it has not received; the replicas that have it go
on from the stored cursor, and only `webhooks forget` lets its events go."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.bootstrap import Container, bootstrap
from app.settings import Settings
from app.sweeper import build_sweeps
from app.webhooks import start_webhooks
from domain.ports import Clock
from tests.fakes.misc import FakeClock
from tests.integration.persistence.conftest import ADMIN_URL, _admin
from tests.integration.webhooks.conftest import account, ledger_env, pair
from tests.integration.webhooks.receiver import SECRET, Receiver

Replica = Callable[..., Container]
OTHER = json.dumps([{"name": "other", "url": "http://127.0.0.1:9/", "secret": SECRET}])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
        return
    name = f"ledger_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def replica(tmp_path: Path, receiver: Receiver, database_url: str) -> Iterator[Replica]:
    """A bootstrap on the shared database, as one replica would have it."""
    built: list[Container] = []

    def make(clock: Clock | None = None, **extra: str) -> Container:
        (tmp_path / "var").mkdir(exist_ok=True)
        env = ledger_env(tmp_path, receiver, LEDGER_DATABASE_URL=database_url, **extra)
        container = bootstrap(Settings.from_env(env), migrate=True, clock=clock)
        built.append(container)
        return container

    yield make
    for container in built:
        container.close()


def started(built: Container) -> int:
    assert built.webhooks is not None
    built.webhooks.deliver()
    with built.ports.uow() as uow:
        return uow.events.revision()


def outbox(built: Container, after: int) -> list[int]:
    with built.ports.uow() as uow:
        return [e.revision for e in uow.events.after(after, 10_000) if e.revision is not None]


def bare(replica: Replica, clock: Clock | None = None) -> Container:
    """A replica started with no subscriber at all (it runs no delivery thread)."""
    built = replica(clock, LEDGER_WEBHOOKS="[]")
    assert built.webhooks is not None
    assert start_webhooks(built.webhooks, built.metrics) is None
    built.webhooks.deliver()
    return built


def test_a_replica_without_the_subscriber_loses_none_of_its_events(
    replica: Replica, receiver: Receiver
) -> None:
    delivering = replica()
    start = started(delivering)
    owner = account(delivering)
    pair(delivering, owner)
    bare(replica)
    other = replica(LEDGER_WEBHOOKS=OTHER)  # one that has another subscriber instead
    assert other.webhooks is not None
    other.webhooks.deliver()
    pair(delivering, owner)

    assert delivering.webhooks is not None
    assert delivering.webhooks.deliver()[("sync", "delivered")] == 4
    assert receiver.revisions() == outbox(delivering, start), "every event, in order"


def test_housekeeping_without_the_subscriber_keeps_its_events_until_forgotten(
    replica: Replica, receiver: Receiver
) -> None:
    delivering = replica()
    start = started(delivering)
    pair(delivering, account(delivering))
    expected = outbox(delivering, start)
    later = FakeClock(datetime.now(UTC) + timedelta(days=60))  # past the 30 days' retention
    sweeping = bare(replica, later)

    build_sweeps(sweeping).housekeeping()
    assert outbox(sweeping, start) == expected, "compaction holds at the stored cursor"
    assert delivering.webhooks is not None
    delivering.webhooks.deliver()
    assert receiver.revisions() == expected

    pair(delivering, account(delivering))
    assert sweeping.webhooks is not None
    assert sweeping.webhooks.admin.forget("sync") is not None
    later.advance(days=1)  # the housekeeping lease taken above has ended
    build_sweeps(sweeping).housekeeping()
    assert outbox(sweeping, 0) == [], "forgotten, it holds nothing back"
