"""Revocation detection: each connected binding asks /connections once per period.

Every binding owns a moment in each `connection_check` period (`slot_in_window`), so checks
spread evenly; each sweeper looks at the bindings whose moment passed since its last tick,
and a lease held for half a period lets one of them check. An organisation missing from
/connections means NEEDS_RECONNECT (ConnectionChecker); Xero not answering changes nothing.
Bindings whose moment passed while no sweeper ran wait for their next one.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from domain.errors import DomainError, LockTimeout, StorageUnavailable
from domain.schedule import slot_in_window
from domain.usecases.lifecycle import ConnectionChecker
from domain.usecases.sweeps.common import SweepContext
from domain.values import BindingStatus

log = logging.getLogger(__name__)


class ConnectionSweep:
    def __init__(self, context: SweepContext, checker: ConnectionChecker) -> None:
        self._s = context
        self._checker = checker
        self._looked_until: datetime | None = None

    def __call__(self) -> Counter[str]:
        period = self._s.schedule.connection_check
        now = self._s.now()
        start = self._looked_until or now - self._s.schedule.tick
        self._looked_until = now
        if period is None or now <= start:
            return Counter()
        with self._s.uow() as uow:
            ids = uow.bindings.connected_ids()
        due = [i for i in ids if slot_in_window(i, start, now, period)]
        return Counter(self._check(i, now + period / 2) for i in self._s.until_halted(due))

    def _check(self, binding_id: str, lease_until: datetime) -> str:
        with self._s.uow() as uow:
            binding = uow.bindings.get(binding_id)
        if binding is None or not binding.status.hands_out_tokens:
            return "skipped"
        if not self._s.lease(f"connections:{binding_id}", lease_until):
            return "taken"
        try:
            status = self._checker.check(binding_id)
        except LockTimeout:
            return "busy"
        except StorageUnavailable:
            raise
        except DomainError as error:
            log.warning("connection check of binding %s failed: %s", binding_id, error.code)
            return "failed"
        if status is BindingStatus.NEEDS_RECONNECT:
            log.warning("binding %s: the organisation is gone at Xero; needs reconnect", binding_id)
            return "needs_reconnect"
        return "present"
