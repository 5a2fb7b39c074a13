"""Expired connect attempts (10 minutes) and pairing codes (15), and leases ended a day ago,
are deleted; a lease lets one sweeper of many do it every `housekeeping_every`."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from domain.connect import ATTEMPT_LIFETIME, PAIRING_CODE_LIFETIME
from domain.usecases.sweeps.common import SweepContext

LEASES_KEPT = timedelta(days=1)


class Housekeeping:
    def __init__(self, context: SweepContext) -> None:
        self._s = context

    def __call__(self) -> Counter[str]:
        now = self._s.now()
        if not self._s.lease("housekeeping", now + self._s.schedule.housekeeping_every):
            return Counter()
        with self._s.deps.uow() as uow:
            deleted = Counter(
                attempts=uow.attempts.delete_created_before(now - ATTEMPT_LIFETIME),
                pairing_codes=uow.pairing_codes.delete_created_before(now - PAIRING_CODE_LIFETIME),
                leases=uow.leases.purge(now - LEASES_KEPT),
            )
            uow.commit()
        return +deleted
