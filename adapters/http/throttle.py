"""Failure throttling for logins and pairing-code guesses, kept in this process's memory.

A key (for logins: email and client IP) is refused once it has `limit` failures inside the
window, until the oldest of them leaves it; a success clears the key. Memory is bounded: old
entries are pruned and at most `max_keys` keys are tracked. Being in-process, each replica
throttles on its own, so the effective limit behind a load balancer is `limit x replicas`;
put a shared limiter (or the proxy's) in front when that matters.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta


class Throttle:
    def __init__(
        self,
        limit: int,
        window: timedelta,
        now: Callable[[], datetime],
        max_keys: int = 100_000,
    ) -> None:
        self._limit, self._window, self._now, self._max_keys = limit, window, now, max_keys
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> timedelta | None:
        """How long `key` must wait before its next try, or None when it may try now."""
        now = self._now()
        with self._lock:
            recent = self._recent(key, now) if key in self._failures else deque()
            if len(recent) < self._limit:
                return None
            return recent[0] + self._window - now

    def failed(self, key: str) -> None:
        now = self._now()
        with self._lock:
            if key not in self._failures and len(self._failures) >= self._max_keys:
                self._prune(now)
            self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        entries = self._failures.setdefault(key, deque())
        while entries and entries[0] <= now - self._window:
            entries.popleft()
        return entries

    def _prune(self, now: datetime) -> None:
        for key in list(self._failures):
            if not self._recent(key, now):
                del self._failures[key]
        while len(self._failures) >= self._max_keys:
            del self._failures[next(iter(self._failures))]
