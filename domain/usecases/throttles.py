"""Throttles shared by every replica: buckets (domain.throttle) kept in the database.

Keys name who is throttled (an address, an email at an address, a known device); they are
stored as SHA-256 digests, so the table holds no email or address. Each take is one short
transaction under the bucket's row lock, so concurrent attempts on several replicas are
counted exactly.
"""

from __future__ import annotations

from datetime import timedelta

from domain.digests import digest
from domain.ports import Clock, UnitOfWorkFactory
from domain.throttle import Rule


class Throttles:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, lock_timeout_s: float) -> None:
        self._uow, self._clock, self._timeout = uow, clock, lock_timeout_s

    def take(self, key: str, rule: Rule) -> timedelta | None:
        """Count one attempt for `key`; None when it may go ahead, else how long to wait."""
        now = self._clock.now()
        hashed = digest(key)
        with self._uow() as uow:
            bucket = uow.throttles.lock(hashed, self._timeout)
            after, wait = bucket.take(rule, now)
            if wait is None:
                uow.throttles.save(hashed, after, after.empty_at(rule))
                uow.commit()
        return wait

    def clear(self, *keys: str) -> None:
        with self._uow() as uow:
            for key in keys:
                uow.throttles.delete(digest(key))
            uow.commit()
