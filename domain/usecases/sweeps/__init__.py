"""The background sweeps of DESIGN §7, one tick at a time, for any number of sweepers.

- tokens (`tokens.py`): retries of failed refreshes and keep-alives, claimed with
  `FOR UPDATE SKIP LOCKED` and refreshed exactly once;
- connections (`connections.py`): each connected binding asks /connections once per period;
- reference (`reference.py`): reference data older than its maximum age is refetched;
- housekeeping (`housekeeping.py`): expired connect attempts, pairing codes and leases go.

Tokens and reference data pace themselves with `domain.schedule.quota`; connection checks
are spread by `domain.schedule.slot_in_window`; leases make one sweeper of many do an item.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from domain.errors import StorageUnavailable
from domain.grant import EXHAUSTED_AFTER_DAYS
from domain.schedule import Backlog
from domain.tier import ConnectionUsage
from domain.usecases.lifecycle import ConnectionChecker
from domain.usecases.reference import ReferenceService
from domain.usecases.settle import ConnectionSettler
from domain.usecases.sweeps.common import SweepContext
from domain.usecases.sweeps.connections import ConnectionSweep
from domain.usecases.sweeps.housekeeping import Housekeeping
from domain.usecases.sweeps.reference import ReferenceSweep
from domain.usecases.sweeps.tokens import TokenSweep
from domain.usecases.tiers import ConnectionTiers
from domain.usecases.tokens import TokenService
from domain.values import BindingStatus, Environment

__all__ = ["FleetStatus", "SweepResult", "Sweeps"]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SweepResult:
    sweep: str
    outcomes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    failed: bool = False


@dataclass(frozen=True, slots=True)
class FleetStatus:
    """What operators watch: bindings by status, exhausted refreshes, sweep backlogs."""

    at: datetime
    bindings: dict[BindingStatus, int]
    exhausted: int
    tokens: Backlog
    reference: Backlog
    connections: dict[Environment, ConnectionUsage] = field(default_factory=dict)


class Sweeps:
    def __init__(
        self,
        context: SweepContext,
        *,
        tokens: TokenService,
        checker: ConnectionChecker,
        reference: ReferenceService,
        settler: ConnectionSettler,
        tiers: ConnectionTiers,
    ) -> None:
        """The context's `holder` names this sweeper in the leases it takes."""
        self._context = context
        self.tokens = TokenSweep(context, tokens)
        self.connections = ConnectionSweep(context, checker)
        self.reference_data = ReferenceSweep(context, reference)
        self.housekeeping = Housekeeping(context, settler)
        self._tiers = tiers

    def halt(self) -> None:
        """Finish the item at hand and start no other (shutdown)."""
        self._context.halted = True

    def tick(self) -> list[SweepResult]:
        """Run every sweep once; one failing sweep (say, the database away) spares the rest."""
        sweeps: tuple[tuple[str, Callable[[], Counter[str]]], ...] = (
            ("tokens", self.tokens),
            ("connections", self.connections),
            ("reference", self.reference_data),
            ("housekeeping", self.housekeeping),
            ("tiers", self.connection_cap),
        )
        return [_run(name, sweep) for name, sweep in sweeps]

    def connection_cap(self) -> Counter[str]:
        """Warn at 80% and at the Xero app's connection cap (once per change of level)."""
        usage = self._tiers.warn()
        return Counter(f"{env.value}_{u.level.value}" for env, u in usage.items())

    def status(self) -> FleetStatus:
        now = self._context.clock.now()
        tunables = self._context.tunables
        with self._context.uow() as uow:
            return FleetStatus(
                at=now,
                bindings=uow.bindings.count_by_status(),
                exhausted=uow.grants.count_exhausted(EXHAUSTED_AFTER_DAYS),
                tokens=uow.grants.backlog(now, now - tunables.keepalive_after),
                reference=uow.references.backlog(now, now - tunables.reference_max_age),
                connections=self._tiers.usage(),
            )


def _run(name: str, sweep: Callable[[], Counter[str]]) -> SweepResult:
    started = time.perf_counter()
    try:
        outcomes = sweep()
    except StorageUnavailable as error:
        log.warning("the %s sweep cannot reach the database (%s); next tick", name, error.code)
        return SweepResult(name, seconds=time.perf_counter() - started, failed=True)
    except Exception:
        log.exception("the %s sweep failed; it runs again next tick", name)
        return SweepResult(name, seconds=time.perf_counter() - started, failed=True)
    return SweepResult(name, outcomes, time.perf_counter() - started)
