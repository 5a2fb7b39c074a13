"""Revocation detection: each connected binding is checked against /connections once per
period.

Every binding owns a moment in each `connection_check` period (`slot_in_window`), so checks
spread evenly; each sweeper looks at the bindings whose moment passed since its last tick,
and a lease held for half a period lets one of them check. An organisation missing from
/connections means NEEDS_RECONNECT (ConnectionChecker); Xero not answering changes nothing.
Bindings whose moment passed while no sweeper ran wait for their next one.

Tokens are per Xero user and app, and /connections lists every organisation the user
authorised for the app, whichever of the user's tokens asks (xero-facts §5). So one answer
serves all of a user's bindings for LISTING_MAX_AGE: a binding whose moment comes within it
and whose organisation that answer listed is present without asking /connections again,
once its own grant has proved itself (its token fresh, refreshed if need be), so a grant
Xero refuses is still found within a period. Only "present" is taken from an earlier
answer: an organisation missing from it may have been connected since, so a binding it
lacks asks with its own token, as it would without one.

The connected bindings are read at most every ROSTER_MAX_AGE, not every tick, and kept sorted
by their moment, so a tick costs what is due, not what is connected (100,000 ids read and
hashed every 15 s took a fifth of a core in `serve`). A binding connected since the last
read is left out until the next one (its check is hours away anyway); one no longer
connected is skipped when its moment comes.
"""

from __future__ import annotations

import bisect
import logging
from array import array
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.binding import Binding
from domain.errors import DomainError, LockTimeout, StorageUnavailable
from domain.schedule import slot_in_window, slot_phase
from domain.usecases.lifecycle import ConnectionChecker
from domain.usecases.sweeps.common import SweepContext
from domain.values import BindingStatus, Environment

log = logging.getLogger(__name__)
ROSTER_MAX_AGE = timedelta(minutes=5)
LISTING_MAX_AGE = timedelta(minutes=5)
CLAIM_BATCH = 32  # due bindings read and leased per unit of work


@dataclass(frozen=True, slots=True)
class _Listing:
    """The organisations one Xero user's /connections listed, and when."""

    at: datetime
    tenants: frozenset[str]


class ConnectionSweep:
    def __init__(self, context: SweepContext, checker: ConnectionChecker) -> None:
        self._s = context
        self._checker = checker
        self._looked_until: datetime | None = None
        # The connected ids sorted by their moment in the period, those moments (a compact
        # array: 100,000 (moment, id) tuples would hold about 7 MiB more), and when and for
        # which period they were read.
        self._ids: list[str] = []
        self._phases: array[float] = array("d")
        self._roster_read: tuple[datetime, timedelta] | None = None
        self._listings: dict[tuple[Environment, str], _Listing] = {}

    def __call__(self) -> Counter[str]:
        period = self._s.schedule.connection_check
        now = self._s.now()
        start = self._looked_until or now - self._s.schedule.tick
        self._looked_until = now
        if period is None or now <= start:
            return Counter()
        due = self._due(start, now, period)
        self._listings = {
            user: seen for user, seen in self._listings.items() if now - seen.at < LISTING_MAX_AGE
        }
        lease_until = now + period / 2
        outcomes: Counter[str] = Counter()
        for start_at in range(0, len(due), CLAIM_BATCH):
            if self._s.halted:
                break
            claimed = self._claim(due[start_at : start_at + CLAIM_BATCH], lease_until, outcomes)
            for done, binding in enumerate(claimed):
                if self._s.halted:  # the rest are due again at once, for whoever runs next
                    self._give_back(claimed[done:])
                    return outcomes
                try:
                    outcomes[self._check(binding, now)] += 1
                except BaseException:
                    self._give_back(claimed[done + 1 :], quiet=True)
                    raise
        return outcomes

    def _claim(
        self, ids: list[str], lease_until: datetime, outcomes: Counter[str]
    ) -> list[Binding]:
        """Read `ids` and take the lease of each that hands out tokens, in one unit of work
        (two per binding took a tenth of `serve`'s CPU at 100,000 bindings); the bindings
        taken, in order. Those not taken are counted into `outcomes`."""
        claimed: list[Binding] = []
        with self._s.uow() as uow:
            now, holder = self._s.now(), self._s.holder
            for binding_id in ids:
                binding = uow.bindings.get(binding_id)
                if binding is None or not binding.status.hands_out_tokens:
                    outcomes["skipped"] += 1
                elif uow.leases.acquire(_lease_key(binding_id), holder, now, lease_until):
                    claimed.append(binding)
                else:
                    outcomes["taken"] += 1
            uow.commit()
        return claimed

    def _due(self, start: datetime, end: datetime, period: timedelta) -> list[str]:
        """The connected bindings whose moment falls in (start, end], in the roster's order."""
        read = self._roster_read
        if read is None or read[1] != period or end - read[0] >= ROSTER_MAX_AGE:
            with self._s.uow() as uow:
                ids = uow.bindings.connected_ids()
            roster = sorted((slot_phase(i, period), i) for i in ids)
            self._ids = [i for _, i in roster]
            self._phases = array("d", (phase for phase, _ in roster))
            self._roster_read = (end, period)
        length = period.total_seconds()
        if end.timestamp() - start.timestamp() >= length:
            candidates = self._ids
        else:
            # The moments in the window, modulo the period (which it may wrap around), with
            # a margin for rounding; the exact rule (slot_in_window) decides at the edges.
            low, high = start.timestamp() % length, end.timestamp() % length
            high += length if high <= low else 0.0
            candidates = [
                entry
                for shift in (-length, 0.0, length)
                for entry in self._between(low - 1.0 + shift, high + 1.0 + shift)
            ]
        due = {i: None for i in candidates if slot_in_window(i, start, end, period)}
        return list(due)

    def _between(self, low: float, high: float) -> list[str]:
        if high <= low:
            return []
        first = bisect.bisect_left(self._phases, low)
        return self._ids[first : bisect.bisect_left(self._phases, high, first)]

    def _give_back(self, bindings: list[Binding], *, quiet: bool = False) -> None:
        """Release the leases of claimed bindings not checked; `quiet` on the way out of an
        error, which a storage failure here must not replace (the leases then end with
        their time)."""
        if not bindings:
            return
        try:
            self._s.release(*(_lease_key(binding.id) for binding in bindings))
        except StorageUnavailable:
            if not quiet:
                raise

    def _check(self, binding: Binding, now: datetime) -> str:
        binding_id = binding.id
        try:
            status = self._confirm(binding, now)
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

    def _confirm(self, binding: Binding, now: datetime) -> BindingStatus:
        """The binding's status after its check: present by its user's recent answer once its
        grant proved itself, or asked of Xero with its own token (and that answer kept for
        the user's others)."""
        link = binding.xero
        assert link is not None
        user = (link.environment, link.xero_user_id) if link.xero_user_id else None
        seen = self._listings.get(user) if user else None
        if seen is not None and link.tenant_id in seen.tenants:  # pruned to recent ones
            return self._checker.check_grant(binding.id)
        status, listed = self._checker.check_listing(binding.id)
        if user is not None and listed is not None:
            self._listings[user] = _Listing(now, listed)
        return status


def _lease_key(binding_id: str) -> str:
    return f"connections:{binding_id}"
