"""A replica in its own process: builds the service on the real database and fetches a token."""

from __future__ import annotations

from multiprocessing.synchronize import Barrier
from pathlib import Path
from queue import Queue

from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring
from adapters.persistence.uow import SqlUnitOfWorkFactory
from tests.integration.persistence.builders import T0
from tests.integration.persistence.fakes import FileCountingIssuer, service


def fetch_token(url: str, keys: str, counter: str, barrier: Barrier, results: Queue[str]) -> None:
    database = Database(url)
    uow = SqlUnitOfWorkFactory(database, Keyring.parse(keys))
    replica = service(uow, FileCountingIssuer(Path(counter)), T0)
    try:
        barrier.wait(timeout=30)
        results.put(replica.tokens.fresh_token("b-1", timeout_s=10).access_token)
    except Exception as error:  # noqa: BLE001 - the parent asserts on it
        results.put(f"error: {type(error).__name__}: {error}")
    finally:
        database.dispose()
