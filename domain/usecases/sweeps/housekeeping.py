"""Expired connect attempts (10 minutes), pairing codes (15), browser sessions and drained
throttle buckets, leases ended a day ago, and binding events and webhook delivery-log lines
older than the retention (compaction: watchers behind it list again), are deleted; a lease
lets one sweeper of many do it every `housekeeping_every`. Compaction keeps every event an
enabled webhook subscriber has not acknowledged yet (a disabled one holds nothing back).
An attempt for a new organisation that Xero never answered is recorded on its binding first."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from domain.connect import ATTEMPT_LIFETIME, PAIRING_CODE_LIFETIME
from domain.tier import NEVER_CAME_BACK
from domain.usecases.locking import lock_binding
from domain.usecases.settle import ConnectionSettler
from domain.usecases.sweeps.common import SweepContext

LEASES_KEPT = timedelta(days=1)
ABANDONED_BATCH = 50
# More than this many unanswered attempts in one minute are deleted unrecorded.
NEVER_RETURNED_BATCH = 500
EVENTS_BATCH = 10_000


class Housekeeping:
    def __init__(self, context: SweepContext, settler: ConnectionSettler) -> None:
        self._s = context
        self._settler = settler

    def __call__(self) -> Counter[str]:
        now = self._s.now()
        if not self._s.lease("housekeeping", now + self._s.schedule.housekeeping_every):
            return Counter()
        released = self._release_abandoned(now)
        never_returned = self._record_never_returned(now)
        lifetimes = self._s.tunables.sessions
        events_before = now - self._s.tunables.event_retention
        with self._s.uow() as uow:
            deleted = Counter(
                attempts=uow.attempts.delete_created_before(now - ATTEMPT_LIFETIME),
                pairing_codes=uow.pairing_codes.delete_created_before(now - PAIRING_CODE_LIFETIME),
                leases=uow.leases.purge(now - LEASES_KEPT),
                sessions=uow.sessions.delete_expired(
                    idle_before=now - lifetimes.idle, created_before=now - lifetimes.absolute
                ),
                throttles=uow.throttles.purge(now),
                events=uow.events.compact(
                    events_before, EVENTS_BATCH, keep_after=uow.webhooks.held_through()
                ),
                webhook_deliveries=uow.webhooks.purge_log(events_before),
            )
            uow.commit()
        return +(deleted + Counter(abandoned_choices=released, never_returned=never_returned))

    def _record_never_returned(self, now: datetime) -> int:
        """An attempt for a new organisation whose callback never came most likely ended on
        Xero's connection-limit page, which never sends the merchant back: say so on the
        binding, where the merchant sees it when they return, before the attempt goes."""
        recorded = 0
        timeout = self._s.tunables.lock_timeout_s
        with self._s.uow() as uow:
            attempts = uow.attempts.never_returned(now - ATTEMPT_LIFETIME, NEVER_RETURNED_BATCH)
            for attempt in attempts:
                binding = lock_binding(uow, attempt.binding_id, timeout)
                if binding is None or binding.locked_tenant(attempt.environment) is not None:
                    continue
                event = binding.connect_never_returned(NEVER_CAME_BACK, now)
                if event is not None:
                    uow.events.add(event)
                    uow.bindings.update(binding)
                    recorded += 1
            uow.commit()
        return recorded

    def _release_abandoned(self, now: datetime) -> int:
        """A merchant who never picked an organisation leaves the consent's connections at
        Xero, where they count against the app's cap: release them before forgetting."""
        with self._s.uow() as uow:
            abandoned = uow.attempts.abandoned_choices(now - ATTEMPT_LIFETIME, ABANDONED_BATCH)
        for attempt in abandoned:
            assert attempt.pending is not None
            pending = attempt.pending
            self._settler.release(attempt.environment, pending.tokens, pending.organisations, None)
            with self._s.uow() as uow:
                attempt.pending = None
                uow.attempts.update(attempt)
                uow.commit()
        return len(abandoned)
