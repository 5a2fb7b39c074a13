"""Xero's call limits kept on our side, so our own calls rarely meet a 429.

Per organisation: at most 5 calls in flight and 60 per minute; per process: a share of the
app-wide 10,000 per minute. Xero counts in fixed windows that start at different times per
tenant; a sliding log of our own calls never exceeds any such window. Xero's
`X-MinLimit-Remaining` / `X-AppMinLimit-Remaining` also count what other services spent, so
once Xero says a budget is spent we hold back until that window must have reset.

When that is: a spent figure's window ends at the latest a minute after Xero gave it. It ends
sooner only when the figure is known to belong to a window whose start we saw: a new window
shows as what is left rising by more than answers out of order can show (the calls we
sent since the oldest call still in flight, and as many again as we ever had in flight at
once: Xero counts calls as they arrive, not as we sent them), so it began after the
answer before the rise and at the latest at the rise; a figure given less than a minute
after that earlier answer is from this window, which ends a minute after the rise. Without
such a bound (the first answer, or a minute gone by), the first figure's window ends at the
latest a minute after it, and a later figure is taken to be from that window too while our
own calls explain them all: the first counted no more than our calls sent since the answer
before it, and each since has come down by no more than the calls we sent since the first
and those then in flight. (A figure for a call sent after the first answer that shows as
much left as the first is from a new window, begun after the first figure.) A reset would
then have to hide behind other spenders that had spent nothing of the old window by its
first figure and took about what it had counted within one gap between two of our answers,
then nothing more. Once a figure shows others spending, they may have begun and spent a
new window unseen, so the minute runs from the figure. Holding back a minute from every
spent figure kept a daily sweep idle for up to a minute after Xero's window had reset, the
first window of every run included. Within one window a figure never raises what is left
(a late answer to an early call shows more than there is).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from domain.errors import RateLimited

WINDOW_S = 60.0
_PRUNE_AT = 1024


@dataclass(slots=True)
class _Window:
    """Our calls in the last minute, and the last budget Xero reported.

    `reported` is (calls left, when, our call count then): Xero's figure minus what we have
    spent since is what is still ours to spend until that window must have reset.
    """

    limit: int
    xero_limit: int  # Xero's own limit for this window; `limit` may be our share of it
    calls: deque[float] = field(default_factory=deque)
    spent: int = 0
    reported: tuple[int, float, int] | None = None
    # When we first heard from Xero's current window (it began then at the latest), the
    # answer before it if that one was from the previous window (it began after that), the
    # last figure it gave, and our calls in flight (by `spent` when each was sent).
    window_from: float | None = None
    window_after: float | None = None
    last_left: int = 0
    # The window's first figure, our call count and calls in flight then, and whether that
    # figure and every one since are explained by our own calls (so all are from it).
    first: tuple[int, int, int] = (0, 0, 0)
    ours_alone: bool = False
    answered_at: int = 0  # our call count at the last answer
    flying: dict[int, None] = field(default_factory=dict)
    # The most calls we have had in flight at once: how many calls Xero may still have
    # counted between an answer's figure and the answer of a call sent after it.
    peak: int = 0

    def wait(self, now: float) -> float:
        while self.calls and self.calls[0] <= now - WINDOW_S:
            self.calls.popleft()
        waits = [0.0]
        if len(self.calls) >= self.limit:
            waits.append(self.calls[0] + WINDOW_S - now)
        if self.reported is not None and self.window_from is not None:
            left, given, spent_then = self.reported
            ends = given + WINDOW_S
            seen_begin = self.window_after is not None and given < self.window_after + WINDOW_S
            if seen_begin or self.ours_alone:
                ends = self.window_from + WINDOW_S  # the figure is from that window
            if now >= ends:
                self.reported = None
            elif left - (self.spent - spent_then) <= 0:
                waits.append(ends - now)
        return max(waits)

    def record(self, now: float) -> int:
        """Count a call sent now; its ticket for `done`."""
        self.calls.append(now)
        self.spent += 1
        self.flying[self.spent] = None
        self.peak = max(self.peak, len(self.flying))
        return self.spent

    def done(self, ticket: int) -> None:
        self.flying.pop(ticket, None)

    def report(self, left: int, now: float) -> None:
        start = self.window_from
        # This answer's call is still in flight, so it was sent no earlier than the oldest
        # call in flight. Xero may have counted calls after its figure and before another
        # answer's: the calls we sent after it, and the others in flight with it (sent
        # before it but counted after, and maybe answered already). An older count may
        # show at most that many more left.
        oldest = next(iter(self.flying), self.spent + 1)
        reorder = self.spent - oldest + self.peak
        # Our other calls in flight were sent before this answer but Xero may not have
        # counted them yet: they come off what is left, or they could overspend it.
        ours = left - max(0, len(self.flying) - 1)
        previous = self.reported
        first_left, spent_then, flying_then = self.first
        # Our calls that the window of a first figure may have counted, at most: those sent
        # since the answer before it (or since the first figure), which began by then.
        since_answer = self.spent - self.answered_at
        if previous is None or start is None or now - start >= WINDOW_S:
            self.window_from, self.window_after = now, None
            self._first(left, since_answer)
        elif left > self.last_left + reorder:
            self.window_from, self.window_after = now, previous[1]
            self._first(left, since_answer)
        elif oldest > spent_then and left >= first_left:
            # This call was sent after the first figure came, so the first figure's window
            # counted it: as much left means a new window, begun after that figure.
            self.window_from, self.window_after = now, start
            self._first(left, self.spent - spent_then)
        else:
            ours = min(ours, previous[0] - (self.spent - previous[2]))
            # Counted since the first figure, at most: the calls sent since, and those then
            # in flight but for the one that figure answered.
            if first_left - left > self.spent - spent_then + max(0, flying_then - 1):
                self.ours_alone = False  # others have spent in it too
        self.last_left = left
        self.reported = (ours, now, self.spent)
        self.answered_at = self.spent

    def _first(self, left: int, ours_at_most: int) -> None:
        """A window's first figure: ours alone while what it counted could all be our calls
        (`ours_at_most`: fewer than it may hold only makes the hold longer)."""
        counted = self.xero_limit - left
        self.first = (left, self.spent, len(self.flying))
        self.ours_alone = counted <= ours_at_most


@dataclass(slots=True)
class _Tenant:
    slots: threading.BoundedSemaphore
    window: _Window
    busy: int = 0


class OrgLimiter:
    """Thread-safe gate around every Accounting API and connections call of one process."""

    def __init__(
        self,
        *,
        concurrent: int = 5,
        per_minute: int = 60,
        app_per_minute: int = 10_000,
        app_limit: int | None = None,  # Xero's app-wide limit, when app_per_minute is a share
        max_wait_s: float = 5.0,
        slot_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._concurrent, self._per_minute = concurrent, per_minute
        self._max_wait_s, self._slot_timeout_s = max_wait_s, slot_timeout_s
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._app = _Window(app_per_minute, app_limit or app_per_minute)
        self._tenants: dict[str, _Tenant] = {}
        self._prune_at = _PRUNE_AT

    @contextmanager
    def call(self, tenant_id: str | None) -> Iterator[None]:
        """Hold one of the tenant's in-flight slots and spend one call of its minute budget.

        `tenant_id=None` is a tenantless call (GET /connections): app budget only. Raises
        RateLimited when the budget frees up later than `max_wait_s` from now.
        """
        tenant = self._enter(tenant_id) if tenant_id is not None else None
        try:
            if tenant is not None and not tenant.slots.acquire(timeout=self._slot_timeout_s):
                busy = f"{self._concurrent} Xero calls already in flight for this organisation"
                raise RateLimited(busy, 1.0)
            try:
                tickets = self._spend(tenant)
                try:
                    yield
                finally:
                    with self._lock:
                        for window, ticket in tickets:
                            window.done(ticket)
            finally:
                if tenant is not None:
                    tenant.slots.release()
        finally:
            if tenant is not None:
                self._leave(tenant)

    def observe(self, tenant_id: str | None, headers: Mapping[str, str]) -> None:
        """Note what Xero says is left of the tenant's and the app's minute budgets."""
        now = self._clock()
        with self._lock:
            app_left = _int_header(headers, "X-AppMinLimit-Remaining")
            if app_left is not None:
                self._app.report(app_left, now)
            tenant = self._tenants.get(tenant_id) if tenant_id is not None else None
            org_left = _int_header(headers, "X-MinLimit-Remaining")
            if tenant is not None and org_left is not None:
                tenant.window.report(org_left, now)

    def _spend(self, tenant: _Tenant | None) -> list[tuple[_Window, int]]:
        deadline = self._clock() + self._max_wait_s
        while True:
            with self._lock:
                now = self._clock()
                windows = [self._app] + ([tenant.window] if tenant else [])
                wait = max(w.wait(now) for w in windows)
                if wait <= 0:
                    return [(window, window.record(now)) for window in windows]
            if now + wait > deadline:
                raise RateLimited("Xero minute budget spent for this organisation or app", wait)
            self._sleep(wait)

    def _enter(self, tenant_id: str) -> _Tenant:
        with self._lock:
            tenant = self._tenants.get(tenant_id)
            if tenant is None:
                self._prune()
                slots = threading.BoundedSemaphore(self._concurrent)
                window = _Window(self._per_minute, self._per_minute)
                tenant = self._tenants[tenant_id] = _Tenant(slots, window)
            tenant.busy += 1
            return tenant

    def _leave(self, tenant: _Tenant) -> None:
        with self._lock:
            tenant.busy -= 1

    def _prune(self) -> None:
        """Forget idle tenants once there are many, so a long-lived process stays small.

        The threshold doubles with what stays, so a busy process does not scan on every call.
        """
        if len(self._tenants) < self._prune_at:
            return
        now = self._clock()
        for tenant_id, tenant in list(self._tenants.items()):
            if tenant.busy == 0 and tenant.window.wait(now) <= 0 and not tenant.window.calls:
                del self._tenants[tenant_id]
        self._prune_at = max(_PRUNE_AT, 2 * len(self._tenants))


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(headers.get(name, ""))
    except ValueError:
        return None
