"""In-process coordination for the token hot path: single flight per key, and a short cache."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

T = TypeVar("T")


class _Flight(Generic[T]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None


class SingleFlight(Generic[T]):
    """Concurrent calls for one key share one execution and its outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight[T]] = {}

    def run(self, key: str, work: Callable[[], T], timeout: float | None = None) -> T:
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if leader:
            self._lead(key, flight, work)
        elif not flight.done.wait(timeout):
            raise TimeoutError("timed out waiting for a refresh in flight")
        if flight.error is not None:
            raise flight.error
        return flight.result  # type: ignore[return-value]

    def _lead(self, key: str, flight: _Flight[T], work: Callable[[], T]) -> None:
        try:
            flight.result = work()
        except BaseException as error:  # noqa: BLE001 - handed to every waiter
            flight.error = error
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T
    stored_at: datetime


class ShortCache(Generic[T]):
    """A few seconds of memory per key, dropped at once on any local change."""

    def __init__(self, ttl: timedelta, prune_at: int = 1024) -> None:
        self._ttl = ttl
        self._entries: dict[str, _Entry[T]] = {}
        self._min_prune_at = self._prune_at = prune_at

    def get(self, key: str, now: datetime) -> T | None:
        entry = self._entries.get(key)
        if entry is None or now - entry.stored_at > self._ttl:
            return None
        return entry.value

    def put(self, key: str, value: T, now: datetime) -> None:
        if self._ttl > timedelta(0):
            self._entries[key] = _Entry(value, now)
            if len(self._entries) >= self._prune_at:
                self._prune(now)

    def _prune(self, now: datetime) -> None:
        """Forget expired entries once there are many, so neither memory nor decrypted tokens
        outlive their few seconds; the threshold doubles with what stays, so a busy process
        does not scan on every put. Another thread's put meanwhile costs at most a miss."""
        for key, entry in list(self._entries.items()):
            if now - entry.stored_at > self._ttl and self._entries.get(key) is entry:
                self._entries.pop(key, None)
        self._prune_at = max(self._min_prune_at, 2 * len(self._entries))

    def drop(self, key: str) -> None:
        self._entries.pop(key, None)
