"""Adapters for the small ports: the system clock, random ids and secrets, a background runner."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from domain.ports import Clock, IdGenerator, SecretGenerator, TaskRunner

log = logging.getLogger(__name__)


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)


class UuidGenerator(IdGenerator):
    def new_id(self) -> str:
        return str(uuid.uuid4())


class SystemSecrets(SecretGenerator):
    def token(self, nbytes: int = 32) -> str:
        return secrets.token_urlsafe(nbytes)


class ThreadTaskRunner(TaskRunner):
    """A small pool for background work such as the second prefetch wave."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ledger-task")

    def submit(self, name: str, task: Callable[[], None]) -> None:
        self._pool.submit(self._run, name, task)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)

    @staticmethod
    def _run(name: str, task: Callable[[], None]) -> None:
        try:
            task()
        except Exception:
            log.exception("background task %s failed", name)
