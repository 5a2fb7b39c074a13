"""Expired connect attempts (10 minutes), pairing codes (15), browser sessions and drained
throttle buckets, and leases ended a day ago, are deleted; a lease lets one sweeper of many
do it every `housekeeping_every`."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from domain.connect import ATTEMPT_LIFETIME, PAIRING_CODE_LIFETIME
from domain.usecases.settle import ConnectionSettler
from domain.usecases.sweeps.common import SweepContext

LEASES_KEPT = timedelta(days=1)
ABANDONED_BATCH = 50


class Housekeeping:
    def __init__(self, context: SweepContext, settler: ConnectionSettler) -> None:
        self._s = context
        self._settler = settler

    def __call__(self) -> Counter[str]:
        now = self._s.now()
        if not self._s.lease("housekeeping", now + self._s.schedule.housekeeping_every):
            return Counter()
        released = self._release_abandoned(now)
        lifetimes = self._s.deps.tunables.sessions
        with self._s.deps.uow() as uow:
            deleted = Counter(
                attempts=uow.attempts.delete_created_before(now - ATTEMPT_LIFETIME),
                pairing_codes=uow.pairing_codes.delete_created_before(now - PAIRING_CODE_LIFETIME),
                leases=uow.leases.purge(now - LEASES_KEPT),
                sessions=uow.sessions.delete_expired(
                    idle_before=now - lifetimes.idle, created_before=now - lifetimes.absolute
                ),
                throttles=uow.throttles.purge(now),
            )
            uow.commit()
        return +(deleted + Counter(abandoned_choices=released))

    def _release_abandoned(self, now: datetime) -> int:
        """A merchant who never picked an organisation leaves the consent's connections at
        Xero, where they count against the app's cap: release them before forgetting."""
        with self._s.deps.uow() as uow:
            abandoned = uow.attempts.abandoned_choices(now - ATTEMPT_LIFETIME, ABANDONED_BATCH)
        for attempt in abandoned:
            assert attempt.pending is not None
            pending = attempt.pending
            self._settler.release(attempt.environment, pending.tokens, pending.organisations, None)
            with self._s.deps.uow() as uow:
                attempt.pending = None
                uow.attempts.update(attempt)
                uow.commit()
        return len(abandoned)
