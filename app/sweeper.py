"""The sweeps of DESIGN §7 on a background thread, for `serve` and `worker` alike.

Every LEDGER_SWEEP_TICK_S the thread runs one `Sweeps.tick()` (tokens, connection checks,
reference data, housekeeping), records it in the metrics, then sleeps for the rest of the
tick. `stop()` lets the item at hand finish (a refresh always commits what Xero answered)
and starts nothing new. Each tick logs under its own request id (`sweep-...`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from adapters.request_ids import bound, new_id
from app.bootstrap import Container
from domain.schedule import SweepSchedule
from domain.usecases.sweeps import Sweeps

log = logging.getLogger(__name__)
# Outcomes that mean another sweeper (or a caller) had it covered: not worth an INFO line.
ROUTINE = frozenset({"skipped", "taken", "fresh"})


def build_sweeps(built: Container) -> Sweeps:
    """The sweeps with the container's settings; their status also feeds /metrics."""
    s = built.settings
    schedule = SweepSchedule(
        tick=timedelta(seconds=s.sweep_tick_s),
        batch=s.sweep_batch,
        replicas=s.replicas,
        token_spread=timedelta(seconds=s.token_spread_s),
        reference_spread=timedelta(seconds=s.reference_spread_s),
        reference_retry=timedelta(seconds=s.reference_retry_s),
        connection_check=timedelta(hours=s.connection_check_h) if s.connection_check_h else None,
    )
    holder = f"{socket.gethostname()}:{os.getpid()}"
    sweeps = built.sweeps(schedule, holder)
    built.metrics.watch_fleet(sweeps.status)
    return sweeps


class Sweeper:
    def __init__(self, sweeps: Sweeps, built: Container) -> None:
        self._sweeps = sweeps
        self._metrics = built.metrics
        self._tick_s = built.settings.sweep_tick_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sweeper", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stopping.set()
        self._sweeps.halt()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("the sweeper did not stop within %.0f s", timeout_s)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            with bound(f"sweep-{new_id()[:12]}"):
                self._tick()
            self._stopping.wait(max(0.0, self._tick_s - (time.monotonic() - started)))

    def _tick(self) -> None:
        try:
            results = self._sweeps.tick()
            self._metrics.record_sweeps(results)
        except Exception:
            log.exception("a sweep tick failed; the next one runs as planned")
            return
        done = {r.sweep: dict(r.outcomes) for r in results if r.outcomes}
        routine = all(set(o) <= ROUTINE for o in done.values())
        if done:
            log.log(logging.DEBUG if routine else logging.INFO, "sweep tick: %s", done)
