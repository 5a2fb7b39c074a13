"""Xero's rate limits: per-organisation concurrency, minute and day windows, app-wide minute."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from xero_emulator.settings import RateLimitSettings

MINUTE, DAY = 60.0, 86400.0


@dataclass(slots=True)
class Window:
    """A fixed window that starts at its first call, so each tenant resets at its own time."""

    length: float
    start: float = 0.0
    count: int = 0

    def roll(self, now: float) -> Window:
        """Start a fresh window if this one has ended."""
        if now >= self.start + self.length:
            self.start, self.count = now, 0
        return self

    def retry_after(self, now: float) -> int:
        """Whole seconds until the window resets."""
        return max(1, math.ceil(self.start + self.length - now))


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a call may proceed, and if not which limit it hit."""

    problem: str | None = None
    retry_after: int = 0


class RateLimiter:
    """Counts calls per (app, tenant) and per app; callers hold the emulator lock."""

    def __init__(self, limits: RateLimitSettings) -> None:
        self.limits = limits
        self._minute: dict[tuple[str, str], Window] = {}
        self._day: dict[tuple[str, str], Window] = {}
        self._app: dict[str, Window] = {}
        self._inflight: Counter[tuple[str, str]] = Counter()

    def acquire(self, client_id: str, tenant_id: str, now: float) -> Verdict:
        """Admit a tenant call, counting it, or say which limit refuses it."""
        key = (client_id, tenant_id)
        if self._inflight[key] >= self.limits.concurrent:
            return Verdict("concurrent", 1)
        day, minute = self._day_window(key, now), self._minute_window(key, now)
        app = self._app_window(client_id, now)
        for problem, window, limit in (
            ("day", day, self.limits.per_org_day),
            ("minute", minute, self.limits.per_org_minute),
            ("appminute", app, self.limits.app_minute),
        ):
            if window.count >= limit:
                return Verdict(problem, window.retry_after(now))
        for window in (day, minute, app):
            window.count += 1
        self._inflight[key] += 1
        return Verdict()

    def acquire_app(self, client_id: str, now: float) -> Verdict:
        """Admit a tenantless call (e.g. /connections) against the app-wide limit."""
        app = self._app_window(client_id, now)
        if app.count >= self.limits.app_minute:
            return Verdict("appminute", app.retry_after(now))
        app.count += 1
        return Verdict()

    def release(self, client_id: str, tenant_id: str) -> None:
        """A tenant call admitted by acquire has finished."""
        self._inflight[(client_id, tenant_id)] -= 1

    def headers(self, client_id: str, tenant_id: str | None, now: float) -> dict[str, str]:
        """The X-*Limit-Remaining headers for a response."""
        app = self._app_window(client_id, now)
        headers = {"X-AppMinLimit-Remaining": str(max(0, self.limits.app_minute - app.count))}
        if tenant_id is not None:
            key = (client_id, tenant_id)
            day, minute = self._day_window(key, now), self._minute_window(key, now)
            headers["X-DayLimit-Remaining"] = str(max(0, self.limits.per_org_day - day.count))
            headers["X-MinLimit-Remaining"] = str(max(0, self.limits.per_org_minute - minute.count))
        return headers

    def _minute_window(self, key: tuple[str, str], now: float) -> Window:
        return self._minute.setdefault(key, Window(MINUTE, now)).roll(now)

    def _day_window(self, key: tuple[str, str], now: float) -> Window:
        return self._day.setdefault(key, Window(DAY, now)).roll(now)

    def _app_window(self, client_id: str, now: float) -> Window:
        return self._app.setdefault(client_id, Window(MINUTE, now)).roll(now)
